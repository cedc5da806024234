import { fieldError } from '../../../common/validation';
import { InvalidError } from '../../../common/errors';
import type { Track } from '../../storage';
import { InstrumentSpecSchema, renderTrack } from '../synth';
import type { AudioData } from '../types';

/**
 * The MidiRenderer of the built-in synth: a project's MIDI track (instrument name and notes)
 * rendered by `renderTrack`. Synth errors are re-reported against the track's source field.
 */
export function renderMidiWithSynth(track: Track, options: { bpm: number; sampleRate: number }): AudioData {
  if (track.source.kind !== 'midi') throw fieldError('source.kind', 'must be midi');
  const instrument = InstrumentSpecSchema.safeParse(track.source.instrument);
  if (!instrument.success) throw fieldError('source.instrument', `must be one of 'bass', 'pad', 'lead', 'pluck', 'keys', 'drums', got "${track.source.instrument}"`);
  try {
    return renderTrack({ instrument: instrument.data, notes: track.source.notes }, options);
  } catch (err) {
    if (err instanceof InvalidError) throw fieldError('source', `cannot be rendered: ${err.message}`);
    throw err;
  }
}
