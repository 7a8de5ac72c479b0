import type { SQL } from 'drizzle-orm';
import type { Db, Tx } from './client.ts';

export type OnCommit = (fn: () => Promise<unknown> | unknown) => void;

/**
 * A transaction with after-commit hooks: domain code registers side effects that must only happen
 * once the change is durable (publishing events, enqueueing follow-up work).
 *
 * @example
 * await transaction(db, async (tx, onCommit) => {
 *   await repo.update(tx, …);
 *   onCommit(() => events.publish(orgId, [{ type: 'org.updated', data: { fields } }]));
 * });
 */
export async function transaction<T>(db: Db, fn: (tx: Tx, onCommit: OnCommit) => Promise<T>): Promise<T> {
  const hooks: (() => Promise<unknown> | unknown)[] = [];
  const result = await db.transaction((tx) => fn(tx, (h) => hooks.push(h)));
  for (const h of hooks) await h();
  return result;
}

/** Rows of a raw SQL statement run on a transaction (or the db); the same on `pg` and PGlite. */
export async function queryRows<T>(tx: Db | Tx, query: SQL): Promise<T[]> {
  const r = (await tx.execute(query)) as unknown as { rows?: T[] };
  return r.rows ?? (r as unknown as T[]);
}
