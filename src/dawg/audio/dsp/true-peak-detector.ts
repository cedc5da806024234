import { assertChannelCount } from './audio-processor';
import { PolyphaseInterpolator } from './oversampler';

/*
 * Math's functions held in module constants: inside a vm context (as under jest) every
 * global lookup goes through an interceptor, which slows hot loops many times over.
 */
const { abs, max } = Math;

const SHORT_TAPS = 12;
const LONG_TAPS = 32;
/** The parabola's vertex is at most 1/8 above its highest point. */
const PARABOLA_OVERSHOOT = 1.125;
/** Block length for the window maximum: two whole blocks plus the current one span ≥ LONG_TAPS. */
const BLOCK = LONG_TAPS / 2;
/** Samples of history a window needs before the newest one. */
const HISTORY = LONG_TAPS - 1;
/** Frames detected at a time, so the work buffers stay small whatever the block size. */
const CHUNK = 1024;
/** Values of per-channel state: two short points, two long points, three block maxima, whether the last step skipped. */
const STATE = 8;

/**
 * A 4× kernel folded for speed, as [half, quarterSum, quarterDiff] per tap pair. Branches
 * 1 and 3 mirror each other and branch 2 is symmetric, so with a = x[k] + x[T−1−k] and
 * d = x[k] − x[T−1−k] the three points cost 1.5 multiplies per tap instead of 3.
 */
function foldKernel(ip: PolyphaseInterpolator): Float64Array {
  const T = ip.tapsPerPhase;
  const c = ip.coefficients;
  const folded = new Float64Array((T / 2) * 3);
  for (let k = 0; k < T / 2; k++) {
    folded[3 * k] = c[2 * T + k]!;
    folded[3 * k + 1] = (c[T + k]! + c[2 * T - 1 - k]!) / 2;
    folded[3 * k + 2] = (c[T + k]! - c[2 * T - 1 - k]!) / 2;
  }
  return folded;
}

/** Largest, over the interpolated branches, of Σ|taps|. */
function kernelNorm(ip: PolyphaseInterpolator): number {
  const T = ip.tapsPerPhase;
  let worst = 0;
  for (let p = 1; p < 4; p++) {
    let sum = 0;
    for (let k = 0; k < T; k++) sum += abs(ip.coefficients[p * T + k]!);
    worst = max(worst, sum);
  }
  return worst;
}

/** Largest, over branches, of Σ|long − short| (the short kernel centred in the long one). */
function differenceNorm(long: PolyphaseInterpolator, short: PolyphaseInterpolator): number {
  const offset = (long.tapsPerPhase - short.tapsPerPhase) / 2;
  let worst = 0;
  for (let p = 1; p < 4; p++) {
    let sum = 0;
    for (let k = 0; k < long.tapsPerPhase; k++) {
      const s = k - offset;
      const shortTap = s >= 0 && s < short.tapsPerPhase ? short.coefficients[p * short.tapsPerPhase + s]! : 0;
      sum += abs(long.coefficients[p * long.tapsPerPhase + k]! - shortTap);
    }
    worst = max(worst, sum);
  }
  return worst;
}

/**
 * Streaming true-peak estimate per input sample, linked across channels: the largest
 * |value| of the 4×-oversampled signal in [j, j+1), each local maximum among the points
 * refined to the vertex of the parabola through it and its neighbours.
 *
 * Meters disagree about the top octave, so this takes the larger of two reconstructions:
 * the 12-tap kernel of a BS.1770-4 style meter and a 32-tap kernel flat to 0.42 fs. Only
 * estimates over `floor` matter to the caller, so work stops at the first upper bound under
 * it, and the estimate returned is that bound: Σ|taps| × the window's largest |sample|
 * (no kernel at all, for quiet passages); else the short kernel's points plus a bound on the
 * difference (Σ|long − short| × that largest |sample|); else both kernels' points; the
 * parabolas last. So an estimate is never below the exact value unless that is ≤ floor.
 *
 * Every operation is homogeneous (scaling the input by g scales every point, bound and
 * estimate by g, and the floor comparison with it): the estimates of g·x with floor g·f
 * are g times those of x with floor f.
 */
