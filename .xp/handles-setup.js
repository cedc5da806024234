const fs = require('fs');
const path = require('path');
beforeAll(async () => {
  await new Promise((r) => setTimeout(r, 500));
  const info = process.getActiveResourcesInfo().filter((x) => x !== 'TTYWrap');
  const counts = {};
  for (const k of info) counts[k] = (counts[k] || 0) + 1;
  const file = expect.getState().testPath;
  fs.appendFileSync('/tmp/handles.log', `${process.pid} ${path.relative(process.cwd(), file)} ${JSON.stringify(counts)}\n`);
});
