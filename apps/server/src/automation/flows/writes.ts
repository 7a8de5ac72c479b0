import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { queryRows } from '../../db/tx.ts';

/**
 * The flows domain's writes that another domain runs in its own transactions (retention's purge
 * batches); the layering rules keep other domains out of a `repo.ts`.
 *
 * Deletes up to `limit` of the organisation's flow runs that ended before `cutoff` (completed,
 * stopped or failed; test runs too), with their step logs, which hold what customers answered.
 * Runs still active or waiting stay whatever their age. Returns how many went. Retention calls it.
 */
export async function deleteEndedRuns(tx: Tx, orgId: string, cutoff: string, limit: number) {
  const rows = await queryRows<{ n: number }>(
    tx,
    sql`with d as (
          delete from flow_runs where id in (
            select id from flow_runs
            where org_id = ${orgId} and started_at < ${cutoff}::timestamptz
              and ended_at < ${cutoff}::timestamptz and status in ('completed', 'stopped', 'failed')
            limit ${limit})
          returning 1)
        select count(*)::int as n from d`,
  );
  return rows[0]?.n ?? 0;
}
