import type { AudioData } from '../types';
import { envelopeWindow, medianOf, welchSpectrum, type WelchSpectrum } from './resonance-spectrum';

const { ceil, floor, log10, max, min, round } = Math;

/** What counts as a resonance, and how many a track reports. */
export const RESONANCE_LIMITS = Object.freeze({
  minHz: 150,
  maxHz: 10_000,
  /** Level above the smoothed envelope, dB, in the average spectrum and in each frame that counts. */
  minExcessDb: 6,
  /**
   * Share of the frames carrying signal in which the peak is there: a held whistle, not a
   * melody's notes (harmonics shared by a melody's notes measured 0.70–0.83 on a test song).
   */
  minPersistence: 0.85,
  /** Q from the −3 dB points, clamped to what a corrective notch should use. */
  minQ: 2,
  maxQ: 16,
  maxPerTrack: 3,
  /** A peak must be the highest bin within this many bins each side (so no window side lobe counts). */
  peakRadiusBins: 4,
  /** A peak this far below the whole spectrum's power is inaudible under it (e.g. 24-bit quantisation lines). */
  audibleRangeDb: 60,
  /** Candidates checked for persistence, strongest first: bounds the per-frame work. */
  maxCandidates: 16,
});

export interface Resonance {
  /** Interpolated between bins. */
  frequencyHz: number;
  /** Spectrum level at the peak, dB re a full-scale sine. */
  levelDb: number;
  /** Level above the smoothed envelope (the median over ±1/3 octave), dB. */
  excessDb: number;
  /** Centre frequency over the −3 dB bandwidth, clamped to [2, 16]. */
  q: number;
  /** Share (0–1) of the frames carrying signal in which the peak stands out by minExcessDb. */
  persistence: number;
}

/** The spectrum at a frequency asked for: how a correction is measured after the fact. */
export interface SpectrumProbe {
  frequencyHz: number;
  levelDb: number;
  excessDb: number;
}

export interface ResonanceDetection {
  /** 'analysed', or why not: shorter than eight frames, silent, or too few frames carrying signal. */
  status: 'analysed' | 'too-short' | 'silent' | 'too-little-signal';
  /** Strongest first; empty when none was found or the track was not analysed. */
  resonances: Resonance[];
  /** One per `probeHz` asked for, in order; empty when the track was not analysed. */
  probes: SpectrumProbe[];
}

export interface ResonanceOptions {
  /** Look for resonances (default true); false only measures the probes. */
  detect?: boolean;
  /** Frequencies at which to measure level and excess, e.g. the resonances corrected before. */
  probeHz?: readonly number[];
}

interface Peak {
  bin: number;
  /** The bins within 3 dB of the peak in the average spectrum (at least the peak bin ± 1). */
  span: { from: number; to: number };
  frequencyHz: number;
  levelDb: number;
  excessDb: number;
  q: number;
}

/**
 * Finds resonances in a rendered track: narrow peaks between 150 Hz and 10 kHz that stand at
 * least 6 dB above the smoothed spectrum in the Welch average AND in at least 60 % of the frames
 * carrying signal, and are within 60 dB of the spectrum's total power. Persistence is what tells a ringing mode or a whistle (always there) from a
 * melody's notes (each there for a moment).
 */
export function detectResonances(audio: AudioData, options: ResonanceOptions = {}): ResonanceDetection {
  const welch = welchSpectrum(audio);
  if (!welch.ok) return { status: welch.reason, resonances: [], probes: [] };
  const { spectrum } = welch;
  const scratch = new Float64Array(spectrum.averageDb.length);
  const probes = (options.probeHz ?? []).map((f) => probeSpectrum(spectrum, f, scratch));
  if (options.detect === false) return { status: 'analysed', resonances: [], probes };
  const resonances = averagePeaks(spectrum, scratch)
    .sort((a, b) => b.excessDb - a.excessDb)
    .slice(0, RESONANCE_LIMITS.maxCandidates)
    .map((peak) => ({ peak, persistence: persistence(spectrum, peak, scratch) }))
    .filter((c) => c.persistence >= RESONANCE_LIMITS.minPersistence)
    .slice(0, RESONANCE_LIMITS.maxPerTrack)
    // Level and excess as a probe reads them, so a later probe at this frequency compares like with like.
    .map(({ peak, persistence }): Resonance => ({ ...probeSpectrum(spectrum, peak.frequencyHz, scratch), q: peak.q, persistence }));
  return { status: 'analysed', resonances, probes };
}

