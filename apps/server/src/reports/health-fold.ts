import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';

/**
 * The history of each number's quality rating and messaging tier (docs/reports.md): the numbers
 * domain records readings (`number_health`: every 30 minutes and at each webhook), the fold keeps
 * only the readings that changed a value, so the report reads a few rows per number, never the
 * readings. A reading without a value (a quality webhook says nothing of the tier) changes nothing.
 */

export interface HealthReading {
  id: number;
  orgId: string;
  numberId: string;
  recordedAt: Date;
  qualityRating: string | null;
  messagingLimitTier: string | null;
}
/** Reads the readings after an id, oldest first (the number service's `healthRecordsAfter`). */
export type ReadHealth = (afterId: number, limit: number, tx: Tx) => Promise<HealthReading[]>;

const KINDS = [
  ['quality', 'qualityRating'],
  ['tier', 'messagingLimitTier'],
] as const;

/** Adds the changes among `readings` (in id order) to `report_number_health`. */
async function addChanges(tx: Tx, readings: HealthReading[]) {
  if (!readings.length) return;
  const numberIds = [...new Set(readings.map((r) => r.numberId))];
  const latest = await queryRows<{ number_id: string; kind: string; value: string }>(
    tx,
    sql`select distinct on (number_id, kind) number_id, kind, value from report_number_health
        where number_id = any(${sql.param(numberIds)}::uuid[]) order by number_id, kind, at desc, health_id desc`,
  );
  const current = new Map(latest.map((l) => [`${l.number_id}/${l.kind}`, l.value]));
  const rows = [];
  for (const r of readings)
    for (const [kind, field] of KINDS) {
      const value = r[field];
      const key = `${r.numberId}/${kind}`;
      const previous = current.get(key) ?? null;
      if (value === null || value === previous) continue;
      current.set(key, value);
      rows.push({
        h: r.id,
        k: kind,
        o: r.orgId,
        n: r.numberId,
        a: r.recordedAt.toISOString(),
        v: value,
        p: previous,
      });
    }
  if (rows.length)
    await tx.execute(sql`
      insert into report_number_health (health_id, kind, org_id, number_id, at, value, previous)
      select h, k, o, n, a, v, p from json_to_recordset(${JSON.stringify(rows)}::json)
        as x(h bigint, k text, o uuid, n uuid, a timestamptz, v text, p text)
      on conflict do nothing`);
}

/** Folds the readings written since the last fold (skipped while another fold or a rebuild runs). */
export async function foldHealth(db: Db, read: ReadHealth, batch: number) {
  return transaction(db, async (tx) => {
    const [st] = await queryRows<{ health_mark: number }>(
      tx,
      sql`select health_mark from report_state where id = 'fold' for update skip locked`,
    );
    if (!st) return { more: false };
    const readings = await read(Number(st.health_mark), batch, tx);
    await addChanges(tx, readings);
    const last = readings.at(-1);
    if (last) await tx.execute(sql`update report_state set health_mark = ${last.id} where id = 'fold'`);
    return { more: readings.length >= batch };
  });
}

/**
 * Recomputes the history (of one organisation, or all) from every reading up to the fold's mark; the
 * caller holds the rebuild's claim.
 */
export async function rebuildHealth(db: Db, read: ReadHealth, orgId: string | null, batch: number) {
  await transaction(db, async (tx) => {
    const [st] = await queryRows<{ health_mark: number }>(
      tx,
      sql`select health_mark from report_state where id = 'fold' for update`,
    );
    await tx.execute(
      sql`delete from report_number_health where ${orgId ? sql`org_id = ${orgId}` : sql`true`}`,
    );
    let mark = orgId ? Number(st?.health_mark ?? 0) : Number.MAX_SAFE_INTEGER;
    let after = 0;
    for (;;) {
      const readings = await read(after, batch, tx);
      const kept = readings.filter((r) => r.id <= mark && (!orgId || r.orgId === orgId));
      await addChanges(tx, kept);
      if (readings.length < batch || kept.length < readings.length) {
        if (!orgId) mark = readings.at(-1)?.id ?? after;
        break;
      }
      after = readings.at(-1)!.id;
    }
    if (!orgId)
      await tx.execute(
        sql`update report_state set health_mark = greatest(health_mark, ${mark}) where id = 'fold'`,
      );
  });
}

/**
 * Per number of the organisation (or the one asked): the changes between the start of `from` and the
 * end of `to` (days in the organisation's timezone), and the values in force at the start.
 */
export function healthChanges(
  db: Db,
  orgId: string,
  q: { from: string; to: string; numberId?: string | undefined },
) {
  const numberId = q.numberId;
  const tz = sql`coalesce((select timezone from org_settings where org_id = ${orgId}), 'UTC')`;
  const start = sql`(${q.from}::date::timestamp at time zone ${tz})`;
  const end = sql`((${q.to}::date + 1)::timestamp at time zone ${tz})`;
  return queryRows<{
    number_id: string;
    kind: string;
    at: string | null;
    value: string;
    previous: string | null;
  }>(
    db,
    sql`with nk as (select distinct number_id, kind from report_number_health
                    where org_id = ${orgId} ${numberId ? sql`and number_id = ${numberId}` : sql``})
        select nk.number_id, nk.kind, null as at, b.value, null as previous from nk
        cross join lateral (select value from report_number_health h
                            where h.org_id = ${orgId} and h.number_id = nk.number_id and h.kind = nk.kind and h.at < ${start}
                            order by h.at desc, h.health_id desc limit 1) b
        union all
        select number_id, kind, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), value, previous
        from report_number_health
        where org_id = ${orgId} ${numberId ? sql`and number_id = ${numberId}` : sql``}
          and at >= ${start} and at < ${end}
        order by 1, 2, 3 nulls first`,
  );
}
