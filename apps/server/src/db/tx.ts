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