export class TruePeakDetector {
  /** `detect` gives, for each frame pushed, the estimate of the sample this many frames earlier. */
  static readonly DELAY = LONG_TAPS / 2 + 1;
  private readonly short: Float64Array;
  private readonly long: Float64Array;
  private readonly differenceBound: number;
  // Largest Σ|taps| over the interpolated branches: |point| ≤ norm × the window's largest
  // |sample|; pointNorm covers both kernels and the samples themselves.
  private readonly shortNorm: number;
  private readonly longNorm: number;
  private readonly pointNorm: number;
  // Per channel: the last HISTORY samples, then the chunk being detected, contiguous.
  private readonly work: Float32Array[];
  // Per channel, STATE values: the last two short and long points (for the parabola across
  // intervals), the largest |sample| of the two last whole blocks of BLOCK samples and of
  // the block in progress (together they cover the long window, and a little more), and
  // whether the last step took the bound.
  private readonly state: Float64Array;
  // Estimates of the chunk: [0] is the sample left open by the previous chunk.
  private readonly estimates = new Float64Array(CHUNK + 1);
  private readonly longPoints = new Float64Array(3);
  // exactStep's inputs and outputs: x[j], the short points, the last short and long points; then q1, q2.
  private readonly points = new Float64Array(10);
  private step = 0;

  constructor(
    readonly channelCount: number,
    private readonly floor: number,
  ) {
    assertChannelCount(channelCount);
    const short = new PolyphaseInterpolator({ factor: 4, tapsPerPhase: SHORT_TAPS });
    const long = new PolyphaseInterpolator({ factor: 4, tapsPerPhase: LONG_TAPS });
    this.short = foldKernel(short);
    this.long = foldKernel(long);
    this.differenceBound = differenceNorm(long, short);
    this.shortNorm = kernelNorm(short);
    this.longNorm = kernelNorm(long);
    this.pointNorm = max(1, this.shortNorm, this.longNorm);
    this.work = Array.from({ length: channelCount }, () => new Float32Array(HISTORY + CHUNK));
    this.state = new Float64Array(STATE * channelCount);
  }

  reset(): void {
    for (const w of this.work) w.fill(0);
    this.state.fill(0);
    this.estimates.fill(0);
    this.step = 0;
  }

  /**
   * Takes frames [from, to) of `channels`; writes to out[offset + i] the estimate of the
   * sample DELAY frames before frame from + i (the frames before the first are silence).
   */
  detect(channels: Float32Array[], from: number, to: number, out: Float64Array, offset = 0): void {
    const estimates = this.estimates;
    for (let start = from; start < to; start += CHUNK) {
      const n = to - start < CHUNK ? to - start : CHUNK;
      estimates.fill(0, 1, n + 1);
      for (let c = 0; c < this.channelCount; c++) {
        const work = this.work[c]!;
        work.set(channels[c]!.subarray(start, start + n), HISTORY);
        this.detectChannel(work, c * STATE, n);
        work.copyWithin(0, n, n + HISTORY);
      }
      out.set(estimates.subarray(0, n), offset + start - from);
      estimates[0] = estimates[n]!;
      this.step += n;
    }
  }

