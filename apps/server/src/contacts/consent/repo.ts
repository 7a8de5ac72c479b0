import type { ConsentKind, ConsentSource } from '@openwaba/contracts';
import { eq, type SQL, sql } from 'drizzle-orm';
import type { Database, Db, Tx } from '../../db/client.ts';
import { contactSettings } from '../../db/schema.ts';
import { queryRows } from '../../db/tx.ts';

/**
 * Every statement of consent: the opt-in ledger (`opt_in_events`, append-only: the latest event of a
 * WhatsApp id is its state) and the organisation's keyword settings (`contact_settings`). Each takes
 * `orgId` first.
 */

/** A ledger event as read back (with the email of the person who recorded it, when listed). */
export interface LedgerRow {
  id: string | number;
  contact_id: string | null;
  wa_id: string;
  kind: string;
  source: string;
  proof: string | null;
  actor_user_id: string | null;
  actor_email: string | null;
  message_id: string | null;
  created_at: string | Date;
}

/** SQL for "the latest ledger event of this contact" (`c` is the contacts alias), for lists and filters. */
export const latestConsentKind = (c: SQL) =>
  sql`(select e.kind from opt_in_events e where e.org_id = ${c}.org_id and e.wa_id = ${c}.wa_id order by e.id desc limit 1)`;

// ---- The ledger ------------------------------------------------------------------------------

export async function latestConsentEvent(tx: Db | Tx, orgId: string, waId: string) {
  const [row] = await queryRows<{ kind: string; source: string; created_at: string | Date }>(
    tx,
    sql`select kind, source, created_at from opt_in_events where org_id = ${orgId} and wa_id = ${waId}
        order by id desc limit 1`,
  );
  return row;
}

/**
 * The latest event of each of these WhatsApp ids that has one, and whether the organisation keeps
 * any erased contact's opt-out (the bulk send path's consent check: one statement).
 */
export async function latestConsentEvents(tx: Db | Tx, orgId: string, waIds: string[]) {
  const [r] = await queryRows<{
    any_kept: boolean;
    latest: { wa_id: string; kind: string; source: string; created_at: string }[];
  }>(
    tx,
    sql`select exists (select 1 from consent_tombstones where org_id = ${orgId}) as any_kept,
               coalesce((select json_agg(l) from (
                 select distinct on (wa_id) wa_id, kind, source, created_at from opt_in_events
                 where org_id = ${orgId} and wa_id = any(${sql.param(waIds)}::text[]) order by wa_id, id desc) l), '[]') as latest`,
  );
  return { anyKept: Boolean(r?.any_kept), latest: r?.latest ?? [] };
}

/** The latest event's kind of each WhatsApp id that has one. */
export async function latestConsentKinds(database: Database, orgId: string, waIds: string[]) {
  return database.query<{ wa_id: string; kind: string }>(
    `select distinct on (wa_id) wa_id, kind from opt_in_events
     where org_id = $1 and wa_id = any($2::text[]) order by wa_id, id desc`,
    [orgId, waIds],
  );
}

/** Every event of a WhatsApp id, newest first (at most 500), with who recorded it. */
export async function ledgerOf(db: Db, orgId: string, waId: string) {
  return queryRows<LedgerRow>(
    db,
    sql`select e.id, e.contact_id, e.wa_id, e.kind, e.source, e.proof, e.actor_user_id, u.email as actor_email,
               e.message_id, e.created_at
        from opt_in_events e left join users u on u.id = e.actor_user_id
        where e.org_id = ${orgId} and e.wa_id = ${waId} order by e.id desc limit 500`,
  );
}

/** Appends one event; undefined when its message already recorded one (a replay). */
export async function insertConsentEvent(
  tx: Tx,
  orgId: string,
  e: {
    contactId: string;
    waId: string;
    kind: ConsentKind;
    source: ConsentSource;
    proof: string | null;
    actorUserId: string | null;
    messageId: string | null;
  },
): Promise<LedgerRow | undefined> {
  const [row] = await queryRows<LedgerRow>(
    tx,
    sql`insert into opt_in_events (org_id, contact_id, wa_id, kind, source, proof, actor_user_id, message_id)
        values (${orgId}, ${e.contactId}, ${e.waId}, ${e.kind}, ${e.source}, ${e.proof},
                ${e.actorUserId}, ${e.messageId})
        on conflict (message_id) do nothing
        returning id, contact_id, wa_id, kind, source, proof, actor_user_id, null as actor_email, message_id, created_at`,
  );
  return row;
}

/**
 * Appends one event for every contact matching `where` (a condition on the `contacts c` alias) and
 * `guard`, in contact order; returns the ids of the events.
 */
export async function insertConsentEvents(
  tx: Tx,
  orgId: string,
  e: {
    where: SQL;
    guard: SQL;
    kind: ConsentKind;
    source: ConsentSource;
    proof: string | null;
    actorUserId: string | null;
  },
) {
  return queryRows<{ id: string }>(
    tx,
    sql`insert into opt_in_events (org_id, contact_id, wa_id, kind, source, proof, actor_user_id)
        select c.org_id, c.id, c.wa_id, ${e.kind}, ${e.source}, ${e.proof}, ${e.actorUserId}
        from contacts c where c.org_id = ${orgId} and (${e.where}) ${e.guard}
        order by c.id
        returning id`,
  );
}

