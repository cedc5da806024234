import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { SONG_PROVIDERS } from '../common/ai-routing';
import { wholeNumberFromText } from '../common/validation';
import { productionBody, PLATFORMS, type ProductionBody } from '../control-plane/agents/scenarios/production-scenario';
import { catalogTrackId } from '../control-plane/catalog/catalog-service';
import { check, noMoreArguments, type Connection, type Values } from './args-common';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, RequestError, UsageError } from './errors';
import { jsonText } from './format';

/*
 * `jarvis produce` (the blueprint's scenario 1: one workflow from prompt to published track)
 * and `jarvis catalog get|list` (the published tracks).
 */

export type ProductionCommand =
  | { kind: 'produce'; connection: Connection; json: boolean; body: ProductionBody; wait: boolean; cancelOnInterrupt: boolean }
  | { kind: 'catalog-get'; connection: Connection; json: boolean; id: string }
  | { kind: 'catalog-list'; connection: Connection; json: boolean; limit: number };


/** `jarvis produce PROMPT [--title T] [--genre G] [--mood M] [--duration S] [--provider P] [--platform P] [--wait]`. */
export function parseProduce(rest: string[], values: Values, connection: () => Connection): ProductionCommand {
  const topic = 'produce';
  if (rest.length === 0) throw new UsageError('Missing the PROMPT (quote it: jarvis produce "a synthwave track called \'Neon Dreams\'")', topic);
  noMoreArguments(rest, 1, topic, ' (quote the prompt)');
  const duration = values.duration === undefined ? undefined : check(wholeNumberFromText().pipe(z.number().min(10, 'must be at least 10 (seconds)').max(300, 'must be at most 300 (seconds)')), values.duration, '--duration', topic);
  const raw = {
    prompt: rest[0],
    ...(values.title === undefined ? {} : { title: values.title }),
    ...(values.genre === undefined ? {} : { genre: values.genre }),
    ...(values.mood === undefined ? {} : { mood: values.mood }),
    ...(duration === undefined ? {} : { duration }),
    ...(values.provider === undefined ? {} : { provider: values.provider }),
    ...(values.platform === undefined ? {} : { platform: values.platform }),
  };
  const parsed = productionBody.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? 'prompt');
    const hint = field === 'platform' ? ` (${PLATFORMS.join(', ')})` : field === 'provider' ? ` (${SONG_PROVIDERS.join(', ')})` : '';
    throw new UsageError(`${field === 'prompt' ? 'PROMPT' : `--${field}`}: ${issue.message}${hint}`, topic);
  }
  const wait = values.wait ?? false;
  const cancelOnInterrupt = values['cancel-on-interrupt'] ?? false;
  if (cancelOnInterrupt && !wait) throw new UsageError('--cancel-on-interrupt only applies with --wait', topic);
  return { kind: 'produce', connection: connection(), json: values.json ?? false, body: parsed.data, wait, cancelOnInterrupt };
}

export function parseCatalog(sub: string, rest: string[], values: Values, connection: () => Connection): ProductionCommand {
  const topic = `catalog ${sub}`;
  if (sub === 'get') {
    if (rest.length === 0) throw new UsageError('Missing the TRACK_ID', topic);
    noMoreArguments(rest, 1, topic);
    return { kind: 'catalog-get', connection: connection(), json: values.json ?? false, id: check(catalogTrackId, rest[0], 'TRACK_ID', topic) };
  }
  noMoreArguments(rest, 0, topic);
  const limit = values.limit === undefined ? 20 : check(wholeNumberFromText().pipe(z.number().min(1, 'must be at least 1').max(200, 'must be at most 200')), values.limit, '--limit', topic);
  return { kind: 'catalog-list', connection: connection(), json: values.json ?? false, limit };
}

const trackSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    genre: z.string().optional(),
    bpm: z.number().optional(),
    key: z.string().optional(),
    durationSeconds: z.number(),
    format: z.string(),
    analytics: z.object({ lufs: z.number().nullable(), peakDb: z.number().nullable(), stereoWidth: z.number() }).passthrough(),
    url: z.string(),
    streamUrl: z.string(),
    downloadUrl: z.string(),
    publishedAt: z.string(),
  })
  .passthrough();
const trackListSchema = z.object({ tracks: z.array(trackSchema), nextBefore: z.string().nullable() });
const startedSchema = z.object({ workflowId: z.string(), jobUrl: z.string(), taskIds: z.record(z.string(), z.string()) }).passthrough();
const stepSchema = z.object({ id: z.string(), stepKey: z.string().optional(), agent: z.string(), taskType: z.string(), status: z.string(), progress: z.number().optional() }).passthrough();
const workflowSchema = z.object({ jobId: z.string(), status: z.string(), result: z.unknown().optional(), error: z.unknown().optional(), steps: z.array(stepSchema) }).passthrough();
type Track = z.infer<typeof trackSchema>;
type Workflow = z.infer<typeof workflowSchema>;

