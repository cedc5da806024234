import { mlModelParams } from '../../src/dawg/modules/analytics/ml';
import { fit, type TrainParams } from '../../src/dawg/modules/analytics/ml/ml-train-worker';
import { MlTrainer } from '../../src/dawg/modules/analytics/ml/ml-trainer';
import { Prng } from '../../src/dawg/modules/analytics/ml/prng';

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

describe('MlTrainer (models fitted on a worker thread)', () => {
  const trainer = new MlTrainer();
  afterAll(() => trainer.close());

  it('fits the same model as fitting in this thread', async () => {
    const data = rows(600);
    for (const p of [cluster, classify]) expect(await trainer.train(data, p, 'params.data')).toEqual(fit(data, p, 'params.data'));
  });

  it('leaves the event loop free while it fits on many rows', async () => {
    const data = rows(30_000);
    await trainer.train(rows(30), cluster, 'params.data'); // the worker is up
    let turns = 0;
    let fitting = true;
    const spin = () => {
      turns++;
      if (fitting) setImmediate(spin);
    };
    setImmediate(spin);
    const trained = await trainer.train(data, cluster, 'params.data');
    fitting = false;
    expect(trained.kind).toBe('cluster');
    // Fitted in this thread, no turn could run until it ended (one or two around it).
    expect(turns).toBeGreaterThan(50);
  });

  it('keeps the status, code and field of a bad-input error', async () => {
    await expect(trainer.train(rows(2), params({ kind: 'cluster', features: FEATURES, clusters: 3 }), 'params.dataset')).rejects.toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      details: { issues: [expect.objectContaining({ field: 'params.dataset' })] },
    });
    const text = rows(50).map((r) => ({ ...r, b: 'high' }));
    await expect(trainer.train(text, classify, 'params.data')).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.features.1' })] } });
  });

  it('ends a fit whose caller goes away, and fits the next one', async () => {
    const controller = new AbortController();
    const running = trainer.train(rows(60_000), classify, 'params.data', controller.signal);
    setTimeout(() => controller.abort(new Error('caller left')), 100);
    await expect(running).rejects.toThrow('caller left');
    expect((await trainer.train(rows(60), cluster, 'params.data')).kind).toBe('cluster');
  });

  it('answers what was waiting when it is closed, and starts again on the next fit', async () => {
    const own = new MlTrainer();
    const waiting = own.train(rows(30_000), cluster, 'params.data');
    await own.close();
    await expect(waiting).rejects.toMatchObject({ status: 503, code: 'MODEL_TRAINER_STOPPED' });
    expect((await own.train(rows(60), cluster, 'params.data')).kind).toBe('cluster');
    await own.close();
  });
});
