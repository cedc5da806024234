import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeWav } from '../../src/dawg/audio/io';
import { measureLoudness } from '../../src/dawg/audio/loudness';
import { TrackWaveforms } from '../../src/dawg/audio/track-waveforms';
import type { AudioData } from '../../src/dawg/audio/types';
import { computeWaveform, peakBuckets } from '../../src/dawg/audio/waveform';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { FileStore } from '../../src/dawg/storage';

/*
 * Signals are synthesised; levels of sines are peak levels, so a −20 dBFS sine on both
 * stereo channels reads −20 LUFS (EBU Tech 3341) and has peaks of ±0.1.
 */
const { sin, PI, log10 } = Math;
const RATE = 48_000;

/** [seconds, dBFS or null for digital silence] segments of one continuous 997 Hz sine, on both channels. */
function stereoTone(segments: ReadonlyArray<readonly [seconds: number, dbfs: number | null]>): AudioData {
  const total = segments.reduce((frames, [seconds]) => frames + Math.round(seconds * RATE), 0);
  const left = new Float32Array(total);
  let i = 0;
  for (const [seconds, dbfs] of segments) {
    const amplitude = dbfs === null ? 0 : 10 ** (dbfs / 20);
    const end = i + Math.round(seconds * RATE);
    for (; i < end; i++) left[i] = amplitude * sin((2 * PI * 997 * i) / RATE);
  }
  return { sampleRate: RATE, channels: [left, left.slice()] };
}

describe('computeWaveform', () => {
  it('reads a steady −20 dBFS 997 Hz sine as peaks of ±0.1 and a flat −20 LUFS curve', () => {
    const audio = stereoTone([[10, -20]]);
    const w = computeWaveform(audio, 200);
    expect(w).toMatchObject({ durationSeconds: 10, sampleRate: RATE, channels: 2, points: 200 });
    expect(w.peaks).toHaveLength(200);
    for (const [min, max] of w.peaks) {
      expect(min).toBeCloseTo(-0.1, 3);
      expect(max).toBeCloseTo(0.1, 3);
    }
    // 3 s windows once a second over 10 s: windows starting at 0…7 s.
    expect(w.loudness).toMatchObject({ windowSeconds: 3, hopSeconds: 1 });
    expect(w.loudness.lufs).toHaveLength(8);
    for (const value of w.loudness.lufs) expect(value).toBeCloseTo(-20, 1);
    expect(w.integratedLufs).toBeCloseTo(-20, 1);
    expect(w.truePeakDbtp).toBeCloseTo(-20, 1);
    // The same figures as the analysis stored with an upload, not a second measurement.
    const report = measureLoudness(audio);
    expect(w.integratedLufs).toBe(report.integratedLufs);
    expect(w.truePeakDbtp).toBe(report.truePeakDbtp);
  });

  it('follows a loud burst, a quieter part and silence, in the peaks and in the loudness curve', () => {
    // 4 s at −20 dBFS, 4 s at −40 dBFS, 3 s of silence; 110 buckets of 100 ms.
    const w = computeWaveform(stereoTone([[4, -20], [4, -40], [3, null]]), 110);
    const maxima = w.peaks.map(([, max]) => max);
    for (const max of maxima.slice(0, 40)) expect(max).toBeCloseTo(0.1, 3);
    for (const max of maxima.slice(40, 80)) expect(max).toBeCloseTo(0.01, 3);
    expect(w.peaks.slice(80)).toEqual(Array.from({ length: 30 }, () => [0, 0]));
    // Window i covers [i, i + 3) s: 0–1 all loud, 4–5 all quiet, 6–7 part quiet part silent, 8 silent.
    const [w0, w1, w2, w3, w4, w5, w6, w7, w8, ...rest] = w.loudness.lufs;
    expect(rest).toEqual([]);
    expect(w0).toBeCloseTo(-20, 1);
    expect(w1).toBeCloseTo(-20, 1);
    // Window 2 holds 2 s at −20 and 1 s at −40: 10·log10((2 + 0.01)/3) above −20.
    expect(w2).toBeCloseTo(-20 + 10 * log10(2.01 / 3), 1);
    expect(w3).toBeCloseTo(-20 + 10 * log10(1.02 / 3), 1);
    expect(w4).toBeCloseTo(-40, 1);
    expect(w5).toBeCloseTo(-40, 1);
    expect(w6).toBeCloseTo(-40 + 10 * log10(2 / 3), 1);
    expect(w7).toBeCloseTo(-40 + 10 * log10(1 / 3), 1);
    expect(w8).toBeNull();
    // The relative gate drops the quiet part: integrated loudness is the burst's.
    expect(w.integratedLufs).toBeCloseTo(-20, 0);
  });

  it('has no curve for audio under 3 s and nulls for a signal below the −70 LUFS gate', () => {
    expect(computeWaveform(stereoTone([[2, -20]]), 50).loudness.lufs).toEqual([]);
    const faint = computeWaveform(stereoTone([[4, -75]]), 50);
    expect(faint.loudness.lufs).toEqual([null, null]);
    expect(faint.integratedLufs).toBeNull();
    expect(faint.truePeakDbtp).toBeCloseTo(-75, 0);
  });

  it('gives one bucket per frame when asked for more buckets than there are frames', () => {
    const audio: AudioData = { sampleRate: RATE, channels: [Float32Array.of(0.5, -0.25, 0)] };
    expect(computeWaveform(audio, 800)).toMatchObject({ points: 3, peaks: [[0.5, 0.5], [-0.25, -0.25], [0, 0]] });
  });
});

