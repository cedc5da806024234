import type { z } from 'zod';
import { fieldError, parseInput } from '../../../common/validation';
import type { pluginSchema } from '../../storage';
import {
  applyDelay,
  applyGainPan,
  applyLimiter,
  applyReverb,
  applyStereoWidth,
  Compressor,
  compressorSchema,
  delaySchema,
  eqSchema,
  Equalizer,
  gainPanSchema,
  limiterSchema,
  reverbSchema,
  stereoWidthSchema,
} from '../dsp';
import type { AudioData } from '../types';

export type Plugin = z.output<typeof pluginSchema>;
export type PluginType = Plugin['type'];

/** What one plugin did during a render; gain reduction only for the dynamics processors. */
export interface PluginReport {
  index: number;
  type: PluginType;
  bypassed: boolean;
  maxGainReductionDb?: number;
}

/**
 * Runs a track's plugin chain in order over stereo `audio` (in place where the processor
 * allows; the returned audio is the result). Params are validated against each processor's
 * own schema, so a bad value is reported as `<field>.<m>.params.<name>`. `plugins` may be the
 * rest of a chain whose first `firstIndex` plugins already ran: indexes count from there.
 */
export function applyPluginChain(audio: AudioData, plugins: readonly Plugin[], field: string, firstIndex = 0): { audio: AudioData; reports: PluginReport[] } {
  let current = audio;
  const reports = plugins.map((plugin, n): PluginReport => {
    const m = firstIndex + n;
    const report: PluginReport = { index: m, type: plugin.type, bypassed: plugin.bypass };
    if (plugin.bypass) return report;
    const where = `${field}.${m}.params`;
    const { sampleRate } = current;
    const channelCount = current.channels.length;
    switch (plugin.type) {
      case 'eq': {
        const params = parseInput(eqSchema, plugin.params, where);
        params.bands.forEach((band, b) => {
          if (band.freq > sampleRate / 2 - 1) throw fieldError(`${where}.bands.${b}.freq`, `must be below ${sampleRate / 2 - 1} Hz at ${sampleRate} Hz, got ${band.freq}`);
        });
        new Equalizer(params, sampleRate, channelCount).process(current.channels);
        break;
      }
      case 'compressor': {
        const compressor = new Compressor(parseInput(compressorSchema, plugin.params, where), sampleRate, channelCount);
        compressor.process(current.channels);
        report.maxGainReductionDb = compressor.maxGainReductionDb;
        break;
      }
      case 'limiter':
        report.maxGainReductionDb = applyLimiter(current, parseInput(limiterSchema, plugin.params, where), { compensateLatency: true }).maxGainReductionDb;
        break;
      case 'stereo-width':
        applyStereoWidth(current, parseInput(stereoWidthSchema, plugin.params, where));
        break;
      case 'reverb':
        applyReverb(current, parseInput(reverbSchema, plugin.params, where));
        break;
      case 'delay':
        applyDelay(current, parseInput(delaySchema, plugin.params, where));
        break;
      case 'gain':
        current = applyGainPan(current, parseInput(gainPanSchema, plugin.params, where));
        break;
    }
    return report;
  });
  return { audio: current, reports };
}
