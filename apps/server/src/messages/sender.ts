import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import type { Log } from '../lib/log.ts';
import type { NumberService } from '../numbers/service.ts';
import { GraphError } from '../whatsapp/graph-error.ts';
import {
  initialRate,
  PAIR_RATE_DELAY_MS,
  type RateState,
  RETRY_DELAYS_MS,
  recordOutcome,
  type SendOutcome,
  tick,
} from './rate.ts';
import {
  applyParkedStatuses,
  type ClaimedSend,
  claimSends,
  expireSendLeases,
  failSends,
  findLateParkedStatuses,
  findUnknownSendsAnswered,
  giveUpSends,
  markSendsUnknown,
  markSent,
  type RecipientsPart,
  releaseSends,
  requeueUnknownSends,
  retrySends,
} from './repo.ts';

/** How a claimed send ended. */
type Result =
  | { kind: 'sent'; wamid: string }
  | { kind: 'failed'; error: Record<string, unknown>; reason: string }
  | {
      kind: 'retry';
      error: Record<string, unknown>;
      reason: string;
      delayMs: number;
      counts: boolean;
      /** Meta's code, when Meta answered: the adaptive rate reads throttling from it. */
      code?: number | string;
    }
  | { kind: 'unknown'; error: Record<string, unknown> }
  | { kind: 'token'; error: GraphError }
  /** Meta refused a campaign's template itself (paused, disabled, gone): the campaign pauses. */
  | { kind: 'template'; error: GraphError };

type Claimed = ClaimedSend;

interface Done {
  row: Claimed;
  result: Result;
}

/** Recipients of sends Meta accepted (reads markSent's `s`). */
const recipientsSent: RecipientsPart = (s) =>
  sql`update campaign_recipients r set state = 'sent', wamid = ${s}.w, attempts = ${s}.a, sent_at = now(), updated_at = now()
      from ${s} where r.id = ${s}.r`;
/** Recipients of sends that failed for good (reads failSends' `f`). */
const recipientsFailed: RecipientsPart = (f) =>
  sql`update campaign_recipients r set state = 'failed', reason = ${f}.reason, error = ${f}.e,
             attempts = ${f}.attempts, updated_at = now()
      from ${f} where r.id = ${f}.r`;

/** Notified (by a trigger, migration 0018) whenever sends are put on the queue. */
export const SEND_CHANNEL = 'openwaba_send_queued';

/** The id Meta echoes in the message's status webhooks. */
export const callbackDataOf = (attemptId: string) => `ow:${attemptId}`;

/** At most this many requests in flight per number. */
const MAX_IN_FLIGHT = 256;
/** Pacing slice: sends are released in small bursts this often. */
const SLICE_MS = 20;
/** Most sending time banked when the loop runs late (timers fire late on a busy machine). */
const BANK_MS = 50;
/** A claim holds at most this much sending time, so a pause takes effect within it. */
const CLAIM_SECONDS = 0.25;
const FLUSH_MS = 100;
/**
 * Outcome batches waiting to be recorded before sending waits for them: recording must keep up, but a
 * slow moment of the database (a checkpoint, a big feed) should not stop sending at once.
 */
const MAX_PENDING_FLUSHES = 5;
/** Meta's answers that the number's throughput was exceeded (what the adaptive rate steps down on). */
const THROUGHPUT_CODES = new Set<number | string>([130429, 4, 80007]);
/** Meta's answers that the template cannot be sent at all (does not exist, paused, disabled). */
const TEMPLATE_UNSENDABLE_CODES = new Set<number | string>([132001, 132015, 132016]);
/** Share of Meta's ceiling actually used when the adaptive rate is at it. */
const PACE_AT_CEILING = 0.99;
/** After a throttle (130429) nothing is sent for this long, so Meta's bucket refills (about 100 ms of sends). */
const THROTTLE_HOLD_MS = 100;
/**
 * A send refused for the number's throughput (130429) is tried again this soon, not counted as one of
 * the recipient's attempts: the number's throughput refused it, not the recipient (the adaptive rate
 * answers repeated throttling).
 */
const THROTTLED_RETRY_MS = 500;

export interface SenderHooks {
  /** A campaign's sends changed: progress, completion. */
  onCampaignActivity?(campaignIds: string[]): Promise<unknown>;
  /** Puts more of the running campaigns' recipients on the queue (ahead of the sending). */
  feed?(): Promise<unknown>;
  /** Meta refused the number's token (190): campaigns on it pause. */
  onTokenError?(orgId: string, numberId: string, err: GraphError): Promise<unknown>;
  /** Meta refused these campaigns' template (132001/132015/132016): they pause. */
  onTemplateError?(orgId: string, campaignIds: string[], err: GraphError): Promise<unknown>;
}

