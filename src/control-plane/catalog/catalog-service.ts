import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Db } from '../../common/db';
import { AppError, InvalidError, NotFoundError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { ControlPlaneConfig } from '../config';
import { storedFileSchema, waveformSchema, type ModuleRouter, type WaveformRecord } from '../dawg-client';
import type { TerminalFirewall } from '../firewall';

/** What the DevOpsEngineer's deploy-to-catalog publishes. */
export const publishTrackInput = z.strictObject({
  fileId: z.string().regex(/^f_[0-9a-f-]{36}$/, 'must be a file id (f_…)').describe('The AI DAWG file to publish (a master)'),
  title: z.string().trim().min(1).max(200),
  genre: z.string().trim().min(1).max(64).optional(),
  bpm: z.number().int().min(20).max(300).optional(),
  key: z.string().trim().min(1).max(32).optional(),
  mood: z.string().trim().min(1).max(100).optional(),
});
export type PublishTrackInput = z.output<typeof publishTrackInput>;

export const catalogTrackId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,100}-[0-9]{8}-[0-9a-f]{6}$/, 'must be a catalog track id');

const WAV_TYPES = new Set(['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave']);
const WAVEFORM_POINTS = 800;
const APPROVAL_POLL_MS = 1_000;

/** The analysis the DAWG stored with the file: the figures a catalog entry shows. */
const fileAnalysis = z.object({
  integratedLufs: z.number().nullable(),
  truePeakDbtp: z.number().nullable(),
  stereoWidthPercent: z.number(),
  correlation: z.number(),
  sampleRate: z.number().int(),
  channels: z.number().int(),
  frames: z.number().int(),
  bitDepth: z.number().int().optional(),
  format: z.string().optional(),
  loudnessRangeLu: z.number().nullable().optional(),
});

export interface CatalogTrack {
  id: string;
  title: string;
  genre?: string;
  bpm?: number;
  key?: string;
  mood?: string;
  durationSeconds: number;
  /** As the blueprint writes it: "WAV 24-bit 48kHz". */
  format: string;
  sampleRate: number;
  bitDepth?: number;
  channels: number;
  bytes: number;
  sha256: string;
  analytics: { lufs: number | null; peakDb: number | null; stereoWidth: number; correlation: number; loudnessRangeLu?: number | null };
  /** This entry on the control plane. */
  url: string;
  /** Where to play it: the control plane's stream route, or the bucket's public address when S3 and CATALOG_PUBLIC_BASE_URL are set. */
  streamUrl: string;
  downloadUrl: string;
  waveformUrl: string;
  s3?: { uri: string; approvalId?: string };
  sourceFileId: string;
  taskId?: string;
  workflowId?: string;
  publishedAt: string;
}

interface TrackRow {
  id: string;
  seq: string | number;
  title: string;
  genre: string | null;
  bpm: number | null;
  musical_key: string | null;
  mood: string | null;
  duration_seconds: number;
  sample_rate: number;
  bit_depth: number | null;
  channels: number;
  bytes: string | number;
  sha256: string;
  source_file_id: string;
  analytics: CatalogTrack['analytics'] & { format?: string };
  s3: { uri: string; approvalId?: string } | null;
  task_id: string | null;
  workflow_id: string | null;
  created_at: Date | string;
}

const COLUMNS = 'id, seq, title, genre, bpm, musical_key, mood, duration_seconds, sample_rate, bit_depth, channels, bytes, sha256, source_file_id, analytics, s3, task_id, workflow_id, created_at';

export function formatName(sampleRate: number, bitDepth: number | undefined, sampleFormat: string | undefined): string {
  const khz = `${Number((sampleRate / 1000).toFixed(1))}kHz`;
  if (bitDepth === undefined) return `WAV ${khz}`;
  return `WAV ${bitDepth}-bit${sampleFormat === 'float' ? ' float' : ''} ${khz}`;
}

function slug(title: string): string {
  const s = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return s || 'track';
}

export interface CatalogDeps {
  db: Db;
  moduleRouter: Pick<ModuleRouter, 'fileMeta' | 'saveFile' | 'waveform'>;
  config: ControlPlaneConfig['catalog'];
  publicUrl: string;
  /** Needed only with S3: the upload is an `aws s3 cp` through the terminal firewall. */
  firewall?: Pick<TerminalFirewall, 'exec' | 'withdraw'> & { approvals: { get(id: string): Promise<{ status: string; result?: unknown } | undefined | null> } };
  logger: Logger;
  now?: () => Date;
}

