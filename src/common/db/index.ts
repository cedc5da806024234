export type { Db, DbKind, Queryable } from './db';
export { dropTemplateDatabases, openPglite, pgliteDb } from './pglite-db';
export { openPostgres } from './postgres-db';
export { migrate } from './migrate';
