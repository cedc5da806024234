/** Second-order section, normalised so a0 = 1: y = b0·x + b1·x[-1] + b2·x[-2] − a1·y[-1] − a2·y[-2]. */
export interface BiquadCoefficients {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

/** The two K-weighting stages of ITU-R BS.1770-4 §1: the head-effect high shelf, then the RLB high-pass. */
export interface KWeightingCoefficients {
  shelf: BiquadCoefficients;
  highPass: BiquadCoefficients;
}

/*
 * Analog prototypes of the two stages. BS.1770 prints coefficients for 48 kHz only; these are
 * the centre frequencies, Q and gains whose bilinear transform (pre-warped at f0) gives back
 * that table to ~1e-15, so the same filters can be built at any rate. They are the values
 * libebur128 and most R128 meters use.
 */
const SHELF_F0_HZ = 1681.974450955533;
const SHELF_GAIN_DB = 3.999843853973347;
const SHELF_Q = 0.7071752369554196;
/** Exponent relating the shelf's band gain Vb to its high-frequency gain Vh (Vb = Vh^x). */
const SHELF_VB_EXPONENT = 0.4996667741545416;
const HIGH_PASS_F0_HZ = 38.13547087602444;
const HIGH_PASS_Q = 0.5003270373238773;

/**
 * K-weighting coefficients for `sampleRate` Hz (any rate above twice the shelf frequency).
 * The bilinear transform warps the shelf's transition band at low rates: against the 48 kHz
 * response the curve stays within 0.01 dB at 32 kHz and above, 0.05 dB at 16 kHz, 0.2 dB at
 * 8 kHz (around 1–3 kHz).
 */
export function kWeightingCoefficients(sampleRate: number): KWeightingCoefficients {
  return { shelf: highShelf(sampleRate), highPass: rlbHighPass(sampleRate) };
}

function highShelf(sampleRate: number): BiquadCoefficients {
  const k = Math.tan((Math.PI * SHELF_F0_HZ) / sampleRate);
  const vh = 10 ** (SHELF_GAIN_DB / 20);
  const vb = vh ** SHELF_VB_EXPONENT;
  const a0 = 1 + k / SHELF_Q + k * k;
  return {
    b0: (vh + (vb * k) / SHELF_Q + k * k) / a0,
    b1: (2 * (k * k - vh)) / a0,
    b2: (vh - (vb * k) / SHELF_Q + k * k) / a0,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / SHELF_Q + k * k) / a0,
  };
}

function rlbHighPass(sampleRate: number): BiquadCoefficients {
  const k = Math.tan((Math.PI * HIGH_PASS_F0_HZ) / sampleRate);
  const a0 = highPassA0(sampleRate);
  // BS.1770's 48 kHz table keeps the numerator at 1, −2, 1 rather than dividing it by a0, so
  // its pass band sits 0.043 dB above unity, and the −0.691 dB of the loudness formula is
  // calibrated with that gain. Keeping 1, −2, 1 at every rate (as libebur128 does) would make
  // the pass-band gain, hence every reading, drift with the rate (−0.02 dB at 96 kHz); scaling
  // by a0(48 kHz) / a0(rate) keeps the 48 kHz gain at all rates and the table exact at 48 kHz.
  const gain = highPassA0(48_000) / a0;
  return { b0: gain, b1: -2 * gain, b2: gain, a1: (2 * (k * k - 1)) / a0, a2: (1 - k / HIGH_PASS_Q + k * k) / a0 };
}

function highPassA0(sampleRate: number): number {
  const k = Math.tan((Math.PI * HIGH_PASS_F0_HZ) / sampleRate);
  return 1 + k / HIGH_PASS_Q + k * k;
}

/**
 * K-weights one channel and adds `weight` × Σz² of each sub-block to `energies[i]`, where
 * sub-block i spans samples [boundaries[i], boundaries[i + 1]). Samples after the last
 * boundary belong to no sub-block and are not filtered.
 * `boundaries` starts at 0 and holds one more entry than there are sub-blocks.
 */
export function accumulateKWeightedEnergy(
  samples: Float32Array,
  coefficients: KWeightingCoefficients,
  boundaries: Float64Array,
  weight: number,
  energies: Float64Array,
): void {
  const { b0, b1, b2, a1, a2 } = coefficients.shelf;
  const { b0: g, a1: c1, a2: c2 } = coefficients.highPass; // numerator g·(1, −2, 1)
  // Transposed direct form II, state in locals so the loop body touches no memory but the input.
  let s1 = 0;
  let s2 = 0;
  let t1 = 0;
  let t2 = 0;
  const blockCount = boundaries.length - 1;
  for (let block = 0; block < blockCount; block++) {
    const start = boundaries[block]!;
    const end = boundaries[block + 1]!;
    let sum = 0;
    for (let i = start; i < end; i++) {
      const x = samples[i]!;
      const y = b0 * x + s1;
      s1 = b1 * x - a1 * y + s2;
      s2 = b2 * x - a2 * y;
      const z = g * y + t1;
      t1 = -2 * g * y - c1 * z + t2;
      t2 = g * y - c2 * z;
      sum += z * z;
    }
    energies[block] = energies[block]! + weight * sum;
  }
}