/**
 * The music catalog: tracks published from AI DAWG files. Publishing copies the file into the
 * catalog directory (checked against the DAWG's SHA-256), uploads it to S3 through the
 * firewall when a bucket is configured, and only then records the entry; a task that publishes
 * again (retry, resume) is answered its own entry.
 */
export class CatalogService {
  /** Copies from the AI DAWG under way, by track id: concurrent requests for one track share one. */
  private readonly restoring = new Map<string, Promise<void>>();

  constructor(private readonly deps: CatalogDeps) {}

  get s3Configured(): boolean {
    return this.deps.config.s3 !== undefined;
  }

  async publish(input: PublishTrackInput, by: { taskId?: string; workflowId?: string; actor?: string; signal?: AbortSignal }): Promise<CatalogTrack> {
    const { db, moduleRouter, config } = this.deps;
    if (by.taskId) {
      const mine = await db.query<TrackRow>(`SELECT ${COLUMNS} FROM catalog_tracks WHERE task_id = $1`, [by.taskId]);
      if (mine[0]) return this.view(mine[0]);
    }
    const options = { signal: by.signal, requestId: by.taskId };
    const meta = storedFileSchema.parse(await moduleRouter.fileMeta(input.fileId, options));
    if (!WAV_TYPES.has(meta.contentType)) {
      throw new InvalidError(`File ${input.fileId} is ${meta.contentType}, not a WAV`, { issues: [{ field: 'payload.fileId', message: 'must be a WAV file' }] });
    }
    const analysis = fileAnalysis.safeParse(meta.audio);
    if (!analysis.success) throw new AppError(502, 'DAWG_BAD_RESPONSE', `The AI DAWG stored no audio analysis with ${input.fileId}`);
    const now = (this.deps.now ?? (() => new Date()))();
    const day = now.toISOString().slice(0, 10).replace(/-/g, '');
    const id = `${slug(input.title)}-${day}-${randomBytes(3).toString('hex')}`;
    await mkdir(config.dir, { recursive: true });
    const final = path.join(config.dir, `${id}.wav`);
    const temp = `${final}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      // Streamed to disk: a long master is never held in memory here.
      const file = await moduleRouter.saveFile(input.fileId, temp, options);
      if (file.sha256 !== meta.sha256) throw new AppError(502, 'DAWG_BAD_RESPONSE', `The bytes of ${input.fileId} do not match its SHA-256`);
      const waveform: WaveformRecord = waveformSchema.parse(await moduleRouter.waveform(input.fileId, WAVEFORM_POINTS, options));
      await rename(temp, final);
      const s3 = config.s3 ? await this.upload(id, by) : undefined;
      const a = analysis.data;
      const row = await db.query<TrackRow>(
        `INSERT INTO catalog_tracks (id, title, genre, bpm, musical_key, mood, duration_seconds, sample_rate, bit_depth, channels, bytes, sha256, source_file_id, analytics, waveform, s3, task_id, workflow_id, published_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
         ON CONFLICT (task_id) DO NOTHING RETURNING ${COLUMNS}`,
        [
          id, input.title, input.genre ?? null, input.bpm ?? null, input.key ?? null, input.mood ?? null,
          a.frames / a.sampleRate, a.sampleRate, a.bitDepth ?? null, a.channels, file.bytes, file.sha256, input.fileId,
          JSON.stringify({ lufs: a.integratedLufs, peakDb: a.truePeakDbtp, stereoWidth: a.stereoWidthPercent, correlation: a.correlation, loudnessRangeLu: a.loudnessRangeLu ?? null, format: a.format }),
          JSON.stringify(waveform), s3 ? JSON.stringify(s3) : null, by.taskId ?? null, by.workflowId ?? null, by.actor ?? null, now,
        ],
      );
      if (row[0]) {
        this.deps.logger.info('track published to the catalog', { trackId: id, fileId: input.fileId, bytes: file.bytes, s3: s3?.uri });
        return this.view(row[0]);
      }
      // The same task published concurrently (two attempts racing): keep the entry that won.
      await rm(final, { force: true });
      const [winner] = await db.query<TrackRow>(`SELECT ${COLUMNS} FROM catalog_tracks WHERE task_id = $1`, [by.taskId]);
      return this.view(winner!);
    } catch (err) {
      await rm(temp, { force: true });
      await rm(final, { force: true });
      throw err;
    }
  }

  /**
   * `aws s3 cp` through the terminal firewall, as the key that asked. The policy holds copies to
   * S3 for an admin's approval: the publish waits for the decision (CATALOG_APPROVAL_WAIT_MS),
   * then withdraws the request and fails.
   */
  private async upload(id: string, by: { actor?: string; signal?: AbortSignal }): Promise<{ uri: string; approvalId?: string }> {
    const { firewall, config } = this.deps;
    const s3 = config.s3!;
    if (!firewall) throw new AppError(503, 'FIREWALL_DISABLED', 'CATALOG_S3_BUCKET is set but the terminal firewall is disabled: the upload cannot run');
    const uri = `s3://${s3.bucket}/${s3.prefix}${id}.wav`;
    const actor = by.actor ?? 'agent:DevOpsEngineer';
    const request = { command: 'aws', args: ['s3', 'cp', `${id}.wav`, uri, '--only-show-errors', '--content-type', 'audio/wav'], cwd: path.resolve(config.dir) };
    const outcome = await firewall.exec(request, actor, by.signal, 'catalog');
    let result: unknown;
    let approvalId: string | undefined;
    if (outcome.status === 'pending-approval') {
      approvalId = outcome.approval.id;
      result = await this.awaitApproval(approvalId, actor, by.signal);
    } else {
      result = outcome.result;
    }
    const run = result as { exitCode?: number | null; stderr?: string; timedOut?: boolean };
    if (run.exitCode !== 0) {
      throw new AppError(502, 'CATALOG_UPLOAD_FAILED', `aws s3 cp to ${uri} failed (${run.timedOut ? 'timed out' : `exit code ${run.exitCode}`})`, {
        uri,
        ...(approvalId ? { approvalId } : {}),
        stderr: (run.stderr ?? '').slice(-2_000),
      });
    }
    return { uri, ...(approvalId ? { approvalId } : {}) };
  }

  private async awaitApproval(id: string, actor: string, signal?: AbortSignal): Promise<unknown> {
    const firewall = this.deps.firewall!;
    const deadline = Date.now() + this.deps.config.approvalWaitMs;
    for (;;) {
      const approval = await firewall.approvals.get(id);
      if (!approval) throw new AppError(502, 'CATALOG_UPLOAD_FAILED', `Approval ${id} of the S3 upload disappeared`);
      if (approval.status === 'finished') return approval.result;
      if (approval.status === 'denied' || approval.status === 'expired' || approval.status === 'failed') {
        throw new AppError(409, 'CATALOG_UPLOAD_NOT_APPROVED', `The S3 upload was not run: approval ${id} is ${approval.status}`, { approvalId: id, status: approval.status });
      }
      if (approval.status === 'pending' && Date.now() >= deadline) {
        await firewall.withdraw(id, actor, `no decision within ${this.deps.config.approvalWaitMs} ms`);
        throw new AppError(409, 'CATALOG_UPLOAD_NOT_APPROVED', `No admin approved the S3 upload within ${this.deps.config.approvalWaitMs} ms (approval ${id} withdrawn)`, { approvalId: id });
      }
      await sleep(APPROVAL_POLL_MS, undefined, { signal });
    }
  }

  async get(id: string): Promise<CatalogTrack> {
    return this.view(await this.row(id));
  }

  async waveform(id: string): Promise<WaveformRecord> {
    const [row] = await this.deps.db.query<{ waveform: WaveformRecord | null }>('SELECT waveform FROM catalog_tracks WHERE id = $1', [id]);
    if (!row) throw new NotFoundError(`No catalog track ${id}`, undefined, 'TRACK_NOT_FOUND');
    if (!row.waveform) throw new NotFoundError(`Track ${id} has no waveform`, undefined, 'WAVEFORM_NOT_FOUND');
    return row.waveform;
  }

  /**
   * The published file on this instance's disk (what /stream serves). An instance that does not
   * have it (another instance published it, or its directory was lost) copies it once from the
   * AI DAWG's source file, checked against the entry's SHA-256.
   */
  async filePath(id: string): Promise<{ path: string; track: CatalogTrack }> {
    const row = await this.row(id);
    const file = path.resolve(this.deps.config.dir, `${row.id}.wav`);
    if (!(await present(file))) {
      let copy = this.restoring.get(row.id);
      if (!copy) {
        copy = this.restore(row, file).finally(() => this.restoring.delete(row.id));
        this.restoring.set(row.id, copy);
      }
      await copy;
    }
    return { path: file, track: this.view(row) };
  }

  private async restore(row: TrackRow, file: string): Promise<void> {
    await mkdir(this.deps.config.dir, { recursive: true });
    const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      let copied: { bytes: number; sha256: string };
      try {
        copied = await this.deps.moduleRouter.saveFile(row.source_file_id, temp);
      } catch (err) {
        if (!(err instanceof AppError) || err.status !== 404) throw err;
        throw new NotFoundError(
          `The audio of track ${row.id} is not in this instance's catalog directory, and its source file ${row.source_file_id} is no longer on the AI DAWG (share the catalog directory between instances, or use S3)`,
          undefined,
          'TRACK_FILE_MISSING',
        );
      }
      if (copied.sha256 !== row.sha256) {
        throw new AppError(502, 'DAWG_BAD_RESPONSE', `The AI DAWG's file ${row.source_file_id} no longer matches track ${row.id}'s SHA-256: not served`);
      }
      await rename(temp, file);
      this.deps.logger.info('catalog track copied from the AI DAWG', { trackId: row.id, fileId: row.source_file_id, bytes: copied.bytes });
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  /** Newest first; `before` is the nextBefore of the previous page. */
  async list(query: { limit: number; before?: string }): Promise<{ tracks: CatalogTrack[]; nextBefore: string | null }> {
    const before = query.before === undefined ? null : Number(query.before);
    const rows = await this.deps.db.query<TrackRow>(
      `SELECT ${COLUMNS} FROM catalog_tracks WHERE ($1::bigint IS NULL OR seq < $1) ORDER BY seq DESC LIMIT $2`,
      [before, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    return { tracks: page.map((r) => this.view(r)), nextBefore: rows.length > query.limit ? String(page[page.length - 1]!.seq) : null };
  }

  private async row(id: string): Promise<TrackRow> {
    const [row] = await this.deps.db.query<TrackRow>(`SELECT ${COLUMNS} FROM catalog_tracks WHERE id = $1`, [id]);
    if (!row) throw new NotFoundError(`No catalog track ${id}`, undefined, 'TRACK_NOT_FOUND');
    return row;
  }

  private view(r: TrackRow): CatalogTrack {
    const base = `${this.deps.publicUrl}/catalog/tracks/${r.id}`;
    const { format, ...analytics } = r.analytics;
    const publicBase = this.deps.config.publicBaseUrl;
    const s3Key = r.s3 ? r.s3.uri.replace(/^s3:\/\/[^/]+\//, '') : undefined;
    return {
      id: r.id,
      title: r.title,
      ...(r.genre ? { genre: r.genre } : {}),
      ...(r.bpm !== null ? { bpm: r.bpm } : {}),
      ...(r.musical_key ? { key: r.musical_key } : {}),
      ...(r.mood ? { mood: r.mood } : {}),
      durationSeconds: Math.round(r.duration_seconds * 100) / 100,
      format: formatName(r.sample_rate, r.bit_depth ?? undefined, format),
      sampleRate: r.sample_rate,
      ...(r.bit_depth !== null ? { bitDepth: r.bit_depth } : {}),
      channels: r.channels,
      bytes: Number(r.bytes),
      sha256: r.sha256,
      analytics,
      url: base,
      streamUrl: s3Key && publicBase ? `${publicBase}/${s3Key}` : `${base}/stream`,
      downloadUrl: `${base}/stream?download=true`,
      waveformUrl: `${base}/waveform`,
      ...(r.s3 ? { s3: r.s3 } : {}),
      sourceFileId: r.source_file_id,
      ...(r.task_id ? { taskId: r.task_id } : {}),
      ...(r.workflow_id ? { workflowId: r.workflow_id } : {}),
      publishedAt: (r.created_at instanceof Date ? r.created_at : new Date(r.created_at)).toISOString(),
    };
  }
}

async function present(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
