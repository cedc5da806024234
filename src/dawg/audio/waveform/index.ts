/**
 * Track waveforms for display: per-bucket peaks, the short-term loudness curve and the
 * integrated loudness and true peak, computed from the loudness code in ../loudness.
 */
export { computeWaveform, WAVEFORM_POINTS, type Waveform } from './waveform';
export { loudnessCurve, LOUDNESS_CURVE_HOP_SECONDS, LOUDNESS_CURVE_WINDOW_SECONDS, type LoudnessCurve } from './loudness-curve';
export { peakBuckets, type PeakPair } from './peak-buckets';
