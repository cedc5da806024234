/**
 * `npm run bench:memory` (issue 8): the vector store at scale, on embedded PGlite + pgvector.
 *
 *   1. Generates N seeded, clustered, L2-normalised vectors (default 100,000 × 1,536): 200
 *      topic centroids, each point its centroid plus anisotropic Gaussian noise (a power-law
 *      variance spectrum over the dimensions, permuted per topic, so each topic has its own
 *      few dominant directions, as real embeddings do), and Q held-out queries drawn the same
 *      way but never inserted. Rows belong to 10 users round-robin (10 % each).
 *   2. Inserts them through VectorStore.upsert in batches of MAX_UPSERT_ROWS into a fresh PGlite
 *      in a temp directory (as production runs it), printing progress and rows/s.
 *   3. Builds the HNSW index with VectorStore.ensureIndex and times it (BENCH_MEMORY_INDEX=after,
 *      the default); or, with `before`, lets the first upsert create it on the empty table, as
 *      the running service does, so every insert maintains the graph.
 *   4. Exact top-10 of every query, brute force in JS over the kept Float32Arrays (checked
 *      against VectorStore's own exact scan for a few queries).
 *   5. Q searches with k = 10 through VectorStore.search (pgvector path, the project's default
 *      ef_search and then the others in BENCH_MEMORY_EF_SEARCH): p50/p95/p99 latency and
 *      recall@10; the same with a userId filter (10 % of the rows).
 *
 * Knobs: BENCH_MEMORY_N (100000), BENCH_MEMORY_DIMS (1536), BENCH_MEMORY_QUERIES (200),
 * BENCH_MEMORY_CLUSTERS (200), BENCH_MEMORY_SPREAD (0.75: noise norm relative to the centroid's),
 * BENCH_MEMORY_SUPER_TOPICS (0: topics unrelated to each other; e.g. 20 groups them, see makeTopics),
 * BENCH_MEMORY_SEED (8), BENCH_MEMORY_INDEX (after | before), BENCH_MEMORY_EF_SEARCH (extra
 * ef_search values, comma list, default "100,200"; 0 or empty for none), BENCH_MEMORY_EXACT_CHECK
 * (queries also run through the SQL exact scan, 2), BENCH_MEMORY_MAINTENANCE_WORK_MEM (unset:
 * PGlite's 64MB), BENCH_MEMORY_DATA_DIR (unset: a temp dir, removed at the end; `memory` for
 * memory://; a kept directory that already holds the same data set and index is searched again
 * without re-inserting), BENCH_MEMORY_JSON (also write the figures to this file), BENCH_MEMORY_WARMUP (untimed
 * warm-up queries before the timed runs, 300), BENCH_MEMORY_PG_CONF (postgresql.conf
 * lines for PGlite, ';'-separated, e.g. "shared_buffers = 512MB").
 *
 * Exits 0 whatever the figures; prints PASS/FAIL against the issue's targets.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { migrate, openPglite, type Db } from '../src/common/db';
import { createLogger } from '../src/common/logger';
import { MAX_UPSERT_ROWS, VectorStore, type MemoryHit, type MemoryVectorInput } from '../src/control-plane/memory';
import { hnswIndexName } from '../src/control-plane/memory/hnsw-index';
import { pgvectorSearchQuery } from '../src/control-plane/memory/vector-search-sql';
import { mulberry32 } from '../tests/helpers/random';
import { percentile } from './support';

const TARGET_P95_MS = 20;
const TARGET_RECALL = 0.95;
const K = 10;
const USERS = 10;

const intEnv = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
};
const numEnv = (name: string, fallback: number) => {
  const value = process.env[name] ? Number(process.env[name]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

const N = intEnv('BENCH_MEMORY_N', 100_000);
/** Held-out queries run before timing (never measured): a service that has been answering has its index pages in memory. */
const WARMUP_QUERIES = intEnv('BENCH_MEMORY_WARMUP', 300);
const DIMS = intEnv('BENCH_MEMORY_DIMS', 1536);
const QUERIES = intEnv('BENCH_MEMORY_QUERIES', 200);
const CLUSTERS = intEnv('BENCH_MEMORY_CLUSTERS', 200);
const SPREAD = numEnv('BENCH_MEMORY_SPREAD', 0.75);
const SUPER = intEnv('BENCH_MEMORY_SUPER_TOPICS', 0);
const SEED = intEnv('BENCH_MEMORY_SEED', 8);
const EXACT_CHECK = intEnv('BENCH_MEMORY_EXACT_CHECK', 2);
const NO_ANALYZE_QUERIES = intEnv('BENCH_MEMORY_NO_ANALYZE_QUERIES', 10);
/** Queries timed for a run whose plan is the exact sort (seconds each at 100k rows). */
const EXACT_PLAN_QUERIES = 10;
const INDEX_MODE = process.env.BENCH_MEMORY_INDEX ?? 'after';
const EXTRA_EF = (process.env.BENCH_MEMORY_EF_SEARCH ?? '100,200')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s && s !== '0')
  .map(Number);
