/** A note placed in frames, as the instrument renderers receive it. */
export interface ScheduledNote {
  startFrame: number;
  /** Frames the key is held (≥ 1). */
  gateFrames: number;
  pitch: number;
  velocity: number;
  /** Seeds the note's noise and unison phases. */
  seed: number;
}

/**
 * What each instrument implements. Renderers keep their scratch buffers between notes, so a
 * render allocates per note at most a few objects and never per sample.
 */
export interface NoteRenderer {
  /** Frames from note-on until the note is silent. */
  soundingFrames(note: ScheduledNote): number;
  /** Adds the note into `left`/`right`, clipped at their end. */
  render(note: ScheduledNote, left: Float32Array, right: Float32Array): void;
}

/** Block size for control-rate work (envelopes into buffers, filter cutoff updates). */
export const BLOCK_FRAMES = 32;

/** Constant-power pan: -1 left, 0 centre (-3 dB each side), 1 right. */
export function panGains(pan: number): { left: number; right: number } {
  const angle = ((Math.min(Math.max(pan, -1), 1) + 1) * Math.PI) / 4;
  return { left: Math.cos(angle), right: Math.sin(angle) };
}

/** Level for a velocity: 1 at 127, falling linearly to 1 - sensitivity towards 0. */
export function velocityGain(velocity: number, sensitivity: number): number {
  return 1 - sensitivity + (sensitivity * velocity) / 127;
}

export function midiToHz(pitch: number): number {
  return 440 * 2 ** ((pitch - 69) / 12);
}