describe('peakBuckets', () => {
  it('takes min and max across channels, clamps to −1..1, rounds to 4 decimals and never answers −0', () => {
    const left = Float32Array.of(0.2, -1.5, 0.123456, -0.00001);
    const right = Float32Array.of(-0.3, 0.9, 2, -0.00002);
    expect(peakBuckets({ sampleRate: RATE, channels: [left, right] }, 2)).toEqual([
      [-1, 0.9],
      [0, 1],
    ]);
    const [tiny] = peakBuckets({ sampleRate: RATE, channels: [Float32Array.of(-0.00001)] }, 1);
    expect(Object.is(tiny?.[1], -0)).toBe(false);
    expect(tiny).toEqual([0, 0]);
    expect(peakBuckets({ sampleRate: RATE, channels: [Float32Array.of(0.123456, 0)] }, 1)).toEqual([[0, 0.1235]]);
  });

  it('puts every frame in exactly one bucket when the buckets do not divide the frames', () => {
    // A single spike at each position must show up in exactly one of 3 buckets over 10 frames.
    for (let at = 0; at < 10; at++) {
      const samples = new Float32Array(10);
      samples[at] = 1;
      const hits = peakBuckets({ sampleRate: RATE, channels: [samples] }, 3).filter(([, max]) => max === 1);
      expect(hits).toHaveLength(1);
    }
  });
});

describe('TrackWaveforms', () => {
  let dir: string;
  let files: FileStore;
  let pool: AudioWorkerPool;
  let computed: number;
  const counting = () => ({
    waveformFile: (id: string, points: number, signal?: AbortSignal) => {
      computed++;
      return pool.waveformFile(id, points, signal);
    },
  });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'waveforms-'));
    files = new FileStore({ dir, maxBytes: 10_000_000 });
    await files.init();
    // Inline (0 workers): the same task code the workers run, on this thread.
    pool = new AudioWorkerPool({ workers: 0, filesDir: dir });
    computed = 0;
  });
  afterEach(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  const storeTone = async () => {
    const wav = encodeWav(stereoTone([[1, -20]]), { bitDepth: 24, format: 'pcm' });
    return files.put(wav, { name: 'tone.wav', contentType: 'audio/wav' });
  };

  it('computes a waveform once per (file, points) and drops the least recently used beyond its capacity', async () => {
    const waveforms = new TrackWaveforms({ files, audio: counting(), wavTypes: ['audio/wav'], cacheEntries: 2 });
    const a = await storeTone();
    const b = await storeTone();
    const first = await waveforms.get(a.id, 100);
    expect(first).toMatchObject({ id: a.id, points: 100 });
    expect(await waveforms.get(a.id, 100)).toEqual(first);
    expect(computed).toBe(1);
    await waveforms.get(a.id, 200);
    expect(computed).toBe(2);
    await waveforms.get(a.id, 100); // a:100 is now the most recent, a:200 the least
    await waveforms.get(b.id, 100); // evicts a:200
    expect(computed).toBe(3);
    await waveforms.get(a.id, 100);
    expect(computed).toBe(3);
    await waveforms.get(a.id, 200);
    expect(computed).toBe(4);
  });

  it('answers 404 for a deleted file even when its waveform is cached, and 415 for a file that is not a WAV', async () => {
    const waveforms = new TrackWaveforms({ files, audio: counting(), wavTypes: ['audio/wav'] });
    const tone = await storeTone();
    await waveforms.get(tone.id, 100);
    await files.remove(tone.id);
    await expect(waveforms.get(tone.id, 100)).rejects.toMatchObject({ status: 404, code: 'FILE_NOT_FOUND' });
    const mp3 = await files.put(Buffer.from('ID3 an mp3'), { name: 'song.mp3', contentType: 'audio/mpeg' });
    await expect(waveforms.get(mp3.id, 100)).rejects.toMatchObject({ status: 415, code: 'UNSUPPORTED_AUDIO_FORMAT' });
    expect(computed).toBe(1);
  });
});
