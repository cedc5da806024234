import type { BiquadBand } from '../dsp';
import type { Resonance } from './resonance-detection';

/** The deepest cut a resonance gets: enough to tame a ring, too little to hollow out the track. */
export const MAX_RESONANCE_CUT_DB = 6;

/** A corrective cut: the EQ plugin's own peaking band. */
export type ResonanceCut = Extract<BiquadBand, { type: 'peaking' }>;

const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;

/**
 * One peaking cut per resonance: −min(excess, 6) dB at its frequency with its Q. Rounded (0.1 Hz,
 * 0.1 dB, 0.01) because they are stored in the project, where a person reads them.
 */
export function resonanceCuts(resonances: readonly Resonance[]): ResonanceCut[] {
  return resonances.map((r) => ({
    type: 'peaking',
    freq: round(r.frequencyHz, 1),
    gainDb: -round(Math.min(r.excessDb, MAX_RESONANCE_CUT_DB), 1),
    q: round(r.q, 2),
  }));
}
