import { z } from 'zod';

/*
 * What the AI DAWG's file routes answer, as the control plane checks and documents it. The
 * DAWG defines the same shapes on its side (src/dawg/storage, src/dawg/audio/waveform); the
 * gateway tests run both, so a drift fails there.
 */

export const storedFileSchema = z.object({
  id: z.string(),
  name: z.string(),
  contentType: z.string(),
  bytes: z.number().describe('Size in bytes'),
  sha256: z.string(),
  createdAt: z.string(),
  audio: z.record(z.string(), z.unknown()).optional().describe('The analysis measured when the file was stored (LUFS, LRA, peaks, width, correlation, format)'),
  createdBy: z.string().optional().describe('Who stored it: the API key id (or agent:<name>) the upload or action ran for; absent on older files'),
});
export type StoredFileRecord = z.infer<typeof storedFileSchema>;

export const filePageSchema = z.object({
  files: z.array(storedFileSchema).describe('Newest first'),
  nextBefore: z.string().nullable().describe('Pass as before= for the next (older) page; null on the last page'),
});
export type FilePageRecord = z.infer<typeof filePageSchema>;

const lufs = z.number().nullable();

export const waveformSchema = z.object({
  id: z.string(),
  durationSeconds: z.number(),
  sampleRate: z.number().int(),
  channels: z.number().int(),
  points: z.number().int().describe('Buckets in peaks: the points asked for, fewer only when the file has fewer frames'),
  peaks: z
    .array(z.tuple([z.number(), z.number()]))
    .describe('[min, max] sample of each bucket across channels, in −1..1, 4 decimals; bucket b covers about [b, b+1)·durationSeconds/points'),
  loudness: z.object({
    windowSeconds: z.number(),
    hopSeconds: z.number(),
    lufs: z
      .array(lufs)
      .describe('EBU R128 short-term loudness (K-weighted, 3 s window) once per hop: lufs[i] covers [i·hop, i·hop + window) s; null below −70 LUFS; none for files under 3 s'),
  }),
  integratedLufs: lufs.describe('Gated integrated loudness (BS.1770-4); null for silence'),
  truePeakDbtp: lufs.describe('True peak (BS.1770-4 Annex 2); null for all-zero audio'),
});
export type WaveformRecord = z.infer<typeof waveformSchema>;
