import type { DomainEvent, StoredEvent } from '@openwaba/contracts';
import type { Database } from '../db/client.ts';

export const EVENTS_CHANNEL = 'ow_events';

export interface EventRow {
  seq: number;
  type: string;
  user_id: string | null;
  payload: DomainEvent;
  created_at: string | Date;
}

/**
 * Appends events for one organisation in one statement. The counter row's lock is held until the
 * statement commits, so ids grow in commit order and a reader that saw id N has seen all ids < N.
 * Listeners get `<org id>:<last id>` on the notification channel, after commit.
 */
export async function appendEvents(database: Database, orgId: string, items: DomainEvent[]): Promise<number> {
  const rows = await database.query<{ last: string | number }>(
    `with c as (
       insert into event_counters as ec (org_id, last) values ($1, $2::int)
       on conflict (org_id) do update set last = ec.last + $2::int
       returning last
     ), ins as (
       insert into events (org_id, seq, type, user_id, payload)
       select $1, c.last - $2::int + e.ord, e.type, e.user_id, e.payload
       from c, rows from (jsonb_to_recordset($3::jsonb) as (type text, user_id uuid, payload jsonb)) with ordinality as e(type, user_id, payload, ord)
       returning seq
     )
     select max(seq) as last, pg_notify('${EVENTS_CHANNEL}', $1::text || ':' || max(seq)::text) from ins`,
    [
      orgId,
      items.length,
      JSON.stringify(items.map((e) => ({ type: e.type, user_id: e.user_id ?? null, payload: e }))),
    ],
  );
  return Number(rows[0]?.last ?? 0);
}

export async function eventsSince(
  database: Database,
  orgId: string,
  since: number,
  limit: number,
): Promise<EventRow[]> {
  return database.query<EventRow>(
    'select seq::float8 as seq, type, user_id, payload, created_at from events where org_id = $1 and seq > $2 order by seq limit $3',
    [orgId, since, limit],
  );
}

/** The newest id, and the oldest id still kept (0 when none). */
export async function eventBounds(
  database: Database,
  orgId: string,
): Promise<{ last: number; first: number }> {
  const rows = await database.query<{ last: string | number | null; first: string | number | null }>(
    `select (select last from event_counters where org_id = $1) as last,
            (select min(seq) from events where org_id = $1) as first`,
    [orgId],
  );
  return { last: Number(rows[0]?.last ?? 0), first: Number(rows[0]?.first ?? 0) };
}

export async function purgeEventsBefore(database: Database, before: Date): Promise<number> {
  const rows = await database.query<{ n: string | number }>(
    'with d as (delete from events where created_at < $1 returning 1) select count(*) as n from d',
    [before.toISOString()],
  );
  return Number(rows[0]?.n ?? 0);
}

export function toStored(row: EventRow): StoredEvent {
  return {
    id: Number(row.seq),
    created_at: new Date(row.created_at).toISOString(),
    event: row.payload,
  };
}
