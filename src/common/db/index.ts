export type { Db, DbKind, Queryable } from './db';
export { openPglite } from './pglite-db';
export { openPostgres } from './postgres-db';
export { migrate } from './migrate';
