/**
 * `npm run bench:audio`: the audio engine on a synthesised 3-minute stereo 48 kHz song, as
 * x-realtime on one core: loudness measurement (integrated loudness, loudness range and true
 * peak, with momentary/short-term maxima and sample peak, i.e. the whole `measureLoudness`
 * report), and the full master chain (one true-peak detection, then gain + limiter passes to
 * −14 LUFS / −1 dBTP, each measured, then a 24-bit WAV). Where ffmpeg is installed, the same
 * file through its `ebur128=peak=true` and `loudnorm` filters in the same run.
 *
 * The song is deterministic: 120 bpm, kick, hi-hat, bass and a three-note pad, with quiet
 * verses, loud choruses and a breakdown so the loudness range is not trivially 0. Loudness
 * timing does not depend on the content. The master chain's does somewhat: the limiter's
 * detector stops at a bound wherever the signal is far enough under the ceiling, so quiet
 * passages cost less (dense material measured about the same: Gaussian noise at −20 dBFS RMS,
 * or this song with every section at chorus level).
 *
 * Prints the first (cold, JIT-compiling) call, then the median of BENCH_LOUDNESS_RUNS (5)
 * warm calls, split into K-weighting + gating (integrated, LRA, momentary, short-term) and
 * true + sample peak, with the target (≥ 200x realtime) as PASS/FAIL. The load
 * average is printed too: other work on the machine moves every figure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeWav, encodeWav } from '../src/dawg/audio/io';
import { masterAudio } from '../src/dawg/audio/master';
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
const TARGET_MASTER_X_REALTIME = 100;

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

async function timeAsync(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** ffmpeg's ebur128 summary (integrated, LRA, true peak) of a WAV file. */
function ffmpegMeter(file: string): { integratedLufs: number; lraLu: number; truePeakDbtp: number } {
  const run = spawnSync('ffmpeg', ['-hide_banner', '-nostats', '-i', file, '-af', 'ebur128=peak=true', '-f', 'null', '-'], { encoding: 'utf8' });
  const summary = run.stderr.slice(run.stderr.lastIndexOf('Summary:'));
  const figure = (label: string) => {
    const match = new RegExp(`${label}:\\s+(-?[\\d.]+|-inf)`).exec(summary);
    if (!match) throw new Error(`ffmpeg's ebur128 summary has no ${label}:\n${summary}`);
    return match[1] === '-inf' ? -Infinity : Number(match[1]);
  };
  return { integratedLufs: figure('I'), lraLu: figure('LRA'), truePeakDbtp: figure('Peak') };
}

/**
 * ffmpeg's own loudness meter and normaliser on the same song, when ffmpeg is installed:
 * their speed, and ffmpeg's meter as an independent check of ours and of our master.
 */
async function ffmpegFigures(song: AudioData): Promise<void> {
  if (spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status !== 0) {
    console.log('\nffmpeg: not installed here; comparison skipped');
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-audio-'));
  try {
    const file = path.join(dir, 'song.wav');
    writeFileSync(file, encodeWav(song, { bitDepth: 24, format: 'pcm' }));
    const run = (filter: string) => time(() => execFileSync('ffmpeg', ['-hide_banner', '-nostats', '-i', file, '-af', filter, '-f', 'null', '-'], { stdio: 'ignore' }));
    console.log('\nffmpeg on the same file (one process each, decode included):');
    console.log(row('ebur128=peak=true', run('ebur128=peak=true')));
    console.log(row('loudnorm=I=-14:TP=-1', run('loudnorm=I=-14:TP=-1')));

    const masteredFile = path.join(dir, 'master.wav');
    const mastered = await masterAudio(song, { lufs: -14, truePeakDbtp: -1 });
    writeFileSync(masteredFile, encodeWav(mastered.audio, { bitDepth: 24, format: 'pcm' }));
    const fmt = (v: number) => v.toFixed(1).padStart(7);
    console.log('\nffmpeg ebur128 (0.1 resolution) vs measureLoudness on the same 24-bit files:');
    console.log('                               I (LUFS)   LRA (LU)   TP (dBTP)');
    for (const [name, wav] of [['song', file], ['our master (-14 / -1)', masteredFile]] as const) {
      const theirs = ffmpegMeter(wav);
      const ours = measureLoudness(decodeWav(readFileSync(wav)).audio);
      console.log(`  ${(name + ', ffmpeg').padEnd(28)} ${fmt(theirs.integratedLufs)}    ${fmt(theirs.lraLu)}    ${fmt(theirs.truePeakDbtp)}`);
      console.log(`  ${(name + ', ours').padEnd(28)} ${fmt(ours.integratedLufs ?? -Infinity)}    ${fmt(ours.loudnessRangeLu ?? 0)}    ${fmt(ours.truePeakDbtp ?? -Infinity)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
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

  const masterRuns: number[] = [];
  let passes = 0;
  for (let run = 0; run < Math.min(runs, 3); run++) {
    masterRuns.push(
      await timeAsync(async () => {
        const mastered = await masterAudio(song, { lufs: -14, truePeakDbtp: -1 });
        passes = mastered.iterations;
        encodeWav(mastered.audio, { bitDepth: 24, format: 'pcm' });
      }),
    );
  }
  const masterMs = median(masterRuns);
  console.log(`\nMaster chain to -14 LUFS / -1 dBTP, then a 24-bit WAV (median of ${masterRuns.length}; one detection, ${passes} gain+limiter pass(es) + a measurement each):`);
  console.log(row('masterAudio + encodeWav', masterMs));
  console.log(`Target >= ${TARGET_MASTER_X_REALTIME}x realtime: ${xRealtime(masterMs) >= TARGET_MASTER_X_REALTIME ? 'PASS' : 'FAIL'}`);
  await ffmpegFigures(song);
  console.log(`Load average (1 min) ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores; node ${process.version}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
