import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnalyticsStore } from '../../src/dawg/modules/analytics/analytics-store';
import { createQueryAction, type JarvisSource, type QueryAnswer, type QueryDeps } from '../../src/dawg/modules/analytics/query';
import { defineModule, ModuleRegistry } from '../../src/dawg/sdk';
import { silentLogger } from '../helpers/logger';

/** Small thresholds so the hint cases need only small tables. */
const HINTS = { largeTableRows: 1_000, largeJoinPairs: 5_000, wideTableColumns: 6 };
/** Takes minutes without an interrupt: 10^10 products. */
const SLOW_SQL = 'SELECT sum(a.range * b.range) AS s FROM range(100000) a, range(100000) b';

let dir: string;
let store: AnalyticsStore;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'analytics-query-'));
  store = await AnalyticsStore.open({ file: ':memory:', filesDir: dir });
  await store.run(`CREATE TABLE main.people AS SELECT * FROM (VALUES (1, 'ada', 36, DATE '2024-01-02'), (2, 'bob', 41, DATE '2024-02-03'), (3, 'cy', 29, NULL)) v(id, name, age, joined)`);
  await store.run(`CREATE TABLE main.events AS SELECT range::INTEGER AS id, TIMESTAMP '2024-01-01' + to_minutes(range) AS ts, range % 5 AS kind FROM range(5000)`);
  await store.run(`CREATE TABLE main.numbers AS SELECT range::INTEGER AS n FROM range(1, 11)`);
  await store.run(`CREATE TABLE main.wide AS SELECT range AS a, range AS b, range AS c, range AS d, range AS e, range AS f, range AS g FROM range(10)`);
  await store.run('CREATE SEQUENCE jarvis.seq');
});

