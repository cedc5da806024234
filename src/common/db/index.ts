export type { Db, DbKind, Queryable } from './db';
export { openPglite, pgliteDb } from './pglite-db';
export { openPostgres } from './postgres-db';
export { migrate } from './migrate';
