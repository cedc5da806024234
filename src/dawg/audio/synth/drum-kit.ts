import { NoiseSource } from './noise-source';
import { panGains, velocityGain } from './note-renderer';
import type { NoteRenderer, ScheduledNote } from './note-renderer';
import { sinCycle } from './oscillator';
import { StateVariableFilter } from './state-variable-filter';

/**
 * A synthesised drum: a pitch-swept sine (with an optional overtone) plus filtered noise, each
 * with an exponential decay (time constants in ms). Hits are one-shots: note length is ignored.
 */
export interface DrumPatch {
  lengthMs: number;
  pan: number;
  tone?: { startHz: number; endHz: number; sweepMs: number; decayMs: number; level: number; overtoneRatio?: number; overtoneLevel?: number };
  noise?: {
    filter: 'lowpass' | 'bandpass' | 'highpass';
    cutoffHz: number;
    resonance: number;
    /** Two cascaded stages make a 24 dB/oct slope (hats, cymbals). */
    stages: 1 | 2;
    decayMs: number;
    level: number;
    /** A clap's quick re-triggers before its tail. */
    bursts?: { count: number; spacingMs: number; decayMs: number };
  };
}

const tom = (hz: number, pan: number): DrumPatch => ({
  lengthMs: 1_200,
  pan,
  tone: { startHz: hz * 1.6, endHz: hz, sweepMs: 40, decayMs: 180, level: 0.9 },
  noise: { filter: 'lowpass', cutoffHz: 3_000, resonance: 0, stages: 1, decayMs: 8, level: 0.15 },
});

export const DRUM_PATCHES = {
  kick: {
    lengthMs: 1_600,
    pan: 0,
    tone: { startHz: 170, endHz: 48, sweepMs: 28, decayMs: 240, level: 1 },
    // The click: a few ms of dull noise so the kick speaks on small speakers.
    noise: { filter: 'lowpass', cutoffHz: 4_000, resonance: 0, stages: 1, decayMs: 1.5, level: 0.5 },
  },
  snare: {
    lengthMs: 900,
    pan: 0,
    tone: { startHz: 240, endHz: 185, sweepMs: 15, decayMs: 60, level: 0.55, overtoneRatio: 1.78, overtoneLevel: 0.5 },
    noise: { filter: 'highpass', cutoffHz: 1_800, resonance: 0.1, stages: 1, decayMs: 130, level: 0.6 },
  },
  electricSnare: {
    lengthMs: 700,
    pan: 0,
    tone: { startHz: 260, endHz: 200, sweepMs: 10, decayMs: 45, level: 0.5 },
    noise: { filter: 'highpass', cutoffHz: 2_600, resonance: 0.2, stages: 1, decayMs: 100, level: 0.65 },
  },
  rimshot: {
    lengthMs: 120,
    pan: 0,
    tone: { startHz: 820, endHz: 800, sweepMs: 5, decayMs: 10, level: 0.6 },
    noise: { filter: 'bandpass', cutoffHz: 2_200, resonance: 0.5, stages: 1, decayMs: 6, level: 0.6 },
  },
  clap: {
    lengthMs: 900,
    pan: 0,
    noise: {
      filter: 'bandpass',
      cutoffHz: 1_200,
      resonance: 0.3,
      stages: 1,
      decayMs: 120,
      level: 1.4,
      bursts: { count: 3, spacingMs: 10, decayMs: 3 },
    },
  },
  closedHat: {
    lengthMs: 200,
    pan: 0.2,
    noise: { filter: 'highpass', cutoffHz: 7_500, resonance: 0.1, stages: 2, decayMs: 25, level: 0.55 },
  },
  pedalHat: {
    lengthMs: 120,
    pan: 0.2,
    noise: { filter: 'highpass', cutoffHz: 7_500, resonance: 0.1, stages: 2, decayMs: 14, level: 0.45 },
  },
  openHat: {
    lengthMs: 1_400,
    pan: 0.2,
    noise: { filter: 'highpass', cutoffHz: 7_000, resonance: 0.1, stages: 2, decayMs: 200, level: 0.45 },
  },
  crash: {
    lengthMs: 3_500,
    pan: -0.3,
    noise: { filter: 'highpass', cutoffHz: 4_500, resonance: 0, stages: 2, decayMs: 500, level: 0.4 },
  },
  ride: {
    lengthMs: 2_000,
    pan: 0.3,
    tone: { startHz: 5_100, endHz: 5_100, sweepMs: 1, decayMs: 250, level: 0.05, overtoneRatio: 1.49, overtoneLevel: 0.8 },
    noise: { filter: 'bandpass', cutoffHz: 7_000, resonance: 0.3, stages: 1, decayMs: 280, level: 0.3 },
  },
  lowFloorTom: tom(82, -0.3),
  highFloorTom: tom(98, -0.25),
  lowTom: tom(110, -0.15),
  lowMidTom: tom(131, 0),
  highMidTom: tom(147, 0.1),
  highTom: tom(175, 0.2),
} satisfies Record<string, DrumPatch>;

export type DrumName = keyof typeof DRUM_PATCHES;

