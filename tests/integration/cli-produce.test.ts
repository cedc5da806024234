import { runCli } from '../../src/cli/run';
import { startAudioDawg, type AudioDawg } from '../helpers/audio-dawg';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { listen, type Listening } from '../helpers/servers';

/*
 * `jarvis produce` and `jarvis catalog` against a live control plane and AI DAWG (the offline
 * composer): the CLI's entry in this process, as main.ts runs it.
 */

jest.setTimeout(120_000);

let dawg: AudioDawg;
let plane: TestPlane;
let http: Listening;

beforeAll(async () => {
  dawg = await startAudioDawg();
  plane = await startTestPlane({ kind: 'pglite', runTasks: true, env: { AI_DAWG_BACKEND_URL: dawg.url, JARVIS_DATA_DIR: dawg.dataDir } });
  http = await listen(plane.app);
});
afterAll(async () => {
  await http?.close();
  await plane?.stop();
  await dawg?.close();
});

async function jarvis(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = { stdout: '', stderr: '' };
  const code = await runCli(args, {
    env: { JARVIS_URL: http.url, JARVIS_API_KEY: plane.userKey },
    stdout: (text) => (output.stdout += text),
    stderr: (text) => (output.stderr += text),
  });
  expect(output.stdout + output.stderr).not.toContain(plane.userKey);
  return { code, ...output };
}

test('produce --wait follows every step and prints the published track; catalog reads it back', async () => {
  const run = await jarvis(['produce', "Create a synthwave track called 'Neon Dreams'", '--duration', '10', '--wait']);
  expect(run.stderr).toMatch(/^Production wf_[0-9a-f-]{36} started; job: http:\/\/127\.0\.0\.1:\d+\/integrations\/chatgpt\/jobs\/wf_/m);
  for (const step of ['concept', 'generate', 'mix', 'master', 'review', 'publish']) expect(run.stderr).toMatch(new RegExp(`^  ${step}\\s+\\S+: completed$`, 'm'));
  expect(run.code).toBe(0);
  expect(run.stdout).toContain("Track 'Neon Dreams' created, mixed, mastered and deployed to the catalog");
  const id = /\((neon-dreams-\d{8}-[0-9a-f]{6})\)/.exec(run.stdout)?.[1];
  expect(id).toBeDefined();
  expect(run.stdout).toMatch(/WAV 24-bit 48kHz, \d+\.\d s, -1[345]\.\d LUFS, true peak -\d+\.\d dBTP/);
  expect(run.stdout).toMatch(/^Timeline: .*total \d/m);

  const got = await jarvis(['catalog', 'get', id!]);
  expect(got).toMatchObject({ code: 0 });
  // URLs are the control plane's public ones (JARVIS_PUBLIC_URL, here the default).
  expect(got.stdout).toMatch(new RegExp(`^  stream: +http://\\S+/catalog/tracks/${id}/stream$`, 'm'));
  const listed = await jarvis(['catalog', 'list', '--json']);
  expect(JSON.parse(listed.stdout).tracks.map((t: { id: string }) => t.id)).toContain(id);
});

test('produce without --wait prints the job; bad options are usage errors naming the option', async () => {
  const started = await jarvis(['produce', 'an ambient piece', '--duration', '10', '--json']);
  expect(started.code).toBe(0);
  const { jobId, steps } = JSON.parse(started.stdout) as { jobId: string; steps: string[] };
  expect(steps).toEqual(['concept', 'generate', 'mix', 'master', 'review', 'publish']);
  await plane.agents!.workflows.cancel(jobId);

  const short = await jarvis(['produce', 'x', '--duration', '5']);
  expect(short).toMatchObject({ code: 2 });
  expect(short.stderr).toContain('--duration must be at least 10');
  const platform = await jarvis(['produce', 'x', '--platform', 'tidal']);
  expect(platform).toMatchObject({ code: 2 });
  expect(platform.stderr).toMatch(/--platform: .*\(spotify, youtube, apple-music\)/);
  expect((await jarvis(['produce'])).stderr).toContain('Missing the PROMPT');
  expect((await jarvis(['produce', 'x', '--limit', '3'])).stderr).toContain('--limit is not an option of `produce`');
  const unknown = await jarvis(['catalog', 'get', 'nope-20260101-abcdef']);
  expect(unknown).toMatchObject({ code: 1 });
  expect(unknown.stderr).toContain('404 TRACK_NOT_FOUND');
  expect((await jarvis(['catalog', 'get', '../etc'])).stderr).toContain('TRACK_ID must be a catalog track id');
  expect((await jarvis(['help', 'produce'])).stdout).toContain('jarvis produce PROMPT');
});
