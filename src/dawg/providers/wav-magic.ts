import { ProviderBadResponseError } from './provider-errors';

const MIN_WAV_BYTES = 44;

/** Checks the RIFF/WAVE container magic; the audio engine decodes (and fully validates) later. */
export function assertWav(provider: string, audio: Buffer): void {
  const ok = audio.length >= MIN_WAV_BYTES && audio.toString('ascii', 0, 4) === 'RIFF' && audio.toString('ascii', 8, 12) === 'WAVE';
  if (!ok) throw new ProviderBadResponseError(provider, 'downloaded audio is not a WAV file (missing RIFF/WAVE header)', 'audio');
}