/** Narrow peaks of the average spectrum in range that stand minExcessDb above its envelope. */
function averagePeaks(spectrum: WelchSpectrum, scratch: Float64Array): Peak[] {
  const { averageDb: db, binHz } = spectrum;
  const radius = RESONANCE_LIMITS.peakRadiusBins;
  const first = max(radius + 1, ceil(RESONANCE_LIMITS.minHz / binHz));
  const last = min(db.length - 2 - radius, floor(RESONANCE_LIMITS.maxHz / binHz));
  let total = 0;
  for (let k = 0; k < db.length; k++) total += 10 ** (db[k]! / 10);
  const audible = 10 * log10(total) - RESONANCE_LIMITS.audibleRangeDb;
  const peaks: Peak[] = [];
  for (let k = first; k <= last; k++) {
    if (db[k]! < audible || !isLocalMax(db, k, radius)) continue;
    const { lo, hi } = envelopeWindow(k, db.length);
    const envelope = medianOf(db, lo, hi, scratch);
    if (db[k]! - envelope < RESONANCE_LIMITS.minExcessDb) continue;
    const top = interpolatePeak(db, k);
    const frequencyHz = top.bin * binHz;
    const halfPower = peakWidth(db, k, top.levelDb, lo, hi);
    // A peak whose −3 dB points lie beyond the envelope window is a broad hump, not a resonance.
    if (!halfPower || frequencyHz < RESONANCE_LIMITS.minHz || frequencyHz > RESONANCE_LIMITS.maxHz) continue;
    const q = min(RESONANCE_LIMITS.maxQ, max(RESONANCE_LIMITS.minQ, frequencyHz / (halfPower.width * binHz)));
    const span = { from: min(k - 1, halfPower.inside.from), to: max(k + 1, halfPower.inside.to) };
    peaks.push({ bin: k, span, frequencyHz, levelDb: top.levelDb, excessDb: top.levelDb - envelope, q });
  }
  return peaks;
}

/** Highest within ±radius; ties go to the lowest bin, so a flat top is one peak. */
function isLocalMax(values: ArrayLike<number>, k: number, radius: number): boolean {
  const v = values[k]!;
  for (let d = 1; d <= radius; d++) {
    if (values[k - d]! >= v || values[k + d]! > v) return false;
  }
  return true;
}

/** Parabola through the peak bin and its neighbours (in dB): the fractional bin and its level. */
function interpolatePeak(db: ArrayLike<number>, k: number): { bin: number; levelDb: number } {
  const a = db[k - 1]!;
  const b = db[k]!;
  const c = db[k + 1]!;
  const curve = a - 2 * b + c;
  if (curve >= 0) return { bin: k, levelDb: b };
  const p = (0.5 * (a - c)) / curve;
  return { bin: k + p, levelDb: b - 0.25 * (a - c) * p };
}

/** Wider than this at −3 dB (in bins) a peak is a band of noise, not a line (a Hann-windowed sine is 1.44 bins wide). */
const LINE_WIDTH_BINS = 3;
/** Half-width of the power average that irons out the averaged periodogram's ripple, as a share of the raw width. */
const SMOOTH_FRACTION = 0.5;

/**
 * The −3 dB width of the peak at bin k. A line (a steady tone) is read on the spectrum as it is.
 * A band of noise (a ringing mode) is read on a smoothed copy: on the raw average its top is a
 * ripple maximum, whose −3 dB points are the next ripple dips rather than the band's skirts.
 */
