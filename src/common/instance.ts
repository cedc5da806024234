import { hostname } from 'node:os';

/** This process's name among the instances sharing a database: `host:pid` (task workers, metrics, webhook messages). */
export function processInstanceName(): string {
  return `${hostname()}:${process.pid}`;
}
