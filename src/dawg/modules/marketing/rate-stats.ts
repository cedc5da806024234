/*
 * Small-sample statistics for campaign rates. Campaign segments are often a few dozen
 * messages, where a normal-approximation interval leaves [0, 1] and a raw rate ranks a
 * segment first on one lucky click; Wilson intervals and Beta posteriors behave there.
 */

export interface RateEstimate {
  successes: number;
  trials: number;
  /** successes / trials; null when nothing was tried (no invented rate). */
  rate: number | null;
  /** 95 % Wilson score interval; null when trials = 0. */
  low: number | null;
  high: number | null;
}

const Z95 = 1.959963984540054;

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

export function wilsonInterval(successes: number, trials: number, z = Z95): RateEstimate {
  if (trials <= 0) return { successes, trials, rate: null, low: null, high: null };
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / (1 + z2 / trials);
  return { successes, trials, rate: round4(p), low: round4(Math.max(0, centre - half)), high: round4(Math.min(1, centre + half)) };
}

/** mulberry32: a tiny seeded generator, enough for Monte-Carlo draws that must repeat exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function standardNormal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Marsaglia–Tsang; shapes below 1 via the boost Gamma(a) = Gamma(a + 1) · U^(1/a). */
function gammaSample(shape: number, random: () => number): number {
  if (shape < 1) return gammaSample(shape + 1, random) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function betaSample(alpha: number, beta: number, random: () => number): number {
  const x = gammaSample(alpha, random);
  return x / (x + gammaSample(beta, random));
}

/**
 * For each arm with a Beta(1 + successes, 1 + failures) posterior, the probability that its
 * rate is the highest, from `draws` seeded joint draws (ties go to the earlier arm).
 */
export function probabilityBest(arms: readonly { successes: number; trials: number }[], seed: number, draws = 20_000): number[] {
  const random = seededRandom(seed);
  const wins = arms.map(() => 0);
  for (let i = 0; i < draws; i++) {
    let best = -1;
    let bestValue = -1;
    arms.forEach((arm, k) => {
      const value = betaSample(1 + arm.successes, 1 + arm.trials - arm.successes, random);
      if (value > bestValue) {
        bestValue = value;
        best = k;
      }
    });
    wins[best]! += 1;
  }
  return wins.map((w) => round4(w / draws));
}
