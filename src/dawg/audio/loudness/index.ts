/*
 * Loudness and peak measurement per ITU-R BS.1770-4 / EBU R128 (Tech 3341, 3342).
 * `measureLoudness` gives the whole report, with null where a figure does not exist; the
 * lower-level functions share one K-weighting pass through `measureLoudnessBlocks`, and their
 * series use −Infinity for silent windows.
 */
export { measureLoudness, type LoudnessReport } from './measure-loudness';
export { measureLoudnessBlocks, type LoudnessBlocks, type LoudnessOptions } from './loudness-blocks';
export { momentaryLoudness, shortTermLoudness, type LoudnessSeries } from './loudness-series';
export { ABSOLUTE_GATE_LUFS, integratedLoudness, loudnessRange } from './gating';
export { samplePeak, truePeak } from './true-peak';
export { truePeakOversamplingFactor } from './oversampling-filter';
export { kWeightingCoefficients, type BiquadCoefficients, type KWeightingCoefficients } from './k-weighting';
export { defaultChannelWeights } from './channel-weights';