const MWM = process.env.BENCH_MEMORY_MAINTENANCE_WORK_MEM;
const MODEL = `bench/clustered-${DIMS}`;
if (N < K || DIMS < 2 || QUERIES < 1 || CLUSTERS < 1) throw new Error('need N ≥ 10, DIMS ≥ 2, QUERIES ≥ 1, CLUSTERS ≥ 1');
if (INDEX_MODE !== 'after' && INDEX_MODE !== 'before') throw new Error('BENCH_MEMORY_INDEX must be "after" or "before"');
if (MWM !== undefined && !/^\d+(kB|MB|GB)$/.test(MWM)) throw new Error('BENCH_MEMORY_MAINTENANCE_WORK_MEM must look like 64MB or 1GB');
if (EXTRA_EF.some((e) => !Number.isInteger(e) || e < 1 || e > 1000)) throw new Error('BENCH_MEMORY_EF_SEARCH: integers in 1..1000');

// ---- data -------------------------------------------------------------------------------

/** Standard normal samples by Box–Muller over a seeded uniform generator. */
function gaussian(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

interface Topics {
  centroids: Float32Array; // CLUSTERS × DIMS
  /** Per topic and dimension, the noise's standard deviation. */
  scales: Float32Array; // CLUSTERS × DIMS
}

/**
 * Centroids of about unit length in random directions. Noise variance follows 1/i over the
 * dimensions (an effective dimension of ~40 at 1,536), in a different order for every topic,
 * scaled so the noise's expected norm is SPREAD: a point's cosine to its centroid is about
 * 1/√(1+SPREAD²) ≈ 0.8, two points of a topic about 0.6–0.7, of different topics about 0.
 * With SUPER > 0 the topics are grouped (topic c under super-topic c mod SUPER): points of sibling
 * topics then score about 0.4, which gives a graph walk a gradient from one topic to its
 * neighbours, as related subjects do in real embeddings; unrelated topics still score 0.
 */
function makeTopics(): Topics {
  const g = gaussian(mulberry32(SEED));
  const uniform = mulberry32(SEED ^ 0x5bd1e995);
  const centroids = new Float32Array(CLUSTERS * DIMS);
  const scales = new Float32Array(CLUSTERS * DIMS);
  const spectrum = new Float64Array(DIMS);
  let total = 0;
  for (let i = 0; i < DIMS; i++) total += spectrum[i] = 1 / (i + 1);
  const perm = Array.from({ length: DIMS }, (_, i) => i);
  const gs = gaussian(mulberry32(SEED ^ 0x27d4eb2f));
  const superCentroids = new Float32Array(SUPER * DIMS).map(() => gs() / Math.sqrt(DIMS));
  for (let c = 0; c < CLUSTERS; c++) {
    for (let d = 0; d < DIMS; d++) centroids[c * DIMS + d] = g() / Math.sqrt(DIMS);
    if (SUPER > 0) {
      // Topic = its super-topic's centroid + 0.8 × its own direction, unit length: sibling topics' centroids ≈ 0.6 cosine.
      const s = (c % SUPER) * DIMS;
      let norm = 0;
      for (let d = 0; d < DIMS; d++) norm += (centroids[c * DIMS + d] = superCentroids[s + d]! + 0.8 * centroids[c * DIMS + d]!) ** 2;
      for (let d = 0; d < DIMS; d++) centroids[c * DIMS + d]! /= Math.sqrt(norm);
    }
    for (let i = DIMS - 1; i > 0; i--) {
      const j = Math.floor(uniform() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    for (let d = 0; d < DIMS; d++) scales[c * DIMS + d] = SPREAD * Math.sqrt(spectrum[perm[d]!]! / total);
  }
  return { centroids, scales };
}

/** `count` normalised points (rows of one Float32Array) and the topic of each. */
function samplePoints(topics: Topics, count: number, seed: number): { vectors: Float32Array; topic: Uint16Array } {
  const g = gaussian(mulberry32(seed));
  const pick = mulberry32(seed ^ 0x9e3779b9);
  const vectors = new Float32Array(count * DIMS);
  const topic = new Uint16Array(count);
  const tmp = new Float64Array(DIMS);
  for (let n = 0; n < count; n++) {
    const c = Math.floor(pick() * CLUSTERS);
    topic[n] = c;
    let norm = 0;
    for (let d = 0; d < DIMS; d++) {
      const x = topics.centroids[c * DIMS + d]! + topics.scales[c * DIMS + d]! * g();
      tmp[d] = x;
      norm += x * x;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < DIMS; d++) vectors[n * DIMS + d] = tmp[d]! / norm;
  }
  return { vectors, topic };
}

const rowId = (i: number) => `m${i}`;
const userOf = (i: number) => `user-${i % USERS}`;

// ---- exact answers ----------------------------------------------------------------------

/** Best-first top-k by score, kept by insertion into a short sorted array. */
class TopK {
  readonly ids: number[] = [];
  readonly scores: number[] = [];
  constructor(private readonly k: number) {}
  offer(id: number, score: number): void {
    const n = this.scores.length;
    if (n === this.k && score <= this.scores[n - 1]!) return;
    let i = n === this.k ? n - 1 : n;
    while (i > 0 && this.scores[i - 1]! < score) {
      if (i < this.k) {
        this.scores[i] = this.scores[i - 1]!;
        this.ids[i] = this.ids[i - 1]!;
      }
      i--;
    }
    this.scores[i] = score;
    this.ids[i] = id;
  }
}

/** For each query: the exact top-k over all rows, and over the rows of the query's user. */
function exactTopK(data: Float32Array, queries: Float32Array, q: number): { all: number[][]; user: number[][] } {
  const all: number[][] = [];
  const user: number[][] = [];
  for (let j = 0; j < q; j++) {
    const qv = queries.subarray(j * DIMS, (j + 1) * DIMS);
    const best = new TopK(K);
    const bestUser = new TopK(K);
    const u = j % USERS;
    for (let i = 0; i < N; i++) {
      const off = i * DIMS;
      let s = 0;
      for (let d = 0; d < DIMS; d++) s += data[off + d]! * qv[d]!;
      best.offer(i, s);
      if (i % USERS === u) bestUser.offer(i, s);
    }
    all.push(best.ids);
    user.push(bestUser.ids);
  }
  return { all, user };
}

function recallOf(hits: readonly MemoryHit[], exact: readonly number[]): number {
  const want = new Set(exact.map(rowId));
  let found = 0;
  for (const h of hits) if (want.has(h.id)) found++;
  return found / exact.length;
}

// ---- the run ----------------------------------------------------------------------------

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => `${int(bytes / 2 ** 20)} MB`;
const mem = () => {
  const m = process.memoryUsage();
  return `rss ${mb(m.rss)}, array buffers ${mb(m.arrayBuffers)}`;
};

interface SearchRun {
  label: string;
  efSearch: number;
  filtered: boolean;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
  recall: number;
  minRecall: number;
  short: number;
  queries: number;
  /** Queries that found fewer than half of their true top-10. */
  lost: number;
  /** Of those, queries whose hits are mostly from another topic than the query's. */
  offTopic: number;
  plan?: 'HNSW' | 'exact';
}

/** The topic of every row and of every measured query, to tell where a poor answer came from. */
const topicsOf: { row: Uint16Array; query: Uint16Array } = { row: new Uint16Array(0), query: new Uint16Array(0) };

async function timeSearches(
  store: VectorStore,
  efSearch: number,
  queries: Float32Array,
  exact: number[][],
  filtered: boolean,
  label: string,
  count = QUERIES,
): Promise<SearchRun> {
  const ms = new Float64Array(count);
  let recallSum = 0;
  let minRecall = 1;
  let short = 0;
  let lost = 0;
  let offTopic = 0;
  for (let j = 0; j < count; j++) {
    const embedding = Array.from(queries.subarray(j * DIMS, (j + 1) * DIMS));
    const filter = filtered ? { userId: userOf(j) } : {};
    const t = performance.now();
    const hits = await store.search(embedding, { model: MODEL, k: K, filter });
    ms[j] = performance.now() - t;
    if (hits.length < K) short++;
    const r = recallOf(hits, exact[j]!);
    recallSum += r;
    minRecall = Math.min(minRecall, r);
    if (r < 0.5) {
      lost++;
      const own = topicsOf.query[j]!;
      if (hits.filter((h) => topicsOf.row[Number(h.id.slice(1))] === own).length < hits.length / 2) offTopic++;
    }
  }
  const mean = ms.reduce((a, b) => a + b, 0) / count;
  ms.sort();
  return {
    label,
    efSearch,
    filtered,
    p50: percentile(ms, 50),
    p95: percentile(ms, 95),
    p99: percentile(ms, 99),
    mean,
    max: ms[count - 1]!,
    recall: recallSum / count,
    queries: count,
    lost,
    offTopic,
    minRecall,
    short,
  };
}

async function explain(db: Db, query: number[], filter: Record<string, string>, efSearch: number, analyze = true): Promise<string> {
  const { text, params } = pgvectorSearchQuery({ embedding: query, model: MODEL, k: K, filter }, query);
  return db.transaction(async (tx) => {
    await tx.query(`SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'strict_order', true)`, [String(efSearch)]);
    const rows = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${analyze ? '(ANALYZE, BUFFERS OFF, TIMING OFF) ' : ''}${text}`, params);
    // The query vector's literal is thousands of characters: elided.
    return rows.map((r) => `        ${r['QUERY PLAN'].replace(/'\[[^\]]*\]'::vector/g, "'[…]'::vector")}`).join('\n');
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`Memory bench: N ${int(N)} × ${DIMS}-d, ${CLUSTERS} topics${SUPER ? ` in ${SUPER} super-topics` : ''} (spread ${SPREAD}), ${QUERIES} queries, k ${K}, seed ${SEED}, index ${INDEX_MODE} insert`);
  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  // 1. data
  let t = performance.now();
  const topics = makeTopics();
  const { vectors: data, topic } = samplePoints(topics, N, SEED + 1);
  const { vectors: queries, topic: queryTopic } = samplePoints(topics, QUERIES + WARMUP_QUERIES, SEED + 2);
  console.log(`\n1. Generated ${int(N)} vectors + ${QUERIES + WARMUP_QUERIES} held-out queries in ${fmt((performance.now() - t) / 1000)} s (${mem()})`);
  {
    // What the data looks like: mean cosine of pairs within a topic and across topics.
    const cos = (a: number, b: number) => {
      let s = 0;
      for (let d = 0; d < DIMS; d++) s += data[a * DIMS + d]! * data[b * DIMS + d]!;
      return s;
    };
    // Pairs of nearby rows (rows are in random topic order), up to 500 of each kind.
    const kind = (i: number, j: number) => (topic[i] === topic[j] ? 0 : SUPER && topic[i]! % SUPER === topic[j]! % SUPER ? 1 : 2);
    const sum = [0, 0, 0];
    const n = [0, 0, 0];
    for (let i = 0; i + 1 < N && n.some((x, k) => x < 500 && (k !== 1 || SUPER > 0)); i++) {
      for (let j = i + 1; j < Math.min(N, i + 4 * CLUSTERS); j++) {
        const k = kind(i, j);
        if (n[k]! >= 500) continue;
        sum[k]! += cos(i, j);
        n[k]!++;
      }
    }
    const mean = (k: number) => fmt(sum[k]! / Math.max(1, n[k]!), 3);
    console.log(`   mean cosine: same topic ${mean(0)}${SUPER ? `, sibling topics ${mean(1)}` : ''}, unrelated topics ${mean(2)}`);
  }

  // 2. exact answers
  t = performance.now();
  const measured = queries.subarray(WARMUP_QUERIES * DIMS);
  topicsOf.row = topic;
  topicsOf.query = queryTopic.subarray(WARMUP_QUERIES);
  const exact = exactTopK(data, measured, QUERIES);
  console.log(`2. Exact top-${K} (all rows and per-user) for ${QUERIES} queries, brute force in JS: ${fmt((performance.now() - t) / 1000)} s`);
  {
    const worst = exact.all.map((ids) => ids.length).reduce((a, b) => Math.min(a, b), K);
    if (worst < K) throw new Error('exact answers shorter than k');
  }

  // 3. database
  const dataDirSetting = process.env.BENCH_MEMORY_DATA_DIR;
  const tempDir = dataDirSetting ? undefined : await mkdtemp(path.join(os.tmpdir(), 'jarvis-bench-memory-'));
  const dataDir = dataDirSetting === 'memory' ? undefined : (dataDirSetting ?? path.join(tempDir!, 'pglite'));
  const logger = createLogger({ level: 'error', service: 'bench', silent: true });
  // BENCH_MEMORY_PG_CONF: postgresql.conf lines for PGlite, ';'-separated, e.g. "shared_buffers = 512MB".
  const pgConf = (process.env.BENCH_MEMORY_PG_CONF ?? '').split(';').map((l) => l.trim()).filter(Boolean);
  const db = await openPglite({ dataDir, schema: 'public', settings: pgConf });
  const cleanup = async () => {
    await db.close().catch(() => undefined);
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  const figures: Record<string, unknown> = { n: N, dims: DIMS, clusters: CLUSTERS, superTopics: SUPER, spread: SPREAD, queries: QUERIES, seed: SEED, indexMode: INDEX_MODE, node: process.version };
  try {
    await migrate(db);
    const [pgVersion] = await db.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const [vecVersion] = await db.query<{ v: string }>(`SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'`);
    if (MWM) await db.exec(`SET maintenance_work_mem = '${MWM}'`);
    const [settings] = await db.query<{ mwm: string; sb: string }>(`SELECT current_setting('maintenance_work_mem') AS mwm, current_setting('shared_buffers') AS sb`);
    console.log(`3. PGlite (PostgreSQL ${pgVersion?.v}, pgvector ${vecVersion?.v}) in ${dataDir ?? 'memory://'}; maintenance_work_mem ${settings?.mwm}, shared_buffers ${settings?.sb}`);
    figures.postgres = pgVersion?.v;
    figures.pgvector = vecVersion?.v;
    figures.maintenanceWorkMem = settings?.mwm;

    // The writer: `before` is the service's own path (the first upsert creates the index on the
    // empty table); `after` writes through an exact-scan store, which creates no index, and builds it later.
    const pgStore = new VectorStore({ db, logger });
    const writer = INDEX_MODE === 'before' ? pgStore : new VectorStore({ db, logger }, { strategy: 'exact-scan' });
    if (pgStore.strategy !== 'pgvector') throw new Error('pgvector is not available on this database');

    // A kept BENCH_MEMORY_DATA_DIR that already holds this data set and its index is searched
    // again without re-inserting (the same seed and knobs give the same rows).
    const [existing] = await db.query<{ n: number; indexed: boolean }>(
      `SELECT (SELECT count(*)::int FROM memories WHERE embedding_model = $1) AS n, to_regclass($2) IS NOT NULL AS indexed`,
      [MODEL, hnswIndexName(DIMS)],
    );
    const reuse = existing?.n === N && existing.indexed === true;
    if (reuse) console.log(`   reusing ${int(N)} rows and ${hnswIndexName(DIMS)} already in ${dataDir}: steps 2 and 3 skipped`);
    t = performance.now();
    let lastReport = t;
    let lastRows = 0;
    for (let start = 0; start < (reuse ? 0 : N); start += MAX_UPSERT_ROWS) {
      const end = Math.min(N, start + MAX_UPSERT_ROWS);
      const rows: MemoryVectorInput[] = [];
      for (let i = start; i < end; i++) {
        rows.push({
          id: rowId(i),
          content: `memory ${i} about topic ${topic[i]}`,
          embedding: Array.from(data.subarray(i * DIMS, (i + 1) * DIMS)),
          model: MODEL,
          userId: userOf(i),
          type: 'note',
        });
      }
      await writer.upsert(rows);
      const now = performance.now();
      if (now - lastReport > 15_000 || end === N) {
        const rate = ((end - lastRows) * 1000) / (now - lastReport);
        const overall = (end * 1000) / (now - t);
        const eta = (N - end) / overall;
        console.log(
          `   ${int(end).padStart(9)} rows  ${fmt((now - t) / 1000).padStart(7)} s  ${int(rate).padStart(6)} rows/s now, ${int(overall)} overall` +
            (end < N ? `, ETA ${fmt(eta / 60)} min` : '') + `  (${mem()})`,
        );
        lastReport = now;
        lastRows = end;
      }
    }
    const insertS = (performance.now() - t) / 1000;
    if (!reuse) console.log(`   inserted ${int(N)} rows in ${fmt(insertS)} s: ${int(N / insertS)} rows/s${INDEX_MODE === 'before' ? ' (HNSW index maintained on every insert)' : ' (no vector index yet)'}`);
    if (!reuse) {
      figures.insertS = insertS;
      figures.insertRowsPerS = N / insertS;
    }

    t = performance.now();
    const built = await pgStore.ensureIndex(DIMS);
    const indexS = (performance.now() - t) / 1000;
    if (!built) throw new Error(`no HNSW index for ${DIMS} dimensions (pgvector indexes at most 2,000)`);
    const [sizes] = await db.query<{ table: string; index: string }>(
      `SELECT pg_total_relation_size('memories')::text AS table, pg_relation_size($1)::text AS index`,
      [hnswIndexName(DIMS)],
    );
    const [idxDef] = await db.query<{ def: string }>(`SELECT pg_get_indexdef($1::regclass) AS def`, [hnswIndexName(DIMS)]);
    console.log(
      `4. ensureIndex(${DIMS}): ${fmt(indexS)} s${INDEX_MODE === 'before' ? ' (already there)' : ''}; index ${mb(Number(sizes?.index))}, table with indexes ${mb(Number(sizes?.table))} (${mem()})`,
    );
    console.log(`   ${idxDef?.def} — pgvector defaults m = 16, ef_construction = 64`);
    if (!reuse) figures.indexBuildS = indexS;
    figures.indexBytes = Number(sizes?.index);
    figures.tableBytes = Number(sizes?.table);

    // 5. exact scan through the project's own fallback, to check the JS answers (and time it)
    if (EXACT_CHECK > 0) {
      const exactStore = new VectorStore({ db, logger }, { strategy: 'exact-scan' });
      const checks = Math.min(EXACT_CHECK, QUERIES);
      let agree = 0;
      const times: number[] = [];
      for (let j = 0; j < checks; j++) {
        const embedding = Array.from(measured.subarray(j * DIMS, (j + 1) * DIMS));
        const t0 = performance.now();
        const hits = await exactStore.search(embedding, { model: MODEL, k: K });
        times.push(performance.now() - t0);
        agree += recallOf(hits, exact.all[j]!);
      }
      console.log(`5. VectorStore exact-scan on ${checks} queries: ${times.map((x) => `${fmt(x / 1000, 2)} s`).join(', ')}; agreement with the JS exact top-${K}: ${fmt(agree / checks, 3)}`);
      figures.exactScanMs = times;
      figures.exactAgreement = agree / checks;
    }

    // 6. Searches. PGlite runs no autovacuum, so nothing ever ANALYZEs `memories` in the service:
    // first as deployed, then after ANALYZE.
    const warmUp = async (store: VectorStore) => {
      for (let j = 0; j < WARMUP_QUERIES; j++) {
        await store.search(Array.from(queries.subarray(j * DIMS, (j + 1) * DIMS)), { model: MODEL, k: K, filter: j % 2 ? { userId: userOf(j) } : {} });
      }
    };
    const q0 = Array.from(measured.subarray(0, DIMS));
    const runs: SearchRun[] = [];
    // Each run: timed, then which plan the planner picks for query 0 at that ef_search (pgvector
    // costs an HNSW scan by ef_search, so a large one can make the exact sort look cheaper).
    const measure = async (store: VectorStore, ef: number, filtered: boolean, label: string, count = QUERIES) => {
      const plan = (await explain(db, q0, filtered ? { userId: userOf(0) } : {}, ef, false)).includes(hnswIndexName(DIMS)) ? 'HNSW' : 'exact';
      // An exact plan costs seconds per query at this size: a few queries show it.
      if (plan === 'exact') count = Math.min(count, EXACT_PLAN_QUERIES);
      const run = await timeSearches(store, ef, measured, filtered ? exact.user : exact.all, filtered, `${label}${count < QUERIES ? ` (${count} q)` : ''}`, count);
      run.plan = plan;
      runs.push(run);
      console.log(`      ${run.label}: p50 ${fmt(run.p50, 2)} ms, p95 ${fmt(run.p95, 2)} ms, recall@10 ${fmt(run.recall, 3)} (plan ${plan})`);
    };
    const [stats] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stats WHERE tablename = 'memories'`);
    console.log(`6. Query plans, ef_search 40 (EXPLAIN ANALYZE of query 0)`);
    if (NO_ANALYZE_QUERIES > 0 && (stats?.n ?? 0) === 0) {
      console.log(`   a. as deployed, no statistics on memories (PGlite has no autovacuum):`);
      console.log(`      unfiltered\n${await explain(db, q0, {}, 40)}`);
      console.log(`      userId filter\n${await explain(db, q0, { userId: userOf(0) }, 40)}`);
      const few = Math.min(NO_ANALYZE_QUERIES, QUERIES);
      await measure(pgStore, 40, false, 'no ANALYZE, ef_search 40', few);
      await measure(pgStore, 40, true, 'no ANALYZE, filter userId', few);
    }
    t = performance.now();
    await db.exec('ANALYZE memories');
    const analyzeS = (performance.now() - t) / 1000;
    figures.analyzeS = analyzeS;
    console.log(`   b. after ANALYZE memories (${fmt(analyzeS, 2)} s):`);
    console.log(`      unfiltered\n${await explain(db, q0, {}, 40)}`);
    console.log(`      userId filter\n${await explain(db, q0, { userId: userOf(0) }, 40)}`);
    await warmUp(pgStore);
    await measure(pgStore, 40, false, 'ANALYZEd, default ef_search 40');
    await measure(pgStore, 40, true, 'same, filter userId (10 % of rows)');
    for (const ef of EXTRA_EF) {
      const store = new VectorStore({ db, logger }, { efSearch: ef });
      await measure(store, ef, false, `ef_search ${ef}`);
      await measure(store, ef, true, `ef_search ${ef}, filter userId`);
    }
    figures.searches = runs;

    console.log(`\n7. Search, k = ${K}, ${QUERIES} held-out queries per run unless noted, sequential, end to end through VectorStore.search (ms)`);
    console.log(`   ${'run'.padEnd(44)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'p99'.padStart(8)} ${'mean'.padStart(8)} ${'max'.padStart(8)}  recall@10 (min)  <0.5 (other topic)  <k hits  plan`);
    for (const r of runs) {
      console.log(
        `   ${r.label.padEnd(44)} ${fmt(r.p50, 2).padStart(8)} ${fmt(r.p95, 2).padStart(8)} ${fmt(r.p99, 2).padStart(8)} ${fmt(r.mean, 2).padStart(8)} ${fmt(r.max, 2).padStart(8)}  ${fmt(r.recall, 3)} (${fmt(r.minRecall, 1)})    ${String(r.lost).padStart(4)} (${r.offTopic})${' '.repeat(Math.max(1, 12 - String(r.offTopic).length))}${String(r.short).padStart(7)}  ${r.plan}`,
      );
    }
    const head = runs.find((r) => r.label.startsWith('ANALYZEd'))!;
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    console.log(`\n   Targets (default settings, unfiltered), N ${int(N)} × ${DIMS}-d:`);
    console.log(`     p95 < ${TARGET_P95_MS} ms        ${fmt(head.p95, 2)} ms   ${verdict(head.p95 < TARGET_P95_MS)}`);
    console.log(`     recall@10 ≥ ${TARGET_RECALL}   ${fmt(head.recall, 3)}      ${verdict(head.recall >= TARGET_RECALL)}`);
    console.log(`   ${reuse ? 'Reused data set and index' : `Insert ${int(N / insertS)} rows/s, index build ${fmt(indexS)} s`}, total ${fmt((performance.now() - started) / 60_000)} min; load average ${os.loadavg()[0]!.toFixed(2)}`);
    figures.totalS = (performance.now() - started) / 1000;
    if (process.env.BENCH_MEMORY_JSON) await writeFile(process.env.BENCH_MEMORY_JSON, JSON.stringify(figures, null, 2));
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