/**
 * The send queue's worker (SPEC F6). Per process: finds numbers with due sends, takes the number's
 * lease (one process sends for a number at a time, so its adaptive rate is one rate), claims small
 * batches with FOR UPDATE SKIP LOCKED, paces them at the number's rate and records each outcome.
 *
 * Exactly-once intent: a claim records a new attempt id before the request and sends it as
 * `biz_opaque_callback_data`. An attempt whose outcome is unknown (timeout, reset, a worker that died
 * holding the claim) is never resent blindly: it waits for a status webhook with that id (then it was
 * sent), and only after the reconcile window is it tried again. See docs/sending.md.
 */
export function createSender(deps: {
  db: Db;
  numbers: NumberService;
  events: EventService;
  log: Log;
  leaseSeconds: number;
  reconcileWindowSeconds: number;
  hooks?: SenderHooks;
  /** Idle poll interval. */
  idleMs?: number;
  /** Waits before the retries of a transient failure (default 5 s, 20 s, 45 s); their count is the retries. */
  retryDelaysMs?: readonly number[];
  /**
   * Listens for `send_queue` inserts from any process (a trigger notifies SEND_CHANNEL), so a queued
   * message or a started campaign is picked up at once instead of at the next idle poll.
   */
  listen?(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
}) {
  const { db, numbers, events, log } = deps;
  const retryDelays = deps.retryDelaysMs ?? RETRY_DELAYS_MS;
  const holder = `${process.pid}:${randomUUID().slice(0, 8)}`;
  const idleMs = deps.idleMs ?? 250;
  const pumps = new Map<string, Promise<void>>();
  const rates = new Map<string, RateState>();
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let lastSweep = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  /** Numbers with due sends that this process is not sending for yet. */
  async function numbersWithWork(): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      db,
      sql`select n.id from numbers n
          where n.status = 'active' and n.id <> all(${sql.param([...pumps.keys()])}::uuid[])
            and (n.send_lease_until is null or n.send_lease_until < now() or n.send_holder = ${holder})
            and exists (select 1 from send_queue q where q.number_id = n.id and q.lease_until is null
                          and q.unknown_since is null and q.due_at <= now())`,
    );
    return rows.map((r) => r.id);
  }

  async function takeLease(numberId: string): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      db,
      sql`update numbers set send_holder = ${holder}, send_lease_until = now() + interval '15 seconds'
          where id = ${numberId} and status = 'active'
            and (send_lease_until is null or send_lease_until < now() or send_holder = ${holder})
          returning id`,
    );
    return rows.length > 0;
  }

  async function releaseLease(numberId: string, rate: RateState | undefined) {
    await db.execute(
      sql`update numbers set send_holder = null, send_lease_until = null,
                 max_send_rate_per_sec = coalesce(${rate?.rate ?? null}, max_send_rate_per_sec),
                 last_stable_rate_per_sec = coalesce(${rate?.stableRate ?? null}, last_stable_rate_per_sec)
          where id = ${numberId} and send_holder = ${holder}`,
    );
  }

  /**
   * The number's rate: carried over today, 90% of the last day's on a new day, else its Meta level or
   * 60. `cached` is this process's live state, kept as it is (window, throttles) while the day lasts.
   */
  async function rateOf(numberId: string, cached?: RateState): Promise<RateState> {
    const [n] = await queryRows<{
      throughput_level: string | null;
      max_send_rate_per_sec: number | null;
      last_stable_rate_per_sec: number | null;
      rate_day: string | null;
      today: string;
    }>(
      db,
      sql`select n.throughput_level, n.max_send_rate_per_sec, n.last_stable_rate_per_sec, n.rate_day,
                 to_char(now() at time zone coalesce(s.timezone, 'UTC'), 'YYYY-MM-DD') as today
          from numbers n left join org_settings s on s.org_id = n.org_id where n.id = ${numberId}`,
    );
    if (cached && n && n.rate_day === n.today) return cached;
    const state = initialRate({
      throughputLevel: n?.throughput_level,
      saved: {
        rate: cached?.rate ?? n?.max_send_rate_per_sec ?? null,
        stableRate: n?.last_stable_rate_per_sec ?? null,
        day: n?.rate_day ?? null,
      },
      today: n?.today ?? '',
      nowMs: Date.now(),
    });
    await db.execute(
      sql`update numbers set max_send_rate_per_sec = ${state.rate}, rate_day = ${n?.today ?? null} where id = ${numberId}`,
    );
    return state;
  }

  /**
   * Claims up to `limit` due sends of the number, each with a new attempt id, held for the lease time:
   * people waiting (priority 0) first, then campaign sends in start order. Campaign sends are read
   * after `cursor` (the last one claimed), so a claim does not wade through the index entries of sends
   * already finished (deleted rows stay in the index until vacuum); a claim that comes back short
   * starts again from the beginning, which also picks up retries whose time has come.
   */
  const claim = (numberId: string, limit: number, cursor: { runOrder: number; id: number } | null) =>
    claimSends(db, numberId, limit, cursor, deps.leaseSeconds);

  /** The number's provider and credentials, read once per claimed batch (not per send). */
  async function senderFor(numberId: string) {
    const n = await numbers.rowForSender(numberId);
    if (n?.status !== 'active') return undefined;
    return { provider: numbers.providerFor(n), creds: numbers.credentials(n) };
  }
  type Via = Awaited<ReturnType<typeof senderFor>>;

  async function sendOne(via: Via, row: Claimed): Promise<Result> {
    if (!via) {
      return {
        kind: 'retry',
        error: { reason: 'number inactive' },
        reason: 'number inactive',
        delayMs: 60_000,
        counts: false,
      };
    }
    try {
      const sent = await via.provider.sendMessage(via.creds, row.to_wa_id, row.content, {
        ...(row.reply_to ? { replyTo: row.reply_to } : {}),
        bizOpaqueCallbackData: callbackDataOf(row.attempt_id),
      });
      return { kind: 'sent', wamid: sent.wamid };
    } catch (err) {
      if (!(err instanceof GraphError)) {
        // Not an answer from Meta: the request may or may not have left.
        return { kind: 'unknown', error: { title: String((err as Error)?.message ?? err) } };
      }
      const error = err.toJSON();
      const reason = `${err.code}: ${err.title}${err.details ? ` — ${err.details}` : ''}`;
      if (err.kind === 'token') return { kind: 'token', error: err };
      if (row.campaign_id && TEMPLATE_UNSENDABLE_CODES.has(err.code)) return { kind: 'template', error: err };
      if (err.code === 131056) {
        return { kind: 'retry', error, reason, delayMs: PAIR_RATE_DELAY_MS, counts: false, code: err.code };
      }
      if (
        err.code === 'TIMEOUT' ||
        (err.code === 'NETWORK' && !/^ECONNREFUSED|^ENOTFOUND/.test(err.details ?? ''))
      ) {
        return { kind: 'unknown', error };
      }
      if (err.code === 130429) {
        // The number's throughput, not the recipient: back shortly (the rate steps down if it repeats).
        return { kind: 'retry', error, reason, delayMs: THROTTLED_RETRY_MS, counts: false, code: err.code };
      }
      if (err.retryable) {
        const delayMs = retryDelays[Math.min(row.attempts - 1, retryDelays.length - 1)]!;
        return { kind: 'retry', error, reason, delayMs, counts: true, code: err.code };
      }
      return { kind: 'failed', error, reason };
    }
  }

  const outcomeOf = (r: Result): SendOutcome | undefined => {
    if (r.kind === 'sent') return 'ok';
    if (r.kind === 'retry' && r.code === 131056) return 'pair';
    if (r.kind === 'retry' && THROUGHPUT_CODES.has(r.code ?? '')) return 'throttled';
    if (r.kind === 'retry' && !r.counts) return undefined;
    if (r.kind === 'unknown' || r.kind === 'retry' || r.kind === 'failed') return 'error';
    return undefined;
  };

  /** Records a batch of outcomes: accepted sends in one statement, the rest in one transaction. */
  async function flush(numberId: string, done: Done[]) {
    if (!done.length) return;
    const sent = done.filter((d) => d.result.kind === 'sent');
    const gaveUp = done.filter(
      (d) => d.result.kind === 'retry' && d.result.counts && d.row.attempts > retryDelays.length,
    );
    const failed = [...done.filter((d) => d.result.kind === 'failed'), ...gaveUp];
    const retry = done.filter((d) => d.result.kind === 'retry' && !gaveUp.includes(d));
    const unknown = done.filter((d) => d.result.kind === 'unknown');
    // Not sent for a reason that is not the recipient's: back on the queue as they were.
    const token = done.filter((d) => d.result.kind === 'token');
    const template = done.filter((d) => d.result.kind === 'template');
    const published: { orgId: string; messageId: string; status: string }[] = [];
    if (sent.length)
      await markSent(
        db,
        numberId,
        sent.map((d) => ({ row: d.row, wamid: (d.result as { wamid: string }).wamid })),
        recipientsSent,
      );
    const others = failed.length + retry.length + unknown.length + token.length + template.length;
    if (others)
      await transaction(db, async (tx) => {
        if (failed.length) {
          await failSends(
            tx,
            failed.map((d) => {
              const r = d.result as { error: Record<string, unknown>; reason: string };
              const reason =
                d.result.kind === 'retry'
                  ? `gave up after ${d.row.attempts} attempts: ${r.reason}`
                  : r.reason;
              return { row: d.row, error: r.error, reason };
            }),
            recipientsFailed,
          );
          for (const d of failed)
            published.push({ orgId: d.row.org_id, messageId: d.row.message_id, status: 'failed' });
        }
        if (retry.length) {
          await retrySends(
            tx,
            retry.map((d) => {
              const r = d.result as { delayMs: number; counts: boolean };
              return { id: d.row.id, delayMs: r.delayMs, counts: r.counts };
            }),
          );
        }
        if (unknown.length)
          await markSendsUnknown(
            tx,
            unknown.map((d) => d.row.id),
          );
        // Not sent: released as they were, to go when the token is replaced or the campaign resumed.
        if (token.length || template.length)
          await releaseSends(
            tx,
            [...token, ...template].map((d) => d.row.id),
          );
      });
    for (const p of published) {
      await events
        .publish(p.orgId, [
          { type: 'message.status_updated', data: { message_id: p.messageId, status: p.status } },
        ])
        .catch(() => {});
    }
    if (token.length) {
      const first = token[0]!;
      const n = await numbers.rowForSender(numberId);
      const err = (first.result as { error: GraphError }).error;
      if (n) await numbers.handleGraphError(n, err);
      await deps.hooks?.onTokenError?.(first.row.org_id, numberId, err);
    }
    if (template.length) {
      // One number, one organisation.
      const first = template[0]!;
      const err = (first.result as { error: GraphError }).error;
      const ids = [...new Set(template.map((d) => d.row.campaign_id!))];
      await deps.hooks?.onTemplateError?.(first.row.org_id, ids, err);
    }
    const campaignIds = [
      ...new Set(done.map((d) => d.row.campaign_id).filter((c): c is string => c !== null)),
    ];
    if (campaignIds.length) await deps.hooks?.onCampaignActivity?.(campaignIds);
  }

  /** Gives claimed but unsent rows back to the queue as they were (no attempt was made). */
  const release = (rows: Claimed[]) =>
    releaseSends(
      db,
      rows.map((r) => r.id),
    );

  /**
   * Sends for one number while it has due work and this process holds its lease. Claims are fetched
   * ahead and outcomes recorded in the background, so the pacing loop only waits for its next slice.
   */
  async function pump(numberId: string) {
    let rate = await rateOf(numberId, rates.get(numberId));
    rates.set(numberId, rate);
    // Requests in flight: a count and who waits for one to end (a Promise.race over hundreds of
    // promises per send was most of the worker's time at 4,000 sends/s).
    let inFlight = 0;
    let waiters: (() => void)[] = [];
    const oneEnds = () => new Promise<void>((resolve) => waiters.push(resolve));
    const ended = () => {
      inFlight--;
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve();
    };
    let buffer: Claimed[] = [];
    let via: Via;
    let cursor: { runOrder: number; id: number } | null = null;
    let claiming: Promise<void> | undefined;
    let done: Done[] = [];
    let flushing: Promise<void> = Promise.resolve();
    let pendingFlushes = 0;
    let lastFlush = Date.now();
    let lastLease = Date.now();
    let lastSave = Date.now();
    let lastRefill = Date.now();
    let tokens = 0;
    let holdUntil = 0;
    let idleSince: number | undefined;
    let stopNumber = false;

    const claimMore = async () => {
      const want = Math.max(1, Math.ceil(rate.rate * CLAIM_SECONDS));
      let rows = await claim(numberId, want, cursor);
      if (rows.length < want && cursor) {
        cursor = null;
        rows = rows.concat(await claim(numberId, want - rows.length, null));
      }
      const last = rows.filter((r) => r.priority === 1).at(-1);
      if (last) cursor = { runOrder: last.run_order, id: last.id };
      if (rows.length) via = await senderFor(numberId);
      buffer = buffer.concat(rows);
    };
    const refill = () => {
      if (claiming || stopNumber || buffer.length > rate.rate * CLAIM_SECONDS * 0.5) return;
      claiming = claimMore()
        .catch((err) => log.error({ err, numberId }, 'claiming sends failed'))
        .finally(() => {
          claiming = undefined;
        });
    };
    /**
     * A new day in the organisation's timezone starts at 90% of the rate it ended on. Sends in flight
     * keep recording outcomes while the day is asked for: the same day keeps that live state.
     */
    const checkDay = async () => {
      const asked = rate;
      const next = await rateOf(numberId, asked);
      if (next !== asked) rate = next;
    };
    const flushInBackground = () => {
      if (!done.length) return;
      const batch = done;
      done = [];
      lastFlush = Date.now();
      pendingFlushes++;
      flushing = flushing
        .then(() => flush(numberId, batch))
        .catch((err) =>
          log.error({ err, numberId }, 'recording send outcomes failed; the claims will be reconciled'),
        )
        .finally(() => {
          pendingFlushes--;
        });
    };

    try {
      while (running && !stopNumber) {
        if (Date.now() - lastLease > 3000) {
          lastLease = Date.now();
          if (!(await takeLease(numberId))) break;
        }
        refill();
        if (!buffer.length) {
          if (claiming) await claiming;
          if (!buffer.length) {
            if (inFlight) await oneEnds();
            flushInBackground();
            idleSince ??= Date.now();
            if (Date.now() - idleSince > 1000 && !inFlight) break;
            await new Promise((r) => setTimeout(r, 50));
            lastRefill = Date.now();
            continue;
          }
        }
        // Work again after a pause: the day may have turned meanwhile (90% of yesterday's rate).
        if (idleSince !== undefined) await checkDay();
        idleSince = undefined;
        // Tokens for the time that passed, at most BANK_MS worth: timers fire late on a busy machine
        // (a 20 ms slice is often 22–25 ms, and a bank of one slice lost that time: ~880 msg/s at a
        // 1,000 ceiling), while a long stall is not turned into a burst (Meta allows about 100 ms).
        // At Meta's ceiling the pace keeps a little headroom, since requests bunch up on the way; a
        // throttle anyway holds sending for THROTTLE_HOLD_MS so the bunch does not repeat.
        const now = Date.now();
        const pace = rate.rate >= rate.ceiling ? rate.rate * PACE_AT_CEILING : rate.rate;
        tokens =
          now < holdUntil
            ? 0
            : Math.min(tokens + (pace * (now - lastRefill)) / 1000, Math.max(1, (pace * BANK_MS) / 1000));
        lastRefill = now;
        while (tokens >= 1 && buffer.length && !stopNumber) {
          while (inFlight >= MAX_IN_FLIGHT) await oneEnds();
          tokens -= 1;
          const row = buffer.shift()!;
          const sentAt = Date.now();
          inFlight++;
          void sendOne(via, row)
            .then((result) => {
              done.push({ row, result });
              const o = outcomeOf(result);
              if (o) rate = recordOutcome(rate, o, Date.now(), sentAt);
              if (o === 'throttled') holdUntil = Date.now() + THROTTLE_HOLD_MS;
              if (result.kind === 'token') stopNumber = true;
            })
            // Not recorded: the claim runs out and the sweep reconciles it like a dead worker's.
            .catch((err) => log.error({ err, numberId }, 'a send failed unexpectedly'))
            .finally(ended);
        }
        if (done.length >= 200 || Date.now() - lastFlush >= FLUSH_MS) flushInBackground();
        // Recording must keep up: never more than MAX_PENDING_FLUSHES batches behind.
        if (pendingFlushes > MAX_PENDING_FLUSHES) await flushing;
        rate = tick(rate, Date.now());
        rates.set(numberId, rate);
        if (Date.now() - lastSave > 5000) {
          lastSave = Date.now();
          await checkDay();
          await db.execute(
            sql`update numbers set max_send_rate_per_sec = ${rate.rate},
                       last_stable_rate_per_sec = coalesce(${rate.stableRate}, last_stable_rate_per_sec)
                where id = ${numberId}`,
          );
        }
        await new Promise((r) => setTimeout(r, SLICE_MS));
      }
      if (claiming) await claiming;
      while (inFlight) await oneEnds();
      flushInBackground();
      await flushing;
      // Claimed but never sent (a pause, a stop, a token error, shutting down): back as they were.
      await release(buffer);
      buffer = [];
    } finally {
      rates.set(numberId, rate);
      await releaseLease(numberId, rate).catch(() => {});
    }
  }

  /**
   * Claims a dead worker left (lease ran out) become "unknown"; unknown attempts whose status webhook
   * arrived (it carries the attempt id) are recorded as sent; those still unknown after the window
   * go back to the queue with a new attempt id — or fail after the last attempt. Statuses parked
   * while their send was being recorded are applied.
   */
  async function sweep() {
    await expireSendLeases(db);
    const found = await findUnknownSendsAnswered(db);
    const byNumber = new Map<string, (Claimed & { wamid: string })[]>();
    for (const f of found) byNumber.set(f.number_id, [...(byNumber.get(f.number_id) ?? []), f]);
    for (const [numberId, items] of byNumber) {
      await markSent(
        db,
        numberId,
        items.map((row) => ({ row, wamid: row.wamid })),
        recipientsSent,
      );
      log.info({ numberId, count: items.length }, 'sends with a lost answer reconciled from status webhooks');
      const campaignIds = [
        ...new Set(items.map((d) => d.campaign_id).filter((c): c is string => c !== null)),
      ];
      if (campaignIds.length) await deps.hooks?.onCampaignActivity?.(campaignIds);
    }
    // Statuses parked while their send was being recorded (the webhook's transaction and the
    // sender's overlapped, so neither saw the other): their message has its wamid now.
    const late = await findLateParkedStatuses(db);
    for (const l of late) await transaction(db, (tx) => applyParkedStatuses(tx, l.number_id, l.wamid));
    const expired = await requeueUnknownSends(db, deps.reconcileWindowSeconds);
    const spent = expired.filter((e) => e.attempts > retryDelays.length);
    if (spent.length) {
      const reason = `outcome unknown after ${retryDelays.length + 1} attempts (no answer and no status webhook)`;
      await transaction(db, async (tx) => {
        await giveUpSends(tx, spent, reason);
        await tx.execute(sql`update campaign_recipients set state = 'failed', reason = ${reason}, updated_at = now()
                             where id = any(${sql.param(spent.map((s) => s.recipient_id ?? 0))}::bigint[])`);
      });
    }
    if (expired.length)
      log.warn({ count: expired.length }, 'sends with an unknown outcome retried after the reconcile window');
  }

  async function runLoop() {
    while (running) {
      try {
        if (Date.now() - lastSweep > 1000) {
          lastSweep = Date.now();
          await sweep();
        }
        await deps.hooks?.feed?.();
        for (const numberId of await numbersWithWork()) {
          if (pumps.has(numberId)) continue;
          const n = await numbers.rowForSender(numberId);
          if (!n || !numbers.reachable(n)) continue;
          if (!(await takeLease(numberId))) continue;
          const p = pump(numberId)
            .catch((err) => log.error({ err, numberId }, 'send pump failed'))
            .finally(() => pumps.delete(numberId));
          pumps.set(numberId, p);
        }
      } catch (err) {
        if (running) log.error({ err }, 'send loop failed; retrying');
      }
      await sleep(idleMs);
    }
  }

  let unlisten: Promise<(() => Promise<void>) | undefined> | undefined;

  return {
    holder,
    start() {
      if (running) return;
      running = true;
      loop = runLoop();
      // Without it (or while it reconnects) the idle poll still finds the work.
      unlisten = deps
        .listen?.(SEND_CHANNEL, () => wake?.())
        .catch((err) => {
          log.warn({ err }, 'could not listen for queued sends; polling only');
          return undefined;
        });
    },
    /** Lets in-flight requests finish and records them; unsent claims are released. */
    async stop() {
      running = false;
      wake?.();
      await (await unlisten)?.();
      await loop;
      await Promise.all(pumps.values());
    },
    /** Wakes the loop now (a message was just queued). */
    poke() {
      wake?.();
    },
    /** The current rate of a number in this process (msg/s), if it is sending. */
    rateOf: (numberId: string) => rates.get(numberId)?.rate,
    sweep,
  };
}
export type Sender = ReturnType<typeof createSender>;
