import { InvalidError } from '../../common/errors';
import type { CatalogModel } from '../ai-router';
import type { EmbeddingProvider, ProviderName } from '../providers';

/** The embedding model the service uses, resolved once from the catalog. */
export interface EmbeddingModel {
  /** Catalog key, e.g. `text-embedding-3-small`. */
  key: string;
  provider: ProviderName;
  /** The provider's own model id, sent on the wire. */
  providerModel: string;
  /** `<provider>/<model>`: what the cache and the vector store record, so vectors never mix. */
  id: string;
  dimensions: number;
}

/**
 * An explicit catalog key, else the best-rated embedding model whose provider is configured,
 * else the offline embedder. Built-in providers lose to any configured one (a configured system
 * never quietly embeds offline); among configured ones the catalog's quality decides, then the key.
 */
export function chooseEmbeddingModel(
  catalog: ReadonlyMap<string, CatalogModel>,
  providers: ReadonlyMap<ProviderName, EmbeddingProvider>,
  explicitKey?: string,
): CatalogModel {
  const usable = (m: CatalogModel) => m.capabilityClass === 'embedding' && providers.has(m.provider as ProviderName);
  if (explicitKey !== undefined) {
    const model = catalog.get(explicitKey);
    if (!model || model.capabilityClass !== 'embedding') throw new InvalidError(`"${explicitKey}" is not an embedding model of the catalog`);
    if (!usable(model)) throw new InvalidError(`Embedding model "${explicitKey}" needs the ${model.provider} provider, which is not configured`);
    return model;
  }
  const candidates = [...catalog.values()].filter(usable);
  candidates.sort((a, b) => Number(a.provider === 'offline') - Number(b.provider === 'offline') || b.quality - a.quality || a.key.localeCompare(b.key));
  const chosen = candidates[0];
  if (!chosen) throw new InvalidError('The catalog has no embedding model whose provider is configured (not even offline-embed)');
  return chosen;
}

export function toEmbeddingModel(model: CatalogModel, dimensions = model.dimensions): EmbeddingModel {
  if (dimensions === undefined) throw new InvalidError(`Embedding model "${model.key}" declares no dimensions in the catalog`);
  const provider = model.provider as ProviderName;
  return { key: model.key, provider, providerModel: model.model, id: `${provider}/${model.model}`, dimensions };
}
