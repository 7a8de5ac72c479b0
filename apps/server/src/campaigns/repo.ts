import type { CampaignPreflight, CampaignState } from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import { latestConsentKind, marketingStoppedSql } from '../contacts/consent.ts';
import type { Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import { notFound } from '../lib/errors.ts';
import type { BuiltRecipient, CampaignRow, Json, StoredTemplate } from './campaign-row.ts';

/**
 * Every write to `campaigns` and `campaign_recipients` (campaigns own them), and the reads the
 * service's parts share. Statements stay set-based: one per chunk of recipients, never one per
 * recipient.
 *
 * Where a recipient or the feed cursor moves in the same statement as a queue row (the messages
 * repo's queueCampaignChunk, markSent, failSends, dequeueCampaign), campaigns hand in their part of
 * that statement: a function of the name of the statement's rows, as `RecipientsPart` in
 * messages/repo.ts. One statement per batch keeps the send path at one round trip.
 */

/** Recipients inserted per statement when a campaign is created. */
const BATCH = 5000;

// ---- The recipient's state ------------------------------------------------------------------------

/**
 * A recipient's state as people see it (`r` a recipient, `k` its campaign): a pending one at or
 * below the feed cursor is on the send queue, "queued" (the state is not rewritten for it).
 */
export const STATE_OF = sql`case when r.state = 'pending' and r.id <= k.fed_through then 'queued' else r.state end`;

/** Recipients in a state as people see it (`r`, `k` as in STATE_OF), read off the state index. */
export const stateIs = (state: string) =>
  state === 'queued'
    ? sql`r.state = 'pending' and r.id <= k.fed_through`
    : state === 'pending'
      ? sql`r.state = 'pending' and r.id > k.fed_through`
      : sql`r.state = ${state}`;

// ---- Campaigns ------------------------------------------------------------------------------------

/** The organisation's campaign (NOT_FOUND otherwise); `lock` holds it for the transaction. */
export async function getCampaignRow(
  tx: Db | Tx,
  orgId: string,
  id: string,
  lock = false,
): Promise<CampaignRow> {
  const [row] = await queryRows<CampaignRow>(
    tx,
    sql`select * from campaigns where org_id = ${orgId} and id = ${id} ${lock ? sql`for update` : sql``}`,
  );
  if (!row) throw notFound('Campaign');
  return row;
}

/** The organisation's latest campaigns, newest first. */
export function findCampaignRows(db: Db, orgId: string) {
  return queryRows<CampaignRow>(
    db,
    sql`select * from campaigns where org_id = ${orgId} order by created_at desc limit 100`,
  );
}

/** A draft with its recipients, as built (in chunks of BATCH). Returns its id. */
export async function insertCampaign(
  tx: Tx,
  orgId: string,
  c: {
    numberId: string;
    name: string;
    audience: Json;
    templates: StoredTemplate[];
    split: string;
    marketingTtlSeconds: number | null;
    spendCap: number | null;
    createdBy: string | null;
  },
  built: BuiltRecipient[],
): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    tx,
    sql`insert into campaigns (org_id, number_id, name, audience, templates, split, marketing_ttl_seconds, spend_cap, created_by)
        values (${orgId}, ${c.numberId}, ${c.name}, ${JSON.stringify(c.audience)}::jsonb,
                ${JSON.stringify(c.templates)}::jsonb, ${c.split}, ${c.marketingTtlSeconds}, ${c.spendCap}, ${c.createdBy})
        returning id`,
  );
  const id = row!.id;
  for (let i = 0; i < built.length; i += BATCH) {
    const chunk = built.slice(i, i + BATCH).map((b) => ({
      contact_id: b.contactId,
      wa_id: b.waId,
      input: b.input,
      row_number: b.rowNumber,
      template_index: b.templateIndex,
      params: b.params,
      state: b.state,
      reason: b.reason,
    }));
    await tx.execute(
      sql`insert into campaign_recipients (campaign_id, org_id, contact_id, wa_id, input, row_number, template_index, params, state, reason)
          select ${id}, ${orgId}, x.contact_id, x.wa_id, x.input, x.row_number, x.template_index, x.params, x.state, x.reason
          from json_to_recordset(${JSON.stringify(chunk)}::json)
            as x(contact_id uuid, wa_id text, input text, row_number int, template_index int, params jsonb, state text, reason text)`,
    );
  }
  return id;
}

