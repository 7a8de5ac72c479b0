import { type SQL, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';

/**
 * A contact to find or create by address (`waId`: E.164 digits without `+`, or the BSUID of a
 * customer whose phone is unknown — see `contacts.wa_id`); null or absent: not given.
 */
export interface ContactInput {
  waId: string;
  name?: string | null;
  /** The customer's WhatsApp user id (BSUID), when Meta names it. */
  userId?: string | null;
  /** The customer's username and parent BSUID, when Meta names them. */
  username?: string | null;
  parentUserId?: string | null;
  /** ISO 3166-1 alpha-2 of the phone, when a person or an import entered it. */
  country?: string | null;
  /** Custom field values, already checked against the organisation's definitions. */
  fields?: Record<string, unknown> | null;
  /** When the customer last wrote (ms since the epoch). */
  lastInboundAt?: number | null;
}

/** A contact found or created; `created`: it did not exist before this statement. */
export interface UpsertedContact {
  id: string;
  wa_id: string;
  name: string | null;
  fields: Record<string, unknown> | null;
  created: boolean;
}

export interface UpsertContactsOptions {
  /**
   * What happens to a contact that exists already (a new one always gets every value given):
   * - `keep` (the default): nothing — it is read back as it is (an audience, a contact created by hand);
   * - `lock`: nothing, but its row stays locked until the transaction ends (a send to a phone: the
   *   contact cannot be erased under the message being queued);
   * - `inbound`: the customer wrote — their profile name and user id are refreshed (when given) and
   *   `last_inbound_at` moves forward (never back).
   */
  existing?: 'keep' | 'lock' | 'inbound';
}

/**
 * Finds or creates an organisation's contacts by phone in one statement; answers every row given
 * (once per phone, in no particular order). Phones are written in wa_id order, so concurrent
 * batches over the same customers take their row locks in the same order and do not deadlock. When
 * one phone comes several times, its non-null values from later rows win (the latest inbound time).
 *
 * @example
 * const [c] = await upsertContacts(tx, orgId, [{ waId: '447700900123', country: 'GB' }], { existing: 'lock' });
 */
export async function upsertContacts(
  tx: Db | Tx,
  orgId: string,
  rows: ContactInput[],
  opts: UpsertContactsOptions = {},
): Promise<UpsertedContact[]> {
  const input = merged(rows);
  if (!input.length) return [];
  const existing = opts.existing ?? 'keep';
  const values = sql`
    with input as (
      select * from json_to_recordset(${JSON.stringify(input)}::json)
        as x(wa_id text, name text, user_id text, username text, parent_user_id text, country text, fields jsonb, last_inbound_at timestamptz)
    )`;
  const insert = sql`
    insert into contacts (org_id, wa_id, name, user_id, username, parent_user_id, country, fields, last_inbound_at)
    select ${orgId}, wa_id, name, user_id, username, parent_user_id, country, coalesce(fields, '{}'::jsonb), last_inbound_at
    from input order by wa_id`;
  if (existing !== 'keep') {
    const update: SQL =
      existing === 'inbound'
        ? sql`name = coalesce(excluded.name, contacts.name), user_id = coalesce(excluded.user_id, contacts.user_id),
              username = coalesce(excluded.username, contacts.username),
              parent_user_id = coalesce(excluded.parent_user_id, contacts.parent_user_id),
              last_inbound_at = greatest(contacts.last_inbound_at, excluded.last_inbound_at), updated_at = now()`
        : sql`updated_at = contacts.updated_at`;
    // `xmax = 0`: the row version this statement wrote is a fresh insert, not an update of an old row.
    return queryRows<UpsertedContact>(
      tx,
      sql`${values} ${insert}
          on conflict (org_id, wa_id) do update set ${update}
          returning id, wa_id, name, fields, (xmax = 0) as created`,
    );
  }
  // Existing rows are read, not written (a 100,000-phone audience rewrites nothing): the new ones
  // come from the insert, the others from the statement's snapshot.
  const found = await queryRows<UpsertedContact>(
    tx,
    sql`${values}, ins as (${insert} on conflict (org_id, wa_id) do nothing returning id, wa_id, name, fields)
        select id, wa_id, name, fields, true as created from ins
        union all
        select c.id, c.wa_id, c.name, c.fields, false from input i
        join contacts c on c.org_id = ${orgId} and c.wa_id = i.wa_id`,
  );
  if (found.length === input.length) return found;
  // A phone another transaction created after this statement's snapshot was taken (the insert waited
  // for it, then left it alone): read again, now that it is committed.
  const seen = new Set(found.map((r) => r.wa_id));
  const late = input.map((r) => r.wa_id).filter((w) => !seen.has(w));
  const again = await queryRows<UpsertedContact>(
    tx,
    sql`select id, wa_id, name, fields, false as created from contacts
        where org_id = ${orgId} and wa_id = any(${sql.param(late)}::text[])`,
  );
  return [...found, ...again];
}

/** One row per phone, later non-null values winning, the latest inbound time; as JSON columns. */
function merged(rows: ContactInput[]) {
  const byWa = new Map<string, ContactInput>();
  for (const r of rows) {
    const prev = byWa.get(r.waId);
    if (!prev) {
      byWa.set(r.waId, { ...r });
      continue;
    }
    if (r.name != null) prev.name = r.name;
    if (r.userId != null) prev.userId = r.userId;
    if (r.username != null) prev.username = r.username;
    if (r.parentUserId != null) prev.parentUserId = r.parentUserId;
    if (r.country != null) prev.country = r.country;
    if (r.fields != null) prev.fields = r.fields;
    if (r.lastInboundAt != null) prev.lastInboundAt = Math.max(prev.lastInboundAt ?? 0, r.lastInboundAt);
  }
  // Absent keys are left out of the JSON (a 5,000-phone chunk of an audience is mostly wa_ids).
  return [...byWa.values()].map((r) => ({
    wa_id: r.waId,
    name: r.name ?? undefined,
    user_id: r.userId ?? undefined,
    username: r.username ?? undefined,
    parent_user_id: r.parentUserId ?? undefined,
    country: r.country ?? undefined,
    fields: r.fields ?? undefined,
    last_inbound_at: r.lastInboundAt != null ? new Date(r.lastInboundAt).toISOString() : undefined,
  }));
}

// ---- Identities (phone, BSUID): see link.ts -------------------------------------------------------

export interface IdentityRow {
  id: string;
  wa_id: string;
  user_id: string | null;
}

/** The contacts an organisation knows under any of these addresses or BSUIDs, locked in id order. */
export async function contactsByIdentity(tx: Tx, orgId: string, keys: string[]) {
  return queryRows<IdentityRow>(
    tx,
    sql`select id, wa_id, user_id from contacts
        where org_id = ${orgId} and (wa_id = any(${sql.param(keys)}::text[]) or user_id = any(${sql.param(keys)}::text[]))
        order by id for update`,
  );
}

/** Sets a contact's address and BSUID (undefined: unchanged); its consent ledger follows the address. */
export async function rekeyContact(
  tx: Tx,
  orgId: string,
  c: IdentityRow,
  next: { waId?: string; userId?: string | null; parentUserId?: string | null },
) {
  const waId = next.waId ?? c.wa_id;
  const userId = next.userId === undefined ? c.user_id : next.userId;
  await tx.execute(
    sql`update contacts set wa_id = ${waId}, user_id = ${userId},
          parent_user_id = coalesce(${next.parentUserId ?? null}, parent_user_id), updated_at = now()
        where org_id = ${orgId} and id = ${c.id}`,
  );
  // The ledger is keyed by address (a STOP outlives its contact): the same person, under the new key.
  if (waId !== c.wa_id) {
    await tx.execute(
      sql`update opt_in_events set wa_id = ${waId} where org_id = ${orgId} and wa_id = ${c.wa_id}`,
    );
  }
  c.wa_id = waId;
  c.user_id = userId;
}

/**
 * Folds contact `from` into contact `into` (the same person; the caller moved its conversations):
 * tags, custom fields and names it lacks, its consent ledger; then `from` is deleted (campaign
 * recipient rows keep their address and lose the contact link, as when a contact is deleted).
 */
export async function foldContact(tx: Tx, orgId: string, from: IdentityRow, into: IdentityRow) {
  await tx.execute(
    sql`insert into contact_tags (org_id, contact_id, tag_id)
        select org_id, ${into.id}, tag_id from contact_tags where contact_id = ${from.id}
        on conflict do nothing`,
  );
  await tx.execute(
    sql`update contacts t set name = coalesce(t.name, f.name), username = coalesce(t.username, f.username),
          parent_user_id = coalesce(t.parent_user_id, f.parent_user_id), fields = f.fields || t.fields,
          last_inbound_at = greatest(t.last_inbound_at, f.last_inbound_at),
          last_outbound_at = greatest(t.last_outbound_at, f.last_outbound_at), updated_at = now()
        from contacts f where t.id = ${into.id} and f.id = ${from.id}`,
  );
  await tx.execute(
    sql`update opt_in_events set contact_id = ${into.id}, wa_id = ${into.wa_id}
        where org_id = ${orgId} and (contact_id = ${from.id} or wa_id = ${from.wa_id})`,
  );
  await tx.execute(sql`delete from contacts where org_id = ${orgId} and id = ${from.id}`);
}

/** The address (`wa_id`) of each of these BSUIDs' contacts, when the organisation has one. */
export async function addressesOfUserIds(db: Db | Tx, orgId: string, userIds: string[]) {
  const rows = await queryRows<{ user_id: string; wa_id: string }>(
    db,
    sql`select user_id, wa_id from contacts where org_id = ${orgId} and user_id = any(${sql.param(userIds)}::text[])`,
  );
  return new Map(rows.map((r) => [r.user_id, r.wa_id]));
}

/**
 * We just queued a message to these contacts (`chunk` selects their `contact_id`): their
 * `last_outbound_at` moves to now. Their `updated_at` does not: the contact itself did not change.
 */
export async function markContactsMessaged(tx: Tx, orgId: string, chunk: SQL) {
  await tx.execute(
    sql`update contacts set last_outbound_at = now()
        where org_id = ${orgId} and id in (select r.contact_id from (${chunk}) r)`,
  );
}
