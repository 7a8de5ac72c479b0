import { type SQL, sql } from 'drizzle-orm';

/**
 * How far a message has got: a status never moves a message backwards, and `failed` is final.
 * `read` and `played` are the same step (a voice note is played where a text is read).
 */
export const STATUS_RANK: Record<string, number> = { sent: 1, delivered: 2, read: 3, played: 3, failed: 4 };

/** The same ranking in SQL, for statements that compare a stored status with an incoming one. */
export const statusRankSql = (x: SQL) =>
  sql`case ${x} when 'sent' then 1 when 'delivered' then 2 when 'read' then 3 when 'played' then 3 when 'failed' then 4 else 0 end`;

/** Of several statuses of one message, the one that counts: failed if any, else the highest (the last of equals). */
export function bestStatusOf<T extends { status: string }>(statuses: T[]): T | undefined {
  if (!statuses.length) return undefined;
  return (
    statuses.find((p) => p.status === 'failed') ??
    statuses.reduce((a, b) => ((STATUS_RANK[b.status] ?? 0) >= (STATUS_RANK[a.status] ?? 0) ? b : a))
  );
}
