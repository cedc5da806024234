import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnalyticsStore } from '../../src/dawg/modules/analytics/analytics-store';
import { isInterrupt } from '../../src/dawg/modules/analytics/duckdb-errors';
import { connectionInterrupter } from '../../src/dawg/modules/analytics/duckdb-interrupt';

/** n² products: about half a second for n = 10,000 and a few seconds for 20,000 on this machine. */
const products = (n: number) => `SELECT sum(a.range * b.range) AS s FROM range(${n}) a, range(${n}) b`;

let dir: string;
let store: AnalyticsStore;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'duckdb-interrupt-'));
  store = await AnalyticsStore.open({ file: ':memory:', filesDir: dir });
});

afterAll(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('connectionInterrupter', () => {
  it("rests on DuckDB clearing an interrupt when the next statement begins (a single one asked too early is lost)", async () => {
    const answer = await store.withReader(async (c) => {
      c.interrupt();
      return (await c.runAndReadAll(products(10_000))).getRowObjectsJS();
    });
    expect(answer).toHaveLength(1);
  });

  it('stops a statement that begins after the interrupt was asked for, and lets the connection work once disposed', async () => {
    await store.withReader(async (c) => {
      const interrupter = connectionInterrupter(c);
      interrupter.interrupt();
      const err = await c.run(products(20_000)).then(() => undefined, (e: unknown) => e);
      interrupter.dispose();
      expect(isInterrupt(err)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await c.runAndReadAll('SELECT 7 AS seven')).getRowObjectsJS()).toEqual([{ seven: 7 }]);
    });
  });
});
