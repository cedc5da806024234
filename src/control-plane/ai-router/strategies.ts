import { STRATEGIES, type Strategy } from '../../common/ai-routing';
import type { CatalogModel } from './model-catalog';

export { STRATEGIES, type Strategy };

/** What a strategy knows of a candidate that passed the filters. */
export interface Candidate {
  model: CatalogModel;
  /** Upper bound for this call: prompt estimate plus the full output allowance. */
  estimatedCostUsd: number;
  /** Measured moving average (the catalog prior until calls were made). */
  latencyMs: number;
}

type Compare = (a: Candidate, b: Candidate) => number;

const byCost: Compare = (a, b) => a.estimatedCostUsd - b.estimatedCostUsd;
const byLatency: Compare = (a, b) => a.latencyMs - b.latencyMs;
const byQuality: Compare = (a, b) => b.model.quality - a.model.quality;
const byKey: Compare = (a, b) => (a.model.key < b.model.key ? -1 : a.model.key > b.model.key ? 1 : 0);

const chain =
  (...compares: Compare[]): Compare =>
  (a, b) => {
    for (const compare of compares) {
      const d = compare(a, b);
      if (d !== 0) return d;
    }
    return 0;
  };

/**
 * Balanced score in [0, 3]: quality, speed and cheapness each scaled to [0, 1] over the
 * candidates at hand, so no unit dominates. Used to order candidates outside the shares.
 */
function balancedScores(candidates: readonly Candidate[]): Map<string, number> {
  const maxLatency = Math.max(...candidates.map((c) => c.latencyMs), 1);
  const maxCost = Math.max(...candidates.map((c) => c.estimatedCostUsd));
  return new Map(
    candidates.map((c) => [
      c.model.key,
      c.model.quality / 100 + (1 - c.latencyMs / maxLatency) + (maxCost > 0 ? 1 - c.estimatedCostUsd / maxCost : 1),
    ]),
  );
}

/** Ranks candidates best first for a strategy (balanced: by score; the shares pick separately). */
export function rankCandidates(strategy: Strategy, candidates: readonly Candidate[]): Candidate[] {
  const sorted = [...candidates];
  switch (strategy) {
    case 'cost-optimized':
      return sorted.sort(chain(byCost, byQuality, byLatency, byKey));
    case 'speed-optimized':
      return sorted.sort(chain(byLatency, byCost, byQuality, byKey));
    case 'quality-optimized':
      return sorted.sort(chain(byQuality, byCost, byLatency, byKey));
    case 'balanced': {
      const scores = balancedScores(candidates);
      return sorted.sort(chain((a, b) => scores.get(b.model.key)! - scores.get(a.model.key)!, byKey));
    }
  }
}

/** Why `loser` ranks below `winner` under a strategy, in words a user can check. */
export function lossReason(strategy: Strategy, winner: Candidate, loser: Candidate): string {
  const cost = (c: Candidate) => `$${c.estimatedCostUsd.toFixed(6)}`;
  const ms = (c: Candidate) => `${Math.round(c.latencyMs)} ms`;
  switch (strategy) {
    case 'cost-optimized':
      return loser.estimatedCostUsd > winner.estimatedCostUsd
        ? `costs up to ${cost(loser)} vs ${cost(winner)}`
        : `same cost; quality ${loser.model.quality} vs ${winner.model.quality}, latency ${ms(loser)} vs ${ms(winner)}`;
    case 'speed-optimized':
      return loser.latencyMs > winner.latencyMs ? `slower: ${ms(loser)} vs ${ms(winner)} (measured average)` : `as fast; costs up to ${cost(loser)} vs ${cost(winner)}`;
    case 'quality-optimized':
      return loser.model.quality < winner.model.quality ? `lower quality: ${loser.model.quality} vs ${winner.model.quality}` : `same quality; costs up to ${cost(loser)} vs ${cost(winner)}`;
    case 'balanced':
      return `lower balanced score (quality ${loser.model.quality}, ${ms(loser)}, up to ${cost(loser)})`;
  }
}

/**
 * Smooth weighted round-robin (as in nginx): each pick adds every eligible model's weight to
 * its counter, takes the largest counter and subtracts the eligible total from it. Over any
 * run of picks from the same eligible set the shares are met exactly within one pick, and the
 * sequence interleaves (70/20/10 gives A A B A A C A A B A …) instead of bursting.
 */
export class WeightedRoundRobin {
  private readonly counters = new Map<string, number>();

  constructor(private readonly weights: ReadonlyMap<string, number>) {}

  weightOf(key: string): number | undefined {
    return this.weights.get(key);
  }

  /** The next key among `eligible` (keys with a weight); `advance: false` peeks without moving. */
  next(eligible: readonly string[], advance = true): string | undefined {
    const weighted = eligible.filter((key) => (this.weights.get(key) ?? 0) > 0);
    if (weighted.length === 0) return undefined;
    let total = 0;
    let best: string | undefined;
    let bestValue = -Infinity;
    const updated = new Map<string, number>();
    for (const key of weighted) {
      const weight = this.weights.get(key)!;
      total += weight;
      const value = (this.counters.get(key) ?? 0) + weight;
      updated.set(key, value);
      if (value > bestValue) {
        bestValue = value;
        best = key;
      }
    }
    if (advance) {
      for (const [key, value] of updated) this.counters.set(key, key === best ? value - total : value);
    }
    return best;
  }
}

/** Parses `key=weight,key=weight` (AI_ROUTER_BALANCED_SHARES). */
export function parseShares(text: string): Map<string, number> {
  const shares = new Map<string, number>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^([a-z0-9][a-z0-9._-]*)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!match) throw new Error(`"${part}" is not key=weight`);
    shares.set(match[1]!, Number(match[2]));
  }
  return shares;
}
