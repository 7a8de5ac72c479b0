import type { DomainEvent } from '@openwaba/contracts';
import { eq, type SQL, sql } from 'drizzle-orm';
import type { ConsentService } from '../contacts/consent.ts';
import type { Database, Db, Tx } from '../db/client.ts';
import { numberHealth, numbers, webhookEvents } from '../db/schema.ts';
import { type OnCommit, queryRows, transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import type { Log } from '../lib/log.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { MediaService } from '../media/service.ts';
import type { TemplateService } from '../templates/service.ts';
import { createAppSecretCache } from './app-secrets.ts';
import { createIngestBuffer } from './ingest-buffer.ts';
import { type DrainOptions, drainPendingEvents, insertSignedEvents } from './pending-events.ts';

type NumberRow = typeof numbers.$inferSelect;
type Json = Record<string, unknown>;

/** One stored event, read and routed: what processing it will write. */
interface EventPlan {
  id: number;
  result: ProcessResult;
  orgIds: Set<string>;
  state: 'processed' | 'unparseable';
  error: string | null;
  /** `messages` changes routed to a number, in order. */
  changes: { number: NumberRow; value: Json }[];
  account: { index: number; field: string; wabaId: string; value: Json; inWaba: NumberRow[] }[];
}

export interface ProcessResult {
  messages: number;
  /** Template and account notices recorded. */
  updates: number;
  duplicates: number;
  statuses: number;
  parked: number;
  skipped: string[];
  unroutable: string[];
}

/**
 * Everything Meta sends: verified, stored raw before it is answered, then processed by a job into
 * contacts, conversations, messages and statuses — idempotently, by unique constraints.
 */
/** Webhook POSTs a second above which processing rests between groups so acks stay quick (a burst). */
const BURST_PER_SECOND = 1500;
/** The window the POST rate is measured over. */
const RATE_WINDOW_MS = 250;

export function createInboundService(deps: {
  db: Db;
  database: Database;
  box: SecretBox;
  events: EventService;
  media: MediaService;
  consent: ConsentService;
  templates: TemplateService;
  /** Queues a template sync (a webhook named a template the catalogue does not have yet). */
  requestTemplateSync(orgId: string): Promise<void>;
  /** A customer just opted out by keyword: queue the organisation's confirmation reply, if any. */
  confirmOptOut?(
    tx: Tx,
    onCommit: (f: () => unknown) => void,
    m: { orgId: string; numberId: string; contactId: string },
  ): Promise<unknown>;
  log: Log;
}) {
  const { db, database, box, events, media, consent, log } = deps;

  async function allNumbers() {
    return db.select().from(numbers);
  }

  /** The GET handshake: answers the challenge when the verify token is one of a number's. */
  async function verifyHandshake(mode: string | undefined, token: string | undefined): Promise<boolean> {
    if (mode !== 'subscribe' || !token) return false;
    return (await allNumbers()).some((n) => box.open(n.verifyTokenSealed) === token);
  }

  const secrets = createAppSecretCache({
    loadSealed: async () =>
      (await db.select({ sealed: numbers.appSecretSealed }).from(numbers)).map((r) => r.sealed),
    box,
    log,
  });
  let lastReceivedAt = 0;
  // The rate POSTs arrive at (per second, over windows of RATE_WINDOW_MS): processing only rests for a
  // burst, not for steady traffic it can keep up with.
  let windowStart = 0;
  let windowCount = 0;
  let lastRate = 0;
  const receiving = () => {
    const now = performance.now();
    const elapsed = now - windowStart;
    if (now - lastReceivedAt > RATE_WINDOW_MS) return 0;
    return elapsed >= 50 ? Math.max((windowCount * 1000) / elapsed, lastRate) : lastRate;
  };
  // Concurrent POSTs share one INSERT (PGlite has one connection: one write at a time).
  const ingest = createIngestBuffer({
    write: (rows: { raw: string; sealed: string }[]) => insertSignedEvents(database, rows),
    maxBatch: 500,
    maxBytes: 4 * 1024 * 1024,
    sizeOf: (r) => r.raw.length,
    maxInFlight: database.kind === 'pg' ? 2 : 1,
  });

  /**
   * Stores a POST signed by one of the numbers' app secrets (checked on these exact bytes); resolves
   * once it is committed, as a pending event that processing is sure to pick up. False: no number's
   * secret signed it, nothing is stored.
   */
  async function receive(raw: Buffer, signature: string | undefined): Promise<boolean> {
    lastReceivedAt = performance.now();
    if (lastReceivedAt - windowStart >= RATE_WINDOW_MS) {
      lastRate = (windowCount * 1000) / (lastReceivedAt - windowStart);
      windowStart = lastReceivedAt;
      windowCount = 0;
    }
    windowCount++;
    const text = raw.toString('utf8');
    for (const fresh of [false, true]) {
      const sealed = await secrets.match(raw, signature, { fresh });
      if (!sealed) return false;
      if (await ingest.add({ raw: text, sealed })) return true;
      // The secret that matched was removed or replaced since it was cached: look again.
    }
    return false;
  }

  /** Stores a body as a pending event without any check (tests, tools); returns its id. */
  async function store(raw: Buffer): Promise<number> {
    const [row] = await db
      .insert(webhookEvents)
      .values({ raw: raw.toString('utf8') })
      .returning({ id: webhookEvents.id });
    return row!.id;
  }

  /**
   * Answering Meta comes first. While webhook POSTs arrive at this process faster than `burstPerSecond`
   * (a worker-only process never rests), processing rests between groups of events until the POSTs
   * pause for `quietMs` — but at most `share` times as long as its last group took, so it keeps a
   * steady part of the time under sustained traffic. Acks stay quick during a burst; its backlog is
   * processed right after it. Steady traffic below the burst rate (hundreds a second) is processed as
   * it comes, so an agent sees a message a fraction of a second after Meta sent it.
   */
  const restWhileReceiving =
    (quietMs: number, share: number, burstPerSecond: number) => async (previousMs: number) => {
      const until = performance.now() + Math.min(previousMs * share, 1000);
      while (
        performance.now() - lastReceivedAt < quietMs &&
        receiving() >= burstPerSecond &&
        performance.now() < until
      ) {
        await new Promise((r) => setTimeout(r, 10));
      }
    };

  /** Processes stored events nobody is processing yet, until none are left (see `drainPendingEvents`). */
  function processPending(opts: Partial<DrainOptions> = {}) {
    if (database.kind === 'pg') {
      return drainPendingEvents(
        { database, processEvents, yieldTo: restWhileReceiving(50, 3, BURST_PER_SECOND) },
        opts,
      );
    }
    // PGlite runs its queries on this process's only thread and a transaction holds the database
    // meanwhile: small groups, one at a time, taking turns with the POSTs.
    return drainPendingEvents(
      { database, processEvents, yieldTo: restWhileReceiving(1000, 1, 0) },
      { concurrency: 1, perTransaction: 5, ...opts },
    );
  }

  /** Processes (or re-processes: it is idempotent) one stored event; a failure is recorded, then rethrown for the job's retry. */
  async function processEvent(eventId: number): Promise<ProcessResult> {
    try {
      const [plan] = await planEvents([eventId]);
      if (!plan) throw new Error(`webhook event ${eventId} not found`);
      await processPlans([plan]);
      return plan.result;
    } catch (err) {
      await recordFailure(eventId, err);
      throw err;
    }
  }

  async function recordFailure(eventId: number, err: unknown) {
    await db
      .update(webhookEvents)
      .set({ state: 'failed', error: (err as Error).message.slice(0, 1000), processedAt: new Date() })
      .where(eq(webhookEvents.id, eventId))
      .catch(() => {});
  }

  /**
   * Processes claimed events together: one transaction and a dozen set-based statements for the whole
   * batch instead of a dozen round trips and a commit per event. An event with account notices is
   * processed alone (those have transactions of their own, and their counts are only right on a first
   * attempt). When a batch fails, its events are processed one by one, so a poison event fails alone.
   * Returns the ids that failed (recorded as failed; the caller queues their retries).
   */
  async function processEvents(ids: number[]): Promise<number[]> {
    const failed: number[] = [];
    const alone = async (id: number) => {
      try {
        await processEvent(id);
      } catch {
        failed.push(id);
      }
    };
    if (ids.length === 1) {
      await alone(ids[0]!);
      return failed;
    }
    let plans: EventPlan[];
    try {
      plans = await planEvents(ids);
    } catch {
      for (const id of ids) await alone(id);
      return failed;
    }
    const found = new Set(plans.map((p) => p.id));
    for (const id of ids) if (!found.has(id)) await alone(id);
    const together = plans.filter((p) => !p.account.length);
    for (const p of plans) if (p.account.length) await alone(p.id);
    if (together.length) {
      try {
        await processPlans(together);
      } catch (err) {
        log.warn({ err, events: together.length }, 'webhook batch failed; processing its events one by one');
        for (const p of together) await alone(p.id);
      }
    }
    return failed;
  }

  /** What each stored event asks for, read and routed (no writes). Missing ids are left out. */
  async function planEvents(ids: number[]): Promise<EventPlan[]> {
    const rows = await database.query<{ id: string | number; raw: string }>(
      'select id, raw from webhook_events where id = any($1::bigint[]) order by id',
      [ids],
    );
    if (!rows.length) return [];
    const byPhoneId = new Map((await allNumbers()).map((n) => [n.phoneNumberId, n]));
    return rows.map((r) => planEvent(Number(r.id), r.raw, byPhoneId));
  }

  function planEvent(id: number, raw: string, byPhoneId: Map<string, NumberRow>): EventPlan {
    const plan: EventPlan = {
      id,
      result: { messages: 0, updates: 0, duplicates: 0, statuses: 0, parked: 0, skipped: [], unroutable: [] },
      orgIds: new Set(),
      state: 'processed',
      error: null,
      changes: [],
      account: [],
    };
    let payload: Json;
    try {
      payload = JSON.parse(raw) as Json;
    } catch (err) {
      plan.state = 'unparseable';
      plan.error = (err as Error).message;
      return plan;
    }
    const entries = Array.isArray(payload.entry) ? (payload.entry as Json[]) : [];
    let changeIndex = 0;
    for (const entry of entries) {
      for (const change of Array.isArray(entry.changes) ? (entry.changes as Json[]) : []) {
        const index = changeIndex++;
        const field = String(change.field ?? '');
        const value = (change.value ?? {}) as Json;
        const wabaId = String(entry.id ?? '');
        const phoneId = String((value.metadata as Json | undefined)?.phone_number_id ?? '');
        if (field === 'messages') {
          const number = byPhoneId.get(phoneId);
          if (!number) {
            plan.result.unroutable.push(phoneId || wabaId || '?');
            continue;
          }
          plan.orgIds.add(number.orgId);
          plan.changes.push({ number, value });
          continue;
        }
        // Account-level notices name the WABA (and, for quality, the display number): every
        // organisation with a number in that account is told.
        const inWaba = [...byPhoneId.values()].filter((n) => n.wabaId === wabaId);
        if (!inWaba.length) {
          plan.result.unroutable.push(wabaId || '?');
          continue;
        }
        if (!ACCOUNT_FIELDS.has(field)) {
          plan.result.skipped.push(field);
          continue;
        }
        for (const n of inWaba) plan.orgIds.add(n.orgId);
        plan.account.push({ index, field, wabaId, value, inWaba });
      }
    }
    return plan;
  }

  /**
   * Applies planned events: account notices first (their own transactions), then every message and
   * status of all of them in one transaction that also records each event's outcome — so an event's
   * rows and its `processed` state commit together (or neither does, and it is still pending).
   */
  async function processPlans(plans: EventPlan[]) {
    for (const p of plans) {
      for (const a of p.account) {
        await recordAccountUpdate(p.id, a.index, a.field, a.wabaId, a.value, a.inWaba, p.result);
      }
    }
    await transaction(db, async (tx, onCommit) => {
      await relaxCommit(tx);
      const published = new Map<string, DomainEvent[]>();
      const publish = (orgId: string, e: DomainEvent) => {
        const list = published.get(orgId);
        if (list) list.push(e);
        else published.set(orgId, [e]);
      };
      await applyMessages(tx, onCommit, plans, publish);
      await applyStatuses(tx, plans, publish);
      await queryRows(
        tx,
        sql`update webhook_events w set state = x.state, result = coalesce(x.result, w.result),
              org_ids = coalesce(x.org_ids, w.org_ids), error = x.error, processed_at = now()
            from json_to_recordset(${JSON.stringify(
              plans.map((p) => ({
                id: p.id,
                state: p.state,
                error: p.error,
                result: p.state === 'processed' ? p.result : null,
                org_ids: p.state === 'processed' ? [...p.orgIds] : null,
              })),
            )}::json) as x(id bigint, state text, result jsonb, org_ids uuid[], error text)
            where w.id = x.id`,
      );
      onCommit(async () => {
        for (const [orgId, list] of published) await events.publish(orgId, list);
      });
    });
  }

  /**
   * Processing commits do not wait for the WAL flush on PostgreSQL (most of an event's cost was that
   * fsync). Safe: a crash loses at most the last moments of commits, and an event's rows commit with
   * its `processed` state, so a lost one is still pending and is claimed again and reprocessed,
   * idempotently. The ack path keeps full durability (Meta was told the POST is stored). PGlite: one
   * process, nothing to gain.
   */
  async function relaxCommit(tx: Tx) {
    if (database.kind === 'pg') await tx.execute(sql`set local synchronous_commit = off`);
  }

  /**
   * Template status/category/quality changes and account notices: recorded once per organisation
   * (replays do not record twice) and published as events; the templates domain acts on them.
   */
  async function recordAccountUpdate(
    eventId: number,
    index: number,
    field: string,
    wabaId: string,
    value: Json,
    inWaba: NumberRow[],
    result: ProcessResult,
  ) {
    const display = String(value.display_phone_number ?? '');
    const affected =
      field === 'phone_number_quality_update'
        ? inWaba.filter((n) => digits(n.displayPhoneNumber) === digits(display))
        : inWaba;
    if (!affected.length) {
      result.unroutable.push(display || wabaId);
      return;
    }
    const orgs = new Map<string, NumberRow>();
    for (const n of affected) if (!orgs.has(n.orgId)) orgs.set(n.orgId, n);
    for (const [orgId, first] of orgs) {
      await transaction(db, async (tx, onCommit) => {
        const [created] = await queryRows<{ id: number }>(
          tx,
          sql`insert into meta_updates (org_id, number_id, waba_id, field, payload, webhook_event_id, change_index)
              values (${orgId}, ${field === 'phone_number_quality_update' ? first.id : null}, ${wabaId}, ${field},
                      ${JSON.stringify(value)}::jsonb, ${eventId}, ${index})
              on conflict (webhook_event_id, change_index, org_id) do nothing returning id`,
        );
        if (!created) return;
        result.updates++;
        const published: DomainEvent[] = [];
        if (field === 'phone_number_quality_update' || field === 'account_update') {
          for (const n of affected.filter((x) => x.orgId === orgId)) {
            await tx.insert(numberHealth).values({
              numberId: n.id,
              source: field,
              event: str(value.event),
              qualityRating: field === 'phone_number_quality_update' ? qualityOf(str(value.event)) : null,
              messagingLimitTier: str(value.current_limit),
            });
            if (field === 'phone_number_quality_update' && str(value.current_limit)) {
              await tx
                .update(numbers)
                .set({ messagingLimitTier: str(value.current_limit), updatedAt: new Date() })
                .where(eq(numbers.id, n.id));
            }
            published.push({ type: 'number.health_updated', data: { number_id: n.id, source: field } });
          }
        } else {
          const event = templateEvent(field, wabaId, value);
          if (event) published.push(event);
          if (await deps.templates.applyMetaUpdate(tx, orgId, field, wabaId, value, onCommit)) {
            onCommit(() => deps.requestTemplateSync(orgId));
          }
        }
        if (published.length) onCommit(() => events.publish(orgId, published));
      });
    }
  }

  /**
   * Every inbound message of the planned events, set-based: duplicates are filtered first (Meta
   * redelivers; the unique (number_id, wamid) constraint stays the guarantee when copies race), then
   * one upsert of contacts, one of conversations, one insert of messages that also moves each
   * conversation's 24 h window and unread count. Customers are touched in a fixed order (org, wa_id)
   * so concurrent batches over the same customers do not deadlock (a deadlock that still happens fails
   * the batch, whose events are then processed one by one: processing is idempotent). One customer's
   * messages keep Meta's order (their arrival order, `messages.seq`).
   */
  async function applyMessages(
    tx: Tx,
    onCommit: OnCommit,
    plans: EventPlan[],
    publish: (orgId: string, e: DomainEvent) => void,
  ) {
    type Incoming = { plan: EventPlan; number: NumberRow; m: Json; profile?: Json; ord: number; key: string };
    const incoming: Incoming[] = [];
    for (const plan of plans) {
      for (const { number, value } of plan.changes) {
        const profiles = new Map(
          ((value.contacts as Json[] | undefined) ?? []).map((c) => [String(c.wa_id ?? ''), c]),
        );
        for (const m of (value.messages as Json[] | undefined) ?? []) {
          if (!m.from || !m.id) plan.result.skipped.push('message without from/id');
          else
            incoming.push({
              plan,
              number,
              m,
              profile: profiles.get(String(m.from)),
              ord: incoming.length,
              key: `${number.id} ${String(m.id)}`,
            });
        }
      }
    }
    if (!incoming.length) return;
    const known = new Set(
      (
        await queryRows<{ k: string }>(
          tx,
          sql`select m.number_id::text || ' ' || m.wamid as k
              from json_to_recordset(${JSON.stringify(incoming.map((i) => ({ n: i.number.id, w: String(i.m.id) })))}::json) as x(n uuid, w text)
              join messages m on m.number_id = x.n and m.wamid = x.w`,
        )
      ).map((r) => r.k),
    );
    const fresh: Incoming[] = [];
    for (const i of incoming) {
      if (known.has(i.key)) {
        i.plan.result.duplicates++;
        continue;
      }
      // A second copy in this batch: it would conflict with the first; counted as a duplicate below.
      known.add(i.key);
      fresh.push(i);
    }
    if (!fresh.length) return;
    fresh.sort(
      (a, b) =>
        cmp(a.number.orgId, b.number.orgId) || cmp(String(a.m.from), String(b.m.from)) || a.ord - b.ord,
    );
    const sentAtOf = (m: Json) => Number(m.timestamp ?? 0) * 1000 || Date.now();

    // Contacts: one row per customer; the latest name and user id win, the latest inbound time.
    const contactRows = new Map<
      string,
      { org_id: string; wa_id: string; name: string | null; user_id: string | null; at: number }
    >();
    const convRows = new Map<string, { org_id: string; number_id: string; wa_id: string }>();
    for (const i of fresh) {
      const from = String(i.m.from);
      const name = (i.profile?.profile as Json | undefined)?.name;
      const userId = i.profile?.user_id;
      const ck = `${i.number.orgId} ${from}`;
      const c = contactRows.get(ck);
      const at = sentAtOf(i.m);
      if (!c) {
        contactRows.set(ck, {
          org_id: i.number.orgId,
          wa_id: from,
          name: typeof name === 'string' ? name : null,
          user_id: typeof userId === 'string' ? userId : null,
          at,
        });
      } else {
        if (typeof name === 'string') c.name = name;
        if (typeof userId === 'string') c.user_id = userId;
        c.at = Math.max(c.at, at);
      }
      convRows.set(`${i.number.id} ${from}`, { org_id: i.number.orgId, number_id: i.number.id, wa_id: from });
    }
    const convList = [...convRows.values()].sort(
      (a, b) => cmp(a.org_id, b.org_id) || cmp(a.wa_id, b.wa_id) || cmp(a.number_id, b.number_id),
    );
    const convs = await queryRows<{
      conversation_id: string;
      number_id: string;
      contact_id: string;
      wa_id: string;
    }>(
      tx,
      sql`
      with ci as (
        select * from json_to_recordset(${JSON.stringify(
          [...contactRows.values()].map((c, ord) => ({ ...c, ord, at: new Date(c.at).toISOString() })),
        )}::json) as x(ord int, org_id uuid, wa_id text, name text, user_id text, at timestamptz)
      ), c as (
        insert into contacts (org_id, wa_id, name, user_id, last_inbound_at)
        select org_id, wa_id, name, user_id, at from ci order by ord
        on conflict (org_id, wa_id) do update set name = coalesce(excluded.name, contacts.name), user_id = coalesce(excluded.user_id, contacts.user_id),
          last_inbound_at = greatest(contacts.last_inbound_at, excluded.last_inbound_at), updated_at = now()
        returning id, org_id, wa_id
      ), vi as (
        select * from json_to_recordset(${JSON.stringify(convList.map((v, ord) => ({ ...v, ord })))}::json)
          as x(ord int, org_id uuid, number_id uuid, wa_id text)
      ), v as (
        insert into conversations (org_id, number_id, contact_id)
        select vi.org_id, vi.number_id, c.id from vi join c on c.org_id = vi.org_id and c.wa_id = vi.wa_id order by vi.ord
        on conflict (number_id, contact_id) do update set updated_at = now()
        returning id, number_id, contact_id
      )
      select v.id as conversation_id, v.number_id, v.contact_id, c.wa_id from v join c on c.id = v.contact_id`,
    );
    const convOf = new Map(convs.map((r) => [`${r.number_id} ${r.wa_id}`, r]));
    const stored = await queryRows<{ id: string; number_id: string; wamid: string }>(
      tx,
      sql`
      with mi as (
        select * from json_to_recordset(${JSON.stringify(
          fresh.map((i, ord) => {
            const context = i.m.context as Json | undefined;
            return {
              ord,
              org_id: i.number.orgId,
              number_id: i.number.id,
              conversation_id: convOf.get(`${i.number.id} ${String(i.m.from)}`)!.conversation_id,
              wamid: String(i.m.id),
              type: String(i.m.type ?? 'unknown'),
              content: i.m,
              context_wamid: typeof context?.id === 'string' ? context.id : null,
              sent_at: new Date(sentAtOf(i.m)).toISOString(),
            };
          }),
        )}::json) as x(ord int, org_id uuid, number_id uuid, conversation_id uuid, wamid text, type text, content jsonb,
                        context_wamid text, sent_at timestamptz)
      ), ins as (
        insert into messages (org_id, number_id, conversation_id, direction, wamid, type, content, context_wamid, sent_at)
        select org_id, number_id, conversation_id, 'in', wamid, type, content, context_wamid, sent_at from mi order by ord
        on conflict (number_id, wamid) do nothing
        returning id, number_id, wamid, conversation_id, sent_at, seq
      ), agg as (
        select conversation_id, max(sent_at) as at, count(*)::int as n, max(seq) as seq from ins group by conversation_id
      ), upd as (
        update conversations c set
          last_inbound_seq = greatest(coalesce(c.last_inbound_seq, agg.seq), agg.seq), snoozed_until = null,
          last_inbound_at = greatest(coalesce(c.last_inbound_at, agg.at), agg.at),
          window_expires_at = greatest(coalesce(c.last_inbound_at, agg.at), agg.at) + interval '24 hours',
          last_message_at = greatest(coalesce(c.last_message_at, agg.at), agg.at),
          unread_count = c.unread_count + agg.n, status = 'open', updated_at = now()
        from agg where c.id = agg.conversation_id
      )
      select id, number_id, wamid from ins`,
    );
    const messageOf = new Map(stored.map((r) => [`${r.number_id} ${r.wamid}`, r.id]));
    const touched = new Map<string, string>();
    for (const i of fresh) {
      const messageId = messageOf.get(i.key);
      messageOf.delete(i.key); // a second copy of the same wamid in this batch is a duplicate
      if (!messageId) {
        i.plan.result.duplicates++;
        continue;
      }
      i.plan.result.messages++;
      const { orgId } = i.number;
      const from = String(i.m.from);
      const conv = convOf.get(`${i.number.id} ${from}`)!;
      const mediaFileId = await media.recordPending(tx, {
        orgId,
        numberId: i.number.id,
        messageId,
        type: String(i.m.type ?? ''),
        payload: i.m,
      });
      if (mediaFileId) onCommit(() => media.schedule(orgId, mediaFileId));
      // STOP / START: consent changes with the message that carries it, in this transaction.
      const said =
        i.m.type === 'text' ? (i.m.text as Json | undefined)?.body : (i.m.button as Json | undefined)?.text;
      if (typeof said === 'string') {
        const changed = await consent.applyKeyword(tx, onCommit, {
          orgId,
          contactId: conv.contact_id,
          waId: from,
          messageId,
          text: said,
        });
        if (changed === 'opt_out') {
          await deps.confirmOptOut?.(tx, onCommit, {
            orgId,
            numberId: i.number.id,
            contactId: conv.contact_id,
          });
        }
      }
      touched.set(conv.conversation_id, orgId);
      publish(orgId, {
        type: 'message.received',
        conversation_id: conv.conversation_id,
        data: { message_id: messageId, conversation_id: conv.conversation_id, contact_id: conv.contact_id },
      });
    }
    for (const [id, orgId] of touched) {
      publish(orgId, {
        type: 'conversation.updated',
        conversation_id: id,
        data: { conversation_id: id, fields: ['last_message_at', 'unread_count'] },
      });
    }
  }

  /**
   * Records every status (once: unique by message, status and time) and applies, per message, the
   * best of the batch unless it would move the message backwards (failed is final); a status for a
   * message not recorded yet is parked.
   */
  async function applyStatuses(tx: Tx, plans: EventPlan[], publish: (orgId: string, e: DomainEvent) => void) {
    type Incoming = { plan: EventPlan; row: Json; ord: number };
    const list: Incoming[] = [];
    const seen = new Set<string>();
    for (const plan of plans) {
      for (const { number, value } of plan.changes) {
        for (const s of (value.statuses as Json[] | undefined) ?? []) {
          if (!s.id || !s.status) continue;
          const occurredAt = new Date(Number(s.timestamp ?? 0) * 1000 || Date.now()).toISOString();
          const key = `${number.id} ${String(s.id)} ${String(s.status)} ${occurredAt}`;
          // A copy within the batch is a duplicate, as the unique constraint would make it.
          if (seen.has(key)) continue;
          seen.add(key);
          list.push({
            plan,
            ord: 0,
            row: {
              number_id: number.id,
              wamid: String(s.id),
              status: String(s.status),
              occurred_at: occurredAt,
              payload: s,
            },
          });
        }
      }
    }
    if (!list.length) return;
    list.sort(
      (a, b) =>
        cmp(String(a.row.number_id), String(b.row.number_id)) ||
        cmp(String(a.row.wamid), String(b.row.wamid)),
    );
    list.forEach((x, ord) => {
      x.ord = ord;
    });
    const recorded = await queryRows<{ id: string; ord: number; message_id: string | null }>(
      tx,
      sql`
      with si as (
        select * from json_to_recordset(${JSON.stringify(list.map((x) => ({ ...x.row, ord: x.ord })))}::json)
          as x(ord int, number_id uuid, wamid text, status text, occurred_at timestamptz, payload jsonb)
      ), ins as (
        insert into message_status_events (number_id, wamid, status, occurred_at, payload)
        select number_id, wamid, status, occurred_at, payload from si order by ord
        on conflict (number_id, wamid, status, occurred_at) do nothing
        returning id, number_id, wamid, status, occurred_at
      )
      select ins.id::text as id, si.ord, m.id as message_id
      from ins join si on si.number_id = ins.number_id and si.wamid = ins.wamid and si.status = ins.status and si.occurred_at = ins.occurred_at
      left join messages m on m.number_id = ins.number_id and m.wamid = ins.wamid
      order by si.ord`,
    );
    const applied: string[] = [];
    const best = new Map<string, Json>();
    for (const r of recorded) {
      const x = list[r.ord]!;
      x.plan.result.statuses++;
      if (!r.message_id) {
        x.plan.result.parked++;
        continue;
      }
      applied.push(r.id);
      // The same rule as one by one: the highest rank wins (the first of equals), failed is final.
      const prev = best.get(r.message_id);
      const status = String(x.row.status);
      if (!prev || (STATUS_RANK[status] ?? 0) > (STATUS_RANK[String(prev.status)] ?? 0)) {
        best.set(r.message_id, x.row);
      }
    }
    if (!applied.length) return;
    const updates = [...best].map(([messageId, row]) => {
      const payload = row.payload as Json;
      const errors = Array.isArray(payload.errors) ? (payload.errors as Json[]) : [];
      return { message_id: messageId, status: row.status, error: errors.length ? errors[0] : null };
    });
    const updated = await queryRows<{ id: string; conversation_id: string; org_id: string; status: string }>(
      tx,
      sql`
      with best as (
        select * from json_to_recordset(${JSON.stringify(updates)}::json) as x(message_id uuid, status text, error jsonb)
      ), locked as (
        select m.id from messages m where m.id in (select message_id from best) order by m.id for update
      ), upd as (
        update messages m set status = best.status, error = coalesce(best.error, m.error)
        from best
        where m.id = best.message_id and m.id in (select id from locked)
          and ${rank(sql`m.status`)} < ${rank(sql`best.status`)}
          and m.status is distinct from 'failed'
        returning m.id, m.conversation_id, m.org_id, m.status
      ), app as (
        update message_status_events set applied = true where id = any(${`{${applied.join(',')}}`}::bigint[])
      )
      select id, conversation_id, org_id, status from upd`,
    );
    for (const u of updated) {
      publish(u.org_id, {
        type: 'message.status_updated',
        conversation_id: u.conversation_id,
        data: { message_id: u.id, status: u.status, conversation_id: u.conversation_id },
      });
    }
  }

  /** Raw events that touched this organisation's numbers, newest first. */
  async function listEvents(orgId: string, q: { state?: string; limit: number }) {
    const rows = await database.query<{
      id: string;
      state: string;
      result: unknown;
      error: string | null;
      received_at: Date;
      processed_at: Date | null;
      raw: string;
    }>(
      `select id::text, state, result, error, received_at, processed_at, left(raw, 4000) as raw from webhook_events
       where $1::uuid = any(org_ids) and ($2::text is null or state = $2) order by webhook_events.id desc limit $3`,
      [orgId, q.state ?? null, q.limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      state: r.state,
      result: r.result ?? null,
      error: r.error,
      raw: r.raw,
      received_at: new Date(r.received_at).toISOString(),
      processed_at: r.processed_at ? new Date(r.processed_at).toISOString() : null,
    }));
  }

  async function belongsTo(orgId: string, eventId: number) {
    const rows = await database.query(
      'select 1 from webhook_events where id = $1 and $2::uuid = any(org_ids)',
      [eventId, orgId],
    );
    return rows.length > 0;
  }

  /** Event ids in a range and/or state, for the CLI's replay. */
  async function findEventIds(q: { from?: number; to?: number; state?: string }) {
    const rows = await database.query<{ id: string }>(
      `select id::text from webhook_events where ($1::bigint is null or id >= $1) and ($2::bigint is null or id <= $2)
       and ($3::text is null or state = $3) order by webhook_events.id`,
      [q.from ?? null, q.to ?? null, q.state ?? null],
    );
    return rows.map((r) => Number(r.id));
  }

  void log;
  return {
    verifyHandshake,
    receive,
    store,
    processEvent,
    processPending,
    listEvents,
    belongsTo,
    findEventIds,
  };
}
export type InboundService = ReturnType<typeof createInboundService>;

