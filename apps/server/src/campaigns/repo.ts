import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';

/**
 * Writes to `campaigns` and `campaign_recipients` that go with the send path (campaigns own them).
 * Where a recipient or the feed cursor moves in the same statement as a queue row (the messages
 * repo's queueCampaignChunk, markSent, failSends, dequeueCampaign), campaigns hand in their part of
 * that statement: a function of the name of the statement's rows, as `RecipientsPart` in
 * messages/repo.ts. One statement per batch keeps the send path at one round trip.
 */

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
