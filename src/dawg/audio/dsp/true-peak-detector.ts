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
 * the 12-tap kernel of a BS.1770-4 style meter and a 32-tap kernel flat to 0.42 fs. The
 * long one is the expensive part and only matters near the limit, so it is skipped when
 * the short result plus a bound on the difference (Σ|long − short| × the window's largest
 * |sample|) stays below `floor`; the estimate returned then is that bound, still ≤ floor.
 */
export class TruePeakDetector {
  /** `push` returns the estimate for the sample this many frames before the one pushed. */
  readonly delay = LONG_TAPS / 2 + 1;
  private readonly short: Float64Array;
  private readonly long: Float64Array;
  private readonly differenceBound: number;
  private readonly size = 2 * LONG_TAPS;
  private readonly mask = 2 * LONG_TAPS - 1;
  private readonly history: Float64Array[];
  private readonly points = new Float64Array(3);
  private readonly longPoints = new Float64Array(3);
  // Last two |points| per channel, [short, long], for the parabola across intervals.
  private readonly prev: Float64Array;
  // Per channel: largest |sample| of the two last whole blocks of BLOCK samples and of the
  // block in progress; together they cover the long window (and a little more).
  private readonly blockMax: Float64Array;
  private pending = 0;
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
    // Each sample is stored twice (pos and pos + size) so a kernel's window is contiguous.
    this.history = Array.from({ length: channelCount }, () => new Float64Array(2 * this.size));
    this.prev = new Float64Array(4 * channelCount);
    this.blockMax = new Float64Array(3 * channelCount);
  }

  reset(): void {
    for (const h of this.history) h.fill(0);
    this.blockMax.fill(0);
    this.prev.fill(0);
    this.pending = 0;
    this.step = 0;
  }

  /** Takes frame `i` of `channels`; returns the peak estimate of the sample `delay` frames earlier. */
  push(channels: Float32Array[], i: number): number {
    const step = this.step++;
    const pos = step & this.mask;
    const start = (step - LONG_TAPS + 1) & this.mask;
    const shortStart = start + (LONG_TAPS - SHORT_TAPS) / 2;
    let previous = this.pending;
    let current = 0;
    for (let c = 0; c < this.channelCount; c++) {
      const h = this.history[c]!;
      const x = channels[c]![i]!;
      h[pos] = h[pos + this.size] = x;
      const windowMax = this.updateWindowMax(c, step, abs(x));
      const y0 = abs(h[start + LONG_TAPS / 2 - 1]!);
      const s = 4 * c;
      // Points in order: x[j] closes sample j−1's last point; the others belong to j.
      const p = this.points;
      fold(h, shortStart, this.short, p);
      previous = max(previous, refine(this.prev[s]!, this.prev[s + 1]!, y0));
      current = max(current, refine(this.prev[s + 1]!, y0, p[0]!), refine(y0, p[0]!, p[1]!), refine(p[0]!, p[1]!, p[2]!));
      this.prev[s] = p[1]!;
      this.prev[s + 1] = p[2]!;
      const slack = this.differenceBound * windowMax;
      const bound = PARABOLA_OVERSHOOT * (max(y0, this.prev[s + 3]!, p[0]!, p[1]!, p[2]!) + slack);
      const q = this.longPoints;
      if (bound <= this.floor) {
        // Every long-kernel value near here, refined or not (including x[j−1]'s last point,
        // in the bound through prev[s + 3]), is at most `bound`. Upper bounds on its points
        // keep the parabola conservative next time.
        q[1] = p[1]! + slack;
        q[2] = p[2]! + slack;
        current = max(current, bound);
      } else {
        fold(h, start, this.long, q);
        previous = max(previous, refine(this.prev[s + 2]!, this.prev[s + 3]!, y0));
        current = max(current, refine(this.prev[s + 3]!, y0, q[0]!), refine(y0, q[0]!, q[1]!), refine(q[0]!, q[1]!, q[2]!));
      }
      this.prev[s + 2] = q[1]!;
      this.prev[s + 3] = q[2]!;
    }
    this.pending = current;
    return previous;
  }

  /** Adds |sample| to channel c's blocks; returns a bound on the largest |sample| in its long window. */
  private updateWindowMax(c: number, step: number, magnitude: number): number {
    const blocks = this.blockMax;
    const b = 3 * c;
    if ((step & (BLOCK - 1)) === 0) {
      blocks[b] = blocks[b + 1]!;
      blocks[b + 1] = blocks[b + 2]!;
      blocks[b + 2] = magnitude;
    } else if (magnitude > blocks[b + 2]!) {
      blocks[b + 2] = magnitude;
    }
    return max(blocks[b]!, blocks[b + 1]!, blocks[b + 2]!);
  }
}

/** Writes |value| at j + 1/4, j + 1/2, j + 3/4 from the window starting at `start`. */
function fold(h: Float64Array, start: number, kernel: Float64Array, out: Float64Array): void {
  const last = start + (2 * kernel.length) / 3 - 1;
  let half = 0;
  let sum = 0;
  let diff = 0;
  for (let k = 0, j = 0; j < kernel.length; k++, j += 3) {
    const a = h[start + k]!;
    const b = h[last - k]!;
    const s = a + b;
    half += kernel[j]! * s;
    sum += kernel[j + 1]! * s;
    diff += kernel[j + 2]! * (a - b);
  }
  out[0] = abs(sum + diff);
  out[1] = abs(half);
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
