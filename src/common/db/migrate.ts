import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from './db';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

interface Migration {
  file: string;
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

const FILE_NAME = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`Migration file "${file}" must be named NNN_name.sql`);
    const sql = await readFile(path.join(dir, file), 'utf8');
    migrations.push({
      file,
      version: Number(match[1]),
      name: match[2]!,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return migrations;
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so instances that
 * start together neither race nor half-apply. A migration already applied whose file has
 * changed since is refused: history is append-only.
 *
 * Hand-written (about 40 lines) because the maintained runners either need a `pg` client
 * (node-pg-migrate) or are ESM-only (postgrator), and ours must drive PGlite as well.
 */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<{ applied: string[] }> {
  const migrations = await loadMigrations(dir);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`jarvis_migrations:${db.schema}`]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ version: number; checksum: string }>('SELECT version, checksum FROM schema_migrations');
    const done = new Map(rows.map((r) => [r.version, r.checksum]));
    const applied: string[] = [];
    for (const m of migrations) {
      const previous = done.get(m.version);
      if (previous !== undefined) {
        if (previous !== m.checksum) throw new Error(`Migration ${m.file} was changed after it was applied`);
        continue;
      }
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      applied.push(m.file);
    }
    return { applied };
  });
}
