import { z } from 'zod';
import type { BiquadBandInput } from '../dsp';

/**
 * The named EQ curves of apply-eq. Gentle, broad moves: a profile is a starting point for a
 * track, not a correction of a measured problem.
 */
export const EQ_PROFILES = Object.freeze({
  balanced: [
    { type: 'high-pass', freq: 30 },
    { type: 'peaking', freq: 300, gainDb: -2, q: 1 },
    { type: 'high-shelf', freq: 10_000, gainDb: 1.5 },
  ],
  'mastering-ready': [
    { type: 'high-pass', freq: 25 },
    { type: 'peaking', freq: 250, gainDb: -1.5, q: 0.8 },
    { type: 'peaking', freq: 3_000, gainDb: 1, q: 0.8 },
    { type: 'low-pass', freq: 20_000 },
  ],
  warm: [
    { type: 'low-shelf', freq: 200, gainDb: 3 },
    { type: 'high-shelf', freq: 8_000, gainDb: -2 },
  ],
  bright: [
    { type: 'peaking', freq: 400, gainDb: -1.5, q: 1 },
    { type: 'high-shelf', freq: 6_000, gainDb: 3 },
  ],
  'vocal-presence': [
    { type: 'high-pass', freq: 100 },
    { type: 'peaking', freq: 250, gainDb: -2, q: 1 },
    { type: 'peaking', freq: 3_000, gainDb: 3, q: 1.2 },
  ],
  // Two 12 dB/octave sections: 24 dB/octave below 120 Hz.
  'low-cut': [
    { type: 'high-pass', freq: 120 },
    { type: 'high-pass', freq: 120 },
  ],
} satisfies Record<string, BiquadBandInput[]>);

export type EqProfileName = keyof typeof EQ_PROFILES;
export const eqProfileSchema = z.enum(Object.keys(EQ_PROFILES) as [EqProfileName, ...EqProfileName[]]);

export function eqProfileBands(name: EqProfileName): BiquadBandInput[] {
  return EQ_PROFILES[name].map((band) => ({ ...band }));
}
