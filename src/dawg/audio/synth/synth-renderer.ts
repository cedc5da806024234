import type { z } from 'zod';
import { parseInput, fieldError } from '../../../common/validation';
import type { AudioData } from '../types';
import { silence } from '../types';
import { DrumKitRenderer } from './drum-kit';
import { hashInts } from './noise-source';
import type { NoteRenderer, ScheduledNote } from './note-renderer';
import { RenderOptionsSchema, SYNTH_LIMITS, SynthSongSchema, SynthTrackSchema } from './synth-schema';
import type { InstrumentSpec, RenderOptions, SynthTrack } from './synth-schema';
import { resolveVoice } from './voice-presets';
import { VoiceRenderer } from './voice-renderer';

/** What callers may pass: the schemas' input types (optional fields may be left out). */
export type SynthTrackInput = z.input<typeof SynthTrackSchema>;
export type RenderOptionsInput = z.input<typeof RenderOptionsSchema>;

interface TrackPlan {
  renderer: NoteRenderer;
  notes: ScheduledNote[];
  /** Frames the output must hold for this track. */
  endFrame: number;
}

const DEFAULT_SEED = 1;

/**
 * Renders one track to stereo audio. The output runs to the last note-off plus `tailSeconds`,
 * or, without it, until every note has rung out. Throws InvalidError naming the field for bad
 * notes, parameters or a render past the size limits.
 */
export function renderTrack(track: SynthTrackInput, options: RenderOptionsInput): AudioData {
  const opts = parseInput(RenderOptionsSchema, options, 'options');
  const plan = planTrack(parseInput(SynthTrackSchema, track, 'track'), opts, 'track');
  const out = silence(opts.sampleRate, 2, plan.endFrame);
  renderPlan(plan, out);
  return out;
}

/**
 * Renders tracks summed onto one stereo bus as long as the longest track. Track `i` sounds
 * exactly as `renderTrack` would render it alone (only the length may differ).
 */
export function renderSong(tracks: readonly SynthTrackInput[], options: RenderOptionsInput): AudioData {
  const opts = parseInput(RenderOptionsSchema, options, 'options');
  const plans = parseInput(SynthSongSchema, tracks, 'tracks').map((t, i) => planTrack(t, opts, `tracks.${i}`));
  const out = silence(opts.sampleRate, 2, Math.max(0, ...plans.map((p) => p.endFrame)));
  for (const plan of plans) renderPlan(plan, out);
  return out;
}

function renderPlan(plan: TrackPlan, out: AudioData): void {
  const [left, right] = out.channels as [Float32Array, Float32Array];
  for (const note of plan.notes) plan.renderer.render(note, left, right);
}

function rendererFor(instrument: InstrumentSpec, sampleRate: number): NoteRenderer {
  if (instrument === 'drums') return new DrumKitRenderer(sampleRate);
  if (typeof instrument === 'string') return new VoiceRenderer(resolveVoice(instrument), sampleRate);
  if (instrument.type === 'drums') return new DrumKitRenderer(sampleRate, instrument.gain, instrument.pan);
  return new VoiceRenderer(resolveVoice(instrument), sampleRate);
}

/** Places the notes in frames and checks the render stays within SYNTH_LIMITS. */
function planTrack(track: SynthTrack, opts: RenderOptions, where: string): TrackPlan {
  const { sampleRate } = opts;
  const framesPerBeat = (60 / opts.bpm) * sampleRate;
  const maxFrames = SYNTH_LIMITS.maxSongSeconds * sampleRate;
  const renderer = rendererFor(track.instrument, sampleRate);
  const seed = track.seed ?? DEFAULT_SEED;
  const notes: ScheduledNote[] = [];
  let lastOff = 0;
  let ringOut = 0;
  let voiceFrames = 0;
  track.notes.forEach((n, i) => {
    const startFrame = Math.round(n.startBeats * framesPerBeat);
    const gateFrames = Math.max(1, Math.round(n.durationBeats * framesPerBeat));
    if (startFrame + gateFrames > maxFrames) {
      throw fieldError(`${where}.notes.${i}`, `ends at ${((startFrame + gateFrames) / sampleRate).toFixed(1)} s; a render is limited to ${SYNTH_LIMITS.maxSongSeconds} s`);
    }
    // The seed follows the note's content, not its index, so adding or reordering notes leaves the others unchanged.
    const note = { startFrame, gateFrames, pitch: n.pitch, velocity: n.velocity, seed: hashInts(seed, n.pitch, startFrame, gateFrames, n.velocity) };
    const sounding = renderer.soundingFrames(note);
    notes.push(note);
    lastOff = Math.max(lastOff, startFrame + gateFrames);
    ringOut = Math.max(ringOut, startFrame + sounding);
    voiceFrames += sounding;
  });
  if (voiceFrames > SYNTH_LIMITS.maxVoiceSecondsPerTrack * sampleRate) {
    throw fieldError(`${where}.notes`, `sound for ${Math.round(voiceFrames / sampleRate)} s in total; a track is limited to ${SYNTH_LIMITS.maxVoiceSecondsPerTrack} s of voices`);
  }
  const endFrame = opts.tailSeconds === undefined ? ringOut : lastOff + Math.round(opts.tailSeconds * sampleRate);
  if (endFrame > maxFrames) {
    const field = opts.tailSeconds === undefined ? `${where}.notes` : 'options.tailSeconds';
    throw fieldError(field, `the render would last ${(endFrame / sampleRate).toFixed(1)} s; the limit is ${SYNTH_LIMITS.maxSongSeconds} s`);
  }
  return { renderer, notes, endFrame: Math.ceil(endFrame) };
}
