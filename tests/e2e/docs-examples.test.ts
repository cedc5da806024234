import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertsAnswer, extractExamples, scriptFor, type DocExample } from '../helpers/doc-examples';
import { freePort } from '../helpers/servers';

/*
 * Every curl example of the README and docs/*.md, run against the live product as `npm start`
 * runs it (launcher → AI DAWG with all its modules + control plane, embedded PGlite, no keys),
 * one bash process per document so that a block may use a variable an earlier block set.
 * curl fails on HTTP errors unless the block is marked `<!-- example: expect-error -->` (and
 * then it must check the error with `jq -e`); a block that cannot run here is marked
 * `<!-- example: not-run — reason -->` and listed. The product rather than startTestPlane +
 * startDawg: the test DAWG has only the testing module, and the docs use all eight.
 */

jest.setTimeout(170_000);

const ROOT = path.resolve(__dirname, '../..');
/** A document's examples must finish within this (the file's budget is 3 minutes in all). */
const PER_DOCUMENT_MS = 90_000;

/** The documents with curl examples, read when the tests are collected: one test each. */
const docs: Array<{ file: string; examples: DocExample[] }> = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]
  .map((file) => ({ file, examples: extractExamples(readFileSync(path.join(ROOT, file), 'utf8'), file) }))
  .filter((d) => d.examples.length > 0);

let product: ChildProcess | undefined;
let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jarvis-docs-'));
  const [port, dawgPort] = [await freePort(), await freePort()];
  const keyFile = path.join(work, 'admin-key');
  product = spawn(process.execPath, ['--import', 'tsx', 'src/launcher.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      JARVIS_PORT: String(port),
      AI_DAWG_PORT: String(dawgPort),
      JARVIS_DATA_DIR: path.join(work, 'data'),
      JARVIS_BOOTSTRAP_KEY_FILE: keyFile,
      LOG_LEVEL: 'warn',
      AI_DAWG_AUDIO_WORKERS: '1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  product.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4_000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`${url}/health/detailed`).then((r) => r.json() as Promise<{ checks?: { dawg?: { status?: string } } }>, () => undefined);
    if (up?.checks?.dawg?.status === 'ok') break;
    if (Date.now() > deadline || product.exitCode !== null) throw new Error(`the product did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  // The bootstrap key: admin + devops, the only secret the examples get.
  const key = /jrv_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/.exec(await readFile(keyFile, 'utf8'))?.[0];
  if (!key) throw new Error('no admin key in the bootstrap key file');
  env = { PATH: process.env.PATH, HOME: work, LANG: 'C.UTF-8', JARVIS_URL: url, JARVIS_API_KEY: key };
});

afterAll(async () => {
  if (product && product.exitCode === null) {
    const exited = new Promise((resolve) => product!.once('exit', resolve));
    product.kill('SIGINT');
    await exited;
  }
  if (work) await rm(work, { recursive: true, force: true });
});

async function runExamples(examples: readonly DocExample[]): Promise<{ code: number | null; timedOut: boolean; lastBlock?: string; stdout: string; stderr: string }> {
  const cwd = await mkdtemp(path.join(work, 'run-'));
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', scriptFor(examples)], { cwd, env, detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-child.pid!, 'SIGKILL'); // the script's whole group: curl, jq, sleep
    }, PER_DOCUMENT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lastBlock = [...stderr.matchAll(/^@@ (.*)$/gm)].at(-1)?.[1];
      resolve({ code, timedOut, lastBlock, stdout, stderr });
    });
  });
}

/** What a failed run says: the document, the block it stopped in, and what that printed. */
function failure(file: string, run: Awaited<ReturnType<typeof runExamples>>): string {
  if (run.code === 0 && run.lastBlock === 'done') return '';
  const since = (s: string) => s.slice(-3_000);
  return [
    `${file}: ${run.timedOut ? `timed out after ${PER_DOCUMENT_MS / 1000} s` : `exit ${run.code}`} in the block at ${run.lastBlock ?? '(before the first block)'}`,
    `--- stdout ---\n${since(run.stdout)}`,
    `--- stderr ---\n${since(run.stderr)}`,
  ].join('\n');
}

it('finds examples in the README and the docs; a skipped one says why, an error shown on purpose is checked', () => {
  expect(docs.map((d) => d.file)).toEqual(expect.arrayContaining(['README.md', 'docs/AGENT_SYSTEM.md', 'docs/MEMORY_LAYER.md', 'docs/AI_MODELS.md', 'docs/TERMINAL_FIREWALL.md', 'docs/V2_UPGRADE_GUIDE.md']));
  const all = docs.flatMap((d) => d.examples);
  const skipped = all.filter((e) => e.notRun !== undefined);
  expect(skipped.filter((e) => e.notRun!.trim().length < 10).map((e) => `${e.file}:${e.line}`)).toEqual([]);
  expect(all.filter((e) => e.expectError && !assertsAnswer(e.code)).map((e) => `${e.file}:${e.line} shows an error without checking it (jq -e)`)).toEqual([]);
  // Listed in the output: what the suite did not run, and why.
  if (skipped.length) console.info(`docs examples not run:\n${skipped.map((e) => `  ${e.file}:${e.line}: ${e.notRun}`).join('\n')}`);
  expect(skipped.length).toBeLessThan(all.length / 5);
});

it('takes bash, sh and console blocks with curl, with their markers, and leaves output blocks alone', () => {
  const markdown = [
    '```json',
    '{ "curl": "an answer, not a command" }',
    '```',
    '<!-- example: not-run — needs a second machine with the AWS CLI -->',
    '```bash',
    'curl -s $JARVIS_URL/health',
    '```',
    '```sh',
    'echo no request here',
    '```',
    '```console',
    '$ curl -s $JARVIS_URL/health \\',
    '    -H "Accept: application/json"',
    '{"status":"ok"}',
    '```',
  ].join('\n');
  expect(extractExamples(markdown, 'x.md')).toEqual([
    { file: 'x.md', line: 5, code: 'curl -s $JARVIS_URL/health', notRun: 'needs a second machine with the AWS CLI' },
    { file: 'x.md', line: 11, code: 'curl -s $JARVIS_URL/health \\\n    -H "Accept: application/json"' },
  ]);
  expect([assertsAnswer(`curl … | jq -e '.error.code == "X"'`), assertsAnswer(`curl … | jq -r .error.code`)]).toEqual([true, false]);
});