/** Raw SQL rows on either driver (node-postgres and PGlite both answer `{ rows }`). */

const rank = (x: SQL) =>
  sql`case ${x} when 'sent' then 1 when 'delivered' then 2 when 'read' then 3 when 'played' then 3 when 'failed' then 4 else 0 end`;

/** Account-level webhook fields that are recorded and published (others are stored raw and skipped). */
const ACCOUNT_FIELDS = new Set([
  'message_template_status_update',
  'template_category_update',
  'message_template_quality_update',
  'message_template_components_update',
  'phone_number_quality_update',
  'phone_number_name_update',
  'account_update',
  'business_capability_update',
]);

const digits = (s: string | null | undefined) => (s ?? '').replace(/\D+/g, '');
const str = (v: unknown): string | null =>
  typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : null;

/** `phone_number_quality_update` events name a direction, not a colour; record what they imply. */
function qualityOf(event: string | null): string | null {
  if (event === 'FLAGGED' || event === 'DOWNGRADE') return 'RED';
  if (event === 'UNFLAGGED' || event === 'UPGRADE') return 'GREEN';
  return null;
}

function templateEvent(field: string, wabaId: string, v: Json): DomainEvent | undefined {
  const base = {
    waba_id: wabaId,
    template_id: str(v.message_template_id),
    name: str(v.message_template_name),
    language: str(v.message_template_language),
  };
  if (field === 'template_category_update') {
    return {
      type: 'template.category_updated',
      data: {
        ...base,
        previous_category: str(v.previous_category),
        new_category: str(v.new_category),
        correct_category: str(v.correct_category),
      },
    };
  }
  if (field === 'message_template_quality_update') {
    return {
      type: 'template.quality_updated',
      data: {
        ...base,
        previous_quality: str(v.previous_quality_score),
        new_quality: str(v.new_quality_score),
      },
    };
  }
  if (field === 'message_template_status_update') {
    const reason = str(v.reason);
    return {
      type: 'template.status_updated',
      data: { ...base, status: str(v.event) ?? 'UNKNOWN', reason: reason === 'NONE' ? null : reason },
    };
  }
  // Component edits, name and capability notices are recorded for admins; no client acts on them live.
  return undefined;
}

