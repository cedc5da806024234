import type { BitDepth, SampleFormat } from '../types';
import { AUDIO_IO_LIMITS, isSupportedSampleRate, SAMPLE_RATE_RULE } from './audio-limits';
import {
  type DecodedWav,
  formatCodeName,
  fourCC,
  KSDATAFORMAT_GUID_TAIL,
  WAVE_FORMAT_EXTENSIBLE,
  WAVE_FORMAT_IEEE_FLOAT,
  WAVE_FORMAT_PCM,
  wavError,
} from './wav-format';

interface ChunkRef {
  offset: number;
  size: number;
}

interface WavSpec {
  channelCount: number;
  sampleRate: number;
  bitDepth: BitDepth;
  format: SampleFormat;
  blockAlign: number;
}

/**
 * Decodes a RIFF/WAVE file holding 16- or 24-bit PCM or 32-bit IEEE float, mono or stereo,
 * plain or WAVE_FORMAT_EXTENSIBLE. Chunks other than "fmt " and "data" are skipped (odd sizes
 * honour the RIFF pad byte). The decoder is strict: anything it cannot read exactly — a
 * truncated chunk, a compressed format, NaN or infinite float samples — throws InvalidError
 * naming the problem, rather than returning audio that is silently wrong.
 *
 * PCM samples are scaled by 2^-(bits-1), which is exact in float32, so re-encoding at the same
 * depth gives the original bytes back.
 */
export function decodeWav(buf: Uint8Array): DecodedWav {
  const { fmt, data } = findChunks(buf);
  const spec = parseFmt(buf, fmt);
  if (data.size === 0) throw wavError('the "data" chunk is empty (0 samples)');
  if (data.size % spec.blockAlign !== 0) {
    throw wavError(`the "data" chunk holds ${data.size} bytes, not a whole number of ${spec.blockAlign}-byte frames`);
  }
  const frames = data.size / spec.blockAlign;
  const channels = Array.from({ length: spec.channelCount }, () => new Float32Array(frames));
  if (spec.format === 'float') readFloat32(buf, data.offset, spec.blockAlign, channels);
  else if (spec.bitDepth === 16) readPcm16(buf, data.offset, spec.blockAlign, channels);
  else readPcm24(buf, data.offset, spec.blockAlign, channels);
  return { audio: { sampleRate: spec.sampleRate, channels }, bitDepth: spec.bitDepth, format: spec.format };
}

function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function findChunks(buf: Uint8Array): { fmt: ChunkRef; data: ChunkRef } {
  if (buf.length < 12) throw wavError(`truncated RIFF header: ${buf.length} bytes, a WAV file needs at least 12`);
  const magic = fourCC(buf, 0);
  if (magic === 'RF64') throw wavError('RF64 (64-bit WAV) is not supported');
  if (magic === 'RIFX') throw wavError('big-endian RIFX is not supported');
  if (magic !== 'RIFF') throw wavError(`not a RIFF file (it starts with "${magic}", expected "RIFF")`);
  if (fourCC(buf, 8) !== 'WAVE') throw wavError(`RIFF form type is "${fourCC(buf, 8)}", expected "WAVE"`);
  const riffEnd = 8 + u32(buf, 4);
  if (riffEnd < 12 + 8) throw wavError(`the RIFF header declares ${riffEnd - 8} bytes, too few to hold any chunk`);
  const end = Math.min(riffEnd, buf.length);
  let fmt: ChunkRef | undefined;
  let data: ChunkRef | undefined;
  let pos = 12;
  while (pos < end) {
    if (end - pos < 8) throw wavError(`truncated chunk header at byte ${pos} (${end - pos} of 8 bytes)`);
    const id = fourCC(buf, pos);
    const chunk = { offset: pos + 8, size: u32(buf, pos + 4) };
    if (chunk.size > end - chunk.offset) {
      throw wavError(`truncated "${id}" chunk at byte ${pos}: it declares ${chunk.size} bytes, only ${end - chunk.offset} follow`);
    }
    if (id === 'fmt ' || id === 'data') {
      if ((id === 'fmt ' ? fmt : data) !== undefined) throw wavError(`more than one "${id}" chunk`);
      if (id === 'fmt ') fmt = chunk;
      else data = chunk;
    }
    // RIFF pads odd-sized chunks to an even length; a missing pad after the last chunk is tolerated.
    pos = chunk.offset + chunk.size + (chunk.size & 1);
  }
  if (fmt === undefined) throw wavError('no "fmt " chunk');
  if (data === undefined) throw wavError('no "data" chunk');
  if (riffEnd > buf.length) throw wavError(`truncated file: the RIFF header declares ${riffEnd} bytes, the file has ${buf.length}`);
  return { fmt, data };
}

