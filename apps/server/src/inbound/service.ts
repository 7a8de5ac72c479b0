import type { DomainEvent } from '@openwaba/contracts';
import { eq, type SQL, sql } from 'drizzle-orm';
import type { Database, Db } from '../db/client.ts';
import { numberHealth, numbers, webhookEvents } from '../db/schema.ts';
import { transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import type { Log } from '../lib/log.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { verifySignature } from '../whatsapp/signature.ts';

type NumberRow = typeof numbers.$inferSelect;
type Json = Record<string, unknown>;

export interface ProcessResult {
  messages: number;
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
  log: Log;
}) {
  const { db, database, box, events, log } = deps;

  async function allNumbers() {
    return db.select().from(numbers);
  }

  /** The GET handshake: answers the challenge when the verify token is one of a number's. */
  async function verifyHandshake(mode: string | undefined, token: string | undefined): Promise<boolean> {
    if (mode !== 'subscribe' || !token) return false;
    return (await allNumbers()).some((n) => box.open(n.verifyTokenSealed) === token);
  }

  /** True when one of the configured app secrets signed these exact bytes. */
  async function signatureValid(raw: Buffer, header: string | undefined): Promise<boolean> {
    if (!header) return false;
    const secrets = new Set((await allNumbers()).map((n) => box.open(n.appSecretSealed)));
    for (const s of secrets) if (verifySignature(raw, header, s)) return true;
    return false;
  }

  async function store(raw: Buffer): Promise<number> {
    const [row] = await db
      .insert(webhookEvents)
      .values({ raw: raw.toString('utf8') })
      .returning({ id: webhookEvents.id });
    return row!.id;
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
    for (const entry of entries) {
      for (const change of Array.isArray(entry.changes) ? (entry.changes as Json[]) : []) {
        const field = String(change.field ?? '');
        const value = (change.value ?? {}) as Json;
        const phoneId = String((value.metadata as Json | undefined)?.phone_number_id ?? '');
        const number = phoneId
          ? byPhoneId.get(phoneId)
          : [...byPhoneId.values()].find((n) => n.wabaId === String(entry.id ?? ''));
        if (!number) {
          result.unroutable.push(phoneId || String(entry.id ?? '?'));
          continue;
        }
        orgIds.add(number.orgId);
        if (field === 'messages') await processMessages(number, value, result);
        else if (field === 'phone_number_quality_update' || field === 'account_update') {
          await db.insert(numberHealth).values({
            numberId: number.id,
            source: field,
            event: String(value.event ?? ''),
            messagingLimitTier: typeof value.current_limit === 'string' ? value.current_limit : null,
          });
        } else result.skipped.push(field);
      }
    }
    await db
      .update(webhookEvents)
      .set({ state: 'processed', result, orgIds: [...orgIds], error: null, processedAt: new Date() })
      .where(eq(webhookEvents.id, eventId));
    return result;
  }

  async function processMessages(number: NumberRow, value: Json, result: ProcessResult) {
    const profiles = new Map(
      ((value.contacts as Json[] | undefined) ?? []).map((c) => [String(c.wa_id ?? ''), c]),
    );
    for (const m of (value.messages as Json[] | undefined) ?? []) {
      const from = String(m.from ?? '');
      const wamid = String(m.id ?? '');
      if (!from || !wamid) {
        result.skipped.push('message without from/id');
        continue;
      }
      const profile = profiles.get(from);
      const name = (profile?.profile as Json | undefined)?.name;
      const sentAt = new Date(Number(m.timestamp ?? 0) * 1000 || Date.now());
      const published: DomainEvent[] = [];
      const inserted = await transaction(db, async (tx, onCommit) => {
        const [contact] = await rows<{ id: string }>(
          tx,
          sql`
          insert into contacts (org_id, wa_id, name, user_id) values (${number.orgId}, ${from}, ${typeof name === 'string' ? name : null}, ${typeof profile?.user_id === 'string' ? profile.user_id : null})
          on conflict (org_id, wa_id) do update set name = coalesce(excluded.name, contacts.name), user_id = coalesce(excluded.user_id, contacts.user_id), updated_at = now()
          returning id`,
        );
        const [conv] = await rows<{ id: string }>(
          tx,
          sql`
          insert into conversations (org_id, number_id, contact_id) values (${number.orgId}, ${number.id}, ${contact!.id})
          on conflict (number_id, contact_id) do update set updated_at = now()
          returning id`,
        );
        const context = m.context as Json | undefined;
        const [msg] = await rows<{ id: string }>(
          tx,
          sql`
          insert into messages (org_id, number_id, conversation_id, direction, wamid, type, content, context_wamid, sent_at)
          values (${number.orgId}, ${number.id}, ${conv!.id}, 'in', ${wamid}, ${String(m.type ?? 'unknown')}, ${JSON.stringify(m)}::jsonb,
                  ${typeof context?.id === 'string' ? context.id : null}, ${sentAt.toISOString()})
          on conflict (number_id, wamid) do nothing
          returning id`,
        );
        if (!msg) return false;
        await tx.execute(sql`
          update conversations set
            last_inbound_at = greatest(coalesce(last_inbound_at, ${sentAt.toISOString()}::timestamptz), ${sentAt.toISOString()}::timestamptz),
            window_expires_at = greatest(coalesce(last_inbound_at, ${sentAt.toISOString()}::timestamptz), ${sentAt.toISOString()}::timestamptz) + interval '24 hours',
            last_message_at = greatest(coalesce(last_message_at, ${sentAt.toISOString()}::timestamptz), ${sentAt.toISOString()}::timestamptz),
            unread_count = unread_count + 1, status = 'open', updated_at = now()
          where id = ${conv!.id}`);
        published.push(
          {
            type: 'message.received',
            conversation_id: conv!.id,
            data: { message_id: msg.id, conversation_id: conv!.id, contact_id: contact!.id },
          },
          {
            type: 'conversation.updated',
            conversation_id: conv!.id,
            data: { conversation_id: conv!.id, fields: ['last_message_at', 'unread_count'] },
          },
        );
        onCommit(() => events.publish(number.orgId, published));
        return true;
      });
      if (inserted) result.messages++;
      else result.duplicates++;
    }
    for (const s of (value.statuses as Json[] | undefined) ?? []) await applyStatus(number, s, result);
  }

  /** Records every status; applies it unless it would move the message backwards (failed is final). */
  async function applyStatus(number: NumberRow, s: Json, result: ProcessResult) {
    const wamid = String(s.id ?? '');
    const status = String(s.status ?? '');
    if (!wamid || !status) return;
    const occurredAt = new Date(Number(s.timestamp ?? 0) * 1000 || Date.now()).toISOString();
    await transaction(db, async (tx, onCommit) => {
      const [ev] = await rows<{ id: number }>(
        tx,
        sql`
        insert into message_status_events (number_id, wamid, status, occurred_at, payload)
        values (${number.id}, ${wamid}, ${status}, ${occurredAt}, ${JSON.stringify(s)}::jsonb)
        on conflict (number_id, wamid, status, occurred_at) do nothing returning id`,
      );
      if (!ev) return;
      result.statuses++;
      const errors = Array.isArray(s.errors) ? (s.errors as Json[]) : [];
      const error = errors.length ? JSON.stringify(errors[0]) : null;
      const [updated] = await rows<{ id: string; conversation_id: string }>(
        tx,
        sql`update messages set status = ${status}, error = coalesce(${error}::jsonb, error)
            where number_id = ${number.id} and wamid = ${wamid}
              and ${rank(sql`status`)} < ${rank(sql`${status}::text`)}
              and status is distinct from 'failed'
            returning id, conversation_id`,
      );
      const [exists] = updated
        ? [updated]
        : await rows<{ id: string }>(
            tx,
            sql`select id from messages where number_id = ${number.id} and wamid = ${wamid}`,
          );
      if (!exists) {
        result.parked++;
        return;
      }
      await tx.execute(sql`update message_status_events set applied = true where id = ${ev.id}`);
      if (updated) {
        onCommit(() =>
          events.publish(number.orgId, [
            {
              type: 'message.status_updated',
              conversation_id: updated.conversation_id,
              data: { message_id: updated.id, status, conversation_id: updated.conversation_id },
            },
          ]),
        );
      }
    });
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
  return { verifyHandshake, signatureValid, store, processEvent, listEvents, belongsTo, findEventIds };
}
export type InboundService = ReturnType<typeof createInboundService>;

/** Raw SQL rows on either driver (node-postgres and PGlite both answer `{ rows }`). */
async function rows<T>(tx: Db, query: SQL): Promise<T[]> {
  const r = (await tx.execute(query)) as unknown as { rows?: T[] };
  return r.rows ?? (r as unknown as T[]);
}

const rank = (x: SQL) =>
  sql`case ${x} when 'sent' then 1 when 'delivered' then 2 when 'read' then 3 when 'played' then 3 when 'failed' then 4 else 0 end`;
