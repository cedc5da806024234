import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { examplesOf, extractExamples, scriptFor, type DocExample } from '../helpers/doc-examples';
import { freePort } from '../helpers/servers';

/*
 * Every curl example of the README and docs/*.md, run against the live product as `npm start`
 * runs it (launcher → AI DAWG + control plane, embedded PGlite, no keys), one bash process per
 * document so that a block may use a variable an earlier block set. curl fails on HTTP errors
 * unless the block is marked `<!-- example: expect-error -->`; a block that cannot run here is
 * marked `<!-- example: not-run — reason -->` and listed.
 */

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '../..');
let product: ChildProcess | undefined;
let work: string;
let env: NodeJS.ProcessEnv;
const docs: Array<{ label: string; examples: DocExample[] }> = [];


beforeAll(async () => {
  for (const file of ['README.md', ...(await readdir(path.join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]) {
    const examples = await examplesOf(path.join(ROOT, file), file);
    if (examples.length) docs.push({ label: file, examples });
  }
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
  const deadline = Date.now() + 90_000;
  for (;;) {
    const up = await fetch(`${url}/health/detailed`).then((r) => r.json() as Promise<{ checks?: { dawg?: { status?: string } } }>, () => undefined);
    if (up?.checks?.dawg?.status === 'ok') break;
    if (Date.now() > deadline || product.exitCode !== null) throw new Error(`the product did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const key = /jrv_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/.exec(await readFile(keyFile, 'utf8'))?.[0];
  if (!key) throw new Error('no admin key in the bootstrap key file');
  env = { PATH: process.env.PATH, HOME: work, JARVIS_URL: url, JARVIS_API_KEY: key };
});

afterAll(async () => {
  if (product && product.exitCode === null) {
    const exited = new Promise((resolve) => product!.once('exit', resolve));
    product.kill('SIGINT');
    await exited;
  }
  if (work) await rm(work, { recursive: true, force: true });
});

function runBash(script: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

it('finds examples in the README and the docs, and every skipped one says why', () => {
  expect(docs.map((d) => d.label)).toEqual(expect.arrayContaining(['README.md', 'docs/MUSIC_PRODUCTION.md', 'docs/TERMINAL_FIREWALL.md']));
  const skipped = docs.flatMap((d) => d.examples.filter((e) => e.notRun !== undefined));
  for (const e of skipped) expect([`${e.file}:${e.line}`, e.notRun!.length > 10]).toEqual([`${e.file}:${e.line}`, true]);
  // Listed in the output: what the suite did not run, and why.
  if (skipped.length) console.info(`docs examples not run:\n${skipped.map((e) => `  ${e.file}:${e.line}: ${e.notRun}`).join('\n')}`);
});

/** The documents with curl examples, found when the tests are collected: one test each. */
const files = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)].filter(
  (f) => extractExamples(readFileSync(path.join(ROOT, f), 'utf8'), f).length > 0,
);

describe('each document', () => {
  it.each(files)('%s: its curl examples run against the live product', async (file) => {
    const doc = docs.find((d) => d.label === file);
    expect(doc?.examples.length ?? 0).toBeGreaterThan(0);
    const dir = await mkdtemp(path.join(work, 'run-'));
    const run = await runBash(scriptFor(doc!.examples), dir);
    const block = [...run.stderr.matchAll(/^@@ (.*)$/gm)].at(-1)?.[1];
    // On failure: the block that failed, what it printed and its error output.
    expect({ file, exit: run.code, lastBlock: block, out: run.code === 0 ? '' : `${run.stdout.slice(-3_000)}\n--- stderr ---\n${run.stderr.slice(-3_000)}` }).toEqual({ file, exit: 0, lastBlock: 'done', out: '' });
  });

});