  /**
   * Adds one channel's chunk to `estimates` (entry i + 1 is the sample DELAY − 1 before
   * frame i). One loop with the short kernel written out: it runs for every sample of every
   * channel, and as calls and array round trips it took twice as long.
   */
  private detectChannel(h: Float32Array, s: number, n: number): void {
    const state = this.state;
    const estimates = this.estimates;
    const floor = this.floor;
    const { differenceBound, shortNorm, longNorm, pointNorm } = this;
    const k = this.short;
    const h0 = k[0]!, h1 = k[3]!, h2 = k[6]!, h3 = k[9]!, h4 = k[12]!, h5 = k[15]!;
    const u0 = k[1]!, u1 = k[4]!, u2 = k[7]!, u3 = k[10]!, u4 = k[13]!, u5 = k[16]!;
    const d0 = k[2]!, d1 = k[5]!, d2 = k[8]!, d3 = k[11]!, d4 = k[14]!, d5 = k[17]!;
    let shortMid = state[s]!, shortLast = state[s + 1]!, longMid = state[s + 2]!, longLast = state[s + 3]!;
    let block0 = state[s + 4]!, block1 = state[s + 5]!, block2 = state[s + 6]!;
    let skipped = state[s + 7] === 1;
    for (let i = 0, step = this.step; i < n; i++, step++) {
      // The window is h[i … i + LONG_TAPS − 1]; its centre, sample j, is at i + LONG_TAPS/2 − 1.
      if ((step & (BLOCK - 1)) === 0 && i + BLOCK <= n) {
        // A quiet block: every step of it would take the coarse path below, so they run here
        // in a loop of their own, with the same values (so the block sizes callers use change
        // nothing).
        let blockMax = 0;
        for (let x = i + HISTORY; x < i + HISTORY + BLOCK; x++) blockMax = larger(blockMax, abs(h[x]!));
        if (PARABOLA_OVERSHOOT * larger(pointNorm * larger(larger(block1, block2), blockMax), longLast) <= floor) {
          if (!skipped) {
            const previous = refine(shortMid, shortLast, abs(h[i + LONG_TAPS / 2 - 1]!));
            if (previous > estimates[i]!) estimates[i] = previous;
          }
          block0 = block1;
          block1 = block2;
          block2 = 0;
          let windowMax = 0;
          for (let t = i; t < i + BLOCK; t++) {
            block2 = larger(block2, abs(h[t + HISTORY]!));
            windowMax = larger(larger(block0, block1), block2);
            const coarse = PARABOLA_OVERSHOOT * larger(pointNorm * windowMax, longLast);
            if (coarse > estimates[t + 1]!) estimates[t + 1] = coarse;
            longLast = longNorm * windowMax;
          }
          shortMid = shortLast = shortNorm * windowMax;
          longMid = longLast;
          skipped = true;
          i += BLOCK - 1;
          step += BLOCK - 1;
          continue;
        }
      }
      const magnitude = abs(h[i + HISTORY]!);
      if ((step & (BLOCK - 1)) === 0) {
        block0 = block1;
        block1 = block2;
        block2 = magnitude;
      } else if (magnitude > block2) {
        block2 = magnitude;
      }
      const windowMax = block0 > block1 ? (block0 > block2 ? block0 : block2) : block1 > block2 ? block1 : block2;
      const y0 = abs(h[i + LONG_TAPS / 2 - 1]!);
      // Points in order: x[j] closes sample j−1's last point; the others belong to j.
      const coarse = PARABOLA_OVERSHOOT * larger(pointNorm * windowMax, longLast);
      if (coarse <= floor) {
        // Quiet: every point near here, short or long, is at most pointNorm × windowMax (and
        // x[j−1]'s last long point at most longLast), so `coarse` covers j without any kernel.
        if (!skipped) {
          const previous = refine(shortMid, shortLast, y0);
          if (previous > estimates[i]!) estimates[i] = previous;
        }
        if (coarse > estimates[i + 1]!) estimates[i + 1] = coarse;
        shortMid = shortLast = shortNorm * windowMax;
        longMid = longLast = longNorm * windowMax;
        skipped = true;
        continue;
      }
      // The short kernel, h[a … a + 11], folded as in `fold`.
      const a = i + (LONG_TAPS - SHORT_TAPS) / 2;
      const s0 = h[a]! + h[a + 11]!, s1 = h[a + 1]! + h[a + 10]!, s2 = h[a + 2]! + h[a + 9]!;
      const s3 = h[a + 3]! + h[a + 8]!, s4 = h[a + 4]! + h[a + 7]!, s5 = h[a + 5]! + h[a + 6]!;
      const e0 = h[a]! - h[a + 11]!, e1 = h[a + 1]! - h[a + 10]!, e2 = h[a + 2]! - h[a + 9]!;
      const e3 = h[a + 3]! - h[a + 8]!, e4 = h[a + 4]! - h[a + 7]!, e5 = h[a + 5]! - h[a + 6]!;
      const half = h0 * s0 + h1 * s1 + h2 * s2 + h3 * s3 + h4 * s4 + h5 * s5;
      const sum = u0 * s0 + u1 * s1 + u2 * s2 + u3 * s3 + u4 * s4 + u5 * s5;
      const diff = d0 * e0 + d1 * e1 + d2 * e2 + d3 * e3 + d4 * e4 + d5 * e5;
      const p0 = abs(sum + diff);
      const p1 = abs(half);
      const p2 = abs(sum - diff);
      const slack = differenceBound * windowMax;
      const pointMax = larger(larger(larger(y0, longLast), larger(p0, p1)), p2);
      const bound = PARABOLA_OVERSHOOT * (pointMax + slack);
      if (bound <= floor) {
        // Every value near here, short or long, refined or not (including x[j−1]'s last long
        // point, in the bound through longLast), is at most `bound`, so that is j's estimate.
        // Sample j−1's parabola through x[j] is within its own bound if it had one.
        if (!skipped) {
          const previous = refine(shortMid, shortLast, y0);
          if (previous > estimates[i]!) estimates[i] = previous;
        }
        if (bound > estimates[i + 1]!) estimates[i + 1] = bound;
        // Upper bounds on the long points keep the parabola conservative next time.
        longMid = p1 + slack;
        longLast = p2 + slack;
        skipped = true;
      } else {
        const points = this.points;
        points[0] = y0;
        points[1] = p0;
        points[2] = p1;
        points[3] = p2;
        points[4] = shortMid;
        points[5] = shortLast;
        points[6] = longMid;
        points[7] = longLast;
        this.exactStep(h, i);
        longMid = points[8]!;
        longLast = points[9]!;
        skipped = false;
      }
      shortMid = p1;
      shortLast = p2;
    }
    state[s] = shortMid;
    state[s + 1] = shortLast;
    state[s + 2] = longMid;
    state[s + 3] = longLast;
    state[s + 4] = block0;
    state[s + 5] = block1;
    state[s + 6] = block2;
    state[s + 7] = skipped ? 1 : 0;
  }