/** The few calls these commands make; JarvisClient provides them. */
export interface ProductionClient {
  absolute(path: string): string;
  send<S extends z.ZodType>(schema: S, method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<z.output<S>>;
}

export interface ProductionIo {
  out: (text: string) => void;
  err: (text: string) => void;
  onInterrupt?: (handler: () => void) => () => void;
  pollMs?: number;
}

const fixed = (v: number | null, unit: string) => (v === null ? '—' : `${v.toFixed(1)} ${unit}`);

export function formatTrack(t: Track): string {
  const a = t.analytics;
  return [
    `${t.title} (${t.id})`,
    `  ${[t.genre, t.bpm ? `${t.bpm} BPM` : undefined, t.key].filter(Boolean).join(' · ')}`,
    `  ${t.format}, ${t.durationSeconds.toFixed(1)} s, ${fixed(a.lufs, 'LUFS')}, true peak ${fixed(a.peakDb, 'dBTP')}, width ${Math.round(a.stereoWidth)}`,
    `  ${t.url}`,
    `  stream:   ${t.streamUrl}`,
    `  download: ${t.downloadUrl}`,
  ].join('\n');
}

export async function runProductionCommand(command: ProductionCommand, client: ProductionClient, io: ProductionIo): Promise<number> {
  switch (command.kind) {
    case 'catalog-get': {
      const track = await client.send(trackSchema, 'GET', `/catalog/tracks/${encodeURIComponent(command.id)}`);
      io.out(command.json ? jsonText(track) : formatTrack(track));
      return EXIT_OK;
    }
    case 'catalog-list': {
      const page = await client.send(trackListSchema, 'GET', `/catalog/tracks?limit=${command.limit}`);
      io.out(command.json ? jsonText(page) : page.tracks.length ? page.tracks.map(formatTrack).join('\n\n') : 'No published tracks.');
      return EXIT_OK;
    }
    case 'produce': {
      const started = await client.send(startedSchema, 'POST', '/integrations/chatgpt/actions/creative/produce', command.body);
      const jobUrl = client.absolute(started.jobUrl);
      if (!command.wait) {
        io.out(command.json ? jsonText({ jobId: started.workflowId, jobUrl, steps: Object.keys(started.taskIds) }) : `Production ${started.workflowId} started (${Object.keys(started.taskIds).join(' → ')}).\nFollow it: ${jobUrl}`);
        return EXIT_OK;
      }
      io.err(`Production ${started.workflowId} started; job: ${jobUrl}`);
      return follow(client, started.workflowId, command, io);
    }
  }
}

/** Polls the workflow (the full view, not ChatGPT's cut one), printing each step's changes to stderr. */
async function follow(client: ProductionClient, id: string, command: { json: boolean; cancelOnInterrupt: boolean }, io: ProductionIo): Promise<number> {
  const interrupt = new AbortController();
  const unsubscribe = io.onInterrupt?.(() => interrupt.abort()) ?? (() => {});
  const seen = new Map<string, string>();
  let workflow: Workflow | undefined;
  try {
    for (;;) {
      try {
        workflow = await client.send(workflowSchema, 'GET', `/api/v1/workflows/${encodeURIComponent(id)}`, undefined, interrupt.signal);
      } catch (err) {
        if (interrupt.signal.aborted) break;
        throw err;
      }
      for (const step of workflow.steps) {
        const state = `${step.status}${step.status === 'running' && step.progress !== undefined ? ` ${step.progress}%` : ''}`;
        if (seen.get(step.id) === state) continue;
        seen.set(step.id, state);
        io.err(`  ${(step.stepKey ?? step.taskType).padEnd(8)} ${step.agent}.${step.taskType}: ${state}`);
      }
      if (workflow.status !== 'running') break;
      try {
        await sleep(io.pollMs ?? 1_000, undefined, { signal: interrupt.signal });
      } catch {
        break;
      }
    }
  } finally {
    unsubscribe();
  }
  if (!workflow || workflow.status === 'running') {
    if (!command.cancelOnInterrupt) {
      io.err(`Interrupted: stopped waiting. Production ${id} goes on.\nCancel it: POST /api/v1/workflows/${id}/cancel`);
      return EXIT_INTERRUPTED;
    }
    try {
      await client.send(workflowSchema, 'POST', `/api/v1/workflows/${encodeURIComponent(id)}/cancel`);
      io.err(`Interrupted: production ${id} cancelled.`);
    } catch (err) {
      io.err(`Interrupted: could not cancel production ${id}: ${err instanceof RequestError ? err.message : String(err)}`);
    }
    return EXIT_INTERRUPTED;
  }
  const answer = (workflow.result ?? {}) as { success?: boolean; message?: string; reasons?: string[]; timeline?: Record<string, string>; result?: { trackId?: string } };
  if (command.json) io.out(jsonText(workflow.result ?? workflow));
  if (workflow.status === 'completed' && answer.success) {
    if (!command.json) {
      io.out(answer.message ?? 'Produced');
      if (answer.result?.trackId) io.out(formatTrack(await client.send(trackSchema, 'GET', `/catalog/tracks/${encodeURIComponent(answer.result.trackId)}`)));
      if (answer.timeline) io.out(`Timeline: ${Object.entries(answer.timeline).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    return EXIT_OK;
  }
  const error = workflow.error as { message?: string } | undefined;
  io.err(`jarvis: production ${id} ${workflow.status}: ${answer.message ?? error?.message ?? 'no reason given'}${answer.reasons?.length ? `\n  - ${answer.reasons.join('\n  - ')}` : ''}`);
  return EXIT_FAILURE;
}
