/**
 * The DAWG's built-in DSP processors. Every export here is public API: named exports only.
 * Stateful processors implement AudioProcessor (block-wise, in place); each has an
 * apply* function for a whole AudioData and a zod schema for its parameters.
 */
export type { AudioProcessor } from './audio-processor';
export { MAX_CHANNELS } from './audio-processor';
export { dbToGain, gainToDb } from './decibels';
export type {
  BiquadBand,
  BiquadBandInput,
  BiquadCoefficients,
  BiquadType,
  EqParams,
  EqParamsInput,
} from './biquad';
export { applyEq, biquadBandSchema, biquadCoefficients, BiquadFilter, eqSchema, Equalizer, magnitudeDb } from './biquad';
export type { CompressorParams, CompressorParamsInput } from './compressor';
export { applyCompressor, Compressor, compressorSchema, makeupGainDb, staticCurveDb } from './compressor';
export type { InterpolatorOptions } from './oversampler';
export { interpolatorSchema, PolyphaseInterpolator, truePeak, truePeakDbtp } from './oversampler';
export type { LimiterOptions, LimiterParams, LimiterParamsInput, LimiterResult } from './limiter';
export { applyLimiter, LIMITER_SAFETY_MARGIN_DB, LimiterGainStage, limiterSchema, TruePeakLimiter } from './limiter';
export { TruePeakDetector } from './true-peak-detector';
export type { StereoStats, StereoWidthParams, StereoWidthParamsInput } from './stereo-width';
export { applyStereoWidth, stereoStats, stereoWidthSchema } from './stereo-width';
export type { ReverbParams, ReverbParamsInput } from './reverb';
export { applyReverb, Reverb, reverbSchema } from './reverb';
export type { DelayParams, DelayParamsInput } from './delay';
export { applyDelay, Delay, delaySchema } from './delay';
export type { BusTrack, BusTrackSettings, GainPanParams, GainPanParamsInput, StereoGains } from './gain-pan';
export { applyGainPan, balanceGains, busTrackSchema, gainPanSchema, panGains, scaleInPlace, sumBus } from './gain-pan';
