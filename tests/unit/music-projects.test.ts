import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { createMusicModule } from '../../src/dawg/modules/music';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { FileStore, ProjectStore } from '../../src/dawg/storage';
import { silentLogger } from '../helpers/logger';

let dir: string;
let registry: ModuleRegistry;
/** Runs a music action; `as` is the caller the control plane would send (actor, and the owner limit of a key without the admin scope). */
const run = (action: string, params: Record<string, unknown>, as: { actor?: string; ownedBy?: string } = {}) =>
  registry
    .execute({ module: 'music', action, params }, { requestId: 'test', signal: new AbortController().signal, logger: silentLogger(), ...as })
    .then((r) => r.result as Record<string, unknown>);

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'music-'));
  const files = new FileStore({ dir: path.join(dir, 'files'), maxBytes: 1_000_000 });
  const projects = new ProjectStore(path.join(dir, 'projects'));
  await Promise.all([files.init(), projects.init()]);
  registry = new ModuleRegistry();
  // Inline (0 workers): these are the actions' unit tests; the worker threads have their own.
  registry.register(createMusicModule({ projects, files, audio: new AudioWorkerPool({ workers: 0, filesDir: path.join(dir, 'files') }) }));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('music module: projects and tracks', () => {
  it('creates a project, adds, changes and removes a MIDI track', async () => {
    const project = await run('create-project', { name: 'Neon Dreams', bpm: 110 });
    expect(project).toMatchObject({ name: 'Neon Dreams', sampleRate: 48_000, bpm: 110, tracks: [] });
    const added = await run('add-track', {
      projectId: project.id,
      name: 'bass',
      source: { kind: 'midi', instrument: 'bass', notes: [{ pitch: 36, velocity: 100, startBeats: 0, durationBeats: 1 }] },
      gainDb: -3,
    });
    const eq = { bands: [{ type: 'peaking', freq: 1_000, gainDb: 3 }] };
    const changed = await run('update-track', { projectId: project.id, trackId: added.trackId, pan: -0.5, plugins: [{ type: 'eq', params: eq }] });
    expect(changed).toMatchObject({ name: 'bass', gainDb: -3, pan: -0.5, plugins: [{ type: 'eq', bypass: false, params: eq }] });
    // Plugin params are checked against the processor's schema when stored, not first at render time.
    await expect(run('update-track', { projectId: project.id, trackId: added.trackId, plugins: [{ type: 'eq', params: {} }] })).rejects.toMatchObject({
      status: 400,
      details: { issues: [expect.objectContaining({ field: 'params.plugins.0.params.bands' })] },
    });
    await expect(run('add-track', { projectId: project.id, name: 'x', source: { kind: 'midi', instrument: 'theremin', notes: [] } })).rejects.toMatchObject({ status: 400 });
    expect(((await run('list-projects', {})).projects as unknown[])[0]).toMatchObject({ id: project.id, tracks: 1 });
    await run('remove-track', { projectId: project.id, trackId: added.trackId });
    expect((await run('get-project', { projectId: project.id })).tracks).toEqual([]);
  });

  it('answers 404 for an unknown project, track or audio file, and 400 naming bad fields', async () => {
    const project = await run('create-project', { name: 'p' });
    await expect(run('get-project', { projectId: 'p_00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ status: 404, code: 'PROJECT_NOT_FOUND' });
    await expect(run('update-track', { projectId: project.id, trackId: 'nope', gainDb: 0 })).rejects.toMatchObject({ status: 404, code: 'TRACK_NOT_FOUND' });
    await expect(
      run('add-track', { projectId: project.id, name: 'x', source: { kind: 'audio', fileId: 'f_00000000-0000-4000-8000-000000000000' } }),
    ).rejects.toMatchObject({ status: 404, code: 'FILE_NOT_FOUND' });
    await expect(run('create-project', { name: 'x', sampleRate: 22_050 })).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.sampleRate' })] } });
    await expect(
      run('add-track', { projectId: project.id, name: 'x', source: { kind: 'midi', instrument: 'keys', notes: [{ pitch: 200, velocity: 1, startBeats: 0, durationBeats: 1 }] } }),
    ).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.source.notes.0.pitch' })] } });
    await expect(run('update-track', { projectId: project.id, trackId: 'x', gainDb: 99 })).rejects.toMatchObject({ status: 400 });
  });
});

describe('music module: who may change a project', () => {
  const alice = { actor: 'key_alice', ownedBy: 'key_alice' };
  const bob = { actor: 'key_bob', ownedBy: 'key_bob' };
  const notes = Array.from({ length: 4 }, (_, i) => ({ pitch: 40 + i, velocity: 100, startBeats: i, durationBeats: 1 }));

  async function alicesProject() {
    const project = await run('create-project', { name: 'mine' }, alice);
    const track = await run('add-track', { projectId: project.id, name: 'keys', source: { kind: 'midi', instrument: 'bass', notes } }, alice);
    return { projectId: project.id as string, trackId: track.trackId as string };
  }

  it('refuses every change by a caller limited to its own projects, before any work, and changes nothing', async () => {
    const { projectId, trackId } = await alicesProject();
    expect(await run('get-project', { projectId }, bob)).toMatchObject({ createdBy: 'key_alice', version: 2 });
    const changes: Array<[string, Record<string, unknown>]> = [
      ['update-track', { projectId, trackId, mute: true }],
      ['add-track', { projectId, name: 'x', source: { kind: 'midi', instrument: 'bass', notes } }],
      ['remove-track', { projectId, trackId }],
      ['balance-levels', { projectId }],
      ['apply-eq', { projectId }],
      ['apply-dynamics', { projectId }],
      ['spatial-processing', { projectId }],
      ['delete-project', { projectId }],
    ];
    for (const [action, params] of changes) {
      await expect(run(action, params, bob)).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN', details: { field: 'params.projectId' } });
    }
    expect(await run('get-project', { projectId })).toMatchObject({ version: 2, tracks: [expect.objectContaining({ id: trackId, mute: false, plugins: [] })] });
  });

  it('lets the creator, and a caller without a limit, change it; a change never rewrites its creator', async () => {
    const { projectId, trackId } = await alicesProject();
    await run('apply-dynamics', { projectId }, alice);
    await run('spatial-processing', { projectId, reverbAmount: 0 }, { actor: 'key_admin' });
    const after = await run('get-project', { projectId });
    expect(after).toMatchObject({ createdBy: 'key_alice', version: 4 });
    expect((after.tracks as Array<{ plugins: Array<{ type: string }> }>)[0]!.plugins.map((p) => p.type)).toEqual(['compressor', 'reverb', 'stereo-width']);
    await run('remove-track', { projectId, trackId }, alice);
    await run('delete-project', { projectId }, alice);
    await expect(run('get-project', { projectId })).rejects.toMatchObject({ status: 404 });
  });

  it('records no creator without an actor; such a project is changed only without a limit', async () => {
    const project = await run('create-project', { name: 'system' });
    expect(project.createdBy).toBeUndefined();
    expect(((await run('list-projects', {})).projects as Array<Record<string, unknown>>)[0]).toMatchObject({ id: project.id, createdBy: null });
    await expect(run('delete-project', { projectId: project.id }, alice)).rejects.toMatchObject({ status: 403 });
    await run('delete-project', { projectId: project.id });
  });
});
