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

  /** Processes stored events nobody is processing yet, until none are left (see `drainPendingEvents`). */
  function processPending(opts: Partial<DrainOptions> = {}) {
    if (database.kind === 'pg') return drainPendingEvents({ database, processEvent }, opts);
    // PGlite runs its queries on this process's only thread: while webhook POSTs are arriving (one in
    // the last second), processing takes turns with them — it rests as long as its last event took —
    // so Meta still gets quick answers during a burst.
    const yieldTo = (previousMs: number) =>
      performance.now() - lastReceivedAt < 1000
        ? new Promise<void>((r) => setTimeout(r, Math.min(previousMs, 1000)))
        : undefined;
    return drainPendingEvents({ database, processEvent, yieldTo }, { concurrency: 1, ...opts });
  }

  /** Processes (or re-processes: it is idempotent) one stored event; a failure is recorded, then rethrown for the job's retry. */
  async function processEvent(eventId: number): Promise<ProcessResult> {
    try {
      return await processEventOnce(eventId);
    } catch (err) {
      await db
        .update(webhookEvents)
        .set({ state: 'failed', error: (err as Error).message.slice(0, 1000), processedAt: new Date() })
        .where(eq(webhookEvents.id, eventId))
        .catch(() => {});
      throw err;
    }
  }

  async function processEventOnce(eventId: number): Promise<ProcessResult> {
    const [ev] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, eventId));
    if (!ev) throw new Error(`webhook event ${eventId} not found`);
    const result: ProcessResult = {
      messages: 0,
      updates: 0,
      duplicates: 0,
      statuses: 0,
      parked: 0,
      skipped: [],
      unroutable: [],
    };
    let payload: Json;
    try {
      payload = JSON.parse(ev.raw) as Json;
    } catch (err) {
      await db
        .update(webhookEvents)
        .set({ state: 'unparseable', error: (err as Error).message, processedAt: new Date() })
        .where(eq(webhookEvents.id, eventId));
      return result;
    }
    const byPhoneId = new Map((await allNumbers()).map((n) => [n.phoneNumberId, n]));
    const orgIds = new Set<string>();
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
            result.unroutable.push(phoneId || wabaId || '?');
            continue;
          }
          orgIds.add(number.orgId);
          await processMessages(number, value, result);
          continue;
        }
        // Account-level notices name the WABA (and, for quality, the display number): every
        // organisation with a number in that account is told.
        const inWaba = [...byPhoneId.values()].filter((n) => n.wabaId === wabaId);
        if (!inWaba.length) {
          result.unroutable.push(wabaId || '?');
          continue;
        }
        if (!ACCOUNT_FIELDS.has(field)) {
          result.skipped.push(field);
          continue;
        }
        for (const n of inWaba) orgIds.add(n.orgId);
        await recordAccountUpdate(eventId, index, field, wabaId, value, inWaba, result);
      }
    }
    await db
      .update(webhookEvents)
      .set({ state: 'processed', result, orgIds: [...orgIds], error: null, processedAt: new Date() })
      .where(eq(webhookEvents.id, eventId));
    return result;
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
   * One change's messages in one transaction (and its statuses in another). Customers are touched in
   * a fixed order so concurrent events over the same customers do not deadlock (a deadlock that still
   * happens fails the event, which is retried: processing is idempotent); events are published once,
   * after commit.
   */
  async function processMessages(number: NumberRow, value: Json, result: ProcessResult) {
    const profiles = new Map(
      ((value.contacts as Json[] | undefined) ?? []).map((c) => [String(c.wa_id ?? ''), c]),
    );
    const incoming: Json[] = [];
    for (const m of (value.messages as Json[] | undefined) ?? []) {
      if (!m.from || !m.id) result.skipped.push('message without from/id');
      else incoming.push(m);
    }
    // Meta redelivers; one query finds what is already stored so duplicates cost nothing more.
    // (The unique (number_id, wamid) constraint stays the guarantee when copies race.)
    const known = new Set(
      incoming.length
        ? (
            await database.query<{ wamid: string }>(
              'select wamid from messages where number_id = $1 and wamid = any($2::text[])',
              [number.id, incoming.map((m) => String(m.id))],
            )
          ).map((r) => r.wamid)
        : [],
    );
    const fresh = incoming
      .filter((m) => !known.has(String(m.id)))
      // Stable: one customer's messages keep Meta's order (their arrival order, `messages.seq`).
      .sort((a, b) => cmp(String(a.from), String(b.from)));
    result.duplicates += incoming.length - fresh.length;
    if (fresh.length) {
      const inserted = await transaction(db, async (tx, onCommit) => {
        const published: DomainEvent[] = [];
        const touched = new Set<string>();
        let n = 0;
        for (const m of fresh) {
          const stored = await insertInbound(tx, number, m, profiles.get(String(m.from)), onCommit);
          if (!stored) continue;
          n++;
          touched.add(stored.conversationId);
          published.push({
            type: 'message.received',
            conversation_id: stored.conversationId,
            data: {
              message_id: stored.messageId,
              conversation_id: stored.conversationId,
              contact_id: stored.contactId,
            },
          });
        }
        for (const id of touched) {
          published.push({
            type: 'conversation.updated',
            conversation_id: id,
            data: { conversation_id: id, fields: ['last_message_at', 'unread_count'] },
          });
        }
        if (published.length) onCommit(() => events.publish(number.orgId, published));
        return n;
      });
      result.messages += inserted;
      result.duplicates += fresh.length - inserted;
    }
    const statuses = ((value.statuses as Json[] | undefined) ?? []).filter((x) => x.id && x.status);
    if (statuses.length) await applyStatuses(number, statuses, result);
  }

  /** One inbound message: contact, conversation (24 h window), message, media to fetch. */
  async function insertInbound(
    tx: Tx,
    number: NumberRow,
    m: Json,
    profile: Json | undefined,
    onCommit: OnCommit,
  ) {
    const from = String(m.from);
    const name = (profile?.profile as Json | undefined)?.name;
    const sentAt = new Date(Number(m.timestamp ?? 0) * 1000 || Date.now()).toISOString();
    const [contact] = await queryRows<{ id: string }>(
      tx,
      sql`
      insert into contacts (org_id, wa_id, name, user_id, last_inbound_at) values (${number.orgId}, ${from}, ${typeof name === 'string' ? name : null}, ${typeof profile?.user_id === 'string' ? profile.user_id : null}, ${sentAt})
      on conflict (org_id, wa_id) do update set name = coalesce(excluded.name, contacts.name), user_id = coalesce(excluded.user_id, contacts.user_id),
        last_inbound_at = greatest(contacts.last_inbound_at, excluded.last_inbound_at), updated_at = now()
      returning id`,
    );
    const [conv] = await queryRows<{ id: string }>(
      tx,
      sql`
      insert into conversations (org_id, number_id, contact_id) values (${number.orgId}, ${number.id}, ${contact!.id})
      on conflict (number_id, contact_id) do update set updated_at = now()
      returning id`,
    );
    const context = m.context as Json | undefined;
    const [msg] = await queryRows<{ id: string }>(
      tx,
      sql`
      insert into messages (org_id, number_id, conversation_id, direction, wamid, type, content, context_wamid, sent_at)
      values (${number.orgId}, ${number.id}, ${conv!.id}, 'in', ${String(m.id)}, ${String(m.type ?? 'unknown')}, ${JSON.stringify(m)}::jsonb,
              ${typeof context?.id === 'string' ? context.id : null}, ${sentAt})
      on conflict (number_id, wamid) do nothing
      returning id`,
    );
    if (!msg) return undefined;
    const mediaFileId = await media.recordPending(tx, {
      orgId: number.orgId,
      numberId: number.id,
      messageId: msg.id,
      type: String(m.type ?? ''),
      payload: m,
    });
    if (mediaFileId) onCommit(() => media.schedule(number.orgId, mediaFileId));
    // STOP / START: consent changes with the message that carries it, in this transaction.
    const said =
      m.type === 'text' ? (m.text as Json | undefined)?.body : (m.button as Json | undefined)?.text;
    if (typeof said === 'string') {
      await consent.applyKeyword(tx, onCommit, {
        orgId: number.orgId,
        contactId: contact!.id,
        waId: from,
        messageId: msg.id,
        text: said,
      });
    }
    await tx.execute(sql`
      update conversations set
        last_inbound_at = greatest(coalesce(last_inbound_at, ${sentAt}::timestamptz), ${sentAt}::timestamptz),
        window_expires_at = greatest(coalesce(last_inbound_at, ${sentAt}::timestamptz), ${sentAt}::timestamptz) + interval '24 hours',
        last_message_at = greatest(coalesce(last_message_at, ${sentAt}::timestamptz), ${sentAt}::timestamptz),
        unread_count = unread_count + 1, status = 'open', updated_at = now()
      where id = ${conv!.id}`);
    return { messageId: msg.id, conversationId: conv!.id, contactId: contact!.id };
  }

  /**
   * Records every status (once: unique by message, status and time) and applies it unless it would
   * move the message backwards (failed is final); a status for a message not recorded yet is parked.
   */
  async function applyStatuses(number: NumberRow, list: Json[], result: ProcessResult) {
    const sorted = [...list].sort((a, b) => cmp(String(a.id), String(b.id)));
    const counts = await transaction(db, async (tx, onCommit) => {
      const c = { statuses: 0, parked: 0 };
      const published: DomainEvent[] = [];
      for (const s of sorted) {
        const wamid = String(s.id);
        const status = String(s.status);
        const occurredAt = new Date(Number(s.timestamp ?? 0) * 1000 || Date.now()).toISOString();
        const [ev] = await queryRows<{ id: number }>(
          tx,
          sql`
          insert into message_status_events (number_id, wamid, status, occurred_at, payload)
          values (${number.id}, ${wamid}, ${status}, ${occurredAt}, ${JSON.stringify(s)}::jsonb)
          on conflict (number_id, wamid, status, occurred_at) do nothing returning id`,
        );
        if (!ev) continue;
        c.statuses++;
        const errors = Array.isArray(s.errors) ? (s.errors as Json[]) : [];
        const error = errors.length ? JSON.stringify(errors[0]) : null;
        const [updated] = await queryRows<{ id: string; conversation_id: string }>(
          tx,
          sql`update messages set status = ${status}, error = coalesce(${error}::jsonb, error)
              where number_id = ${number.id} and wamid = ${wamid}
                and ${rank(sql`status`)} < ${rank(sql`${status}::text`)}
                and status is distinct from 'failed'
              returning id, conversation_id`,
        );
        const [exists] = updated
          ? [updated]
          : await queryRows<{ id: string }>(
              tx,
              sql`select id from messages where number_id = ${number.id} and wamid = ${wamid}`,
            );
        if (!exists) {
          c.parked++;
          continue;
        }
        await tx.execute(sql`update message_status_events set applied = true where id = ${ev.id}`);
        if (updated) {
          published.push({
            type: 'message.status_updated',
            conversation_id: updated.conversation_id,
            data: { message_id: updated.id, status, conversation_id: updated.conversation_id },
          });
        }
      }
      if (published.length) onCommit(() => events.publish(number.orgId, published));
      return c;
    });
    result.statuses += counts.statuses;
    result.parked += counts.parked;
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
