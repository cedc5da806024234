import { EventEmitter } from 'node:events';
import type { PGlite, Results, Transaction } from '@electric-sql/pglite';

type QueryConfig = { text: string; values?: unknown[]; name?: string };
export type PgResult = { rows: Record<string, unknown>[]; rowCount: number; fields: unknown[] };

const BEGIN = /^\s*(begin|start\s+transaction)(\s+(transaction|work))?\s*;?\s*$/i;
const COMMIT = /^\s*(commit|end)(\s+(transaction|work))?\s*;?\s*$/i;
const ROLLBACK = /^\s*(rollback|abort)(\s+(transaction|work))?\s*;?\s*$/i;
const ONLY_LISTEN = /^\s*((un)?listen\s+("[^"]+"|[a-z_][\w$]*|\*)\s*;?\s*)+$/i;
const LISTEN_STMT = /(un)?listen\s+("([^"]+)"|([a-z_][\w$]*)|\*)/gi;
/** node-postgres returns int8 and numeric as strings; graphile-worker relies on that. */
const PG_COMPAT = { parsers: { 20: (x: string) => x, 1700: (x: string) => x } };
const EMPTY: PgResult = { rows: [], rowCount: 0, fields: [] };

const toPg = (r?: Results): PgResult => ({
  rows: (r?.rows ?? []) as Record<string, unknown>[],
  rowCount: r?.affectedRows ?? r?.rows.length ?? 0,
  fields: r?.fields ?? [],
});

async function run(target: PGlite | Transaction, text: string, values?: unknown[]): Promise<PgResult> {
  if (values?.length) return toPg(await target.query(text, values, PG_COMPAT));
  // Without values node-postgres uses the simple protocol, which allows several statements.
  const all = await target.exec(text, PG_COMPAT);
  return toPg(all[all.length - 1]);
}

/**
 * One "connection" of the pool. BEGIN…COMMIT/ROLLBACK maps onto `pg.transaction()`, which
 * holds PGlite's single session: other clients, and the app's own Db port on the same
 * instance, wait until it ends.
 */
export class PglitePoolClient extends EventEmitter {
  readonly channels = new Set<string>();
  private tx?: Transaction;
  private finish?: (rollback: boolean) => Promise<void>;
  private txDone?: Promise<void>;
  private released = false;

  constructor(private readonly pool: PglitePool) {
    super();
  }

  async query(config: string | QueryConfig, values?: unknown[]): Promise<PgResult> {
    if (this.released) throw new Error('Client was released');
    const text = typeof config === 'string' ? config : config.text;
    const params = typeof config === 'string' ? values : (config.values ?? values);
    if (BEGIN.test(text)) return this.begin();
    if (COMMIT.test(text) || ROLLBACK.test(text)) return this.end(ROLLBACK.test(text));
    if (ONLY_LISTEN.test(text)) return this.pool.listen(this, text);
    return run(this.tx ?? this.pool.pg, text, params);
  }

  private async begin(): Promise<PgResult> {
    if (this.tx) return EMPTY;
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    this.txDone = this.pool.pg.transaction(
      (tx) =>
        new Promise<void>((resolve, reject) => {
          this.tx = tx;
          this.finish = async (rollback) => {
            try {
              if (rollback) await tx.rollback();
              resolve();
            } catch (err) {
              reject(err);
            }
          };
          started();
        }),
    );
    this.txDone.catch(() => undefined);
    await Promise.race([ready, this.txDone]); // surfaces a failing BEGIN
    return EMPTY;
  }

  private async end(rollback: boolean): Promise<PgResult> {
    const { finish, txDone } = this;
    this.tx = this.finish = this.txDone = undefined;
    if (!finish || !txDone) return EMPTY; // PostgreSQL only warns on COMMIT outside a transaction
    await finish(rollback);
    await txDone; // a failing COMMIT rejects here
    return EMPTY;
  }

  /** An open transaction is rolled back: a released client never keeps holding the session. */
  release(_err?: unknown): void {
    if (this.released) return;
    this.released = true;
    this.pool.drop(this);
    if (this.finish) void this.end(true).catch((err: unknown) => this.pool.emit('error', err));
  }
}

type ConnectCallback = (err: Error | undefined, client?: PglitePoolClient, done?: (err?: unknown) => void) => void;

/**
 * The part of `pg.Pool` that graphile-worker uses (connect, query, events, end), over ONE
 * PGlite instance. PGlite's own node-postgres shim allows one client only, and the queue keeps
 * one client checked out for LISTEN, so it needs this.
 */
export class PglitePool extends EventEmitter {
  private readonly clients = new Set<PglitePoolClient>();
  private readonly listening = new Set<string>();
  private unsubscribe?: () => void;

  constructor(readonly pg: PGlite) {
    super();
  }

  connect(): Promise<PglitePoolClient>;
  connect(cb: ConnectCallback): void;
  connect(cb?: ConnectCallback): Promise<PglitePoolClient> | void {
    const client = new PglitePoolClient(this);
    this.clients.add(client);
    this.emit('connect', client);
    if (!cb) return Promise.resolve(client);
    queueMicrotask(() => cb(undefined, client, (err) => client.release(err)));
  }

  async query(config: string | QueryConfig, values?: unknown[]): Promise<PgResult> {
    const client = await this.connect();
    try {
      return await client.query(config, values);
    } finally {
      client.release();
    }
  }

  /** LISTEN runs once per channel on the single session; UNLISTEN drops only this client's subscription. */
  async listen(client: PglitePoolClient, text: string): Promise<PgResult> {
    this.unsubscribe ??= this.pg.onNotification((channel, payload) => {
      for (const c of this.clients) if (c.channels.has(channel)) c.emit('notification', { channel, payload, processId: 0 });
    });
    for (const m of text.matchAll(LISTEN_STMT)) {
      const channel = m[3] ?? m[4]?.toLowerCase() ?? '*';
      if (m[1]) {
        if (channel === '*') client.channels.clear();
        else client.channels.delete(channel);
        continue;
      }
      client.channels.add(channel);
      if (!this.listening.has(channel)) {
        await this.pg.exec(`LISTEN "${channel.replace(/"/g, '""')}"`);
        this.listening.add(channel);
      }
    }
    return EMPTY;
  }

  drop(client: PglitePoolClient): void {
    this.clients.delete(client);
    client.channels.clear();
  }

  /** The PGlite instance belongs to the Db that created this pool; only the fan-out stops here. */
  async end(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
