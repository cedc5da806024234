/**
 * Loudness measurement benchmark: integrated loudness, loudness range and true peak (with
 * momentary/short-term maxima and sample peak, i.e. the whole `measureLoudness` report) on a
 * synthesised 3-minute stereo 48 kHz song, as x-realtime on one core.
 *
 * The song is deterministic: 120 bpm, kick, hi-hat, bass and a three-note pad, with quiet
 * verses, loud choruses and a breakdown so the loudness range is not trivially 0. Timing
 * does not depend on the content (no stage skips quiet passages).
 *
 * Prints the first (cold, JIT-compiling) call, then the median of BENCH_LOUDNESS_RUNS (5)
 * warm calls, split into K-weighting + gating (integrated, LRA, momentary, short-term) and
 * true + sample peak, with the target (≥ 200x realtime) as PASS/FAIL. The load
 * average is printed too: other work on the machine moves every figure.
 */
import os from 'node:os';
import {
  integratedLoudness,
  loudnessRange,
  measureLoudness,
  measureLoudnessBlocks,
  momentaryLoudness,
  shortTermLoudness,
  truePeak,
  type LoudnessReport,
} from '../src/dawg/audio/loudness';
import type { AudioData } from '../src/dawg/audio/types';

const SAMPLE_RATE = 48_000;
const SECONDS = 180;
const TARGET_X_REALTIME = 200;

const runs = (() => {
  const raw = process.env.BENCH_LOUDNESS_RUNS;
  const value = raw === undefined || raw === '' ? 5 : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error('BENCH_LOUDNESS_RUNS must be an integer >= 1');
  return value;
})();

function synthesiseSong(): AudioData {
  const frames = SAMPLE_RATE * SECONDS;
  const left = new Float32Array(frames);
  const right = new Float32Array(frames);
  const beat = SAMPLE_RATE / 2; // 120 bpm
  const bar = beat * 4;
  const { sin, exp, PI } = Math;
  let seed = 0x2545f491;
  const noise = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0xffffffff - 0.5;
  };
  const roots = [55, 43.65, 49, 41.2]; // A1, F1, G1, E1: one chord per bar
  for (let i = 0; i < frames; i++) {
    const barIndex = Math.floor(i / bar);
    const section = Math.floor(barIndex / 8) % 4; // verse, chorus, verse, breakdown
    const level = [0.25, 0.65, 0.28, 0.1][section]!;
    const root = roots[barIndex % 4]!;
    const t = i / SAMPLE_RATE;
    const sinceBeat = (i % beat) / SAMPLE_RATE;
    const sinceEighth = (i % (beat / 2)) / SAMPLE_RATE;
    const kick = section === 3 ? 0 : 0.8 * exp(-sinceBeat * 18) * sin(2 * PI * (50 + 120 * exp(-sinceBeat * 40)) * sinceBeat);
    const hat = 0.25 * exp(-sinceEighth * 90) * noise();
    const bass = 0.3 * (sin(2 * PI * root * t) + 0.4 * sin(4 * PI * root * t) + 0.2 * sin(6 * PI * root * t));
    const pad = 0.12 * (sin(2 * PI * root * 4 * t) + sin(2 * PI * root * 5 * t) + sin(2 * PI * root * 6 * t));
    const centre = level * (kick + bass);
    left[i] = centre + level * (0.7 * hat + pad);
    right[i] = centre + level * (0.5 * hat + 0.9 * pad);
  }
  return { sampleRate: SAMPLE_RATE, channels: [left, right] };
}

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const xRealtime = (ms: number) => (SECONDS * 1000) / ms;
const row = (label: string, ms: number) =>
  `  ${label.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms ${xRealtime(ms).toFixed(0).padStart(7)}x realtime`;

function main(): void {
  process.stdout.write(`Synthesising a ${SECONDS} s stereo ${SAMPLE_RATE} Hz song… `);
  const song = synthesiseSong();
  console.log('done');

  let report: LoudnessReport | undefined;
  const cold = time(() => (report = measureLoudness(song)));
  const total: number[] = [];
  const gating: number[] = [];
  const peaks: number[] = [];
  for (let run = 0; run < runs; run++) {
    total.push(time(() => measureLoudness(song)));
    gating.push(
      time(() => {
        const blocks = measureLoudnessBlocks(song);
        integratedLoudness(blocks);
        loudnessRange(blocks);
        momentaryLoudness(blocks);
        shortTermLoudness(blocks);
      }),
    );
    peaks.push(time(() => truePeak(song)));
  }

  const warm = median(total);
  console.log(`\nLoudness measurement, ${SECONDS} s stereo ${SAMPLE_RATE} Hz (median of ${runs} warm runs):`);
  console.log(row('measureLoudness, first call (JIT warming)', cold));
  console.log(row('measureLoudness (I, LRA, M/S max, SP, TP)', warm));
  console.log(row('  K-weighting + gating (I, LRA, M, S)', median(gating)));
  console.log(row('  true peak (4x, with sample peak)', median(peaks)));
  console.log(`\nTarget >= ${TARGET_X_REALTIME}x realtime: ${xRealtime(warm) >= TARGET_X_REALTIME ? 'PASS' : 'FAIL'}`);
  console.log(`Report: ${JSON.stringify(report)}`);
  console.log(`Load average (1 min) ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores; node ${process.version}`);
}

main();
