import { type SQL, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';

/**
 * Every statement on `webhook_endpoints`, `webhook_cursors`, `webhook_deliveries` and
 * `webhook_attempts` (owned by webhooks). Tenant first. The fan-out also reads `events` (written
 * only by the events domain): reading the outbox and writing the deliveries in one statement is
 * what makes the fan-out exactly once.
 */

type Q = Db | Tx;

/** Where webhook workers are woken when the fan-out made deliveries (ids only, like `ow_events`). */
export const WEBHOOKS_CHANNEL = 'ow_webhooks';

const ACTIVE_STATES = sql.raw(`('pending', 'retrying', 'delivering')`);

export interface EndpointRow {
  id: string;
  org_id: string;
  url: string;
  description: string;
  event_types: string[];
  status: 'active' | 'paused' | 'disabled';
  disabled_reason: string | null;
  ordered: boolean;
  max_concurrency: number;
  secret_prefix: string;
  previous_secret_expires_at: Date | string | null;
  failing_since: Date | string | null;
  last_success_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  pending: number | string;
  dead_24h: number | string;
  succeeded_24h: number | string;
}

const ENDPOINT_COLS = sql.raw(
  `w.id, w.org_id, w.url, w.description, w.event_types, w.status, w.disabled_reason, w.ordered,
   w.max_concurrency, w.secret_prefix, w.previous_secret_expires_at, w.failing_since, w.last_success_at,
   w.created_at, w.updated_at, s.pending, s.dead_24h, s.succeeded_24h`,
);
const STATS = sql.raw(
  `left join lateral (
     select count(*) filter (where d.state in ('pending', 'retrying', 'delivering')) as pending,
            count(*) filter (where d.state = 'dead' and d.created_at > now() - interval '24 hours') as dead_24h,
            count(*) filter (where d.state = 'succeeded' and d.created_at > now() - interval '24 hours') as succeeded_24h
     from webhook_deliveries d
     where d.endpoint_id = w.id and (d.state in ('pending', 'retrying', 'delivering') or d.created_at > now() - interval '24 hours')
   ) s on true`,
);

export async function insertEndpoint(
  q: Q,
  orgId: string,
  e: {
    url: string;
    description: string;
    eventTypes: string[];
    ordered: boolean;
    maxConcurrency: number;
    secretSealed: string;
    secretPrefix: string;
  },
) {
  const [r] = await queryRows<{ id: string }>(
    q,
    sql`insert into webhook_endpoints (org_id, url, description, event_types, ordered, max_concurrency, secret_sealed, secret_prefix)
        values (${orgId}, ${e.url}, ${e.description}, ${sql.param(e.eventTypes)}::text[], ${e.ordered},
                ${e.maxConcurrency}, ${e.secretSealed}, ${e.secretPrefix})
        returning id`,
  );
  // The organisation's cursor starts at its newest event: an endpoint gets what happens from now on.
  await q.execute(
    sql`insert into webhook_cursors (org_id, last)
        values (${orgId}, coalesce((select last from event_counters where org_id = ${orgId}), 0))
        on conflict (org_id) do nothing`,
  );
  return r!.id;
}

export function listEndpoints(q: Q, orgId: string) {
  return queryRows<EndpointRow>(
    q,
    sql`select ${ENDPOINT_COLS} from webhook_endpoints w ${STATS}
        where w.org_id = ${orgId} order by w.created_at desc, w.id`,
  );
}

export async function endpointOf(q: Q, orgId: string, id: string) {
  const [r] = await queryRows<EndpointRow>(
    q,
    sql`select ${ENDPOINT_COLS} from webhook_endpoints w ${STATS} where w.org_id = ${orgId} and w.id = ${id}`,
  );
  return r;
}

export async function secretsOf(q: Q, orgId: string, id: string) {
  const [r] = await queryRows<{
    secret_sealed: string;
    previous_secret_sealed: string | null;
    previous_secret_expires_at: Date | string | null;
  }>(
    q,
    sql`select secret_sealed, previous_secret_sealed, previous_secret_expires_at
        from webhook_endpoints where org_id = ${orgId} and id = ${id}`,
  );
  return r;
}

export async function updateEndpoint(
  q: Q,
  orgId: string,
  id: string,
  p: {
    url?: string;
    description?: string;
    eventTypes?: string[];
    ordered?: boolean;
    maxConcurrency?: number;
    status?: 'active' | 'paused';
  },
) {
  const sets: SQL[] = [sql`updated_at = now()`];
  if (p.url !== undefined) sets.push(sql`url = ${p.url}`);
  if (p.description !== undefined) sets.push(sql`description = ${p.description}`);
  if (p.eventTypes !== undefined) sets.push(sql`event_types = ${sql.param(p.eventTypes)}::text[]`);
  if (p.ordered !== undefined) sets.push(sql`ordered = ${p.ordered}`);
  if (p.maxConcurrency !== undefined) sets.push(sql`max_concurrency = ${p.maxConcurrency}`);
  if (p.status !== undefined) {
    sets.push(sql`status = ${p.status}`);
    // Back to active: a fresh start (what failed while it was down stays failed: replay it).
    if (p.status === 'active') sets.push(sql`disabled_reason = null, failing_since = null`);
  }
  await q.execute(
    sql`update webhook_endpoints set ${sql.join(sets, sql`, `)} where org_id = ${orgId} and id = ${id}`,
  );
}

export async function deleteEndpoint(q: Q, orgId: string, id: string) {
  const rows = await queryRows<{ id: string }>(
    q,
    sql`delete from webhook_endpoints where org_id = ${orgId} and id = ${id} returning id`,
  );
  return rows.length > 0;
}

export async function setSecret(
  q: Q,
  orgId: string,
  id: string,
  s: { sealed: string; prefix: string; previousSealed: string | null; previousExpiresAt: Date | null },
) {
  await q.execute(
    sql`update webhook_endpoints set secret_sealed = ${s.sealed}, secret_prefix = ${s.prefix},
          previous_secret_sealed = ${s.previousSealed},
          previous_secret_expires_at = ${s.previousExpiresAt?.toISOString() ?? null}::timestamptz, updated_at = now()
        where org_id = ${orgId} and id = ${id}`,
  );
}

// ------------------------------------------------------------------------------------- fan-out

/**
 * Turns the organisation's events after its cursor into deliveries, one per (event, active
 * endpoint subscribed to its type), and moves the cursor past them — in one statement, so it
 * happens exactly once. The cursor row is locked with SKIP LOCKED: another worker fanning out the
 * same organisation makes this a no-op. Personal events (with a `user_id`) are never sent.
 */
export async function fanOut(q: Q, orgId: string, limit: number) {
  const [r] = await queryRows<{ read: number | string; inserted: number | string }>(
    q,
    sql`with c as (
          select last from webhook_cursors where org_id = ${orgId} for update skip locked
        ), ev as (
          select e.seq, e.type, e.user_id, e.payload, e.created_at from events e, c
          where e.org_id = ${orgId} and e.seq > c.last order by e.seq limit ${limit}
        ), top as (
          select max(seq) as upto from ev
        ), ins as (
          insert into webhook_deliveries
            (org_id, endpoint_id, event_id, event_seq, event_type, conversation_id, payload, next_attempt_at)
          select ${orgId}, w.id, 'evt_' || replace(${orgId}::text, '-', '') || '_' || ev.seq, ev.seq, ev.type,
                 coalesce(ev.payload->>'conversation_id', ev.payload->'data'->>'conversation_id')::uuid,
                 jsonb_build_object(
                   'type', ev.type,
                   'timestamp', to_char(ev.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                   'data', coalesce(ev.payload->'data', '{}'::jsonb) || jsonb_strip_nulls(jsonb_build_object(
                     'conversation_id', ev.payload->'conversation_id', 'campaign_id', ev.payload->'campaign_id'))),
                 -- Due at once, also for a worker whose clock is a little behind the database's.
                 now() - interval '1 second'
          from ev join webhook_endpoints w
            on w.org_id = ${orgId} and w.status = 'active' and ev.type = any(w.event_types)
           and ev.created_at >= w.created_at
          where ev.user_id is null
          order by ev.seq, w.id
          on conflict (endpoint_id, event_id) do nothing
          returning 1
        ), moved as (
          update webhook_cursors set last = top.upto from top
          where webhook_cursors.org_id = ${orgId} and top.upto is not null returning 1
        )
        select (select count(*) from ev) as read, (select count(*) from ins) as inserted,
               (select count(*) from moved) as moved,
               case when (select count(*) from ins) > 0 then pg_notify('${sql.raw(WEBHOOKS_CHANNEL)}', ${orgId}::text) end as woke`,
  );
  return { read: Number(r?.read ?? 0), inserted: Number(r?.inserted ?? 0) };
}

/** Organisations whose events are ahead of their webhook cursor (the timer's fallback). */
export async function laggingOrgs(q: Q, limit: number) {
  const rows = await queryRows<{ org_id: string }>(
    q,
    sql`select c.org_id from webhook_cursors c join event_counters e on e.org_id = c.org_id
        where e.last > c.last limit ${limit}`,
  );
  return rows.map((r) => r.org_id);
}

// ------------------------------------------------------------------------------------ delivery

export interface LeasedRow {
  id: string;
  org_id: string;
  endpoint_id: string;
  event_id: string;
  payload: unknown;
  attempts: number;
  url: string;
  max_concurrency: number;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | string | null;
}

/**
 * Leases due deliveries, at most `limit`, never more per endpoint than its max_concurrency minus
 * what is in flight to it (from any process), and for `ordered` endpoints only the oldest open
 * delivery of each conversation. `answered`: this process's deliveries whose answer came and whose
 * outcome is about to be written — no longer in flight, so their slots are free already. The lease is `next_attempt_at` while `delivering`: a process that
 * dies leaves deliveries that are taken over once it passes.
 */
export function leaseDue(q: Q, now: Date, limit: number, leaseMs: number, answered: readonly string[] = []) {
  const at = sql`${now.toISOString()}::timestamptz`;
  // The clock has milliseconds, the column microseconds: a row made within this millisecond is due.
  const dueBy = sql`${new Date(now.getTime() + 1).toISOString()}::timestamptz`;
  const leaseUntil = sql`${new Date(now.getTime() + leaseMs).toISOString()}::timestamptz`;
  return queryRows<LeasedRow>(
    q,
    sql`with due as (
          select d.id from webhook_endpoints w
          cross join lateral (
            select d.id from webhook_deliveries d
            where d.endpoint_id = w.id and d.state in ${ACTIVE_STATES} and d.next_attempt_at <= ${dueBy}
              and (not w.ordered or d.conversation_id is null or d.event_seq is null or not exists (
                select 1 from webhook_deliveries p
                where p.endpoint_id = w.id and p.conversation_id = d.conversation_id
                  and p.state in ${ACTIVE_STATES} and p.event_seq < d.event_seq))
            order by d.next_attempt_at, d.event_seq
            limit greatest(0, w.max_concurrency - (
              select count(*) from webhook_deliveries x
              where x.endpoint_id = w.id and x.state = 'delivering' and x.next_attempt_at > ${at}
                and x.id <> all(${sql.param([...answered])}::uuid[])))
            for update of d skip locked
          ) d
          where w.status = 'active'
          limit ${limit}
        )
        update webhook_deliveries d set state = 'delivering', next_attempt_at = ${leaseUntil}
        from due, webhook_endpoints w
        where d.id = due.id and w.id = d.endpoint_id
        returning d.id, d.org_id, d.endpoint_id, d.event_id, d.payload, d.attempts, w.url, w.max_concurrency, w.secret_sealed,
                  w.previous_secret_sealed, w.previous_secret_expires_at`,
  );
}

export interface AttemptResult {
  id: string;
  endpointId: string;
  state: 'succeeded' | 'retrying' | 'dead';
  statusCode: number | null;
  error: string | null;
  excerpt: string | null;
  latencyMs: number;
  at: Date;
  nextAt: Date | null;
}

/** Many attempts' outcomes in two statements: the deliveries move on, the attempts are logged. */
export async function recordAttempts(q: Q, results: AttemptResult[]) {
  if (!results.length) return;
  const col = <T>(f: (r: AttemptResult) => T) => sql.param(results.map(f));
  await q.execute(
    sql`with r as (
          select * from unnest(${col((r) => r.id)}::uuid[], ${col((r) => r.state)}::text[],
                               ${col((r) => r.statusCode)}::int[], ${col((r) => r.error)}::text[],
                               ${col((r) => r.nextAt?.toISOString() ?? null)}::timestamptz[],
                               ${col((r) => r.at.toISOString())}::timestamptz[],
                               ${col((r) => r.latencyMs)}::int[], ${col((r) => r.excerpt)}::text[])
            as r(id, state, code, error, next_at, at, latency, excerpt)
        ), upd as (
          update webhook_deliveries d set state = r.state, attempts = d.attempts + 1, last_status_code = r.code,
                 last_error = r.error, next_attempt_at = r.next_at,
                 delivered_at = case when r.state = 'succeeded' then r.at else d.delivered_at end
          from r where d.id = r.id returning d.id
        )
        insert into webhook_attempts (delivery_id, attempted_at, status_code, latency_ms, response_excerpt, error)
        select r.id, r.at, r.code, r.latency, r.excerpt, r.error from r
        where exists (select 1 from upd where upd.id = r.id)`,
  );
}

/** After a batch: endpoints that answered are healthy again; those that only failed start (or keep) failing. */
export async function markEndpointHealth(q: Q, ok: string[], failed: string[], now: Date) {
  const at = now.toISOString();
  if (ok.length)
    await q.execute(
      sql`update webhook_endpoints set last_success_at = ${at}::timestamptz, failing_since = null
          where id = any(${sql.param(ok)}::uuid[])`,
    );
  const onlyFailed = failed.filter((id) => !ok.includes(id));
  if (onlyFailed.length)
    await q.execute(
      sql`update webhook_endpoints set failing_since = coalesce(failing_since, ${at}::timestamptz)
          where id = any(${sql.param(onlyFailed)}::uuid[])`,
    );
}

/**
 * Disables endpoints (410, or failing since before `failingBefore` when given) and ends their open
 * deliveries: re-enabling does not resend them. Returns the endpoints it disabled.
 */
export async function disableEndpoints(q: Q, ids: string[], reason: string, failingBefore?: Date) {
  if (!ids.length) return [];
  const rows = await queryRows<{ id: string; org_id: string; url: string }>(
    q,
    sql`update webhook_endpoints set status = 'disabled', disabled_reason = ${reason}, updated_at = now()
        where id = any(${sql.param(ids)}::uuid[]) and status = 'active'
          ${failingBefore ? sql`and failing_since <= ${failingBefore.toISOString()}::timestamptz` : sql``}
        returning id, org_id, url`,
  );
  if (rows.length)
    await q.execute(
      sql`update webhook_deliveries set state = 'dead', next_attempt_at = null,
            last_error = coalesce(last_error, 'the endpoint was disabled')
          where endpoint_id = any(${sql.param(rows.map((r) => r.id))}::uuid[]) and state in ('pending', 'retrying')`,
    );
  return rows;
}

/** A test event: one delivery of its own, leased at once for the request that sends it. */
export async function insertTestDelivery(
  q: Q,
  orgId: string,
  endpointId: string,
  eventId: string,
  payload: unknown,
  leaseUntil: Date,
) {
  const [r] = await queryRows<{ id: string }>(
    q,
    sql`insert into webhook_deliveries (org_id, endpoint_id, event_id, event_type, payload, state, next_attempt_at)
        values (${orgId}, ${endpointId}, ${eventId}, 'webhook.test', ${JSON.stringify(payload)}::jsonb, 'delivering',
                ${leaseUntil.toISOString()}::timestamptz)
        returning id`,
  );
  return r!.id;
}

// ------------------------------------------------------------------------------ log and replay

export interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  state: 'pending' | 'delivering' | 'succeeded' | 'retrying' | 'dead';
  attempts: number;
  next_attempt_at: Date | string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date | string;
  delivered_at: Date | string | null;
  payload?: unknown;
}

