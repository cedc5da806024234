import { AdsrEnvelope } from './adsr-envelope';
import { NoiseSource } from './noise-source';
import { BLOCK_FRAMES, midiToHz, panGains, velocityGain } from './note-renderer';
import type { NoteRenderer, ScheduledNote } from './note-renderer';
import { OscillatorBank } from './oscillator';
import { StateVariableFilter } from './state-variable-filter';
import type { VoiceParams } from './synth-schema';
import { SYNTH_LIMITS } from './synth-schema';

/**
 * Renders subtractive notes: oscillators (× unison) + noise → resonant low-pass → amp ADSR.
 * With unison spread the voice runs in stereo (the filter on both channels); otherwise it is
 * mono until the final pan, which halves the oscillator mixing and filter work.
 */
export class VoiceRenderer implements NoteRenderer {
  private readonly ampEnv = new AdsrEnvelope();
  private readonly filterEnv = new AdsrEnvelope();
  private readonly filter = new StateVariableFilter();
  private readonly noise = new NoiseSource();
  private readonly ampBuf = new Float64Array(BLOCK_FRAMES);
  private readonly filterBuf = new Float64Array(BLOCK_FRAMES);
  private readonly bufL = new Float64Array(BLOCK_FRAMES);
  private readonly bufR = new Float64Array(BLOCK_FRAMES);
  private readonly oscillators = new OscillatorBank(2 * SYNTH_LIMITS.maxUnisonVoices, BLOCK_FRAMES);
  private readonly stereo: boolean;
  private readonly pan: { left: number; right: number };
  private readonly releaseFrames: number;

  constructor(
    private readonly voice: VoiceParams,
    private readonly sampleRate: number,
  ) {
    this.stereo = voice.unison.voices > 1 && voice.unison.spread > 0;
    this.pan = panGains(voice.pan);
    this.releaseFrames = Math.round((voice.amp.releaseMs * sampleRate) / 1000);
  }

  soundingFrames(note: ScheduledNote): number {
    return note.gateFrames + this.releaseFrames;
  }

  render(note: ScheduledNote, left: Float32Array, right: Float32Array): void {
    const total = Math.min(this.soundingFrames(note), left.length - note.startFrame);
    if (total <= 0) return;
    const v = this.voice;
    this.noise.reseed(note.seed);
    this.setUpOscillators(note.pitch);
    this.ampEnv.start(v.amp, note.gateFrames, this.sampleRate);
    this.filterEnv.start(v.filterEnv, note.gateFrames, this.sampleRate);
    this.filter.reset();
    const level = v.gain * velocityGain(note.velocity, v.velocitySensitivity);
    const filtering = v.filter.mode === 'lowpass';
    const baseCutoff =
      v.filter.cutoffHz *
      2 ** ((v.filter.keyTrack * (note.pitch - 60)) / 12 - v.filter.velocityOctaves * (1 - note.velocity / 127));
    const block = BLOCK_FRAMES;
    for (let done = 0; done < total; done += block) {
      const n = Math.min(block, total - done);
      this.oscillatorsAndNoise(n);
      if (filtering) {
        this.filterEnv.fill(this.filterBuf, n);
        const cutoff = baseCutoff * 2 ** (v.filter.envAmountOctaves * (this.filterBuf[n >> 1] as number));
        this.filter.setCutoff(cutoff, v.filter.resonance, this.sampleRate);
        if (this.stereo) this.filter.lowpassBlockStereo(this.bufL, this.bufR, n);
        else this.filter.lowpassBlock(this.bufL, n);
      }
      this.ampEnv.fill(this.ampBuf, n);
      this.mixOut(left, right, note.startFrame + done, n, level);
    }
  }

  /** Detunes, pans and phases the note's oscillators. */
  private setUpOscillators(pitch: number): void {
    const v = this.voice;
    const voices = v.unison.voices;
    const hz = midiToHz(pitch);
    const norm = 1 / Math.sqrt(voices);
    this.oscillators.clear();
    for (let u = 0; u < voices; u++) {
      const position = voices > 1 ? (2 * u) / (voices - 1) - 1 : 0;
      const cents = position * v.unison.detuneCents;
      const pan = this.stereo ? panGains(v.pan + position * v.unison.spread) : { left: 1, right: 1 };
      // Unison voices start at random phases (else they begin as one loud spike); a single
      // voice starts at phase 0 so a note always begins the same way.
      const phase = voices > 1 ? (this.noise.next() + 1) / 2 : 0;
      this.oscillators.add(v.waveform, hz * 2 ** (cents / 1200), this.sampleRate, phase, norm * pan.left, norm * pan.right);
      if (v.osc2 && v.osc2.level > 0) {
        const gain = norm * v.osc2.level;
        const offset = v.osc2.semitones * 100 + v.osc2.detuneCents + cents;
        this.oscillators.add(v.osc2.waveform, hz * 2 ** (offset / 1200), this.sampleRate, phase, gain * pan.left, gain * pan.right);
      }
    }
  }

  private oscillatorsAndNoise(n: number): void {
    const { bufL, bufR, stereo } = this;
    bufL.fill(0, 0, n);
    if (stereo) bufR.fill(0, 0, n);
    this.oscillators.render(bufL, stereo ? bufR : null, n);
    if (this.voice.noiseLevel > 0) this.noise.addTo(this.voice.noiseLevel, n, bufL, stereo ? bufR : undefined);
  }

  private mixOut(left: Float32Array, right: Float32Array, at: number, n: number, level: number): void {
    const { ampBuf, bufL, bufR } = this;
    const src = this.stereo ? bufR : bufL;
    // Stereo oscillators already carry their pan; a mono voice is panned here.
    const gl = this.stereo ? level : level * this.pan.left;
    const gr = this.stereo ? level : level * this.pan.right;
    for (let i = 0; i < n; i++) {
      const a = ampBuf[i] as number;
      left[at + i] = (left[at + i] as number) + gl * a * (bufL[i] as number);
      right[at + i] = (right[at + i] as number) + gr * a * (src[i] as number);
    }
  }
}