function peakWidth(db: Float64Array, k: number, levelDb: number, lo: number, hi: number): HalfPower | null {
  const raw = halfPowerPoints(db, k, levelDb - 3, lo, hi);
  if (!raw || raw.width <= LINE_WIDTH_BINS) return raw;
  const h = max(1, round(raw.width * SMOOTH_FRACTION));
  const smooth = new Float64Array(db.length).fill(-Infinity);
  for (let j = max(lo, h); j <= min(hi, db.length - 1 - h); j++) {
    let sum = 0;
    for (let d = -h; d <= h; d++) sum += 10 ** (db[j + d]! / 10);
    smooth[j] = 10 * log10(sum / (2 * h + 1));
  }
  let top = k;
  for (let j = k - h; j <= k + h; j++) if (smooth[j]! > smooth[top]!) top = j;
  return halfPowerPoints(smooth, top, smooth[top]! - 3, lo, hi);
}

interface HalfPower {
  /** Between the −3 dB crossings, in bins (interpolated). */
  width: number;
  /** The bins inside the crossings. */
  inside: { from: number; to: number };
}

/**
 * Where the spectrum falls to `floorDb` each side of bin k: the width between the crossings (in
 * bins, interpolated) and the bins inside them; null when a crossing lies outside [lo, hi].
 */
function halfPowerPoints(db: ArrayLike<number>, k: number, floorDb: number, lo: number, hi: number): HalfPower | null {
  let left = k;
  while (left > lo && db[left]! > floorDb) left--;
  let right = k;
  while (right < hi && db[right]! > floorDb) right++;
  if (db[left]! > floorDb || db[right]! > floorDb) return null;
  // Linear interpolation of each crossing between the bin below the floor and the one above it.
  const cross = (below: number, above: number) => below + (above - below) * ((floorDb - db[below]!) / (db[above]! - db[below]!));
  return { width: cross(right, right - 1) - cross(left, left + 1), inside: { from: left + 1, to: right - 1 } };
}

/**
 * Share of the frames in which the peak stands out. Each frame's periodogram is noisy, so the
 * peak is judged by its mean power over its −3 dB span (at least three bins) against the frame's
 * envelope; the threshold is lowered by the span's peak-to-mean ratio measured in the average,
 * so a frame just like the average passes exactly when the average does.
 */
function persistence(spectrum: WelchSpectrum, peak: Peak, scratch: Float64Array): number {
  const { averageDb } = spectrum;
  const { lo, hi } = envelopeWindow(peak.bin, averageDb.length);
  const { from, to } = peak.span;
  let averageSpan = 0;
  for (let k = from; k <= to; k++) averageSpan += 10 ** (averageDb[k]! / 10);
  const shapeLossDb = peak.levelDb - 10 * log10(averageSpan / (to - from + 1));
  // Compared in power: the median commutes with the logarithm, so no dB per frame is needed.
  const ratio = (to - from + 1) * 10 ** ((RESONANCE_LIMITS.minExcessDb - shapeLossDb) / 10);
  let hits = 0;
  for (const power of spectrum.frames) {
    let sum = 0;
    for (let k = from; k <= to; k++) sum += power[k]!;
    if (sum >= ratio * medianOf(power, lo, hi, scratch)) hits++;
  }
  return hits / spectrum.frames.length;
}

/** Level (the highest bin within ±2 of `frequencyHz`, interpolated) and excess over the envelope there. */
function probeSpectrum(spectrum: WelchSpectrum, frequencyHz: number, scratch: Float64Array): SpectrumProbe {
  const { averageDb: db, binHz } = spectrum;
  const centre = min(db.length - 4, max(3, round(frequencyHz / binHz)));
  let top = centre;
  for (let k = centre - 2; k <= centre + 2; k++) if (db[k]! > db[top]!) top = k;
  const isPeak = db[top]! >= db[top - 1]! && db[top]! >= db[top + 1]!;
  const levelDb = isPeak ? interpolatePeak(db, top).levelDb : db[top]!;
  const { lo, hi } = envelopeWindow(centre, db.length);
  return { frequencyHz, levelDb, excessDb: levelDb - medianOf(db, lo, hi, scratch) };
}