const DELIVERY_COLS = sql.raw(
  `d.id, d.endpoint_id, d.event_id, d.event_type, d.state, d.attempts, d.next_attempt_at, d.last_status_code,
   d.last_error, d.created_at, d.delivered_at`,
);

/** Newest first; the cursor is the last row's `created_at|id`. */
export function listDeliveries(
  q: Q,
  orgId: string,
  endpointId: string,
  f: { state?: string; eventType?: string; before?: { at: string; id: string }; limit: number },
) {
  return queryRows<DeliveryRow>(
    q,
    sql`select ${DELIVERY_COLS} from webhook_deliveries d
        where d.org_id = ${orgId} and d.endpoint_id = ${endpointId}
          ${f.state ? sql`and d.state = ${f.state}` : sql``}
          ${f.eventType ? sql`and d.event_type = ${f.eventType}` : sql``}
          ${f.before ? sql`and (d.created_at, d.id) < (${f.before.at}::timestamptz, ${f.before.id}::uuid)` : sql``}
        order by d.created_at desc, d.id desc limit ${f.limit}`,
  );
}

export async function deliveryOf(q: Q, orgId: string, id: string) {
  const [r] = await queryRows<DeliveryRow>(
    q,
    sql`select ${DELIVERY_COLS}, d.payload from webhook_deliveries d where d.org_id = ${orgId} and d.id = ${id}`,
  );
  return r;
}

