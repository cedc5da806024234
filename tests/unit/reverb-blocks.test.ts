import { Reverb } from '../../src/dawg/audio/dsp';

/*
 * The reverb runs each delay line over a block at a time. Reference: Freeverb one sample at a
 * time through every comb and allpass (the textbook loop, as the engine ran it before), with
 * the same tunings. The block version must give the same samples, to the bit.
 */
const COMBS = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
const ALLPASSES = [556, 441, 341, 225];

function referenceReverb(channels: Float32Array[], rate: number, p: { roomSize: number; damping: number; wet: number; dry: number; preDelayMs: number }): void {
  const scale = rate / 44_100;
  const feedback = 0.7 + 0.28 * p.roomSize;
  const damp = 0.4 * p.damping;
  const tanks = channels.map((_, c) => ({
    combs: COMBS.map((t) => ({ buf: new Float64Array(Math.max(1, Math.round((t + 23 * c) * scale))), pos: 0, filter: 0 })),
    allpasses: ALLPASSES.map((t) => ({ buf: new Float64Array(Math.max(1, Math.round((t + 23 * c) * scale))), pos: 0 })),
  }));
  const delay = new Float64Array(Math.round((p.preDelayMs * rate) / 1000) + 1);
  let dpos = 0;
  const inputGain = (0.015 * 2) / channels.length;
  for (let i = 0; i < channels[0]!.length; i++) {
    let sum = 0;
    for (const ch of channels) sum += ch[i]!;
    delay[dpos] = sum * inputGain;
    dpos = dpos + 1 === delay.length ? 0 : dpos + 1;
    const input = delay[dpos]!;
    channels.forEach((ch, c) => {
      let out = 0;
      for (const comb of tanks[c]!.combs) {
        const delayed = comb.buf[comb.pos]!;
        comb.filter = delayed * (1 - damp) + comb.filter * damp;
        comb.buf[comb.pos] = input + comb.filter * feedback;
        comb.pos = comb.pos + 1 === comb.buf.length ? 0 : comb.pos + 1;
        out += delayed;
      }
      for (const ap of tanks[c]!.allpasses) {
        const delayed = ap.buf[ap.pos]!;
        ap.buf[ap.pos] = out + delayed * 0.5;
        ap.pos = ap.pos + 1 === ap.buf.length ? 0 : ap.pos + 1;
        out = delayed - out;
      }
      ch[i] = ch[i]! * p.dry + out * (p.wet * 3);
    });
  }
}

function noiseBursts(frames: number, seed: number): Float32Array {
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out[i] = (Math.floor(i / 3_000) % 2 === 0 ? 0.4 : 0) * (seed / 2 ** 31 - 1);
  }
  return out;
}

const bytes = (c: Float32Array) => Buffer.from(c.buffer, c.byteOffset, c.byteLength);

describe('Reverb in blocks', () => {
  it.each([
    ['stereo 48 kHz with pre-delay', 48_000, 2, { roomSize: 0.8, damping: 0.3, wet: 0.4, dry: 0.9, preDelayMs: 25 }],
    ['mono 44.1 kHz, defaults', 44_100, 1, { roomSize: 0.5, damping: 0.5, wet: 0.3, dry: 1, preDelayMs: 0 }],
    ['stereo 8 kHz (delay lines shorter than a block)', 8_000, 2, { roomSize: 1, damping: 0, wet: 1, dry: 0, preDelayMs: 3 }],
  ] as const)('gives the per-sample result to the bit: %s', (_name, rate, channelCount, params) => {
    const frames = 3 * 1_024 + 517; // not a whole number of blocks
    const source = Array.from({ length: channelCount }, (_, c) => noiseBursts(frames, 11 + c));
    const expected = source.map((c) => c.slice());
    referenceReverb(expected, rate, params);
    const whole = source.map((c) => c.slice());
    new Reverb(params, rate, channelCount).process(whole);
    // The same signal streamed in uneven pieces through one Reverb.
    const streamed = source.map((c) => c.slice());
    const reverb = new Reverb(params, rate, channelCount);
    for (const [from, to] of [[0, 1], [1, 700], [700, 2_048], [2_048, frames]] as const) reverb.process(streamed.map((c) => c.subarray(from, to)));
    for (let c = 0; c < channelCount; c++) {
      expect(bytes(whole[c]!).equals(bytes(expected[c]!))).toBe(true);
      expect(bytes(streamed[c]!).equals(bytes(expected[c]!))).toBe(true);
    }
    expect(expected[0]!.some((v, i) => v !== source[0]![i])).toBe(true);
  });
});
