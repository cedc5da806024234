import type { Adsr } from './synth-schema';

// Plain numbers rather than an enum: ordering matters (< RELEASE) and they are compared per run.
const ATTACK = 0;
const DECAY = 1;
const SUSTAIN = 2;
const RELEASE = 3;
const DONE = 4;

/** How bent decay and release are: e^-CURVE is where a plain exponential would stand at the end. */
const CURVE = 5;
const CURVE_END = Math.exp(-CURVE);

/**
 * Sample-accurate ADSR. Attack is linear to 1 (so the peak lands exactly at attackMs); decay and
 * release are exponential-shaped curves rescaled to reach their target exactly, so a released
 * note ends in true silence instead of an endless tail. A gate shorter than attack + decay
 * releases from wherever the envelope has got to.
 *
 * `fill` works in runs (up to the next stage change or the gate) with a tight loop per run:
 * the per-sample state machine it replaces cost more than the oscillators.
 */
export class AdsrEnvelope {
  private stage = DONE;
  private level = 0;
  /** Frames until the key is released; negative once it has been. */
  private untilGate = 0;
  private attackFrames = 0;
  private decayFrames = 0;
  private releaseFrames = 0;
  private sustain = 0;
  /** Frames left in the current stage (attack, decay, release). */
  private left = 0;
  // A curved segment is level = to + scale · (g - CURVE_END), g shrinking by `ratio` per frame.
  private to = 0;
  private scale = 0;
  private g = 1;
  private ratio = 1;

  /** Starts a note whose key is held for `gateFrames` frames. */
  start(adsr: Adsr, gateFrames: number, sampleRate: number): void {
    this.attackFrames = Math.round((adsr.attackMs * sampleRate) / 1000);
    this.decayFrames = Math.round((adsr.decayMs * sampleRate) / 1000);
    this.releaseFrames = Math.round((adsr.releaseMs * sampleRate) / 1000);
    this.sustain = adsr.sustain;
    this.untilGate = gateFrames;
    this.level = 0;
    this.stage = ATTACK;
    this.left = this.attackFrames;
  }

  /** Writes the next `n` envelope values. */
  fill(out: Float64Array, n: number): void {
    let i = 0;
    while (i < n) {
      if (this.untilGate === 0 && this.stage < RELEASE) this.enter(RELEASE);
      while (this.left === 0 && this.stage !== SUSTAIN && this.stage !== DONE) this.next();
      const open = this.stage === SUSTAIN || this.stage === DONE;
      let run = n - i;
      if (!open && this.left < run) run = this.left;
      if (this.untilGate > 0 && this.untilGate < run) run = this.untilGate;
      const end = i + run;
      if (this.stage === ATTACK) i = this.attackRun(out, i, end);
      else if (open) for (; i < end; i++) out[i] = this.level;
      else i = this.curveRun(out, i, end);
      if (!open) this.left -= run;
      this.untilGate -= run;
    }
  }

  private attackRun(out: Float64Array, from: number, end: number): number {
    // Linear from the level at attack start to 1 over the remaining frames.
    const step = (1 - this.level) / this.left;
    let level = this.level;
    for (let i = from; i < end; i++) out[i] = level += step;
    this.level = end - from === this.left ? 1 : level;
    return end;
  }

  private curveRun(out: Float64Array, from: number, end: number): number {
    const { to, scale, ratio } = this;
    let g = this.g;
    for (let i = from; i < end; i++) {
      g *= ratio;
      out[i] = to + scale * (g - CURVE_END);
    }
    this.g = g;
    // Land exactly on the target at the end of the segment rather than within rounding of it.
    this.level = end - from === this.left ? to : to + scale * (g - CURVE_END);
    if (end - from === this.left) out[end - 1] = to;
    return end;
  }

  private next(): void {
    if (this.stage === ATTACK) {
      this.level = 1;
      this.enter(DECAY);
    } else if (this.stage === DECAY) this.enter(SUSTAIN);
    else this.enter(DONE);
  }

  private enter(stage: number): void {
    this.stage = stage;
    if (stage === DECAY) this.curve(this.sustain, this.decayFrames);
    else if (stage === RELEASE) this.curve(0, this.releaseFrames);
    else if (stage === SUSTAIN) this.level = this.sustain;
    else if (stage === DONE) this.level = 0;
  }

  private curve(to: number, frames: number): void {
    this.to = to;
    this.scale = (this.level - to) / (1 - CURVE_END);
    this.left = frames;
    this.g = 1;
    this.ratio = frames > 0 ? Math.exp(-CURVE / frames) : 0;
    if (frames === 0) this.level = to;
  }
}
