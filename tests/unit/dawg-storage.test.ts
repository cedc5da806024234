import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileStore, ProjectStore } from '../../src/dawg/storage';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dawg-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileStore', () => {
  it('stores, reads back, lists and removes files by id, with their digest', async () => {
    const store = new FileStore({ dir, maxBytes: 1_000 });
    await store.init();
    const data = Buffer.from('RIFF....WAVE');
    const stored = await store.put(data, { name: 'take.wav', contentType: 'audio/wav', audio: { sampleRate: 48_000 } });
    expect(stored).toMatchObject({ name: 'take.wav', bytes: data.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), audio: { sampleRate: 48_000 } });
    expect(await store.get(stored.id)).toEqual({ meta: stored, data });
    expect((await store.list()).map((f) => f.id)).toEqual([stored.id]);
    await store.remove(stored.id);
    await expect(store.meta(stored.id)).rejects.toMatchObject({ status: 404, code: 'FILE_NOT_FOUND' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses empty and oversized files, and ids that could leave its directory', async () => {
    const store = new FileStore({ dir, maxBytes: 10 });
    await store.init();
    await expect(store.put(Buffer.alloc(0), { name: 'x', contentType: 'audio/wav' })).rejects.toMatchObject({ status: 400 });
    await expect(store.put(Buffer.alloc(11), { name: 'x', contentType: 'audio/wav' })).rejects.toMatchObject({ status: 400 });
    await expect(store.get('../../etc/passwd')).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'fileId' }] } });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('ProjectStore', () => {
  it('creates, updates (versioned, validated) and removes projects', async () => {
    const store = new ProjectStore(dir);
    await store.init();
    const p = await store.create({ name: 'Neon Dreams', sampleRate: 48_000, bpm: 110 });
    expect(p).toMatchObject({ name: 'Neon Dreams', version: 1, tracks: [] });
    const updated = await store.update(p.id, (project) => ({
      ...project,
      tracks: [{ id: 't1', name: 'bass', source: { kind: 'midi', instrument: 'bass', notes: [{ pitch: 36, velocity: 100, startBeats: 0, durationBeats: 1 }] }, gainDb: -3, pan: 0, mute: false, solo: false, plugins: [] }],
    }));
    expect(updated.version).toBe(2);
    expect((await store.get(p.id)).tracks).toHaveLength(1);
    await expect(store.update(p.id, (project) => ({ ...project, bpm: 9_000 }))).rejects.toThrow();
    expect((await store.get(p.id)).bpm).toBe(110);
    await store.remove(p.id);
    await expect(store.get(p.id)).rejects.toMatchObject({ status: 404, code: 'PROJECT_NOT_FOUND' });
  });

  it('serialises concurrent updates of one project so none is lost', async () => {
    const store = new ProjectStore(dir);
    await store.init();
    const p = await store.create({ name: 'race', sampleRate: 44_100, bpm: 120 });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update(p.id, async (project) => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
          return { ...project, tracks: [...project.tracks, { id: `t${i}`, name: `t${i}`, source: { kind: 'midi' as const, instrument: 'keys', notes: [] }, gainDb: 0, pan: 0, mute: false, solo: false, plugins: [] }] };
        }),
      ),
    );
    const final = await store.get(p.id);
    expect(final.tracks).toHaveLength(20);
    expect(final.version).toBe(21);
  });
});