it('fails a document whose example gets an HTTP error, naming the block and the answer', async () => {
  const broken = extractExamples(
    [
      '```bash',
      'ID=$(curl -s $JARVIS_URL/api/v1/agents -H "Authorization: Bearer $JARVIS_API_KEY" | jq -r ".agents[0].name")',
      '```',
      '',
      '```bash',
      'curl -s $JARVIS_URL/api/v1/agents/$ID/tasks/tsk_00000000-0000-4000-8000-000000000000 -H "Authorization: Bearer $JARVIS_API_KEY"',
      'echo "not reached"',
      '```',
    ].join('\n'),
    'broken.md',
  );
  const run = await runExamples(broken);
  expect(run.code).not.toBe(0);
  expect(failure('broken.md', run)).toMatch(/^broken\.md: exit \d+ in the block at broken\.md:5\n[\s\S]*"code":"TASK_NOT_FOUND"/);
  expect(run.stdout).not.toContain('not reached');
});

it('fails an error shown on purpose whose check does not hold', async () => {
  const wrong = extractExamples(
    [
      '<!-- example: expect-error -->',
      '```bash',
      `curl -s -X POST $JARVIS_URL/api/v1/devops/exec -H "Authorization: Bearer $JARVIS_API_KEY" -H 'content-type: application/json' \\`,
      `  -d '{"command":"bash"}' | jq -e '.error.details.denial == "COMMAND_NOT_ALLOWED"'`,
      '```',
    ].join('\n'),
    'wrong.md',
  );
  expect(wrong[0]).toMatchObject({ expectError: true, line: 2 });
  const run = await runExamples(wrong);
  expect([run.code, run.lastBlock, run.stdout.trim()]).toEqual([1, 'wrong.md:2', 'false']);
});

describe('each document', () => {
  it.each(docs.map((d) => d.file))('%s: its curl examples run against the live product', async (file) => {
    const run = await runExamples(docs.find((d) => d.file === file)!.examples);
    expect(failure(file, run)).toBe('');
  });
});