/** General-MIDI percussion keys (channel 10) the kit plays; other keys are silent, as on a GM module without them. */
export const GM_DRUM_MAP: ReadonlyMap<number, DrumName> = new Map<number, DrumName>([
  [35, 'kick'], [36, 'kick'], [37, 'rimshot'], [38, 'snare'], [39, 'clap'], [40, 'electricSnare'],
  [41, 'lowFloorTom'], [42, 'closedHat'], [43, 'highFloorTom'], [44, 'pedalHat'], [45, 'lowTom'],
  [46, 'openHat'], [47, 'lowMidTom'], [48, 'highMidTom'], [49, 'crash'], [50, 'highTom'],
  [51, 'ride'], [52, 'crash'], [55, 'crash'], [57, 'crash'], [59, 'ride'],
]);

/** Fade over the last frames of a hit so cutting its tail never clicks. */
const FADE_MS = 3;

export class DrumKitRenderer implements NoteRenderer {
  private readonly noise = new NoiseSource();
  private readonly stage1 = new StateVariableFilter();
  private readonly stage2 = new StateVariableFilter();

  constructor(
    private readonly sampleRate: number,
    private readonly gain = 0.6,
    private readonly kitPan = 0,
  ) {}

  soundingFrames(note: ScheduledNote): number {
    const name = GM_DRUM_MAP.get(note.pitch);
    return name ? Math.round((DRUM_PATCHES[name].lengthMs * this.sampleRate) / 1000) : 0;
  }

  render(note: ScheduledNote, left: Float32Array, right: Float32Array): void {
    const name = GM_DRUM_MAP.get(note.pitch);
    if (!name) return;
    const patch: DrumPatch = DRUM_PATCHES[name];
    const total = Math.min(this.soundingFrames(note), left.length - note.startFrame);
    if (total <= 0) return;
    const level = this.gain * velocityGain(note.velocity, 0.8);
    const pan = panGains(patch.pan + this.kitPan);
    this.noise.reseed(note.seed);
    this.renderHit(patch, note.startFrame, total, level * pan.left, level * pan.right, left, right);
  }

  /** One function on purpose: the per-sample loop keeps every oscillator, envelope and burst counter in locals. */
  private renderHit(patch: DrumPatch, at: number, total: number, gl: number, gr: number, left: Float32Array, right: Float32Array): void {
    const sr = this.sampleRate;
    const perFrame = (ms: number) => Math.exp(-1000 / (ms * sr));
    const { tone, noise } = patch;
    if (noise) {
      this.stage1.reset();
      this.stage2.reset();
      this.stage1.setCutoff(noise.cutoffHz, noise.resonance, sr);
      this.stage2.setCutoff(noise.cutoffHz, noise.resonance, sr);
    }
    const mode = noise?.filter === 'lowpass' ? 0 : noise?.filter === 'bandpass' ? 1 : 2;
    const sweepRatio = tone ? perFrame(tone.sweepMs) : 0;
    const toneRatio = tone ? perFrame(tone.decayMs) : 0;
    const burstRatio = noise?.bursts ? perFrame(noise.bursts.decayMs) : 0;
    const tailRatio = noise ? perFrame(noise.decayMs) : 0;
    const burstFrames = noise?.bursts ? Math.round((noise.bursts.spacingMs * sr) / 1000) : 0;
    let burstsLeft = noise?.bursts ? noise.bursts.count - 1 : 0;
    let untilBurst = burstFrames;
    let noiseRatio = burstsLeft > 0 ? burstRatio : tailRatio;
    const fadeFrames = Math.max(1, Math.round((FADE_MS * sr) / 1000));
    let sweep = 1;
    let toneEnv = 1;
    let noiseEnv = 1;
    let phase = 0;
    let phase2 = 0;
    for (let i = 0; i < total; i++) {
      let x = 0;
      if (tone) {
        const hz = tone.endHz + (tone.startHz - tone.endHz) * sweep;
        sweep *= sweepRatio;
        let s = sinCycle(phase);
        phase += hz / sr;
        if (phase >= 1) phase -= 1;
        if (tone.overtoneRatio) {
          s += (tone.overtoneLevel ?? 0) * sinCycle(phase2);
          phase2 += (hz * tone.overtoneRatio) / sr;
          if (phase2 >= 1) phase2 -= Math.floor(phase2);
        }
        x += tone.level * toneEnv * s;
        toneEnv *= toneRatio;
      }
      if (noise) {
        let w = this.noise.next();
        w = mode === 0 ? this.stage1.lowpass(w) : mode === 1 ? this.stage1.bandpass(w) : this.stage1.highpass(w);
        if (noise.stages === 2) w = mode === 0 ? this.stage2.lowpass(w) : mode === 1 ? this.stage2.bandpass(w) : this.stage2.highpass(w);
        x += noise.level * noiseEnv * w;
        noiseEnv *= noiseRatio;
        if (burstsLeft > 0 && --untilBurst === 0) {
          noiseEnv = 1;
          untilBurst = burstFrames;
          if (--burstsLeft === 0) noiseRatio = tailRatio;
        }
      }
      const fade = total - i < fadeFrames ? (total - i) / fadeFrames : 1;
      left[at + i] = (left[at + i] as number) + gl * fade * x;
      right[at + i] = (right[at + i] as number) + gr * fade * x;
    }
  }
}
