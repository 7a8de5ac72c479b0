import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';

/**
 * Writes to `campaign_recipients` that go with the send path (campaigns own the table). Where a
 * recipient moves in the same statement as its message and queue row (the messages repo's chunk
 * insert, markSent, failSends, dequeueCampaign), campaigns hand in their part of that statement: a
 * function of the name of the statement's rows, as `RecipientsPart` in messages/repo.ts. One
 * statement per batch keeps the send path at one round trip.
 */

/** Recipients of a chunk are queued with their message (reads `m`: recipient_id, message_id). */
export const recipientsQueuedPart = (m: SQL) =>
  sql`update campaign_recipients cr set state = 'queued', message_id = ${m}.message_id, updated_at = now()
      from ${m} where cr.id = ${m}.recipient_id`;

/** Recipients whose message was taken off the queue are skipped, with why (reads `q`: recipient_id). */
export const recipientsSkippedPart = (reason: string) => (q: SQL) =>
  sql`update campaign_recipients r set state = 'skipped', reason = ${reason}, message_id = null, updated_at = now()
      from ${q} where r.id = ${q}.recipient_id`;

/** Recipients of sends Meta accepted are sent (reads `s`: r = recipient id, w = wamid, a = attempts). */
export const recipientsSentPart = (s: SQL) =>
  sql`update campaign_recipients r set state = 'sent', wamid = ${s}.w, attempts = ${s}.a, sent_at = now(), updated_at = now()
      from ${s} where r.id = ${s}.r`;

/** Recipients of sends that failed for good fail, with Meta's error (reads `f`: r, e, reason, attempts). */
export const recipientsFailedPart = (f: SQL) =>
  sql`update campaign_recipients r set state = 'failed', reason = ${f}.reason, error = ${f}.e,
             attempts = ${f}.attempts, updated_at = now()
      from ${f} where r.id = ${f}.r`;

/** Recipients whose sends were given up fail with the reason (ids of sends that had none are ignored). */
export async function failRecipients(tx: Tx, recipientIds: (number | null)[], reason: string) {
  await tx.execute(sql`update campaign_recipients set state = 'failed', reason = ${reason}, updated_at = now()
                       where id = any(${sql.param(recipientIds.map((id) => id ?? 0))}::bigint[])`);
}
