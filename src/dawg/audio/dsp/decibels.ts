/** Linear amplitude factor of a level in dB (0 dB → 1). */
export function dbToGain(db: number): number {
  return Math.pow(10, db / 20);
}

/** Level in dB of a linear amplitude factor; −Infinity for 0. */
export function gainToDb(gain: number): number {
  return 20 * Math.log10(gain);
}
