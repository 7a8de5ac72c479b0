import { sql } from 'drizzle-orm';

/**
 * The rules of a conversation, in one place (SQL fragments, so that the statements that write a
 * conversation apply them without a round trip):
 * - **The 24-hour window** opens at the customer's latest message and closes 24 hours later; only our
 *   own messages never move it. Free-form messages need it open (messages/service.ts checks it).
 * - **Activity**: `last_message_at` is the latest message either way (the inbox's order).
 * - **Unread**: `unread_count` counts the customer's messages since an agent last read it (each agent's
 *   own count comes from `conversation_reads`, by `last_inbound_seq`).
 * - **Status**: a customer writing opens the conversation again (and ends a snooze); a snooze whose
 *   time has come reads as open without a job to wake it.
 */

/** How long the free entry-point window a Click-to-WhatsApp ad or post opens lasts (Meta: 72 hours). */
export const FREE_ENTRY_WINDOW = sql`interval '72 hours'`;

/**
 * The `set` list for a coexistence number's messages arriving in conversation `c`, from `agg` (at:
 * the newest message's time; live: one of them is an echo the business just sent from the WhatsApp
 * Business app). An echo moves the activity like any message of ours; back-filled history never
 * reorders the inbox (it only places a conversation that had no message yet at its time, and files
 * it as resolved: an old chat is no one's work). Neither moves the window nor the unread count.
 * (In a `set` list `c.*` are the values before the update.)
 */
export const afterCoexistence = sql`
  last_message_at = case when agg.live then greatest(coalesce(c.last_message_at, agg.at), agg.at)
                          else coalesce(c.last_message_at, agg.at) end,
  status = case when not agg.live and c.last_message_at is null then 'resolved' else c.status end,
  updated_at = now()`;

/** How long the customer-service window stays open after the customer's latest message. */
export const WINDOW = sql`interval '24 hours'`;

/** Whether conversation `c`'s window is open now. */
export const windowOpen = (c: string) => sql`coalesce(${sql.raw(c)}.window_expires_at > now(), false)`;

/** The status conversation `c` shows: a snooze whose time has come is open again. */
export const effectiveStatus = sql`case when c.status = 'snoozed' and c.snoozed_until <= now() then 'open' else c.status end`;

/**
 * The `set` list for customers' messages arriving in conversation `c`, from `agg` (at: the newest
 * message's time, n: how many, seq: the newest's sequence): the window, activity and unread move
 * forward only (a late delivery of an older message never moves them back), and it opens again.
 */
export const afterInbound = sql`
  last_inbound_seq = greatest(coalesce(c.last_inbound_seq, agg.seq), agg.seq), snoozed_until = null,
  last_inbound_at = greatest(coalesce(c.last_inbound_at, agg.at), agg.at),
  window_expires_at = greatest(coalesce(c.last_inbound_at, agg.at), agg.at) + ${WINDOW},
  last_message_at = greatest(coalesce(c.last_message_at, agg.at), agg.at),
  unread_count = c.unread_count + agg.n, status = 'open', updated_at = now()`;
