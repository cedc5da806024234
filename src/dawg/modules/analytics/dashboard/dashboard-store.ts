import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ForbiddenError, NotFoundError } from '../../../../common/errors';
import {
  contentTypeOf,
  DASHBOARD_FILE_NAME,
  DASHBOARD_ID,
  DASHBOARD_PAGE_FILE,
  dashboardRecordSchema,
  type DashboardChart,
  type DashboardCursor,
  type DashboardRecord,
} from './dashboard-record';
import { pageOf } from '../../../storage/file-page';

/** Where an unfinished dashboard is written; never a valid id, so readers skip it. */
const TEMP_PREFIX = '.tmp-';
const RECORD_FILE = 'dashboard.json';
/** dashboard.json files read at once while listing: keeps the disk busy, stays far from the fd limit. */
const LIST_READ_CONCURRENCY = 32;

export interface DashboardStoreOptions {
  /** The DAWG's data directory; dashboards live in `<dataDir>/dashboards/<id>/`. */
  dataDir: string;
}

/** A chart as rendered: images for every type but table (which lives only on the page). */
export interface RenderedChart {
  type: DashboardChart['type'];
  title: string;
  svg?: string;
  png?: Uint8Array;
}

export interface DashboardDraft {
  title: string;
  rowCount: number;
  truncated: boolean;
  html: string;
  charts: readonly RenderedChart[];
  /** The caller the dashboard was rendered for. */
  createdBy?: string;
}

export interface DashboardPage {
  dashboards: DashboardRecord[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: string | null;
}

/**
 * Rendered dashboards, one folder each. A dashboard is written whole into a temporary folder
 * beside the others and renamed into place, so readers see a complete dashboard or none; a
 * crash mid-write leaves only a `.tmp-` folder, which readers skip and `init` removes.
 */
export class DashboardStore {
  readonly dir: string;

  constructor(options: DashboardStoreOptions) {
    // Absolute, because the routes hand these paths to res.sendFile, which accepts no other.
    this.dir = path.resolve(options.dataDir, 'dashboards');
  }

  /** Creates the folder and clears what interrupted writes left (one DAWG process owns the folder). */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const names = await readdir(this.dir);
    await Promise.all(names.filter((n) => n.startsWith(TEMP_PREFIX)).map((n) => rm(path.join(this.dir, n), { recursive: true, force: true })));
  }

  async save(draft: DashboardDraft): Promise<DashboardRecord> {
    const record: DashboardRecord = {
      id: `dsh_${randomUUID()}`,
      title: draft.title,
      createdAt: new Date().toISOString(),
      charts: draft.charts.map((c, index) => ({
        index,
        type: c.type,
        title: c.title,
        svg: c.svg === undefined ? null : `chart-${index}.svg`,
        png: c.png === undefined ? null : `chart-${index}.png`,
      })),
      rowCount: draft.rowCount,
      truncated: draft.truncated,
      ...(draft.createdBy ? { createdBy: draft.createdBy } : {}),
    };
    const tmp = await mkdtemp(path.join(this.dir, TEMP_PREFIX));
    try {
      await writeFile(path.join(tmp, DASHBOARD_PAGE_FILE), draft.html, { mode: 0o600 });
      for (const [i, chart] of draft.charts.entries()) {
        const files = record.charts[i]!;
        if (files.svg && chart.svg !== undefined) await writeFile(path.join(tmp, files.svg), chart.svg, { mode: 0o600 });
        if (files.png && chart.png !== undefined) await writeFile(path.join(tmp, files.png), chart.png, { mode: 0o600 });
      }
      // Written last: a folder with its dashboard.json has every file the record names.
      await writeFile(path.join(tmp, RECORD_FILE), JSON.stringify(record, null, 2), { mode: 0o600 });
      await rename(tmp, this.folderOf(record.id));
    } catch (err) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
    return record;
  }

  async get(id: string): Promise<DashboardRecord> {
    const folder = this.folderOf(id);
    try {
      return dashboardRecordSchema.parse(JSON.parse(await readFile(path.join(folder, RECORD_FILE), 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(id);
      throw err;
    }
  }

  /**
   * One page, newest first. Every dashboard.json is read (ids are random, so nothing on disk
   * is in creation order): fine for the hundreds of dashboards a DAWG keeps.
   */
  async list(query: { limit: number; before?: DashboardCursor }): Promise<DashboardPage> {
    const ids = (await readdir(this.dir)).filter((n) => DASHBOARD_ID.test(n));
    const records: DashboardRecord[] = [];
    for (let i = 0; i < ids.length; i += LIST_READ_CONCURRENCY) {
      const batch = await Promise.all(ids.slice(i, i + LIST_READ_CONCURRENCY).map((id) => this.get(id).catch(skipIfGone)));
      for (const r of batch) if (r) records.push(r);
    }
    const { items, nextBefore } = pageOf(records, query.limit, query.before);
    return { dashboards: items, nextBefore };
  }

  /**
   * Deletes a dashboard. Its folder is first renamed to a `.tmp-` name, so readers stop
   * seeing it at once (a listing never shows half a dashboard); what a crash leaves behind
   * then is cleared by `init`. With `ownedBy`, only a dashboard rendered for that caller is
   * deleted; any other answers 403 and stays (the owner of a stored dashboard never changes).
   */
  async remove(id: string, ownedBy?: string): Promise<void> {
    if (ownedBy !== undefined && (await this.get(id)).createdBy !== ownedBy) {
      throw new ForbiddenError(`Dashboard ${id} was rendered for another caller: only its creator or an admin API key may delete it`, { field: 'params.id' });
    }
    const doomed = path.join(this.dir, `${TEMP_PREFIX}deleted-${randomUUID()}`);
    try {
      await rename(this.folderOf(id), doomed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(id);
      throw err;
    }
    await rm(doomed, { recursive: true, force: true });
  }

  /** A file of the dashboard, only if its dashboard.json names it: no other name ever becomes a path. */
  async file(id: string, name: string): Promise<{ path: string; contentType: string }> {
    const record = await this.get(id);
    const names = new Set([DASHBOARD_PAGE_FILE, ...record.charts.flatMap((c) => [c.svg, c.png]).filter((n): n is string => n !== null)]);
    if (!names.has(name) || !DASHBOARD_FILE_NAME.test(name)) {
      throw new NotFoundError(`Dashboard ${id} has no file "${name.slice(0, 100)}"`, { available: [...names] }, 'DASHBOARD_FILE_NOT_FOUND');
    }
    return { path: path.join(this.folderOf(id), name), contentType: contentTypeOf(name) };
  }

  private folderOf(id: string): string {
    if (!DASHBOARD_ID.test(id)) throw notFound(id);
    return path.join(this.dir, id);
  }
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`Dashboard not found: ${id.slice(0, 100)}`, undefined, 'DASHBOARD_NOT_FOUND');
}

function skipIfGone(err: unknown): undefined {
  if (err instanceof NotFoundError) return undefined;
  throw err;
}
