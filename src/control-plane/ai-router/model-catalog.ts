import { z } from 'zod';
import { readJsonConfigFile } from '../../common/env';
import { PROVIDER_NAMES } from '../providers/provider-types';

/** The blueprint's RouterContext task types. `music` is its own capability class; the rest are text. */
export const TASK_TYPES = ['reasoning', 'generation', 'creative', 'fast', 'code', 'music'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const CAPABILITY_CLASSES = ['text', 'music', 'embedding'] as const;
export type CapabilityClass = (typeof CAPABILITY_CLASSES)[number];

export const classOfTask = (taskType: TaskType): CapabilityClass => (taskType === 'music' ? 'music' : 'text');

/** Providers the catalog may name: the language-model providers plus the music services the DAWG calls. */
export const CATALOG_PROVIDERS = [...PROVIDER_NAMES, 'suno', 'udio', 'procedural'] as const;
export type CatalogProvider = (typeof CATALOG_PROVIDERS)[number];

/**
 * Built-in providers that need no configuration: the offline text model and the DAWG's
 * procedural composer. They are the default only when no real provider of their class is
 * configured, so a configured system never quietly answers with them.
 */
export const BUILT_IN_PROVIDERS: ReadonlySet<CatalogProvider> = new Set(['offline', 'procedural']);

export const modelSpecSchema = z.strictObject({
  provider: z.enum(CATALOG_PROVIDERS),
  /** The provider's own model id, sent on the wire. */
  model: z.string().min(1).max(200),
  capabilityClass: z.enum(CAPABILITY_CLASSES).default('text'),
  /** Task types the model may be routed for; empty for embedding models. */
  taskTypes: z.array(z.enum(TASK_TYPES)).default([]),
  strengths: z.array(z.string().min(1).max(64)).max(32).default([]),
  /** USD per million tokens. */
  costPer1MTokens: z.strictObject({ input: z.number().min(0).max(10_000), output: z.number().min(0).max(10_000) }),
  /** USD per call on top of tokens (credit-priced services); 0 when unknown. */
  costPerRequest: z.number().min(0).max(1_000).default(0),
  /** Context window: prompt plus output, in tokens. */
  contextTokens: z.number().int().positive().max(10_000_000),
  maxOutputTokens: z.number().int().positive().max(1_000_000),
  /** Prior for the measured moving average, in ms. */
  latencyMs: z.number().positive().max(600_000),
  /** Relative answer quality 0–100 for quality-optimized routing (our judgement; override it in the catalog file). */
  quality: z.number().min(0).max(100),
  /** Output dimension, for embedding models. */
  dimensions: z.number().int().positive().max(16_000).optional(),
});
export type ModelSpec = z.output<typeof modelSpecSchema>;
export type ModelSpecInput = z.input<typeof modelSpecSchema>;
export interface CatalogModel extends ModelSpec {
  /** Catalog key, e.g. `gpt-4o-mini`. */
  key: string;
}

const TEXT_TASKS: TaskType[] = ['reasoning', 'generation', 'creative', 'fast', 'code'];

/**
 * The blueprint's AI_MODELS_V2 (prices, strengths, context, latency priors) plus what routing
 * needs and the blueprint lacks: output limits, task types, a quality score, and the offline
 * and embedding models. Output limits are the providers' published maxima for these models.
 */
export const DEFAULT_MODELS: Readonly<Record<string, ModelSpecInput>> = {
  'gemini-pro': {
    provider: 'google', model: 'gemini-1.5-pro', taskTypes: TEXT_TASKS, strengths: ['fast', 'general', 'cheap'],
    costPer1MTokens: { input: 0, output: 0 }, contextTokens: 1_000_000, maxOutputTokens: 8_192, latencyMs: 800, quality: 70,
  },
  'gpt-4o-mini': {
    provider: 'openai', model: 'gpt-4o-mini', taskTypes: TEXT_TASKS, strengths: ['balanced', 'reliable', 'fast'],
    costPer1MTokens: { input: 0.15, output: 0.6 }, contextTokens: 128_000, maxOutputTokens: 16_384, latencyMs: 1_200, quality: 65,
  },
  'claude-sonnet-4.5': {
    provider: 'anthropic', model: 'claude-sonnet-4-5-20250929', taskTypes: TEXT_TASKS, strengths: ['reasoning', 'code', 'analysis'],
    costPer1MTokens: { input: 3, output: 15 }, contextTokens: 200_000, maxOutputTokens: 64_000, latencyMs: 2_000, quality: 90,
  },
  'mistral-large': {
    provider: 'mistral', model: 'mistral-large-latest', taskTypes: TEXT_TASKS, strengths: ['multilingual', 'fast', 'efficient'],
    costPer1MTokens: { input: 2, output: 6 }, contextTokens: 128_000, maxOutputTokens: 8_192, latencyMs: 900, quality: 75,
  },
  'mistral-small': {
    provider: 'mistral', model: 'mistral-small-latest', taskTypes: TEXT_TASKS, strengths: ['ultra-fast', 'cheap', 'simple-tasks'],
    costPer1MTokens: { input: 0.2, output: 0.6 }, contextTokens: 32_000, maxOutputTokens: 8_192, latencyMs: 400, quality: 55,
  },
  'suno-v3': {
    provider: 'suno', model: 'chirp-v3-0', capabilityClass: 'music', taskTypes: ['music'], strengths: ['music-generation', 'vocals', 'full-songs'],
    costPer1MTokens: { input: 0, output: 0 }, contextTokens: 4_000, maxOutputTokens: 4_000, latencyMs: 45_000, quality: 85,
  },
  'udio-v1': {
    provider: 'udio', model: 'udio-v1.5', capabilityClass: 'music', taskTypes: ['music'], strengths: ['music-generation', 'instrumentals', 'remixing'],
    costPer1MTokens: { input: 0, output: 0 }, contextTokens: 4_000, maxOutputTokens: 4_000, latencyMs: 30_000, quality: 80,
  },
  'local-composer': {
    provider: 'procedural', model: 'procedural-composer-v1', capabilityClass: 'music', taskTypes: ['music'], strengths: ['music-generation', 'instrumentals', 'offline'],
    costPer1MTokens: { input: 0, output: 0 }, contextTokens: 4_000, maxOutputTokens: 4_000, latencyMs: 5_000, quality: 30,
  },
  offline: {
    provider: 'offline', model: 'offline-v1', taskTypes: TEXT_TASKS, strengths: ['offline', 'deterministic'],
    costPer1MTokens: { input: 0, output: 0 }, contextTokens: 1_000_000, maxOutputTokens: 4_096, latencyMs: 1, quality: 5,
  },
  'text-embedding-3-small': {
    provider: 'openai', model: 'text-embedding-3-small', capabilityClass: 'embedding', dimensions: 1_536,
    costPer1MTokens: { input: 0.02, output: 0 }, contextTokens: 8_191, maxOutputTokens: 1, latencyMs: 300, quality: 70,
  },
  'mistral-embed': {
    provider: 'mistral', model: 'mistral-embed', capabilityClass: 'embedding', dimensions: 1_024,
    costPer1MTokens: { input: 0.1, output: 0 }, contextTokens: 8_192, maxOutputTokens: 1, latencyMs: 300, quality: 65,
  },
  'gemini-embedding': {
    provider: 'google', model: 'text-embedding-004', capabilityClass: 'embedding', dimensions: 768,
    costPer1MTokens: { input: 0, output: 0 }, contextTokens: 2_048, maxOutputTokens: 1, latencyMs: 300, quality: 65,
  },
  'offline-embed': {
    provider: 'offline', model: 'offline-embed-v1', capabilityClass: 'embedding', dimensions: 1_536,
    costPer1MTokens: { input: 0, output: 0 }, contextTokens: 1_000_000, maxOutputTokens: 1, latencyMs: 1, quality: 5,
  },
};

const MODEL_KEY = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** The catalog file: model key → a full spec (a new model) or `null` to remove a default one. */
const catalogFileSchema = z.record(z.string().regex(MODEL_KEY, 'model keys are lowercase letters, digits, . _ -'), modelSpecSchema.nullable());

export interface CatalogOptions {
  /** JSON file merged over the defaults (AI_ROUTER_CATALOG_FILE). */
  file?: string;
  /** The OpenAI-compatible local server's model, added as `local` when LOCAL_LLM_URL is set. */
  localModel?: { model: string; contextTokens: number };
  /** The local server's embedding model, added as `local-embed` when LOCAL_EMBEDDING_MODEL is set. */
  localEmbedding?: { model: string; dimensions: number };
}

export function buildCatalog(options: CatalogOptions = {}): ReadonlyMap<string, CatalogModel> {
  const merged: Record<string, ModelSpecInput | null> = { ...DEFAULT_MODELS };
  if (options.localModel) {
    merged.local = {
      provider: 'local', model: options.localModel.model, taskTypes: TEXT_TASKS, strengths: ['local', 'private'],
      costPer1MTokens: { input: 0, output: 0 }, contextTokens: options.localModel.contextTokens,
      maxOutputTokens: Math.min(8_192, options.localModel.contextTokens), latencyMs: 1_500, quality: 40,
    };
  }
  if (options.localEmbedding) {
    merged['local-embed'] = {
      provider: 'local', model: options.localEmbedding.model, capabilityClass: 'embedding', dimensions: options.localEmbedding.dimensions,
      costPer1MTokens: { input: 0, output: 0 }, contextTokens: 8_192, maxOutputTokens: 1, latencyMs: 100, quality: 40,
    };
  }
  if (options.file) Object.assign(merged, readCatalogFile(options.file));
  const catalog = new Map<string, CatalogModel>();
  for (const [key, spec] of Object.entries(merged)) {
    if (spec) catalog.set(key, Object.freeze({ key, ...modelSpecSchema.parse(spec) }));
  }
  return catalog;
}

function readCatalogFile(file: string): Record<string, ModelSpec | null> {
  return readJsonConfigFile(file, catalogFileSchema, 'AI_ROUTER_CATALOG_FILE');
}

/** USD for a call: tokens at the model's prices plus its per-request cost. */
export function costOf(model: Pick<ModelSpec, 'costPer1MTokens' | 'costPerRequest'>, inputTokens: number, outputTokens: number): number {
  return (inputTokens * model.costPer1MTokens.input + outputTokens * model.costPer1MTokens.output) / 1_000_000 + model.costPerRequest;
}

export const isFree = (model: Pick<ModelSpec, 'costPer1MTokens' | 'costPerRequest'>): boolean =>
  model.costPer1MTokens.input === 0 && model.costPer1MTokens.output === 0 && model.costPerRequest === 0;
