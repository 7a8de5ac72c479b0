import { TIER_LIMIT } from '../config.ts';
import { statusChange } from '../events/index.ts';
import { createTokenBucket } from '../limits.ts';
import type { SentRecord, SimNumber } from '../state.ts';
import type { Cast } from './cast.ts';
import type { Customers } from './customers.ts';
import type { Emitter } from './emit.ts';
import type { Numbers } from './numbers.ts';
import { createReplies } from './simulate-reply.ts';
import { DAY, type Store } from './store.ts';

/** Sending: the per-number and per-pair limits, and the life of an accepted message. */
export function createSending(
  store: Store,
  numbers: Numbers,
  customers: Customers,
  emitter: Emitter,
  cast: Cast,
) {
  const { opts, rnd, sent, stats, pairBuckets, conversations, later } = store;
  const { customer, windowOpen, context } = customers;
  const { simulateReply } = createReplies(store, numbers, emitter);

  function takeThroughput(n: SimNumber, now: number) {
    return n.bucket.take(now);
  }

  function takePair(n: SimNumber, waId: string, now: number) {
    const key = `${n.phone_number_id}:${waId}`;
    let b = pairBuckets.get(key);
    if (!b) {
      b = createTokenBucket(opts.pair_rate_per_s, opts.pair_rate_burst, now);
      pairBuckets.set(key, b);
    }
    return b.take(now);
  }

  function conversationId(n: SimNumber, waId: string, category: string, now: number) {
    const key = `${n.phone_number_id}:${waId}:${category}`;
    const c = conversations.get(key);
    if (c && c.until > now) return c.id;
    const id = rnd.hex(32);
    conversations.set(key, { id, until: now + DAY });
    return id;
  }

  /** Records an accepted send and plays out its life: sent → delivered → read → maybe a reply. */
  function accept(
    n: SimNumber,
    to: string,
    body: Record<string, unknown>,
    category: string | undefined,
    missingMedia: boolean,
    /** Sent to the customer's business-scoped user id (`recipient`), not their phone. */
    viaUserId?: string,
  ) {
    const now = Date.now();
    const id = store.wamid(to);
    const rec: SentRecord = {
      wamid: id,
      phone_number_id: n.phone_number_id,
      to,
      type: String(body.type),
      ...(category ? { category } : {}),
      body,
      status: 'accepted',
      ...(typeof body.biz_opaque_callback_data === 'string'
        ? { biz_opaque_callback_data: body.biz_opaque_callback_data }
        : {}),
      at: now,
    };
    if (opts.message_log_size > 0) {
      if (sent.size >= opts.message_log_size) sent.delete(sent.keys().next().value!);
      sent.set(id, rec);
    }
    n.accepted++;
    n.meter.mark(now);
    stats.accepted++;

    const c = customer(to);
    // The business messaged their phone: from now on Meta shares it in webhooks (its contact book).
    if (!viaUserId) c.contactBook = true;
    const b = numbers.behaviourOf(n);
    const open = windowOpen(c, n.phone_number_id, now);
    let failure: number | undefined;
    if (c.undeliverable) failure = 131026;
    else if (missingMedia) failure = 131053;
    else if (!category && !open) failure = 131047;
    else if (category === 'MARKETING' && c.optedOutMarketing) failure = 131050;
    else if (category && !open && n.messaging_limit_tier !== 'TIER_UNLIMITED') {
      // The limit is the business portfolio's, shared by all its numbers (since 2025-10-07).
      const tier = numbers.portfolioTier(n);
      const limit = TIER_LIMIT[tier as keyof typeof TIER_LIMIT] ?? Number.POSITIVE_INFINITY;
      const business = numbers.businessOf(n.waba_id);
      const initiated = store.portfolioInitiated.get(business) ?? new Map<string, number>();
      store.portfolioInitiated.set(business, initiated);
      // Oldest first (a Map keeps insertion order): stop at the first conversation still inside its day.
      for (const [w, t] of initiated) {
        if (now - t < DAY) break;
        initiated.delete(w);
      }
      if (!initiated.has(to) && initiated.size >= limit) failure = 131048;
      else {
        initiated.delete(to);
        initiated.set(to, now);
      }
    }

    const status = (s: 'sent' | 'delivered' | 'read' | 'failed', errorCode?: number) => {
      rec.status = s;
      if (errorCode) rec.error_code = errorCode;
      stats.statuses[s]++;
      const ctx = context(n, c);
      emitter.emit(
        n,
        n.waba_id,
        statusChange(ctx, {
          wamid: id,
          status: s,
          recipient: to,
          ...(viaUserId ? { recipientUserId: viaUserId } : {}),
          ...(category ? { category } : {}),
          conversationId: conversationId(n, to, category ?? 'SERVICE', now),
          ...(rec.biz_opaque_callback_data ? { bizOpaqueCallbackData: rec.biz_opaque_callback_data } : {}),
          ...(errorCode ? { errorCode } : {}),
        }),
      );
    };

    if (failure) {
      later(() => status('failed', failure), b.sent_delay_ms);
      return id;
    }
    // The cast's personas receive and read everything, and answer by their script, not by chance.
    const persona = cast.plays(n.phone_number_id, to);
    const delivered = persona || c.rnd.chance(b.deliver_rate);
    const read = delivered && (persona || c.rnd.chance(b.read_rate));
    const reply = !persona && read && c.rnd.chance(b.reply_rate);
    later(() => {
      status('sent');
      if (!delivered) return;
      later(() => {
        status('delivered');
        if (!read) return;
        later(() => {
          status('read');
          if (persona) cast.read(n.phone_number_id, to, rec);
          else if (reply) later(() => simulateReply(n, c, rec), b.reply_delay_ms);
        }, b.read_delay_ms);
      }, b.delivered_delay_ms);
    }, b.sent_delay_ms);
    return id;
  }

  return { takeThroughput, takePair, accept };
}
