import path from 'node:path';
import Piscina from 'piscina';
import { AffinityBalancer } from '../../src/dawg/audio/worker/affinity-balancer';
import { movable } from '../../src/dawg/audio/worker/transfer';

type Balance = AffinityBalancer['balance'];
type FakeWorker = Parameters<Balance>[1][number];

const worker = (id: number, currentUsage = 0, extra: Partial<FakeWorker> = {}) =>
  ({ id, currentUsage, isRunningAbortableTask: currentUsage > 0, histogram: null, terminating: false, destroyed: false, ...extra }) as FakeWorker;
const task = (affinity?: string) =>
  ({ taskId: 1, filename: 'w.js', name: 'default', created: 0, isAbortable: true, [Piscina.queueOptionsSymbol]: affinity === undefined ? null : { affinity } }) as unknown as Parameters<Balance>[0];

describe('AffinityBalancer', () => {
  it("sends a key's tasks to its worker whenever that worker is idle, wherever it stands in the list", () => {
    const b = new AffinityBalancer();
    const [w1, w2] = [worker(1), worker(2)];
    expect(b.balance(task('a'), [w1, w2])!.id).toBe(1);
    // a is on 1: b goes to the idle worker holding no key.
    expect(b.balance(task('b'), [w1, w2])!.id).toBe(2);
    for (let i = 0; i < 3; i++) {
      expect(b.balance(task('b'), [w1, w2])!.id).toBe(2);
      expect(b.balance(task('a'), [w2, w1])!.id).toBe(1);
    }
  });

  it('never makes a task wait while a worker is idle: a busy owner loses the key to an idle worker', () => {
    const b = new AffinityBalancer();
    expect(b.balance(task('a'), [worker(1), worker(2)])!.id).toBe(1);
    expect(b.balance(task('a'), [worker(1, 1), worker(2)])!.id).toBe(2);
    expect(b.workerOf('a')).toBe(2);
    // Nothing idle (or only workers on their way out): the task stays queued.
    expect(b.balance(task('a'), [worker(1, 1), worker(2, 1)])).toBeNull();
    expect(b.balance(task('a'), [worker(1, 0, { terminating: true }), worker(2, 1)])).toBeNull();
    expect(b.balance(task(), [worker(1, 0, { destroyed: true }), worker(2, 0)])!.id).toBe(2);
  });

  it('spreads new keys and keyless tasks over the workers holding the fewest recent keys', () => {
    let now = 0;
    const b = new AffinityBalancer({ activeMs: 1_000, now: () => now });
    const all = [worker(1), worker(2), worker(3)];
    expect(['a', 'b', 'c'].map((k) => b.balance(task(k), all)!.id)).toEqual([1, 2, 3]);
    expect(b.balance(task('d'), all)!.id).toBe(1);
    // 1 holds a and d: keyless work goes to 2.
    expect(b.balance(task(), all)!.id).toBe(2);
    // Keys unused for activeMs no longer count: only e, on 3, is recent.
    now = 5_000;
    expect(b.balance(task('e'), [worker(3)])!.id).toBe(3);
    expect(b.balance(task('f'), all)!.id).toBe(1);
  });

  it('remembers at most maxKeys keys, dropping the least recently used', () => {
    const b = new AffinityBalancer({ maxKeys: 2 });
    const all = [worker(1), worker(2)];
    b.balance(task('a'), all);
    b.balance(task('b'), all);
    b.balance(task('a'), all);
    b.balance(task('c'), all);
    expect([b.workerOf('a'), b.workerOf('b'), b.workerOf('c')].map((w) => w !== undefined)).toEqual([true, false, true]);
  });

  it('gets the key through piscina from a task posted with movable(), and the worker never sees it', async () => {
    const balancer = new AffinityBalancer();
    const pool = new Piscina({ filename: path.join(__dirname, '../fixtures/thread-id-worker.js'), minThreads: 2, maxThreads: 2, loadBalancer: balancer.balance });
    const run = (label: string, ms: number, affinity?: string) =>
      pool.run(movable({ label, ms }, [], affinity === undefined ? undefined : { affinity })) as Promise<{ threadId: number; label: string }>;
    try {
      // Both busy at once: one key per thread.
      const [a, b] = await Promise.all([run('a', 150, 'a'), run('b', 150, 'b')]);
      expect(a.threadId).not.toBe(b.threadId);
      // Alone, each key goes back to its thread (piscina's own balancer takes the first idle one).
      for (let i = 0; i < 3; i++) {
        expect((await run('b', 0, 'b')).threadId).toBe(b.threadId);
        expect((await run('a', 0, 'a')).threadId).toBe(a.threadId);
      }
      expect((await run('plain', 0)).label).toBe('plain');
    } finally {
      await pool.destroy();
    }
  });
});