/** The WhatsApp ids of the contacts matching `where` that have no ledger event at all. */
export async function waIdsWithoutConsent(tx: Tx, orgId: string, where: SQL) {
  return queryRows<{ wa_id: string }>(
    tx,
    sql`select c.wa_id from contacts c where c.org_id = ${orgId} and (${where})
          and ${latestConsentKind(sql`c`)} is null`,
  );
}

// ---- Contacts by id or phone -----------------------------------------------------------------

/** The WhatsApp id of a contact; `forUpdate` locks the contact row for the transaction. */
export async function waIdOfContact(
  tx: Db | Tx,
  orgId: string,
  contactId: string,
  o: { forUpdate?: boolean } = {},
) {
  const [c] = await queryRows<{ wa_id: string }>(
    tx,
    o.forUpdate
      ? sql`select wa_id from contacts where org_id = ${orgId} and id = ${contactId} for update`
      : sql`select wa_id from contacts where org_id = ${orgId} and id = ${contactId}`,
  );
  return c?.wa_id;
}

export async function contactIdOfWaId(tx: Db | Tx, orgId: string, waId: string) {
  const [c] = await queryRows<{ id: string }>(
    tx,
    sql`select id from contacts where org_id = ${orgId} and wa_id = ${waId}`,
  );
  return c?.id;
}

// ---- Keyword settings ------------------------------------------------------------------------

export async function contactSettingsOf(tx: Db | Tx, orgId: string) {
  const [row] = await tx.select().from(contactSettings).where(eq(contactSettings.orgId, orgId));
  return row;
}

/** Writes the given settings (null stores null: the built-in lists). */
export async function upsertContactSettings(
  tx: Db | Tx,
  orgId: string,
  values: Partial<
    Pick<typeof contactSettings.$inferInsert, 'optOutKeywords' | 'optInKeywords' | 'stopConfirmationText'>
  >,
) {
  await tx
    .insert(contactSettings)
    .values({ orgId, ...values })
    .onConflictDoUpdate({ target: contactSettings.orgId, set: { ...values, updatedAt: new Date() } });
}

// ---- Marketing preferences (Meta's user_preferences: stop / resume per number) ----------------

/**
 * SQL for "the customer stopped marketing messages from this number" (latest preference is `stop`):
 * `waId` and `numberId` are SQL expressions (columns of the caller's query, or parameters).
 */
export const marketingStoppedSql = (orgId: SQL | string, numberId: SQL | string, waId: SQL | string) =>
  sql`coalesce((select p.value = 'stop' from marketing_preference_events p
      where p.org_id = ${orgId} and p.number_id = ${numberId} and p.wa_id = ${waId}
      order by p.occurred_at desc, p.id desc limit 1), false)`;

/** Appends preferences (a replayed webhook records nothing twice); returns those recorded. */
export async function insertMarketingPreferences(
  tx: Tx,
  orgId: string,
  numberId: string,
  rows: { waId: string; value: string; detail: string | null; occurredAt: Date }[],
  ref: { webhookEventId: number; changeIndex: number },
) {
  if (!rows.length) return [];
  return queryRows<{ id: string; contact_id: string | null; wa_id: string; value: string }>(
    tx,
    sql`insert into marketing_preference_events (org_id, contact_id, wa_id, number_id, value, detail, occurred_at,
                                                 webhook_event_id, change_index)
        select ${orgId}, (select c.id from contacts c where c.org_id = ${orgId} and c.wa_id = x.wa_id),
               x.wa_id, ${numberId}, x.value, x.detail, x.occurred_at, ${ref.webhookEventId}, ${ref.changeIndex}
        from json_to_recordset(${JSON.stringify(
          rows.map((r) => ({ ...r, occurred_at: r.occurredAt.toISOString(), wa_id: r.waId })),
        )}::json) as x(wa_id text, value text, detail text, occurred_at timestamptz)
        on conflict (webhook_event_id, change_index, number_id, wa_id) do nothing
        returning id, contact_id, wa_id, value`,
  );
}

/** Every preference of a WhatsApp id, newest first (at most 200), with the number's name. */
export async function marketingPreferencesOf(db: Db | Tx, orgId: string, waId: string) {
  return queryRows<{
    id: string | number;
    number_id: string;
    number_name: string;
    value: string;
    detail: string | null;
    occurred_at: string | Date;
  }>(
    db,
    sql`select p.id, p.number_id, n.display_name as number_name, p.value, p.detail, p.occurred_at
        from marketing_preference_events p join numbers n on n.id = p.number_id
        where p.org_id = ${orgId} and p.wa_id = ${waId}
        order by p.occurred_at desc, p.id desc limit 200`,
  );
}

/** Whether the customer stopped marketing messages from the number. */
export async function isMarketingStopped(tx: Db | Tx, orgId: string, numberId: string, waId: string) {
  const [r] = await queryRows<{ stopped: boolean }>(
    tx,
    sql`select ${marketingStoppedSql(orgId, numberId, waId)} as stopped`,
  );
  return r?.stopped === true;
}
