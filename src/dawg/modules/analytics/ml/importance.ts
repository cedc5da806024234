import { auc } from './metrics';
import type { Prng } from './prng';

/** A feature, or a named group of features shuffled together (e.g. all inactivity signals). */
export interface ImportanceUnit {
  name: string;
  /** Column indices in the rows. */
  columns: number[];
}

export interface UnitImportance {
  name: string;
  columns: number[];
  /** Mean fall in AUC over the repeats when the unit's columns are shuffled. */
  aucDrop: number;
  /** Standard deviation of that fall across repeats. */
  aucDropSd: number;
  /** aucDrop (floored at 0) as a share of the sum over units: the "measured weights", summing to 1. */
  share: number;
}

/**
 * Permutation importance on held-out rows: how much the model's AUC falls when a unit's
 * columns are moved to other rows (one permutation for all columns of a unit, so a group's
 * columns stay together as in real data). Measured on held-out rows because importance on the
 * training rows rewards overfitting. Units whose drop is ≤ 0 get share 0; if none helps,
 * every share is 0.
 */
export function permutationImportance(args: {
  rows: readonly (readonly number[])[];
  labels: readonly number[];
  score: (row: readonly number[]) => number;
  units: readonly ImportanceUnit[];
  rng: Prng;
  repeats?: number;
}): { baselineAuc: number; units: UnitImportance[] } {
  const repeats = args.repeats ?? 10;
  const baselineAuc = auc(args.rows.map(args.score), args.labels);
  const index = args.rows.map((_, i) => i);
  const measured = args.units.map((unit) => {
    const drops: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const perm = args.rng.shuffled(index);
      const scores = args.rows.map((row, i) => {
        const shuffled = row.slice();
        for (const c of unit.columns) shuffled[c] = args.rows[perm[i]!]![c]!;
        return args.score(shuffled);
      });
      drops.push(baselineAuc - auc(scores, args.labels));
    }
    const m = drops.reduce((a, b) => a + b, 0) / repeats;
    const sd = Math.sqrt(drops.reduce((a, d) => a + (d - m) ** 2, 0) / Math.max(1, repeats - 1));
    return { name: unit.name, columns: unit.columns, aucDrop: m, aucDropSd: sd };
  });
  const total = measured.reduce((a, u) => a + Math.max(0, u.aucDrop), 0);
  return {
    baselineAuc,
    units: measured.map((u) => ({ ...u, share: total > 0 ? Math.max(0, u.aucDrop) / total : 0 })),
  };
}
