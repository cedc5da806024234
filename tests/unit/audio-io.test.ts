import { InvalidError } from '../../src/common/errors';
import {
  type AudioData,
  type BitDepth,
  type SampleFormat,
  SUPPORTED_SAMPLE_RATES,
} from '../../src/dawg/audio/types';
import { decodeWav, encodeWav, type MidiSong, readMidi, resample, writeMidi } from '../../src/dawg/audio/io';
import { mulberry32 } from '../helpers/random';

// ---------- helpers ----------

const rng = mulberry32;

function invalid(fn: () => unknown): InvalidError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidError);
    return e as InvalidError;
  }
  throw new Error('expected an InvalidError, nothing was thrown');
}

function chunk(id: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload, Buffer.alloc(payload.length & 1)]);
}

function riff(chunks: Buffer[], form = 'WAVE'): Buffer {
  const body = Buffer.concat([Buffer.from(form, 'latin1'), ...chunks]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

interface FmtFields {
  tag: number;
  channels: number;
  rate: number;
  bits: number;
  blockAlign?: number;
}

function fmt({ tag, channels, rate, bits, blockAlign = (channels * bits) / 8 }: FmtFields): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE((rate * blockAlign) % 2 ** 32, 8);
  b.writeUInt16LE(blockAlign, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

function fmtExtensible(f: Omit<FmtFields, 'tag'>, subFormat: number, guidTail = GUID_TAIL): Buffer {
  const ext = Buffer.alloc(24);
  ext.writeUInt16LE(22, 0);
  ext.writeUInt16LE(f.bits, 2);
  ext.writeUInt32LE(f.channels === 2 ? 0x3 : 0x4, 4);
  ext.writeUInt16LE(subFormat, 8);
  Buffer.from(guidTail).copy(ext, 10);
  return Buffer.concat([fmt({ ...f, tag: 0xfffe }), ext]);
}

/** Interleaved little-endian PCM from per-channel integer samples. */
function pcmBytes(channels: number[][], bits: 16 | 24): Buffer {
  const bytes = bits / 8;
  const frames = channels[0]!.length;
  const out = Buffer.alloc(frames * channels.length * bytes);
  for (let i = 0; i < frames; i++) {
    channels.forEach((ch, c) => out.writeIntLE(ch[i]!, (i * channels.length + c) * bytes, bytes));
  }
  return out;
}

function floatBytes(channels: number[][]): Buffer {
  const frames = channels[0]!.length;
  const out = Buffer.alloc(frames * channels.length * 4);
  for (let i = 0; i < frames; i++) channels.forEach((ch, c) => out.writeFloatLE(ch[i]!, (i * channels.length + c) * 4));
  return out;
}

function randomInts(frames: number, bits: number, next: () => number): number[] {
  const full = 2 ** (bits - 1);
  const values = Array.from({ length: frames }, () => Math.floor(next() * 2 * full) - full);
  values[0] = -full;
  values[1] = full - 1;
  values[2] = 0;
  return values;
}

function randomAudio(sampleRate: number, channels: number, frames: number, seed: number): AudioData {
  const next = rng(seed);
  return {
    sampleRate,
    channels: Array.from({ length: channels }, () => Float32Array.from({ length: frames }, () => next() * 1.9 - 0.95)),
  };
}

/** Bound once: Jest 30 guards the global `Math`, and a lookup per sample is slow there. */
const { sin, PI } = Math;

function sine(rate: number, freq: number, seconds: number, amplitude: number): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * sin((2 * PI * freq * i) / rate);
  return out;
}

/** RMS over the middle `seconds` of a signal, clear of the edge transients. */
function middleRms(x: Float32Array, rate: number, seconds: number): number {
  const n = Math.round(rate * seconds);
  const start = Math.floor((x.length - n) / 2);
  let sum = 0;
  for (let i = start; i < start + n; i++) sum += x[i]! * x[i]!;
  return Math.sqrt(sum / n);
}

/** Frequency from the first and last rising zero crossings in the middle half, interpolated between samples. */
function zeroCrossingFrequency(x: Float32Array, rate: number): number {
  const crossings: number[] = [];
  for (let i = Math.floor(x.length / 4); i < Math.floor((3 * x.length) / 4); i++) {
    const a = x[i]!;
    const b = x[i + 1]!;
    if (a < 0 && b >= 0) crossings.push(i + a / (a - b));
  }
  return ((crossings.length - 1) * rate) / (crossings[crossings.length - 1]! - crossings[0]!);
}

const db = (ratio: number): number => 20 * Math.log10(ratio);

// ---------- WAV ----------

const FORMATS: [BitDepth, SampleFormat][] = [
  [16, 'pcm'],
  [24, 'pcm'],
  [32, 'float'],
];
const CASES = FORMATS.flatMap(([bitDepth, format]) =>
  [1, 2].flatMap((channels) => SUPPORTED_SAMPLE_RATES.map((rate) => ({ bitDepth, format, channels, rate }))),
);

describe('WAV round trips', () => {
  it.each(CASES)('$bitDepth-bit $format, $channels ch, $rate Hz: encode → decode → encode is stable', ({ bitDepth, format, channels, rate }) => {
    // 1001 frames: odd, so 24-bit mono has an odd data chunk and needs the pad byte.
    const audio = randomAudio(rate, channels, 1001, bitDepth * 1000 + channels * 10 + rate);
    const first = encodeWav(audio, { bitDepth, format });
    expect(first.length % 2).toBe(0);
    const decoded = decodeWav(first);
    expect(decoded.bitDepth).toBe(bitDepth);
    expect(decoded.format).toBe(format);
    expect(decoded.audio.sampleRate).toBe(rate);
    expect(decoded.audio.channels).toHaveLength(channels);
    const lsb = format === 'float' ? 0 : 2 ** -(bitDepth - 1);
    decoded.audio.channels.forEach((ch, c) => {
      expect(ch).toHaveLength(1001);
      const original = audio.channels[c]!;
      if (format === 'float') expect(ch).toEqual(original);
      else ch.forEach((v, i) => expect(Math.abs(v - original[i]!)).toBeLessThanOrEqual(lsb / 2));
    });
    expect(encodeWav(decoded.audio, { bitDepth, format }).equals(first)).toBe(true);
  });

  it.each([
    [16, 1],
    [16, 2],
    [24, 1],
    [24, 2],
  ] as const)('a canonical %i-bit %i-channel PCM file decodes and re-encodes to identical bytes', (bits, channelCount) => {
    const next = rng(bits + channelCount);
    const ints = Array.from({ length: channelCount }, () => randomInts(777, bits, next));
    const file = riff([chunk('fmt ', fmt({ tag: 1, channels: channelCount, rate: 48_000, bits })), chunk('data', pcmBytes(ints, bits))]);
    const decoded = decodeWav(file);
    decoded.audio.channels.forEach((ch, c) => ch.forEach((v, i) => expect(v * 2 ** (bits - 1)).toBe(ints[c]![i])));
    expect(encodeWav(decoded.audio, { bitDepth: bits, format: 'pcm' }).equals(file)).toBe(true);
  });

  it('decodes a hand-built minimal 16-bit mono file to the expected samples', () => {
    const file = riff([
      chunk('fmt ', fmt({ tag: 1, channels: 1, rate: 44_100, bits: 16 })),
      chunk('data', pcmBytes([[0, 16384, -16384, 32767, -32768, 1]], 16)),
    ]);
    expect(file.length).toBe(44 + 12);
    const { audio, bitDepth, format } = decodeWav(file);
    expect({ bitDepth, format, sampleRate: audio.sampleRate }).toEqual({ bitDepth: 16, format: 'pcm', sampleRate: 44_100 });
    expect(Array.from(audio.channels[0]!)).toEqual([0, 0.5, -0.5, 32767 / 32768, -1, 1 / 32768]);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE PCM and float', () => {
    const ints = [[100, -200, 8_388_607], [-8_388_608, 0, 5]];
    const pcm = decodeWav(riff([chunk('fmt ', fmtExtensible({ channels: 2, rate: 96_000, bits: 24 }, 1)), chunk('data', pcmBytes(ints, 24))]));
    expect(pcm).toMatchObject({ bitDepth: 24, format: 'pcm' });
    expect(Array.from(pcm.audio.channels[1]!).map((v) => v * 8_388_608)).toEqual(ints[1]);
    const floats = [[0.25, -0.5, 1.5]];
    const flt = decodeWav(riff([chunk('fmt ', fmtExtensible({ channels: 1, rate: 48_000, bits: 32 }, 3)), chunk('data', floatBytes(floats))]));
    expect(flt).toMatchObject({ bitDepth: 32, format: 'float' });
    expect(Array.from(flt.audio.channels[0]!)).toEqual(floats[0]);
  });

  it('skips unknown chunks, honouring the pad byte of odd-sized ones, wherever they sit', () => {
    const data = pcmBytes([[1, 2, 3]], 16);
    const file = riff([
      chunk('JUNK', Buffer.alloc(5, 0xaa)),
      chunk('fmt ', fmt({ tag: 1, channels: 1, rate: 44_100, bits: 16 })),
      chunk('LIST', Buffer.from('INFOISFT\x03\x00\x00\x00ab\x00', 'latin1')),
      chunk('data', data),
      chunk('id3 ', Buffer.alloc(7, 1)),
    ]);
    expect(Array.from(decodeWav(file).audio.channels[0]!).map((v) => v * 32768)).toEqual([1, 2, 3]);
  });

  it('writes 32-bit float with a fact chunk and bit-exact samples, headroom above 1 included', () => {
    const audio: AudioData = { sampleRate: 48_000, channels: [Float32Array.of(1.5, -2, 1e-30, 0.1)] };
    const file = encodeWav(audio, { bitDepth: 32, format: 'float' });
    expect(file.toString('latin1', 38, 42)).toBe('fact');
    expect(decodeWav(file).audio.channels[0]).toEqual(audio.channels[0]);
  });

  it('clips PCM to [-1, 1) and rounds to the nearest step', () => {
    const audio: AudioData = { sampleRate: 44_100, channels: [Float32Array.of(1, -1, 1.5, -3, 0.5 / 32768 + 1e-7, -0.4 / 32768)] };
    const samples = Array.from(decodeWav(encodeWav(audio, { bitDepth: 16, format: 'pcm' })).audio.channels[0]!).map((v) => v * 32768);
    expect(samples).toEqual([32767, -32768, 32767, -32768, 1, 0]);
  });

  it('dithers only when asked, with TPDF noise of at most ±1 LSB that a seed reproduces', () => {
    const quiet: AudioData = { sampleRate: 48_000, channels: [new Float32Array(20_000).fill(0.3 / 32768)] };
    const plain = decodeWav(encodeWav(quiet, { bitDepth: 16, format: 'pcm' })).audio.channels[0]!;
    expect(plain.every((v) => v === 0)).toBe(true);
    const a = encodeWav(quiet, { bitDepth: 16, format: 'pcm', dither: true, ditherSeed: 7 });
    expect(a.equals(encodeWav(quiet, { bitDepth: 16, format: 'pcm', dither: true, ditherSeed: 7 }))).toBe(true);
    expect(a.equals(encodeWav(quiet, { bitDepth: 16, format: 'pcm', dither: true, ditherSeed: 8 }))).toBe(false);
    const dithered = Array.from(decodeWav(a).audio.channels[0]!).map((v) => v * 32768);
    expect(Math.min(...dithered)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...dithered)).toBeLessThanOrEqual(2);
    // TPDF dither is unbiased: the mean recovers the sub-LSB level.
    expect(dithered.reduce((s, v) => s + v, 0) / dithered.length).toBeCloseTo(0.3, 1);
  });

  // Its speed is in npm run bench:audio (the 24-bit encode is timed in the master chain), not in a timed unit test.
  it('decodes and encodes 3 minutes of 48 kHz 24-bit stereo', () => {
    const audio: AudioData = { sampleRate: 48_000, channels: [sine(48_000, 440, 180, 0.5), sine(48_000, 660, 180, 0.5)] };
    const decoded = decodeWav(encodeWav(audio, { bitDepth: 24, format: 'pcm' }));
    expect(decoded.audio.channels[1]).toHaveLength(48_000 * 180);
    // 24-bit PCM keeps a 0.5 sine within half a step of 2^-23.
    let worst = 0;
    for (let i = 0; i < audio.channels[1]!.length; i += 997) worst = Math.max(worst, Math.abs(decoded.audio.channels[1]![i]! - audio.channels[1]![i]!));
    expect(worst).toBeLessThanOrEqual(2 ** -23);
  });
});

describe('WAV validation', () => {
  const good = (): Buffer => encodeWav(randomAudio(48_000, 2, 100, 1), { bitDepth: 16, format: 'pcm' });
  const withFmt = (f: Buffer, data = pcmBytes([[1, 2]], 16)): Buffer => riff([chunk('fmt ', f), chunk('data', data)]);

  it.each<[string, () => Buffer, RegExp]>([
    ['a non-RIFF buffer', () => Buffer.from('ID3\x04\x00 this is an mp3 file, honest', 'latin1'), /not a RIFF file \(it starts with "ID3\\x04"/],
    ['a RIFF that is not WAVE', () => riff([], 'AVI '), /form type is "AVI "/],
    ['a header cut short', () => good().subarray(0, 10), /truncated RIFF header: 10 bytes/],
    ['a chunk header cut short', () => good().subarray(0, 16), /truncated chunk header at byte 12/],
    ['a truncated fmt chunk', () => good().subarray(0, 30), /truncated "fmt " chunk at byte 12: it declares 16 bytes, only 10 follow/],
    ['a truncated data chunk', () => good().subarray(0, 300), /truncated "data" chunk at byte 36: it declares 400 bytes, only 256 follow/],
    ['μ-law', () => withFmt(fmt({ tag: 7, channels: 1, rate: 8_000, bits: 8 })), /unsupported format code 0x0007 \(μ-law\)/],
    ['ADPCM', () => withFmt(fmt({ tag: 2, channels: 1, rate: 44_100, bits: 4, blockAlign: 256 })), /0x0002 \(Microsoft ADPCM\)/],
    ['MP3 inside EXTENSIBLE', () => withFmt(fmtExtensible({ channels: 1, rate: 44_100, bits: 16 }, 0x55)), /0x0055 \(MPEG Layer 3\)/],
    ['an unknown EXTENSIBLE GUID', () => withFmt(fmtExtensible({ channels: 1, rate: 44_100, bits: 16 }, 1, GUID_TAIL.map((b) => b ^ 1))), /unknown sub-format GUID/],
    ['8-bit PCM', () => withFmt(fmt({ tag: 1, channels: 1, rate: 44_100, bits: 8 }), Buffer.from([1, 2])), /8-bit integer PCM is not supported/],
    ['64-bit float', () => withFmt(fmt({ tag: 3, channels: 1, rate: 44_100, bits: 64 }), Buffer.alloc(16)), /64-bit float is not supported/],
    ['0 channels', () => withFmt(fmt({ tag: 1, channels: 0, rate: 44_100, bits: 16, blockAlign: 2 })), /declares 0 channels/],
    ['6 channels', () => withFmt(fmt({ tag: 1, channels: 6, rate: 48_000, bits: 16 }), Buffer.alloc(24)), /6 channels; only mono and stereo/],
    ['a sample rate of 0', () => withFmt(fmt({ tag: 1, channels: 1, rate: 0, bits: 16 })), /sample rate 0 Hz/],
    ['an absurd sample rate', () => withFmt(fmt({ tag: 1, channels: 1, rate: 4_000_000_000, bits: 16 })), /sample rate 4000000000 Hz: the rate must be an integer from 8000 to 384000 Hz/],
    ['a wrong block align', () => withFmt(fmt({ tag: 1, channels: 2, rate: 44_100, bits: 16, blockAlign: 2 })), /block align is 2, expected 4/],
    ['a short fmt chunk', () => withFmt(Buffer.alloc(14)), /"fmt " chunk is 14 bytes, at least 16/],
    ['no fmt chunk', () => riff([chunk('data', Buffer.alloc(4))]), /no "fmt " chunk/],
    ['no data chunk', () => riff([chunk('fmt ', fmt({ tag: 1, channels: 1, rate: 44_100, bits: 16 }))]), /no "data" chunk/],
    ['0-length data', () => withFmt(fmt({ tag: 1, channels: 1, rate: 44_100, bits: 16 }), Buffer.alloc(0)), /"data" chunk is empty/],
    ['a partial frame', () => withFmt(fmt({ tag: 1, channels: 2, rate: 44_100, bits: 24 }), Buffer.alloc(10)), /10 bytes, not a whole number of 6-byte frames/],
    ['two data chunks', () => riff([chunk('fmt ', fmt({ tag: 1, channels: 1, rate: 44_100, bits: 16 })), chunk('data', Buffer.alloc(2)), chunk('data', Buffer.alloc(2))]), /more than one "data" chunk/],
    ['NaN float samples', () => withFmt(fmt({ tag: 3, channels: 1, rate: 48_000, bits: 32 }), floatBytes([[0, NaN]])), /channel 0 sample 1 is NaN/],
    ['infinite float samples', () => withFmt(fmt({ tag: 3, channels: 2, rate: 48_000, bits: 32 }), floatBytes([[0, 1], [-Infinity, 0]])), /channel 1 sample 0 is -Infinity/],
    ['a RIFF size too small for any chunk', () => Buffer.concat([Buffer.from('RIFF\x00\x00\x00\x00', 'latin1'), good().subarray(8)]), /RIFF header declares 0 bytes, too few/],
    ['RF64', () => Buffer.concat([Buffer.from('RF64', 'latin1'), good().subarray(4)]), /RF64/],
  ])('rejects %s', (_name, build, message) => {
    const error = invalid(() => decodeWav(build()));
    expect(error.message).toMatch(/^Invalid WAV file: /);
    expect(error.message).toMatch(message);
    expect(error.status).toBe(400);
  });

  it('rejects a file whose RIFF size promises more than is there', () => {
    const file = riff([chunk('fmt ', fmt({ tag: 1, channels: 1, rate: 44_100, bits: 16 })), chunk('data', Buffer.alloc(4)), chunk('LIST', Buffer.alloc(10))]);
    expect(invalid(() => decodeWav(file.subarray(0, file.length - 18))).message).toMatch(/RIFF header declares \d+ bytes, the file has \d+/);
  });

  it.each<[string, AudioData, Parameters<typeof encodeWav>[1], RegExp]>([
    ['NaN samples', { sampleRate: 48_000, channels: [Float32Array.of(0, NaN)] }, { bitDepth: 24, format: 'pcm' }, /channel 0 sample 1 is NaN/],
    ['infinite float samples', { sampleRate: 48_000, channels: [Float32Array.of(Infinity)] }, { bitDepth: 32, format: 'float' }, /sample 0 is Infinity/],
    ['no samples', { sampleRate: 48_000, channels: [new Float32Array(0)] }, { bitDepth: 16, format: 'pcm' }, /no samples/],
    ['three channels', { sampleRate: 48_000, channels: [new Float32Array(1), new Float32Array(1), new Float32Array(1)] }, { bitDepth: 16, format: 'pcm' }, /1 \(mono\) or 2 \(stereo\) channels, got 3/],
    ['unequal channels', { sampleRate: 48_000, channels: [new Float32Array(2), new Float32Array(1)] }, { bitDepth: 16, format: 'pcm' }, /channels\.1: has 1 samples, channel 0 has 2/],
    ['an absurd rate', { sampleRate: 12.5, channels: [new Float32Array(1)] }, { bitDepth: 16, format: 'pcm' }, /audio\.sampleRate: must be an integer/],
    ['16-bit float', { sampleRate: 48_000, channels: [new Float32Array(1)] }, { bitDepth: 16, format: 'float' }, /options\.bitDepth: float is stored as 32 bit/],
    ['dithered float', { sampleRate: 48_000, channels: [new Float32Array(1)] }, { bitDepth: 32, format: 'float', dither: true }, /options\.dither: dither applies to PCM only/],
  ])('encodeWav rejects %s', (_name, audio, options, message) => {
    expect(invalid(() => encodeWav(audio, options)).message).toMatch(message);
  });
});

// ---------- MIDI ----------

describe('MIDI', () => {
  const song: MidiSong = {
    ppq: 480,
    tempoBpm: 128,
    tracks: [
      {
        name: 'Lead – Ω',
        channel: 0,
        program: 81,
        notes: [
          { pitch: 60, velocity: 100, startBeats: 0, durationBeats: 1 },
          { pitch: 64, velocity: 90, startBeats: 0, durationBeats: 0.5 },
          { pitch: 67, velocity: 80, startBeats: 0, durationBeats: 2.25 },
          // Same pitch again exactly where the first ends: the off must come before the new on.
          { pitch: 60, velocity: 127, startBeats: 1, durationBeats: 0.25 },
          { pitch: 72, velocity: 1, startBeats: 3.5, durationBeats: 0 },
          { pitch: 0, velocity: 64, startBeats: 1000, durationBeats: 0.125 },
        ],
      },
      { name: 'Drums', channel: 9, notes: [{ pitch: 36, velocity: 110, startBeats: 0.5, durationBeats: 1 / 480 }] },
      { name: 'Empty', channel: 0, notes: [] },
    ],
  };

  it('keeps ppq, tempo, names, channels, programs and every note through write → read', () => {
    const read = readMidi(writeMidi(song));
    expect(read.ppq).toBe(480);
    expect(read.tempoBpm).toBe(128);
    expect(read.tracks).toHaveLength(3);
    expect(read.tracks[0]).toEqual({ ...song.tracks[0], notes: [...song.tracks[0]!.notes].sort((a, b) => a.startBeats - b.startBeats || a.pitch - b.pitch) });
    expect(read.tracks[1]).toEqual(song.tracks[1]);
    expect(read.tracks[2]).toEqual({ name: 'Empty', channel: 0, notes: [] });
    expect(writeMidi(read).equals(writeMidi(song))).toBe(true);
  });

  it('rounds times to ticks and tempo to whole microseconds per beat', () => {
    const read = readMidi(writeMidi({ ppq: 96, tempoBpm: 123.4, tracks: [{ channel: 2, notes: [{ pitch: 50, velocity: 5, startBeats: 0.3, durationBeats: 0.3 }] }] }));
    expect(read.tempoBpm).toBeCloseTo(123.4, 3);
    expect(read.tracks[0]!.notes[0]).toEqual({ pitch: 50, velocity: 5, startBeats: 29 / 96, durationBeats: 29 / 96 });
  });

  it('reads a hand-built format-0 file: running status, note-on velocity 0, split by channel, unknown chunks skipped', () => {
    const track = Buffer.from([
      0x00, 0xff, 0x03, 0x04, 0x53, 0x6f, 0x6e, 0x67, // name "Song"
      0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20, // 500000 us per beat = 120 BPM
      0x00, 0xc1, 0x21, // program 33 on channel 1
      0x00, 0x90, 0x3c, 0x64, // C4 on, channel 0
      0x00, 0x40, 0x50, // running status: E4 on
      0x83, 0x60, 0x3c, 0x00, // 480 ticks later: C4 off as note-on velocity 0
      0x00, 0x91, 0x28, 0x70, // E2 on, channel 1
      0x81, 0x70, 0x81, 0x28, 0x00, // 240 ticks later: E2 off
      0x00, 0xff, 0x2f, 0x00, // end of track (E4 never released: ends here)
    ]);
    const header = Buffer.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0]);
    const alien = Buffer.concat([Buffer.from('XFIH\x00\x00\x00\x03abc', 'latin1')]);
    const trackHead = Buffer.from([0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, track.length]);
    const read = readMidi(Buffer.concat([header, alien, trackHead, track]));
    expect(read).toEqual({
      ppq: 480,
      tempoBpm: 120,
      tracks: [
        {
          name: 'Song',
          channel: 0,
          notes: [
            { pitch: 60, velocity: 100, startBeats: 0, durationBeats: 1 },
            { pitch: 64, velocity: 80, startBeats: 0, durationBeats: 1.5 },
          ],
        },
        { name: 'Song', channel: 1, program: 33, notes: [{ pitch: 40, velocity: 112, startBeats: 1, durationBeats: 0.5 }] },
      ],
    });
  });

  // Correctness at size only: speed belongs in benchmarks, not in a timed unit test on a noisy machine.
  it('round-trips 20,000 notes exactly', () => {
    const notes = Array.from({ length: 20_000 }, (_, i) => ({ pitch: 40 + (i % 40), velocity: 1 + (i % 127), startBeats: i * 0.5, durationBeats: 0.25 }));
    const read = readMidi(writeMidi({ ppq: 960, tempoBpm: 90, tracks: [{ channel: 3, notes }] }));
    expect(read.tracks[0]!.notes).toEqual(notes);
  });

  const valid = (): Buffer => writeMidi(song);
  const header = (format: number, tracks: number, division: number): Buffer => {
    const b = Buffer.from('MThd\0\0\0\x06\0\0\0\0\0\0', 'latin1');
    b.writeUInt16BE(format, 8);
    b.writeUInt16BE(tracks, 10);
    b.writeUInt16BE(division, 12);
    return b;
  };
  const mtrk = (body: number[]): Buffer => Buffer.concat([Buffer.from('MTrk', 'latin1'), Buffer.from([0, 0, 0, body.length]), Buffer.from(body)]);

  it.each<[string, () => Buffer, RegExp]>([
    ['a WAV file', () => encodeWav(randomAudio(44_100, 1, 10, 3), { bitDepth: 16, format: 'pcm' }), /not a Standard MIDI File \(it starts with "RIFF"/],
    ['a header cut short', () => valid().subarray(0, 10), /truncated header: 10 bytes/],
    ['a truncated track', () => valid().subarray(0, 60), /truncated "MTrk" chunk at byte \d+: it declares \d+ bytes, only \d+ follow/],
    ['a missing track', () => valid().subarray(0, 14 + 19), /declares 4 tracks, the file holds 1/],
    ['format 2', () => Buffer.concat([header(2, 1, 480), mtrk([0, 0xff, 0x2f, 0])]), /format 2/],
    ['SMPTE time division', () => Buffer.concat([header(1, 1, 0xe728), mtrk([0, 0xff, 0x2f, 0])]), /SMPTE time division/],
    ['0 ticks per beat', () => Buffer.concat([header(1, 1, 0), mtrk([0, 0xff, 0x2f, 0])]), /ticks per quarter note is 0/],
    ['0 tracks', () => header(1, 0, 480), /declares 0 tracks/],
    ['a cut-off event', () => Buffer.concat([header(0, 1, 480), mtrk([0, 0x90, 0x3c])]), /track 0 has a malformed noteOn event at tick 0/],
    ['running status with no status', () => Buffer.concat([header(0, 1, 480), mtrk([0, 0x3c, 0x40])]), /Unrecognised MIDI event type/],
  ])('rejects %s', (_name, build, message) => {
    const error = invalid(() => readMidi(build()));
    expect(error.message).toMatch(/^Invalid MIDI file: /);
    expect(error.message).toMatch(message);
  });

  it('rejects a song it cannot write, naming the field', () => {
    const bad = { ppq: 480, tempoBpm: 120, tracks: [{ channel: 16, notes: [{ pitch: 128, velocity: 0, startBeats: -1, durationBeats: 1 }] }] };
    const message = invalid(() => writeMidi(bad)).message;
    for (const field of ['song.tracks.0.channel', 'song.tracks.0.notes.0.pitch', 'song.tracks.0.notes.0.velocity', 'song.tracks.0.notes.0.startBeats']) {
      expect(message).toContain(field);
    }
  });
});

// ---------- resampling ----------

describe('resample', () => {
  it('takes a 1 kHz sine 44.1k → 48k → 44.1k keeping level within 0.1 dB and frequency', () => {
    const input: AudioData = { sampleRate: 44_100, channels: [sine(44_100, 1_000, 1, 0.5), sine(44_100, 1_000, 1, -0.25)] };
    const up = resample(input, 48_000);
    expect(up.sampleRate).toBe(48_000);
    expect(up.channels[0]).toHaveLength(48_000);
    const back = resample(up, 44_100);
    expect(back.channels[1]).toHaveLength(44_100);
    for (const [signal, rate] of [
      [up.channels[0]!, 48_000],
      [back.channels[0]!, 44_100],
    ] as const) {
      expect(Math.abs(db(middleRms(signal, rate, 0.5) / (0.5 / Math.SQRT2)))).toBeLessThan(0.1);
      expect(zeroCrossingFrequency(signal, rate)).toBeCloseTo(1_000, 2);
    }
    expect(Math.abs(db(middleRms(back.channels[1]!, 44_100, 0.5) / (0.25 / Math.SQRT2)))).toBeLessThan(0.1);
    // Zero phase: the round trip lines up sample for sample away from the edges.
    let worst = 0;
    for (let i = 1_000; i < 43_000; i++) worst = Math.max(worst, Math.abs(back.channels[0]![i]! - input.channels[0]![i]!));
    expect(worst).toBeLessThan(1e-3);
  });

  it('keeps a 20 kHz tone going 48k → 44.1k', () => {
    const out = resample({ sampleRate: 48_000, channels: [sine(48_000, 20_000, 1, 0.5)] }, 44_100);
    expect(Math.abs(db(middleRms(out.channels[0]!, 44_100, 0.5) / (0.5 / Math.SQRT2)))).toBeLessThan(0.1);
    expect(zeroCrossingFrequency(out.channels[0]!, 44_100)).toBeCloseTo(20_000, 0);
  });

  it.each([22_200, 23_000, 23_900])('attenuates %i Hz, above the new Nyquist, by at least 60 dB going 48k → 44.1k', (freq) => {
    const out = resample({ sampleRate: 48_000, channels: [sine(48_000, freq, 1, 0.5)] }, 44_100);
    expect(db(middleRms(out.channels[0]!, 44_100, 0.5) / (0.5 / Math.SQRT2))).toBeLessThan(-60);
  });

  it.each([44_100, 48_000])('upsamples %i → 96k without images above the old Nyquist', (rate) => {
    const out = resample({ sampleRate: rate, channels: [sine(rate, 10_000, 1, 0.5)] }, 96_000).channels[0]!;
    expect(out).toHaveLength(96_000);
    expect(Math.abs(db(middleRms(out, 96_000, 0.5) / (0.5 / Math.SQRT2)))).toBeLessThan(0.1);
    // An image would sit at rate - 10 kHz; a single-bin DFT over whole periods measures it.
    const image = rate - 10_000;
    let re = 0;
    let im = 0;
    for (let i = 24_000; i < 72_000; i++) {
      re += out[i]! * Math.cos((2 * Math.PI * image * i) / 96_000);
      im += out[i]! * Math.sin((2 * Math.PI * image * i) / 96_000);
    }
    const amplitude = (2 * Math.hypot(re, im)) / 48_000;
    expect(db(amplitude / 0.5)).toBeLessThan(-60);
  });

  it('handles a ratio with no small fraction (44.1k → 47,993 Hz, a prime) and keeps DC exact', () => {
    const out = resample({ sampleRate: 44_100, channels: [sine(44_100, 1_000, 1, 0.5)] }, 47_993).channels[0]!;
    expect(out).toHaveLength(47_993);
    expect(Math.abs(db(middleRms(out, 47_993, 0.5) / (0.5 / Math.SQRT2)))).toBeLessThan(0.1);
    expect(zeroCrossingFrequency(out, 47_993)).toBeCloseTo(1_000, 1);
    const dc = resample({ sampleRate: 96_000, channels: [new Float32Array(9_600).fill(0.25)] }, 44_100).channels[0]!;
    expect(dc).toHaveLength(4_410);
    for (let i = 500; i < 3_900; i++) expect(dc[i]).toBeCloseTo(0.25, 6);
  });

  it('returns the same audio when the rate already matches, and rejects a bad target', () => {
    const audio: AudioData = { sampleRate: 48_000, channels: [new Float32Array(10)] };
    expect(resample(audio, 48_000)).toBe(audio);
    expect(invalid(() => resample(audio, 0)).message).toMatch(/targetRate: must be an integer from 8000 to 384000 Hz, got 0/);
    expect(invalid(() => resample(audio, 44_100.5)).message).toMatch(/targetRate/);
  });
});