function parseFmt(buf: Uint8Array, fmt: ChunkRef): WavSpec {
  const at = fmt.offset;
  if (fmt.size < 16) throw wavError(`the "fmt " chunk is ${fmt.size} bytes, at least 16 are needed`);
  let code = u16(buf, at);
  const channelCount = u16(buf, at + 2);
  const sampleRate = u32(buf, at + 4);
  const blockAlign = u16(buf, at + 12);
  const bits = u16(buf, at + 14);
  if (code === WAVE_FORMAT_EXTENSIBLE) code = parseExtensible(buf, fmt, bits);
  const { bitDepth, format } = sampleKind(code, bits);
  if (channelCount === 0) throw wavError('the "fmt " chunk declares 0 channels');
  if (channelCount > AUDIO_IO_LIMITS.maxChannels) {
    throw wavError(`${channelCount} channels; only mono and stereo files are supported`);
  }
  if (!isSupportedSampleRate(sampleRate)) throw wavError(`sample rate ${sampleRate} Hz: the rate ${SAMPLE_RATE_RULE}`);
  const expectedAlign = (channelCount * bitDepth) / 8;
  if (blockAlign !== expectedAlign) {
    throw wavError(`block align is ${blockAlign}, expected ${expectedAlign} for ${channelCount} channel(s) of ${bitDepth}-bit samples`);
  }
  return { channelCount, sampleRate, bitDepth, format, blockAlign };
}

/** Reads WAVE_FORMAT_EXTENSIBLE's sub-format GUID and returns the plain format code it stands for. */
function parseExtensible(buf: Uint8Array, fmt: ChunkRef, bits: number): number {
  if (fmt.size < 40) throw wavError(`WAVE_FORMAT_EXTENSIBLE needs a 40-byte "fmt " chunk, this one is ${fmt.size}`);
  const at = fmt.offset;
  const cbSize = u16(buf, at + 16);
  if (cbSize < 22) throw wavError(`WAVE_FORMAT_EXTENSIBLE extension size is ${cbSize}, expected 22`);
  const validBits = u16(buf, at + 18);
  if (validBits > bits) throw wavError(`valid bits per sample (${validBits}) exceed the container size (${bits})`);
  const guid = at + 24;
  for (let i = 0; i < KSDATAFORMAT_GUID_TAIL.length; i++) {
    if (buf[guid + 2 + i] !== KSDATAFORMAT_GUID_TAIL[i]) throw wavError('WAVE_FORMAT_EXTENSIBLE has an unknown sub-format GUID');
  }
  // Samples narrower than their container (e.g. 20 valid bits in 24) are read at container scale.
  return u16(buf, guid);
}

function sampleKind(code: number, bits: number): { bitDepth: BitDepth; format: SampleFormat } {
  if (code === WAVE_FORMAT_PCM) {
    if (bits === 16 || bits === 24) return { bitDepth: bits, format: 'pcm' };
    throw wavError(`${bits}-bit integer PCM is not supported (16- and 24-bit PCM and 32-bit float are)`);
  }
  if (code === WAVE_FORMAT_IEEE_FLOAT) {
    if (bits === 32) return { bitDepth: 32, format: 'float' };
    throw wavError(`${bits}-bit float is not supported (only 32-bit float is)`);
  }
  throw wavError(`unsupported format code ${formatCodeName(code)}; only PCM (0x0001), IEEE float (0x0003) and EXTENSIBLE wrapping them are supported`);
}

function readPcm16(b: Uint8Array, offset: number, stride: number, channels: Float32Array[]): void {
  const scale = 1 / 32768;
  for (let ch = 0; ch < channels.length; ch++) {
    const out = channels[ch]!;
    let p = offset + ch * 2;
    for (let i = 0; i < out.length; i++, p += stride) out[i] = (((b[p]! | (b[p + 1]! << 8)) << 16) >> 16) * scale;
  }
}

function readPcm24(b: Uint8Array, offset: number, stride: number, channels: Float32Array[]): void {
  const scale = 1 / 8388608;
  for (let ch = 0; ch < channels.length; ch++) {
    const out = channels[ch]!;
    let p = offset + ch * 3;
    for (let i = 0; i < out.length; i++, p += stride) {
      out[i] = (((b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) << 8) >> 8) * scale;
    }
  }
}

function readFloat32(b: Uint8Array, offset: number, stride: number, channels: Float32Array[]): void {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let ch = 0; ch < channels.length; ch++) {
    const out = channels[ch]!;
    let p = offset + ch * 4;
    for (let i = 0; i < out.length; i++, p += stride) {
      const v = view.getFloat32(p, true);
      // v - v is 0 for every finite number and NaN for NaN and ±Infinity.
      if (v - v !== 0) throw wavError(`channel ${ch} sample ${i} is ${v}; float samples must be finite`);
      out[i] = v;
    }
  }
}