afterAll(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

function run(params: Record<string, unknown>, deps: Partial<QueryDeps> = {}, signal = new AbortController().signal): Promise<QueryAnswer> {
  const registry = new ModuleRegistry();
  registry.register(defineModule({ name: 'analytics', description: 'test', version: '0.0.0', actions: { query: createQueryAction({ store, hints: HINTS, ...deps }) } }));
  return registry.execute({ module: 'analytics', action: 'query', params }, { requestId: 'req-1', signal, logger: silentLogger() }).then((r) => r.result as QueryAnswer);
}

const badField = (field: string, message?: RegExp) => ({ status: 400, details: { issues: [{ field, ...(message ? { message: expect.stringMatching(message) } : {}) }] } });

describe('analytics query on the DuckDB store', () => {
  it('answers columns, JSON-safe rows and counts, with $n parameters bound', async () => {
    const answer = await run({ sql: 'SELECT id, name, age * 2 AS twice, joined FROM people WHERE age > $1 ORDER BY id', params: [30] });
    expect(answer).toMatchObject({ source: 'analytics', rowCount: 2, truncated: false, hints: [] });
    expect(answer.columns).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'name', type: 'VARCHAR' },
      { name: 'twice', type: 'INTEGER' },
      { name: 'joined', type: 'DATE' },
    ]);
    expect(answer.rows).toEqual([
      { id: 1, name: 'ada', twice: 72, joined: '2024-01-02T00:00:00.000Z' },
      { id: 2, name: 'bob', twice: 82, joined: '2024-02-03T00:00:00.000Z' },
    ]);
    expect(answer.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps values JSON can carry: big integers as strings, safe ones as numbers, duplicate names apart', async () => {
    const answer = await run({ sql: "SELECT 9007199254740993::BIGINT AS big, 42::BIGINT AS small, 1 AS x, 2 AS x, '\\x01\\x02'::BLOB AS raw" });
    expect(answer.columns.map((c) => c.name)).toEqual(['big', 'small', 'x', 'x:1', 'raw']);
    expect(answer.rows).toEqual([{ big: '9007199254740993', small: 42, x: 1, 'x:1': 2, raw: Buffer.from([1, 2]).toString('base64') }]);
    expect(() => JSON.stringify(answer)).not.toThrow();
  });

  it('stops after maxRows and says the result was truncated, with a hint', async () => {
    const answer = await run({ sql: 'SELECT n FROM numbers ORDER BY n', maxRows: 3 });
    expect(answer.rows).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(answer).toMatchObject({ rowCount: 3, truncated: true });
    expect(answer.hints).toContain('result truncated at 3 rows: aggregate (GROUP BY) or add a WHERE/LIMIT to get the rows that matter');
    const exact = await run({ sql: 'SELECT n FROM numbers', maxRows: 10 });
    expect(exact).toMatchObject({ rowCount: 10, truncated: false });
  });

  it('streams a large result only as far as maxRows', async () => {
    const answer = await run({ sql: 'SELECT range AS i FROM range(50000000)', maxRows: 5 });
    expect(answer.rows.map((r) => r.i)).toEqual([0, 1, 2, 3, 4]);
    expect(answer.truncated).toBe(true);
  });

  it.each([
    ['DELETE FROM people', /^DELETE statements are refused: only one read-only SELECT\/WITH statement$/],
    ['UPDATE people SET age = 0', /^UPDATE statements are refused/],
    ['CREATE TABLE x AS SELECT 1', /^CREATE statements are refused/],
    ["ATTACH ':memory:' AS other", /^ATTACH statements are refused/],
    ['SET threads = 1', /^SET statements are refused/],
    ['EXPLAIN SELECT 1', /^EXPLAIN statements are refused/],
    ['SELECT 1; DELETE FROM people', /^found 2 statements: only one/],
    [' ; ', /^contains no SQL statement$/],
  ])('refuses %s with a 400 on params.sql', async (sql, message) => {
    await expect(run({ sql })).rejects.toMatchObject(badField('params.sql', message));
    const [count] = (await run({ sql: 'SELECT count(*) AS n FROM people' })).rows;
    expect(count).toEqual({ n: 3 });
  });

  it('refuses COPY even to a file the store may write, and writes nothing', async () => {
    const target = path.join(dir, 'out.csv');
    await expect(run({ sql: `COPY people TO '${target}'` })).rejects.toMatchObject(badField('params.sql', /^COPY statements are refused/));
    await expect(access(target)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('runs in a read-only transaction, so a SELECT with a side effect is refused too', async () => {
    await expect(run({ sql: "SELECT nextval('jarvis.seq') AS v" })).rejects.toMatchObject(badField('params.sql', /read-only/));
  });

  it("answers DuckDB's own message for errors in the SQL, without a stack", async () => {
    const syntax = (await run({ sql: 'SELEC 1' }).catch((e: unknown) => e)) as { details: { issues: Array<{ message: string }> } };
    expect(syntax).toMatchObject(badField('params.sql', /^Parser Error: syntax error at or near "SELEC"/));
    expect(syntax.details.issues[0]!.message).not.toMatch(/\n\s+at /);
    await expect(run({ sql: 'SELECT * FROM nowhere' })).rejects.toMatchObject(badField('params.sql', /^Catalog Error: Table with name nowhere does not exist/));
    await expect(run({ sql: 'SELECT nope FROM people' })).rejects.toMatchObject(badField('params.sql', /^Binder Error/));
    await expect(run({ sql: "SELECT 'abc'::INTEGER" })).rejects.toMatchObject(badField('params.sql', /^Conversion Error/));
  });

  it('cannot read files outside the store: read_csv of /etc/passwd is refused with a 4xx', async () => {
    const err = (await run({ sql: "SELECT * FROM read_csv('/etc/passwd')" }).catch((e: unknown) => e)) as { status: number };
    expect(err.status).toBeGreaterThanOrEqual(400);
    expect(err.status).toBeLessThan(500);
    expect(err).toMatchObject(badField('params.sql', /Permission Error/));
  });

  it('refuses a parameter count that does not match the statement', async () => {
    await expect(run({ sql: 'SELECT * FROM people WHERE id = $1', params: [] })).rejects.toMatchObject(badField('params.params', /has 1 parameter\(s\).*0 value\(s\)/));
    await expect(run({ sql: 'SELECT 1', params: [1, 2] })).rejects.toMatchObject(badField('params.params'));
  });

  it('validates source and maxRows', async () => {
    await expect(run({ sql: 'SELECT 1', source: 'churn' })).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'params.source' }] } });
    await expect(run({ sql: 'SELECT 1', maxRows: 0 })).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'params.maxRows' }] } });
    await expect(run({ sql: 'SELECT 1', extra: true })).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'params.extra' }] } });
  });

  it('interrupts a statement that runs past the time limit with QUERY_TIMEOUT, and the reader works afterwards', async () => {
    await expect(run({ sql: SLOW_SQL }, { timeoutMs: 50 })).rejects.toMatchObject({ status: 504, code: 'QUERY_TIMEOUT' });
    expect((await run({ sql: 'SELECT 7 AS seven' })).rows).toEqual([{ seven: 7 }]);
  });

  it.each([0, 1, 2, 3, 5])('stops the statement even when a %i ms limit ends before it begins (during BEGIN or PREPARE)', async (timeoutMs) => {
    await expect(run({ sql: SLOW_SQL }, { timeoutMs })).rejects.toMatchObject({ status: 504, code: 'QUERY_TIMEOUT' });
  });

  it('interrupts the statement when the caller goes away', async () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    setTimeout(() => controller.abort(reason), 50);
    await expect(run({ sql: SLOW_SQL }, {}, controller.signal)).rejects.toBe(reason);
    expect((await run({ sql: 'SELECT 8 AS eight' })).rows).toEqual([{ eight: 8 }]);
  });
});

