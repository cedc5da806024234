import { InvalidError } from '../../../common/errors';
import type { AudioData, BitDepth, SampleFormat } from '../types';

/** A decoded WAV file: the samples as float plus how they were stored, so a re-encode can match. */
export interface DecodedWav {
  audio: AudioData;
  bitDepth: BitDepth;
  format: SampleFormat;
}

export const WAVE_FORMAT_PCM = 0x0001;
export const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
export const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Bytes 2–15 of every KSDATAFORMAT_SUBTYPE_* GUID; bytes 0–1 carry the plain format code. */
export const KSDATAFORMAT_GUID_TAIL = Uint8Array.of(
  0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
);

/** Names for the compressed codes people actually upload, so the refusal says what the file is. */
const FORMAT_NAMES: Readonly<Record<number, string>> = {
  0x0002: 'Microsoft ADPCM',
  0x0006: 'A-law',
  0x0007: 'μ-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MPEG Layer 3',
  0x0161: 'Windows Media Audio',
  0x2000: 'Dolby AC-3',
};

export function formatCodeName(code: number): string {
  const hex = `0x${code.toString(16).padStart(4, '0')}`;
  const name = FORMAT_NAMES[code];
  return name === undefined ? hex : `${hex} (${name})`;
}

/** The one error every malformed WAV turns into: a 400 that names the problem. */
export function wavError(problem: string): InvalidError {
  return new InvalidError(`Invalid WAV file: ${problem}`, { issues: [{ field: 'file', message: problem }] });
}

/** Four bytes as text for messages, with non-printable bytes escaped so a binary id stays readable. */
export function fourCC(bytes: Uint8Array, offset: number): string {
  let text = '';
  for (let i = offset; i < offset + 4 && i < bytes.length; i++) {
    const b = bytes[i]!;
    text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return text;
}