  /**
   * A step near the floor: the long kernel's points too, and the estimates of samples j − 1
   * (its parabolas through x[j]) and j from both reconstructions. Takes x[j], the short
   * points and the last two of each kind from `points` and leaves the long points there
   * (as a call with ten numbers, it boxed each one and took longer than the work).
   */
  private exactStep(h: Float32Array, i: number): void {
    const points = this.points;
    const y0 = points[0]!, p0 = points[1]!, p1 = points[2]!, p2 = points[3]!;
    const shortMid = points[4]!, shortLast = points[5]!, longMid = points[6]!, longLast = points[7]!;
    fold(h, i, this.long, this.longPoints);
    const q0 = this.longPoints[0]!, q1 = this.longPoints[1]!, q2 = this.longPoints[2]!;
    points[8] = q1;
    points[9] = q2;
    const estimates = this.estimates;
    // With the long points known the bound is often under the floor after all: no parabolas
    // then (those through x[j] for sample j − 1 are within it too).
    const top = larger(larger(larger(y0, p0), larger(p1, p2)), larger(larger(q0, q1), larger(q2, larger(shortLast, longLast))));
    if (PARABOLA_OVERSHOOT * top <= this.floor) {
      if (PARABOLA_OVERSHOOT * top > estimates[i + 1]!) estimates[i + 1] = PARABOLA_OVERSHOOT * top;
      return;
    }
    const previous = larger(refine(shortMid, shortLast, y0), refine(longMid, longLast, y0));
    const short = larger(larger(refine(shortLast, y0, p0), refine(y0, p0, p1)), refine(p0, p1, p2));
    const current = larger(larger(short, refine(longLast, y0, q0)), larger(refine(y0, q0, q1), refine(q0, q1, q2)));
    if (previous > estimates[i]!) estimates[i] = previous;
    if (current > estimates[i + 1]!) estimates[i + 1] = current;
  }
}

const larger = (a: number, b: number): number => (a > b ? a : b);

/**
 * Writes |value| at j + 1/4, j + 1/2, j + 3/4 from the window starting at `start`; four tap
 * pairs a round (the kernel has a multiple of four) into two sums per point, so each chain of
 * dependent additions is half as long.
 */
function fold(h: Float32Array, start: number, kernel: Float64Array, out: Float64Array): void {
  const last = start + (2 * kernel.length) / 3 - 1;
  let halfA = 0, sumA = 0, diffA = 0, halfB = 0, sumB = 0, diffB = 0;
  for (let k = 0, j = 0; j < kernel.length; k += 4, j += 12) {
    const a0 = h[start + k]!, b0 = h[last - k]!, a1 = h[start + k + 1]!, b1 = h[last - k - 1]!;
    const a2 = h[start + k + 2]!, b2 = h[last - k - 2]!, a3 = h[start + k + 3]!, b3 = h[last - k - 3]!;
    const s0 = a0 + b0, s1 = a1 + b1, s2 = a2 + b2, s3 = a3 + b3;
    halfA += kernel[j]! * s0 + kernel[j + 6]! * s2;
    sumA += kernel[j + 1]! * s0 + kernel[j + 7]! * s2;
    diffA += kernel[j + 2]! * (a0 - b0) + kernel[j + 8]! * (a2 - b2);
    halfB += kernel[j + 3]! * s1 + kernel[j + 9]! * s3;
    sumB += kernel[j + 4]! * s1 + kernel[j + 10]! * s3;
    diffB += kernel[j + 5]! * (a1 - b1) + kernel[j + 11]! * (a3 - b3);
  }
  const sum = sumA + sumB;
  const diff = diffA + diffB;
  out[0] = abs(sum + diff);
  out[1] = abs(halfA + halfB);
  out[2] = abs(sum - diff);
}

/** The middle point, or the vertex of the parabola through the three when the middle is a maximum. */
function refine(left: number, middle: number, right: number): number {
  if (middle < left || middle < right) return middle;
  const curvature = left - 2 * middle + right;
  if (curvature >= 0) return middle;
  const offset = (0.5 * (left - right)) / curvature;
  return middle - 0.25 * (left - right) * offset;
}
