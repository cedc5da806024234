import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnalyticsCompute } from '../../src/dawg/modules/analytics/compute';
import { mlModelParams } from '../../src/dawg/modules/analytics/ml';
import { fit, type TrainParams } from '../../src/dawg/modules/analytics/ml/fit';
import { Prng } from '../../src/dawg/modules/analytics/ml/prng';
import { writeNdjson } from '../../src/dawg/modules/analytics/ndjson';
import { churnUsersColumns } from '../../src/dawg/modules/analytics/synthetic/churn-contract';
import { generateChurnDataset } from '../../src/dawg/modules/analytics/synthetic/churn-dataset';
import { countTurns } from '../helpers/event-loop';

jest.setTimeout(60_000);

const FEATURES = ['a', 'b', 'c', 'd'];

/** Three well-separated groups of points with a noisy label. */
function rows(n: number, seed = 3): Record<string, unknown>[] {
  const rng = new Prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const g = i % 3;
    const row: Record<string, unknown> = { id: i, label: rng.next() < 0.2 + 0.3 * g };
    FEATURES.forEach((f, j) => (row[f] = g * 5 + j + rng.next()));
    return row;
  });
}

const params = (p: Record<string, unknown>) => mlModelParams.parse({ data: [{ a: 1 }], ...p }) as TrainParams;
const cluster = params({ kind: 'cluster', features: FEATURES, seed: 1 });
const classify = params({ kind: 'classify', targetColumn: 'label', features: FEATURES, seed: 1 });

describe('AnalyticsCompute: models fitted on a worker thread', () => {
  const trainer = new AnalyticsCompute();
  afterAll(() => trainer.close());

  it('fits the same model as fitting in this thread', async () => {
    const data = rows(600);
    for (const p of [cluster, classify]) expect(await trainer.fit(data, p, 'params.data')).toEqual(fit(data, p, 'params.data'));
  });

  it('leaves the event loop free while it fits on many rows', async () => {
    const data = rows(30_000);
    await trainer.fit(rows(30), cluster, 'params.data'); // the worker is up
    const counter = countTurns();
    const trained = await trainer.fit(data, cluster, 'params.data');
    const turns = counter.stop();
    expect(trained.kind).toBe('cluster');
    // Fitted in this thread, no turn could run until it ended (one or two around it).
    expect(turns).toBeGreaterThan(50);
  });

  it('keeps the status, code and field of a bad-input error', async () => {
    await expect(trainer.fit(rows(2), params({ kind: 'cluster', features: FEATURES, clusters: 3 }), 'params.dataset')).rejects.toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      details: { issues: [expect.objectContaining({ field: 'params.dataset' })] },
    });
    const text = rows(50).map((r) => ({ ...r, b: 'high' }));
    await expect(trainer.fit(text, classify, 'params.data')).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.features.1' })] } });
  });

  it('ends a fit whose caller goes away, and fits the next one', async () => {
    const controller = new AbortController();
    const running = trainer.fit(rows(60_000), classify, 'params.data', controller.signal);
    setTimeout(() => controller.abort(new Error('caller left')), 100);
    await expect(running).rejects.toThrow('caller left');
    expect((await trainer.fit(rows(60), cluster, 'params.data')).kind).toBe('cluster');
  });

  it('answers what was waiting when it is closed, and starts again on the next fit', async () => {
    const own = new AnalyticsCompute();
    const waiting = own.fit(rows(30_000), cluster, 'params.data');
    await own.close();
    await expect(waiting).rejects.toMatchObject({ status: 503, code: 'ANALYTICS_WORKER_STOPPED' });
    expect((await own.fit(rows(60), cluster, 'params.data')).kind).toBe('cluster');
    await own.close();
  });
});

describe('AnalyticsCompute: the synthetic churn dataset generated on a worker thread', () => {
  const compute = new AnalyticsCompute();
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'compute-churn-'));
  });
  afterAll(async () => {
    await compute.close();
    await rm(dir, { recursive: true, force: true });
  });
  const files = (tag: string) => ({ users: path.join(dir, `${tag}-u.ndjson`), activity: path.join(dir, `${tag}-a.ndjson`), monthly: path.join(dir, `${tag}-m.ndjson`) });

  it('writes the same rows as generating in this thread, leaving the event loop free', async () => {
    await compute.fit(rows(30), cluster, 'params.data'); // the worker is up
    const counter = countTurns();
    const counts = await compute.churnDataset({ seed: 5, users: 3_000, asOf: '2026-11-01' }, files('w'));
    const turns = counter.stop();
    expect(turns).toBeGreaterThan(50);
    const expected = generateChurnDataset({ seed: 5, users: 3_000, asOf: '2026-11-01' });
    expect(counts).toEqual({ users: 3_000, activity: expected.activity.length, monthly: 36 });
    const here = path.join(dir, 'here-u.ndjson');
    await writeNdjson(here, Object.keys(churnUsersColumns), expected.users);
    expect(await readFile(files('w').users, 'utf8')).toBe(await readFile(here, 'utf8'));
  });

  it('ends a generation whose caller goes away', async () => {
    const controller = new AbortController();
    const running = compute.churnDataset({ seed: 5, users: 50_000, asOf: '2026-11-01' }, files('x'), controller.signal);
    setTimeout(() => controller.abort(new Error('caller left')), 100);
    await expect(running).rejects.toThrow('caller left');
    expect((await compute.churnDataset({ seed: 1, users: 100, asOf: '2026-11-01' }, files('y'))).users).toBe(100);
  });
});
