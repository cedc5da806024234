import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type { Db } from '../../common/db';
import { AppError, UnavailableError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { parseInput } from '../../common/validation';
import type { CatalogModel } from '../ai-router';
import { ProviderError, type EmbeddingProvider, type ProviderName } from '../providers';
import { toBatches, type BatchLimits } from './batching';
import { contentHash } from './content-hash';
import { EmbeddingCache } from './embedding-cache';
import { chooseEmbeddingModel, toEmbeddingModel, type EmbeddingModel } from './embedding-model';
import { normalize } from './vector-math';

/** Texts per `embed` call: a bound on one caller's work, not a provider limit (batches are). */
export const MAX_TEXTS_PER_CALL = 4_096;
const DEFAULT_LIMITS: BatchLimits = { maxTexts: 96, maxChars: 100_000 };
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ATTEMPTS = 3;
const MAX_BACKOFF_MS = 5_000;

/** The provider answered vectors of another size than the model declares: a configuration error. */
export class EmbeddingDimensionError extends AppError {
  constructor(model: string, expected: number, actual: number) {
    super(
      502,
      'EMBEDDING_DIMENSION_MISMATCH',
      `${model} returned ${actual}-dimensional vectors but the catalog declares ${expected}; fix "dimensions" in the catalog`,
      { model, expected, actual },
    );
  }
}

export interface EmbeddingServiceDeps {
  db: Db;
  /** The registry's embedding providers (always including `offline`). */
  providers: ReadonlyMap<ProviderName, EmbeddingProvider>;
  catalog: ReadonlyMap<string, CatalogModel>;
  logger?: Logger;
  /** Waits between retries; tests pass one that does not. */
  sleep?: (ms: number) => Promise<void>;
}

export interface EmbeddingServiceOptions {
  /** A catalog key; default: the best embedding model of a configured provider, else offline. */
  model?: string;
  /** The offline provider's configured size (VECTOR_DIMENSION), which overrides the catalog's. */
  offlineDimensions?: number;
  batch?: Partial<BatchLimits>;
  /** Per provider call. */
  timeoutMs?: number;
  /** Tries per batch for retryable provider errors (429, 5xx, timeouts, network). */
  maxAttempts?: number;
  /** Cached embeddings unused for this many days are deleted (MEMORY_EMBEDDING_CACHE_DAYS; 0: never). Default 90. */
  cacheDays?: number;
}

export interface Embeddings {
  /** `<provider>/<model>`, as the vector store records it. */
  model: string;
  dimensions: number;
  /** One unit vector (float32 precision) per input text, in input order. */
  vectors: number[][];
  /** Distinct texts served by the cache and sent to the provider. */
  cached: number;
  embedded: number;
}

const textsSchema = z.array(z.string().max(1_000_000)).max(MAX_TEXTS_PER_CALL);

/**
 * Texts → unit vectors with one model. Only what the cache lacks goes to the provider, each
 * distinct text once, in batches within the provider limits; vectors come back in input order.
 * The offline embedder is not cached: computing a vector is cheaper than looking one up.
 */
export class EmbeddingService {
  readonly model: EmbeddingModel;
  private readonly provider: EmbeddingProvider;
  private readonly cache: EmbeddingCache | undefined;
  private readonly limits: BatchLimits;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(deps: EmbeddingServiceDeps, options: EmbeddingServiceOptions = {}) {
    const chosen = chooseEmbeddingModel(deps.catalog, deps.providers, options.model);
    this.model = toEmbeddingModel(chosen, chosen.provider === 'offline' ? (options.offlineDimensions ?? chosen.dimensions) : chosen.dimensions);
    this.provider = deps.providers.get(this.model.provider)!;
    this.cache = this.model.provider === 'offline' ? undefined : new EmbeddingCache(deps.db, { ttlDays: options.cacheDays ?? 90, logger: deps.logger });
    this.limits = { ...DEFAULT_LIMITS, ...options.batch };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.sleep = deps.sleep ?? ((ms) => delay(ms));
    if (this.limits.maxTexts < 1 || this.limits.maxChars < 1 || this.maxAttempts < 1) {
      throw new RangeError('batch limits and maxAttempts must be at least 1');
    }
    deps.logger?.info('memory embeddings', { model: this.model.id, dimensions: this.model.dimensions, cached: this.cache !== undefined });
  }

  async embed(texts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<Embeddings> {
    parseInput(textsSchema, texts, 'texts');
    const { id, dimensions } = this.model;
    const hashes = texts.map(contentHash);
    const distinct = new Map<string, string>();
    texts.forEach((text, i) => distinct.set(hashes[i]!, text));
    const vectors = (await this.cache?.get(id, dimensions, [...distinct.keys()])) ?? new Map<string, number[]>();
    const cached = vectors.size;
    const misses = [...distinct].filter(([hash]) => !vectors.has(hash)).map(([hash, text]) => ({ hash, text }));
    for (const batch of toBatches(misses, this.limits)) {
      const fresh = await this.embedBatch(batch.map((b) => b.text), options.signal);
      const entries = batch.map((b, i) => ({ hash: b.hash, vector: fresh[i]! }));
      for (const e of entries) vectors.set(e.hash, e.vector);
      // Cached batch by batch, so a failure later in the call does not waste what was paid for.
      await this.cache?.put(id, dimensions, entries);
    }
    return { model: id, dimensions, vectors: hashes.map((h) => vectors.get(h)!), cached, embedded: misses.length };
  }

  async embedOne(text: string, options: { signal?: AbortSignal } = {}): Promise<number[]> {
    return (await this.embed([text], options)).vectors[0]!;
  }

  private async embedBatch(input: string[], signal: AbortSignal | undefined): Promise<number[][]> {
    const { provider, providerModel, id, dimensions } = this.model;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.provider.embed({ model: providerModel, input, signal, timeoutMs: this.timeoutMs });
        if (result.vectors.length !== input.length) {
          throw new ProviderError(provider, 'bad_response', `${id} returned ${result.vectors.length} vectors for ${input.length} texts`);
        }
        const wrong = result.vectors.find((v) => v.length !== dimensions);
        if (wrong) throw new EmbeddingDimensionError(id, dimensions, wrong.length);
        return result.vectors.map(normalize);
      } catch (err) {
        if (!(err instanceof ProviderError) || err.kind === 'aborted') throw err;
        if (err.retryable && attempt < this.maxAttempts) {
          await this.sleep(Math.min(MAX_BACKOFF_MS, err.retryAfterMs ?? 250 * 2 ** (attempt - 1)));
          continue;
        }
        const retryAfterSeconds = err.retryAfterMs === undefined ? undefined : Math.ceil(err.retryAfterMs / 1000);
        throw new UnavailableError('EMBEDDING_PROVIDER_FAILED', `Embedding with ${id} failed after ${attempt} attempt(s): ${err.message}`, { provider, kind: err.kind, status: err.status }, { cause: err, retryAfterSeconds });
      }
    }
  }
}
