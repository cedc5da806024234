import { type MidiData, type MidiEvent, parseMidi } from 'midi-file';
import { InvalidError } from '../../../common/errors';
import type { MidiNote, MidiSong, MidiTrack } from './midi-song';

/** SMF's tempo when a file sets none. */
const DEFAULT_BPM = 120;

function midiError(problem: string): InvalidError {
  return new InvalidError(`Invalid MIDI file: ${problem}`, { issues: [{ field: 'file', message: problem }] });
}

/**
 * Reads a format-0 or format-1 Standard MIDI File into a MidiSong. Each file track becomes one
 * song track per MIDI channel it plays on (so a format-0 file splits by channel); a format-1
 * first track with no channel events is the conductor track and is not a song track. Note-on
 * with velocity 0 counts as note-off; repeated notes on one pitch pair first-in, first-out; a
 * note never released ends where its track ends.
 *
 * Event parsing is midi-file's. It is lenient about damage (reading past a chunk's end gives
 * undefined fields, foreign chunks throw a bare string), so the chunk layout is checked here
 * first and every event the song uses is range-checked after.
 */
export function readMidi(buf: Uint8Array): MidiSong {
  const parsed = parseChecked(buf);
  const ppq = parsed.header.ticksPerBeat!;
  const songTracks = parsed.tracks.flatMap((events, index) => {
    const isConductor = parsed.header.format === 1 && index === 0;
    return convertTrack(events, index, ppq, isConductor);
  });
  return { ppq, tempoBpm: firstTempo(parsed), tracks: songTracks };
}

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function chunkId(b: Uint8Array, at: number): string {
  return Buffer.from(b.subarray(at, at + 4)).toString('latin1');
}

/** Validates the header and chunk layout, then parses only MThd and the MTrk chunks. */
function parseChecked(buf: Uint8Array): MidiData {
  if (buf.length < 14) throw midiError(`truncated header: ${buf.length} bytes, a MIDI file needs at least 14`);
  if (chunkId(buf, 0) !== 'MThd') throw midiError(`not a Standard MIDI File (it starts with ${JSON.stringify(chunkId(buf, 0))}, expected "MThd")`);
  const headerSize = u32(buf, 4);
  if (headerSize < 6 || 8 + headerSize > buf.length) throw midiError(`bad header chunk size ${headerSize}`);
  const format = u16(buf, 8);
  const declaredTracks = u16(buf, 10);
  const division = u16(buf, 12);
  if (format === 2) throw midiError('format 2 (independent sequences) is not supported');
  if (format > 2) throw midiError(`unknown format ${format}`);
  if (division & 0x8000) throw midiError('SMPTE time division is not supported; only ticks per quarter note');
  if (division === 0) throw midiError('ticks per quarter note is 0');
  if (declaredTracks === 0) throw midiError('the header declares 0 tracks');
  if (format === 0 && declaredTracks !== 1) throw midiError(`format 0 must have 1 track, the header declares ${declaredTracks}`);
  const tracks: Uint8Array[] = [];
  for (let pos = 8 + headerSize; pos < buf.length && tracks.length < declaredTracks; ) {
    if (buf.length - pos < 8) throw midiError(`truncated chunk header at byte ${pos}`);
    const id = chunkId(buf, pos);
    const size = u32(buf, pos + 4);
    if (size > buf.length - pos - 8) throw midiError(`truncated "${id}" chunk at byte ${pos}: it declares ${size} bytes, only ${buf.length - pos - 8} follow`);
    // The SMF spec tells readers to skip chunk types they do not know.
    if (id === 'MTrk') tracks.push(buf.subarray(pos, pos + 8 + size));
    pos += 8 + size;
  }
  if (tracks.length < declaredTracks) throw midiError(`the header declares ${declaredTracks} tracks, the file holds ${tracks.length}`);
  const header = Buffer.from(buf.subarray(0, 14));
  header.writeUInt32BE(6, 4);
  try {
    return parseMidi(Buffer.concat([header, ...tracks]));
  } catch (e) {
    throw midiError(e instanceof Error ? e.message : String(e));
  }
}

function isDataByte(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 127;
}

function malformed(track: number, tick: number, what: string): InvalidError {
  return midiError(`track ${track} has a malformed ${what} event at tick ${tick} (the track is truncated or corrupt)`);
}

interface ChannelState {
  program?: number;
  notes: MidiNote[];
  /** Sounding notes by pitch, oldest first. */
  open: Map<number, { tick: number; velocity: number }[]>;
}

function convertTrack(events: MidiEvent[], index: number, ppq: number, isConductor: boolean): MidiTrack[] {
  const channels = new Map<number, ChannelState>();
  const state = (ch: number): ChannelState => {
    let s = channels.get(ch);
    if (s === undefined) channels.set(ch, (s = { notes: [], open: new Map() }));
    return s;
  };
  let name: string | undefined;
  let tick = 0;
  for (const event of events) {
    if (!Number.isInteger(event.deltaTime) || event.deltaTime < 0) throw malformed(index, tick, event.type);
    tick += event.deltaTime;
    if (event.type === 'trackName') name ??= decodeText(event.text);
    else if (event.type === 'programChange') {
      if (!isDataByte(event.programNumber)) throw malformed(index, tick, event.type);
      state(event.channel).program ??= event.programNumber;
    } else if (event.type === 'noteOn' || event.type === 'noteOff') {
      if (!isDataByte(event.noteNumber) || !isDataByte(event.velocity)) throw malformed(index, tick, event.type);
      const s = state(event.channel);
      const open = s.open.get(event.noteNumber) ?? [];
      if (event.type === 'noteOn' && event.velocity > 0) s.open.set(event.noteNumber, [...open, { tick, velocity: event.velocity }]);
      else {
        const started = open.shift();
        if (started !== undefined) s.notes.push(toNote(event.noteNumber, started, tick, ppq));
      }
    }
  }
  if (channels.size === 0) return isConductor ? [] : [{ ...(name === undefined ? {} : { name }), channel: 0, notes: [] }];
  return [...channels.entries()]
    .sort(([a], [b]) => a - b)
    .map(([channel, s]) => {
      for (const [pitch, open] of s.open) for (const started of open) s.notes.push(toNote(pitch, started, tick, ppq));
      const notes = s.notes.sort((a, b) => a.startBeats - b.startBeats || a.pitch - b.pitch);
      return { ...(name === undefined ? {} : { name }), channel, ...(s.program === undefined ? {} : { program: s.program }), notes };
    });
}

function toNote(pitch: number, started: { tick: number; velocity: number }, endTick: number, ppq: number): MidiNote {
  return { pitch, velocity: started.velocity, startBeats: started.tick / ppq, durationBeats: (endTick - started.tick) / ppq };
}

/** The tempo in force at the start: the earliest set-tempo event in any track. */
function firstTempo(parsed: MidiData): number {
  let best: { tick: number; usPerBeat: number } | undefined;
  for (const events of parsed.tracks) {
    let tick = 0;
    for (const event of events) {
      tick += event.deltaTime;
      if (event.type !== 'setTempo') continue;
      if (event.microsecondsPerBeat > 0 && (best === undefined || tick < best.tick)) best = { tick, usPerBeat: event.microsecondsPerBeat };
      break;
    }
  }
  return best === undefined ? DEFAULT_BPM : 60_000_000 / best.usPerBeat;
}

/** midi-file hands text over byte-per-char; names written as UTF-8 (ours are) are decoded as such. */
function decodeText(text: string): string {
  const bytes = Buffer.from(text, 'latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return text;
  }
}
