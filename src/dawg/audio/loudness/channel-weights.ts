import { fieldError } from '../../../common/validation';

/** BS.1770-4 Table 3: front channels 1.0, surrounds 1.41 (+1.5 dB), LFE left out. */
const FRONT = 1.0;
const SURROUND = 1.41;
const LFE = 0;

/*
 * Channel orders as WAV (WAVE_FORMAT_EXTENSIBLE default masks) lays them out. Mono is one
 * channel of weight 1, as BS.1770 defines it: a mono file measures 3 dB below the same
 * signal on two stereo channels (no "dual mono" assumption).
 */
const LAYOUTS: Readonly<Record<number, readonly number[]>> = {
  1: [FRONT], // M
  2: [FRONT, FRONT], // L R
  3: [FRONT, FRONT, FRONT], // L R C
  4: [FRONT, FRONT, SURROUND, SURROUND], // L R Ls Rs (quad)
  5: [FRONT, FRONT, FRONT, SURROUND, SURROUND], // L R C Ls Rs
  6: [FRONT, FRONT, FRONT, LFE, SURROUND, SURROUND], // L R C LFE Ls Rs (5.1)
};

/**
 * The BS.1770 weight of each channel for a layout of `channelCount` channels (1–6, in WAV
 * order). Other counts have no standard default; pass explicit weights for them.
 */
export function defaultChannelWeights(channelCount: number): readonly number[] {
  const weights = LAYOUTS[channelCount];
  if (weights === undefined) {
    throw fieldError('options.channelWeights', `are required for ${channelCount} channels (defaults exist for 1–6)`);
  }
  return weights;
}

/** The weights to use: `explicit` when given (checked against the channel count), else the default layout. */
export function resolveChannelWeights(channelCount: number, explicit?: readonly number[]): readonly number[] {
  if (explicit === undefined) return defaultChannelWeights(channelCount);
  if (explicit.length !== channelCount) {
    throw fieldError('options.channelWeights', `has ${explicit.length} entries for ${channelCount} channels`);
  }
  explicit.forEach((weight, index) => {
    if (!Number.isFinite(weight) || weight < 0) {
      throw fieldError(`options.channelWeights.${index}`, `must be a finite number ≥ 0, got ${weight}`);
    }
  });
  return explicit;
}
