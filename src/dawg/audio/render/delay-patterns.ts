/** Note values a delay can be synced to: '1/4', '1/8', 'dotted-1/8', 'triplet-1/16', … */
export const DELAY_PATTERN = /^(dotted-|triplet-)?1\/(1|2|4|8|16|32)$/;

/** The delay time of a tempo-synced note value at `bpm`, in ms; null when the name is not a pattern. */
export function delayPatternMs(pattern: string, bpm: number): number | null {
  const match = DELAY_PATTERN.exec(pattern);
  if (!match) return null;
  const wholeNoteMs = (4 * 60_000) / bpm;
  const modifier = match[1] === 'dotted-' ? 1.5 : match[1] === 'triplet-' ? 2 / 3 : 1;
  return (wholeNoteMs / Number(match[2])) * modifier;
}
