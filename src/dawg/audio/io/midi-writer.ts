import { InvalidError } from '../../../common/errors';
import { parseInput } from '../../../common/validation';
import { type MidiSong, MidiSongSchema, type MidiTrack } from './midi-song';

/** Largest value a 4-byte SMF variable-length quantity holds. */
const MAX_VLQ = 0x0fff_ffff;

/**
 * Writes a format-1 Standard MIDI File: a conductor track with the tempo, then one track per
 * song track (name, program change, notes as note-on/note-off with running status). Beats are
 * rounded to the nearest tick; a note's end is rounded on its own so that rounding does not
 * accumulate along a track.
 *
 * Written here rather than with midi-file's writeMidi, which grows its output with
 * Array.concat and is quadratic: 10,000 notes took 14 s there, a few ms here.
 */
export function writeMidi(song: MidiSong): Buffer {
  const valid = parseInput(MidiSongSchema, song, 'song');
  const out = new ByteWriter();
  out.ascii('MThd');
  out.u32(6);
  out.u16(1);
  out.u16(valid.tracks.length + 1);
  out.u16(valid.ppq);
  writeTrackChunk(out, conductorEvents(valid.tempoBpm));
  valid.tracks.forEach((track) => writeTrackChunk(out, trackEvents(track, valid.ppq)));
  return out.toBuffer();
}

interface TimedEvent {
  tick: number;
  /** Order among events at one tick: ends of sounding notes, then starts, then ends of zero-length notes. */
  rank: number;
  bytes: number[];
}

function conductorEvents(bpm: number): TimedEvent[] {
  const usPerBeat = Math.min(0xff_ffff, Math.max(1, Math.round(60_000_000 / bpm)));
  return [{ tick: 0, rank: 0, bytes: [0xff, 0x51, 3, usPerBeat >> 16, (usPerBeat >> 8) & 0xff, usPerBeat & 0xff] }];
}

function trackEvents(track: MidiTrack, ppq: number): TimedEvent[] {
  const events: TimedEvent[] = [];
  if (track.name !== undefined) {
    const text = [...Buffer.from(track.name, 'utf8')];
    events.push({ tick: 0, rank: -2, bytes: [0xff, 0x03, ...vlq(text.length), ...text] });
  }
  if (track.program !== undefined) events.push({ tick: 0, rank: -1, bytes: [0xc0 | track.channel, track.program] });
  for (const note of track.notes) {
    const on = Math.round(note.startBeats * ppq);
    const off = Math.round((note.startBeats + note.durationBeats) * ppq);
    events.push({ tick: on, rank: 1, bytes: [0x90 | track.channel, note.pitch, note.velocity] });
    events.push({ tick: off, rank: off === on ? 2 : 0, bytes: [0x80 | track.channel, note.pitch, 0] });
  }
  return events.sort((a, b) => a.tick - b.tick || a.rank - b.rank);
}

function writeTrackChunk(out: ByteWriter, events: TimedEvent[]): void {
  out.ascii('MTrk');
  const sizeAt = out.length;
  out.u32(0);
  let tick = 0;
  let status = -1;
  for (const event of events) {
    out.bytes(vlq(event.tick - tick));
    tick = event.tick;
    const head = event.bytes[0]!;
    // Running status: a channel message repeating the last status byte omits it. Meta events reset it.
    if (head < 0xf0 && head === status) out.bytes(event.bytes.slice(1));
    else out.bytes(event.bytes);
    status = head < 0xf0 ? head : -1;
  }
  out.bytes([0x00, 0xff, 0x2f, 0x00]);
  out.patchU32(sizeAt, out.length - sizeAt - 4);
}

function vlq(value: number): number[] {
  if (value > MAX_VLQ) {
    throw new InvalidError(`Invalid song: a gap of ${value} ticks between events exceeds the MIDI limit of ${MAX_VLQ}`, {
      issues: [{ field: 'song.tracks', message: 'events are too far apart' }],
    });
  }
  const bytes = [value & 0x7f];
  for (let v = value >>> 7; v > 0; v >>>= 7) bytes.unshift((v & 0x7f) | 0x80);
  return bytes;
}

/** A growable byte buffer: doubling keeps appends amortised O(1). */
class ByteWriter {
  private buf = new Uint8Array(1024);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  bytes(values: readonly number[]): void {
    this.reserve(values.length);
    for (const v of values) this.buf[this.length++] = v;
  }

  ascii(text: string): void {
    this.bytes([...text].map((c) => c.charCodeAt(0)));
  }

  u16(v: number): void {
    this.bytes([(v >> 8) & 0xff, v & 0xff]);
  }

  u32(v: number): void {
    this.bytes([(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
  }

  patchU32(at: number, v: number): void {
    this.buf[at] = (v >>> 24) & 0xff;
    this.buf[at + 1] = (v >> 16) & 0xff;
    this.buf[at + 2] = (v >> 8) & 0xff;
    this.buf[at + 3] = v & 0xff;
  }

  toBuffer(): Buffer {
    return Buffer.from(this.buf.buffer, 0, this.length);
  }
}