/** A state change with the columns that go with it (`set`). */
export async function setCampaignState(tx: Tx, orgId: string, id: string, to: CampaignState, set: SQL) {
  await tx.execute(
    sql`update campaigns set state = ${to}, updated_at = now(), ${set} where org_id = ${orgId} and id = ${id}`,
  );
}

/** The pre-flight failed: the campaign fails with its problems. */
export const failPreflight = (tx: Tx, orgId: string, id: string, pf: CampaignPreflight) =>
  setCampaignState(
    tx,
    orgId,
    id,
    'failed',
    sql`preflight = ${JSON.stringify(pf)}::jsonb, failure_reason = ${`Pre-flight failed: ${pf.problems.join('; ')}`},
        finished_at = now()`,
  );

/** The pre-flight passed: the campaign runs. */
export const markRunning = (tx: Tx, orgId: string, id: string, pf: CampaignPreflight) =>
  setCampaignState(
    tx,
    orgId,
    id,
    'running',
    sql`preflight = ${JSON.stringify(pf)}::jsonb, started_at = now()`,
  );

/** Stopped for good. */
export const markStopped = (tx: Tx, orgId: string, id: string) =>
  setCampaignState(tx, orgId, id, 'stopped', sql`finished_at = now()`);

export async function deleteCampaign(tx: Tx, orgId: string, id: string) {
  await tx.execute(sql`delete from campaigns where org_id = ${orgId} and id = ${id}`);
}

/** Running campaigns of `ids` with nothing left to send (nothing queued, nobody left to feed) complete. */
export function completeFinished(db: Db, ids: string[]) {
  return queryRows<CampaignRow>(
    db,
    sql`update campaigns k set state = 'completed', finished_at = now(), updated_at = now()
        where k.id = any(${sql.param(ids)}::uuid[]) and k.state = 'running'
          and not exists (select 1 from send_queue q where q.campaign_id = k.id)
          and not exists (select 1 from campaign_recipients r where r.campaign_id = k.id and ${stateIs('pending')})
        returning *`,
  );
}

/** The organisation's running campaigns matching `which` pause with the reason; returns them. */
export function pauseRunningWhere(db: Db, orgId: string, which: SQL, reason: string) {
  return queryRows<CampaignRow>(
    db,
    sql`update campaigns set state = 'paused', paused_reason = ${reason}, updated_at = now()
        where org_id = ${orgId} and state = 'running' and ${which} returning *`,
  );
}

// ---- Recipients -----------------------------------------------------------------------------------

/**
 * Pre-flight's consent check: pending recipients opted out, or with no opt-in on file, are skipped
 * with the reason. Returns the counts by reason.
 */
export function skipWithoutConsent(tx: Tx, orgId: string, campaignId: string) {
  return queryRows<{ reason: string; n: number }>(
    tx,
    sql`with k as (
          select r.id, ${latestConsentKind(sql`r`)} as kind from campaign_recipients r
          where r.campaign_id = ${campaignId} and r.org_id = ${orgId} and r.state = 'pending'),
        s as (
          update campaign_recipients r set state = 'skipped', updated_at = now(),
                 reason = case when k.kind = 'opt_out' then 'opted out' else 'no opt-in on file' end
          from k where r.id = k.id and k.kind is distinct from 'opt_in'
          returning r.reason)
        select reason, count(*)::int as n from s group by reason`,
  );
}

/**
 * Pending recipients of the campaign's MARKETING templates (`templateIndexes`) who stopped marketing
 * messages from its number are skipped, with the reason; their count.
 */