export function attemptsOf(q: Q, deliveryId: string) {
  return queryRows<{
    attempted_at: Date | string;
    status_code: number | null;
    latency_ms: number;
    response_excerpt: string | null;
    error: string | null;
  }>(
    q,
    sql`select attempted_at, status_code, latency_ms, response_excerpt, error from webhook_attempts
        where delivery_id = ${deliveryId} order by attempted_at, id`,
  );
}

/**
 * A new attempt series for deliveries that are not in flight: due now, the retry schedule from
 * the start, the same event id. Returns how many.
 */
export async function replayWhere(q: Q, orgId: string, where: SQL) {
  const rows = await queryRows<{ id: string }>(
    q,
    sql`update webhook_deliveries d set state = 'pending', attempts = 0, next_attempt_at = now()
        where d.org_id = ${orgId} and d.state <> 'delivering' and ${where} returning d.id`,
  );
  return rows.length;
}

export async function purgeDeliveriesBefore(q: Q, before: Date, limit: number) {
  const [r] = await queryRows<{ n: number | string }>(
    q,
    sql`with d as (
          delete from webhook_deliveries where id in (
            select id from webhook_deliveries
            where created_at < ${before.toISOString()}::timestamptz and state in ('succeeded', 'dead')
            limit ${limit})
          returning 1)
        select count(*) as n from d`,
  );
  return Number(r?.n ?? 0);
}
