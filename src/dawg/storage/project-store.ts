import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ForbiddenError, InvalidError, NotFoundError } from '../../common/errors';
import { parseInput } from '../../common/validation';
import { writeFileAtomic } from '../../common/atomic-file';
import { fileIdSchema } from './file-store';

export const PROJECT_ID = /^p_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const projectIdSchema = z.string().regex(PROJECT_ID, 'must be a project id (p_…)');

export const noteSchema = z
  .object({
    pitch: z.number().int().min(0).max(127),
    velocity: z.number().int().min(1).max(127),
    startBeats: z.number().min(0).max(100_000),
    durationBeats: z.number().positive().max(10_000),
  })
  .strict();

export const trackSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('audio'), fileId: fileIdSchema }).strict(),
  z.object({ kind: z.literal('midi'), instrument: z.string().min(1).max(50), notes: z.array(noteSchema).max(100_000) }).strict(),
]);

/** A processor in a track's chain; its params are checked against that processor's own schema when it runs. */
export const pluginSchema = z
  .object({
    type: z.enum(['eq', 'compressor', 'limiter', 'stereo-width', 'reverb', 'delay', 'gain']),
    params: z.record(z.string(), z.unknown()).default({}),
    bypass: z.boolean().default(false),
  })
  .strict();

export const trackSchema = z
  .object({
    id: z.string(),
    name: z.string().min(1).max(100),
    source: trackSourceSchema,
    gainDb: z.number().min(-60).max(24).default(0),
    pan: z.number().min(-1).max(1).default(0),
    mute: z.boolean().default(false),
    solo: z.boolean().default(false),
    plugins: z.array(pluginSchema).max(32).default([]),
  })
  .strict();
export type Track = z.infer<typeof trackSchema>;

export const projectSchema = z
  .object({
    id: z.string(),
    name: z.string().min(1).max(200),
    sampleRate: z.union([z.literal(44_100), z.literal(48_000), z.literal(96_000)]),
    bpm: z.number().min(20).max(400),
    tracks: z.array(trackSchema).max(64),
    /** Incremented by every change; lets a caller detect that it worked on an old copy. */
    version: z.number().int().nonnegative(),
    createdAt: z.string(),
    updatedAt: z.string(),
    /** Who it was created for (API key id or agent:<name>); absent on projects made without one. */
    createdBy: z.string().optional(),
  })
  .strict();
export type Project = z.infer<typeof projectSchema>;

/**
 * Whether a caller limited to its own resources (`ownedBy`, see ActionContext) may change
 * `project`; 403 naming the project field otherwise. Without a limit anything may be changed.
 */
export function assertMayChange(project: Project, ownedBy: string | undefined, field = 'params.projectId'): void {
  if (ownedBy !== undefined && project.createdBy !== ownedBy) {
    throw new ForbiddenError(`Project ${project.id} was created by another caller: only its creator or an admin API key may change it`, { field });
  }
}

/**
 * Projects as JSON documents in the DAWG's data directory, one file each, replaced atomically.
 * Changes to one project are serialised in process (`update`), so concurrent actions on the
 * same project never lose each other's edits; the DAWG is one process per data directory.
 */
export class ProjectStore {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private pathOf(id: string): string {
    if (!PROJECT_ID.test(id)) throw new InvalidError(`Invalid project id "${id}"`, { issues: [{ field: 'projectId', message: 'must be a project id (p_…)' }] });
    return path.join(this.dir, `${id}.json`);
  }

  async create(input: { name: string; sampleRate: Project['sampleRate']; bpm: number; tracks?: Track[]; createdBy?: string }): Promise<Project> {
    const now = new Date().toISOString();
    const project = parseInput(
      projectSchema,
      { id: `p_${randomUUID()}`, name: input.name, sampleRate: input.sampleRate, bpm: input.bpm, tracks: input.tracks ?? [], version: 1, createdAt: now, updatedAt: now, ...(input.createdBy ? { createdBy: input.createdBy } : {}) },
      'project',
    );
    await writeFileAtomic(this.pathOf(project.id), JSON.stringify(project));
    return project;
  }

  async get(id: string): Promise<Project> {
    try {
      return projectSchema.parse(JSON.parse(await readFile(this.pathOf(id), 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`Project not found: ${id}`, undefined, 'PROJECT_NOT_FOUND');
      throw err;
    }
  }

  async list(): Promise<Project[]> {
    const ids = (await readdir(this.dir)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).filter((id) => PROJECT_ID.test(id));
    const projects = await Promise.all(ids.map((id) => this.get(id).catch(() => undefined)));
    return projects.filter((p): p is Project => p !== undefined).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /**
   * Applies `change` to the current project and stores the result (validated) as the next
   * version. With `ownedBy`, only a project created for that caller is changed (403 otherwise,
   * before `change` runs).
   */
  async update(id: string, change: (project: Project) => Project | Promise<Project>, ownedBy?: string): Promise<Project> {
    return this.serialised(id, async () => {
      const current = await this.get(id);
      assertMayChange(current, ownedBy);
      const changed = await change(structuredClone(current));
      // A change that breaks the project's limits (64 tracks, 32 plugins, …) is a 400 naming the field.
      const { createdBy: _ignored, ...rest } = changed;
      const kept = { id, createdAt: current.createdAt, ...(current.createdBy ? { createdBy: current.createdBy } : {}) };
      const stored = parseInput(projectSchema, { ...rest, ...kept, version: current.version + 1, updatedAt: new Date().toISOString() }, 'project');
      await writeFileAtomic(this.pathOf(id), JSON.stringify(stored));
      return stored;
    });
  }

  /** Deletes a project; with `ownedBy`, only one created for that caller (403 otherwise, nothing removed). */
  async remove(id: string, ownedBy?: string): Promise<void> {
    await this.serialised(id, async () => {
      assertMayChange(await this.get(id), ownedBy);
      await rm(this.pathOf(id), { force: true });
    });
  }

  /** Runs `work` after every earlier change of project `id` has settled, so none overwrites another. */
  private async serialised<T>(id: string, work: () => Promise<T>): Promise<T> {
    const next = (this.locks.get(id) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.locks.set(id, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(id) === next) this.locks.delete(id);
    }
  }
}