export async function skipMarketingStopped(
  tx: Tx,
  orgId: string,
  c: { id: string; numberId: string },
  templateIndexes: number[],
  reason: string,
) {
  if (!templateIndexes.length) return 0;
  const [r] = await queryRows<{ n: number }>(
    tx,
    sql`with s as (
          update campaign_recipients r set state = 'skipped', reason = ${reason}, updated_at = now()
          where r.campaign_id = ${c.id} and r.org_id = ${orgId} and r.state = 'pending'
            and r.template_index = any(${sql.param(templateIndexes)}::int[])
            and ${marketingStoppedSql(orgId, c.numberId, sql`r.wa_id`)}
          returning 1)
        select count(*)::int as n from s`,
  );
  return r?.n ?? 0;
}

/**
 * The next `limit` recipients past the campaign's feed cursor, in id order (a select for the feed:
 * id, contact_id, wa_id, template_index, params).
 */
export const nextToFeed = (c: Pick<CampaignRow, 'id' | 'fed_through'>, limit: number) =>
  sql`select id, contact_id, wa_id, template_index, params from campaign_recipients
      where campaign_id = ${c.id} and state = 'pending' and id > ${c.fed_through}::bigint
      order by id limit ${limit}`;

/** Recipients of `chunk` whose contact was deleted since the campaign started are skipped, with why. */
export async function skipDeletedContacts(tx: Tx, chunk: SQL) {
  await tx.execute(sql`
    update campaign_recipients set state = 'skipped', reason = 'the contact was deleted', updated_at = now()
    where id in (select id from (${chunk}) r where r.contact_id is null)`);
}

/** Recipients not fed yet are skipped with the reason (a stopped campaign). */
export async function skipUnfed(tx: Tx, orgId: string, campaignId: string, reason: string) {
  await tx.execute(
    sql`update campaign_recipients r set state = 'skipped', reason = ${reason}, updated_at = now()
        from campaigns k where k.id = ${campaignId} and k.org_id = ${orgId} and r.campaign_id = k.id
          and ${stateIs('pending')}`,
  );
}

// ---- Parts of the send path's statements ----------------------------------------------------------

/**
 * A chunk put on the send queue moves the campaign's feed cursor past it (reads `m`: recipient_id).
 * Its recipients stay pending: at or below the cursor, they are queued.
 */
export const campaignFedPart = (campaignId: string) => (m: SQL) =>
  sql`update campaigns k set fed_through = x.last
      from (select max(recipient_id) as last from ${m}) x where k.id = ${campaignId} and x.last is not null`;

/** Recipients whose message was taken off the queue are skipped, with why (reads `q`: recipient_id). */
export const recipientsSkippedPart = (reason: string) => (q: SQL) =>
  sql`update campaign_recipients r set state = 'skipped', reason = ${reason}, message_id = null, updated_at = now()
      from ${q} where r.id = ${q}.recipient_id`;

/**
 * Recipients of sends Meta accepted are sent, with their message (reads `s`: r = recipient id,
 * m = message id, w = wamid, a = attempts).
 */
export const recipientsSentPart = (s: SQL) =>
  sql`update campaign_recipients r set state = 'sent', message_id = ${s}.m, wamid = ${s}.w, attempts = ${s}.a,
             sent_at = now(), updated_at = now()
      from ${s} where r.id = ${s}.r`;

/**
 * Recipients of sends that failed for good fail, with their message and Meta's error (reads `f`:
 * r, m, e, reason, attempts).
 */
export const recipientsFailedPart = (f: SQL) =>
  sql`update campaign_recipients r set state = 'failed', message_id = ${f}.m, reason = ${f}.reason, error = ${f}.e,
             attempts = ${f}.attempts, updated_at = now()
      from ${f} where r.id = ${f}.r`;

/** Recipients whose sends were given up fail with the reason (sends that had none are ignored). */
export async function failRecipients(
  tx: Tx,
  sends: { recipient_id: number | null; message_id: string }[],
  reason: string,
) {
  const rows = sends
    .filter((s) => s.recipient_id !== null)
    .map((s) => ({ r: s.recipient_id, m: s.message_id }));
  if (!rows.length) return;
  await tx.execute(sql`update campaign_recipients cr set state = 'failed', message_id = x.m, reason = ${reason}, updated_at = now()
                       from json_to_recordset(${JSON.stringify(rows)}::json) as x(r bigint, m uuid)
                       where cr.id = x.r`);
}
