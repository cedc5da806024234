const { TestEnvironment } = require('jest-environment-node');
const fs = require('fs');
const path = require('path');
class Env extends TestEnvironment {
  constructor(config, context) { super(config, context); this.file = path.relative(process.cwd(), context.testPath); }
  async teardown() {
    await super.teardown();
    await new Promise((r) => setTimeout(r, 1000).unref());
    const info = process.getActiveResourcesInfo().filter((x) => x !== 'TTYWrap');
    const counts = {};
    for (const k of info) counts[k] = (counts[k] || 0) + 1;
    const hs = process._getActiveHandles().map((h) => h.constructor && h.constructor.name + (h.remotePort ? ':' + h.remotePort : '') + (h.spawnfile ? ':' + h.spawnfile : '') + (h._idleTimeout ? ':t' + h._idleTimeout : ''));
    fs.appendFileSync('/tmp/handles2.log', `${process.pid} ${this.file} ${JSON.stringify(counts)} ${JSON.stringify(hs)}\n`);
  }
}
module.exports = Env;