/**
 * Statuses Meta reported before the outbound message was recorded (a fast webhook can beat the
 * send path's commit): applied once the message exists, in the caller's transaction. The send path
 * calls this right after it records a message. Returns the status applied, if any.
 */
export async function applyParkedStatuses(tx: Db | Tx, numberId: string, wamid: string) {
  const parked = await queryRows<{ id: number; status: string; payload: Json }>(
    tx,
    sql`select id, status, payload from message_status_events
        where number_id = ${numberId} and wamid = ${wamid} and not applied order by occurred_at, id for update`,
  );
  if (!parked.length) return undefined;
  // The same rule as live statuses: the highest wins, and failed is final.
  const best =
    parked.find((p) => p.status === 'failed') ??
    parked.reduce((a, b) => ((STATUS_RANK[b.status] ?? 0) >= (STATUS_RANK[a.status] ?? 0) ? b : a));
  const errors = Array.isArray(best.payload.errors) ? (best.payload.errors as Json[]) : [];
  const [updated] = await queryRows<{ id: string; conversation_id: string; status: string }>(
    tx,
    sql`update messages set status = ${best.status}, error = coalesce(${errors.length ? JSON.stringify(errors[0]) : null}::jsonb, error)
        where number_id = ${numberId} and wamid = ${wamid}
          and ${rank(sql`status`)} < ${rank(sql`${best.status}::text`)} and status is distinct from 'failed'
        returning id, conversation_id, status`,
  );
  await tx.execute(
    sql`update message_status_events set applied = true where id in (${sql.join(
      parked.map((p) => sql`${p.id}`),
      sql`, `,
    )})`,
  );
  return updated;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const STATUS_RANK: Record<string, number> = { sent: 1, delivered: 2, read: 3, played: 3, failed: 4 };
