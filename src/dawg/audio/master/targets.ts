/**
 * Streaming loudness targets (issue 5): Spotify and YouTube −14 LUFS, Apple Music −16, all ≤ −1
 * dBTP. A file of its own (no audio code) so the control plane can read them too.
 */
export const MASTER_TARGETS = {
  spotify: { lufs: -14, truePeakDbtp: -1 },
  youtube: { lufs: -14, truePeakDbtp: -1 },
  'apple-music': { lufs: -16, truePeakDbtp: -1 },
} as const;
