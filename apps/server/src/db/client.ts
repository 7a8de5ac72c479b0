import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { AppError } from '../lib/errors.ts';
import * as schema from './schema.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** One database handle for the whole process, on PostgreSQL or embedded PGlite. */
export interface Database {
  kind: 'pg' | 'pglite';
  db: Db;
  /** Raw SQL for infrastructure code (migrations, health). Domain code uses `db`. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` holding a session-level advisory lock on a dedicated connection. */
  withAdvisoryLock<T>(key: number, fn: (lockedDb: Db) => Promise<T>): Promise<T>;
  /** SQL as pg-boss sends it: parameters, or several statements without them. */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /**
   * LISTEN on `channel`. On PostgreSQL a dedicated connection that reconnects by itself and then
   * calls `onReconnect` (notifications sent meanwhile are lost: catch up from the table).
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export function fromPool(pool: pg.Pool): Database {
  const db = drizzlePg({ client: pool, schema }) as unknown as Db;
  return {
    kind: 'pg',
    db,
    async query(text, params) {
      const r = await pool.query(text, params as unknown[]);
      return r.rows;
    },
    async withAdvisoryLock(key, fn) {
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [key]);
        try {
          return await fn(drizzlePg({ client, schema }) as unknown as Db);
        } finally {
          await client.query('select pg_advisory_unlock($1)', [key]);
        }
      } finally {
        client.release();
      }
    },
    async executeSql(text, values) {
      const r = (await pool.query(text, values as unknown[])) as unknown as pg.QueryResult | pg.QueryResult[];
      return Array.isArray(r) ? (r[r.length - 1] ?? { rows: [] }) : r;
    },
    async listen(channel, onNotify, onReconnect) {
      let client: pg.Client | undefined;
      let stopped = false;
      let attempt = 0;
      const connect = async (): Promise<void> => {
        const c = new pg.Client(pool.options);
        c.on('notification', (n) => {
          if (n.channel === channel) onNotify(n.payload ?? '');
        });
        c.on('error', () => {
          if (client !== c || stopped) return;
          client = undefined;
          void c.end().catch(() => {});
          void retry();
        });
        await c.connect();
        await c.query(`listen ${pg.escapeIdentifier(channel)}`);
        client = c;
        attempt = 0;
      };
      const retry = async () => {
        while (!stopped && !client) {
          await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt++)));
          try {
            await connect();
            onReconnect?.();
          } catch {
            // keep trying
          }
        }
      };
      await connect();
      return async () => {
        stopped = true;
        await client?.end().catch(() => {});
      };
    },
    close: () => pool.end(),
  };
}

export function fromPglite(client: PGlite, onClose?: () => void): Database {
  let lockChain: Promise<unknown> = Promise.resolve();
  const db = drizzlePglite({ client, schema }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    async query(text, params) {
      const r = await client.query(text, params as unknown[]);
      return r.rows as never[];
    },
    // PGlite is one connection in one process: an in-process queue stands in for the advisory lock.
    withAdvisoryLock(_key, fn) {
      const run = lockChain.then(() => fn(db));
      lockChain = run.catch(() => {});
      return run;
    },
    async executeSql(text, values) {
      if (values?.length) return client.query(text, values as unknown[]);
      const results = await client.exec(text);
      return results[results.length - 1] ?? { rows: [] };
    },
    async listen(channel, onNotify) {
      const unsubscribe = await client.listen(channel, onNotify);
      return async () => {
        // Closing after the database is gone must not fail the shutdown.
        await Promise.resolve()
          .then(() => unsubscribe())
          .catch(() => {});
      };
    },
    async close() {
      await client.close();
      onClose?.();
    },
  };
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  poolMax?: number;
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolMax ?? 10 });
    // An idle client that loses its server must not crash the process.
    pool.on('error', () => {});
    // Nor one that is checked out (pg-pool removes its idle listener then): PostgreSQL ending the
    // connection between two statements of a transaction emits 'error' on the client, which with no
    // listener ends the process. The next statement fails instead, and the pool drops the client.
    pool.on('connect', (client) => {
      client.on('error', () => {});
    });
    return fromPool(pool);
  }
  const dir = resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  const release = lockDataDir(dir);
  try {
    const client = new PGlite(join(dir, 'pgdata'));
    await client.waitReady;
    return fromPglite(client, release);
  } catch (err) {
    release();
    throw err;
  }
}

/** The embedded database must have exactly one process. A pid file enforces it. */
function lockDataDir(dir: string): () => void {
  const file = join(dir, 'openwaba.pid');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new AppError(
        'CONFLICT',
        `Another openwaba process (pid ${pid}) is using the embedded database in ${dir}. Stop it, or set DATABASE_URL to share a PostgreSQL server between processes.`,
      );
    }
    rmSync(file, { force: true });
  }
  const fd = openSync(file, 'wx');
  writeSync(fd, String(process.pid));
  closeSync(fd);
  return () => rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