describe('analytics query source jarvis', () => {
  it('is a 501 SOURCE_UNAVAILABLE when no jarvis source is configured', async () => {
    await expect(run({ sql: 'SELECT 1', source: 'jarvis' })).rejects.toMatchObject({ status: 501, code: 'SOURCE_UNAVAILABLE', message: expect.stringMatching(/not available/) });
  });

  it('hands the statement, parameters and limits to the jarvis source', async () => {
    const calls: Array<Parameters<JarvisSource>[0]> = [];
    const jarvisSource: JarvisSource = async (q) => {
      calls.push(q);
      return { source: 'jarvis', columns: [{ name: 'n', type: 'int4' }], rows: [{ n: 1 }], rowCount: 1, truncated: false, durationMs: 1, hints: [] };
    };
    const answer = await run({ sql: 'SELECT $1::int AS n', params: [1], source: 'jarvis', maxRows: 5 }, { jarvisSource, timeoutMs: 1234 });
    expect(answer.rows).toEqual([{ n: 1 }]);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ sql: 'SELECT $1::int AS n', params: [1], maxRows: 5, timeoutMs: 1234 });
    expect(calls[0]!.signal).toBeInstanceOf(AbortSignal);
  });
});

describe('analytics query plan hints', () => {
  it('names an unfiltered scan of a large table and the column to filter on', async () => {
    const answer = await run({ sql: 'SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind' });
    expect(answer.rows).toHaveLength(5);
    expect(answer.hints).toEqual(['full scan of events (5,000 rows): add a WHERE on ts']);
  });

  it('gives no full-scan hint when a WHERE narrows the scan or a LIMIT stops it early', async () => {
    expect((await run({ sql: "SELECT count(*) AS n FROM events WHERE ts < TIMESTAMP '2024-01-01 01:00:00'" })).hints).toEqual([]);
    expect((await run({ sql: 'SELECT id FROM events LIMIT 3' })).hints).toEqual([]);
  });

  it('flags ORDER BY without LIMIT over more rows than are returned', async () => {
    const answer = await run({ sql: "SELECT id FROM events WHERE ts >= TIMESTAMP '2024-01-01' ORDER BY id DESC", maxRows: 10 });
    expect(answer.hints.some((h) => /^ORDER BY without LIMIT sorts all ~[\d,]+ rows: add LIMIT/.test(h))).toBe(true);
  });

  it('flags a cross product', async () => {
    const answer = await run({ sql: 'SELECT count(*) AS n FROM events a, numbers b WHERE a.id < 2000' });
    expect(answer.rows).toEqual([{ n: 20000 }]);
    expect(answer.hints.some((h) => h.startsWith('cross product (') && h.includes('add a join condition'))).toBe(true);
  });

  it('flags SELECT * on a wide table, but not when the columns are named', async () => {
    const star = await run({ sql: 'SELECT * FROM wide WHERE a < 5' });
    expect(star.hints).toEqual(['SELECT * reads all 7 columns of wide: a columnar engine reads only the columns you name, so list the ones you need']);
    expect((await run({ sql: 'SELECT a, b FROM wide WHERE a < 5' })).hints).toEqual([]);
  });
});
