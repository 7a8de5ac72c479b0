import type { Db } from '../db/client.ts';
import type { Log } from '../lib/log.ts';
import type { NumberService } from '../numbers/service.ts';
import { GraphError } from '../whatsapp/graph-error.ts';
import { loadSendRate, releaseSendLease, saveSendRate, takeSendLease } from './number-lease.ts';
import { type ClaimedSend, claimSends, releaseSends } from './queue-repo.ts';
import { type RateState, recordOutcome, tick } from './rate.ts';
import {
  type CompletedSend,
  classifySendError,
  NUMBER_INACTIVE,
  rateOutcomeOf,
  type SendResult,
} from './send-result.ts';
import { createSendRouting, type Route } from './send-routing.ts';

/** At most this many requests in flight per number. */
const MAX_IN_FLIGHT = 256;
/** Pacing slice: sends are released in small bursts this often. */
const SLICE_MS = 20;
/** Most sending time banked when the loop runs late (timers fire late on a busy machine). */
const BANK_MS = 50;
/** A claim holds at most this much sending time, so a pause takes effect within it. */
const CLAIM_SECONDS = 0.25;
const FLUSH_MS = 100;
/** Outcomes recorded together once this many have come (or FLUSH_MS has passed). */
const FLUSH_AT = 200;
/**
 * Seconds of sending whose outcomes may wait for the recording in flight before sending waits for
 * it: recording must keep up, but a slow moment of the database (a checkpoint, a busy machine)
 * should not stop sending at once.
 */
const MAX_UNRECORDED_SECONDS = 2;
/** Share of Meta's ceiling actually used when the adaptive rate is at it. */
const PACE_AT_CEILING = 0.99;
/** After a throttle (130429) nothing is sent for this long, so Meta's bucket refills (about 100 ms of sends). */
const THROTTLE_HOLD_MS = 100;

/** The id Meta echoes in the message's status webhooks. */
export const callbackDataOf = (attemptId: string) => `ow:${attemptId}`;

/**
 * The sending of one number (see `createSender`): claims its due sends, paces them at the number's
 * adaptive rate (`rates` holds this process's live state per number) and hands each batch of results
 * to `recordOutcomes`.
 */
export function createPump(deps: {
  db: Db;
  numbers: NumberService;
  log: Log;
  /** This process, as named on the numbers it holds the lease of. */
  holder: string;
  leaseSeconds: number;
  retryDelays: readonly number[];
  rates: Map<string, RateState>;
  /** False once the sender stops: the pump finishes what is in flight and ends. */
  isRunning(): boolean;
  recordOutcomes(numberId: string, done: CompletedSend[]): Promise<void>;
}) {
  const { db, numbers, log, rates } = deps;
  const routing = createSendRouting({ db, numbers });

  /**
   * The number's provider and credentials, read once per claimed batch (not per send), with what the
   * batch's portfolio budget and Marketing Messages API routing need.
   */
  async function senderFor(numberId: string, rows: ClaimedSend[]) {
    const n = await numbers.rowForSender(numberId);
    if (n?.status !== 'active') return undefined;
    await routing.prepare(n, rows);
    return { provider: numbers.providerFor(n), creds: numbers.credentials(n), number: n };
  }
  type Via = Awaited<ReturnType<typeof senderFor>>;

  async function sendOne(via: Via, row: ClaimedSend): Promise<SendResult> {
    if (!via) return NUMBER_INACTIVE;
    const waiting = routing.takeBudget(via.number, row);
    if (waiting) return waiting;
    const first = routing.routeOf(via.number, row);
    if ('kind' in first) return first;
    let route: Route = first;
    const send = (r: Route) =>
      via.provider.sendMessage(via.creds, row.to_wa_id, row.content, {
        ...(row.reply_to ? { replyTo: row.reply_to } : {}),
        bizOpaqueCallbackData: callbackDataOf(row.attempt_id),
        ...(r.via === 'marketing_messages' ? { marketingMessages: { ttlSeconds: r.ttlSeconds } } : {}),
      });
    try {
      try {
        const sent = await send(route);
        return { kind: 'sent', wamid: sent.wamid };
      } catch (err) {
        // The WABA is no longer onboarded: the organisation's policy (fall back, or fail).
        if (route.via !== 'marketing_messages' || !(err instanceof GraphError) || err.code !== 134100)
          throw err;
        const next = routing.notOnboarded(via.number, 'Meta answered 134100');
        if ('kind' in next) return next;
        route = next;
        const sent = await send(route);
        return { kind: 'sent', wamid: sent.wamid };
      }
    } catch (err) {
      return classifySendError(err, row, deps.retryDelays);
    }
  }

  /**
   * Sends for one number while it has due work and this process holds its lease. Claims are fetched
   * ahead and outcomes recorded in the background, so the pacing loop only waits for its next slice.
   */
  return async function pump(numberId: string) {
    let rate = await loadSendRate(db, numberId, rates.get(numberId));
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
    let buffer: ClaimedSend[] = [];
    let via: Via;
    let cursor: { runOrder: number; id: number } | null = null;
    let claiming: Promise<void> | undefined;
    let done: CompletedSend[] = [];
    let recording: Promise<void> | undefined;
    let lastFlush = Date.now();
    let lastLease = Date.now();
    let lastSave = Date.now();
    let lastRefill = Date.now();
    let tokens = 0;
    let holdUntil = 0;
    let idleSince: number | undefined;
    let stopNumber = false;

    // Campaign sends are claimed after the last one claimed (`cursor`); a claim that comes back short
    // starts again from the beginning, which also picks up retries whose time has come.
    const claimMore = async () => {
      const want = Math.max(1, Math.ceil(rate.rate * CLAIM_SECONDS));
      let rows = await claimSends(db, numberId, want, cursor, deps.leaseSeconds);
      if (rows.length < want && cursor) {
        cursor = null;
        rows = rows.concat(await claimSends(db, numberId, want - rows.length, null, deps.leaseSeconds));
      }
      const last = rows.filter((r) => r.priority === 1).at(-1);
      if (last) cursor = { runOrder: last.run_order, id: last.id };
      if (rows.length) via = await senderFor(numberId, rows);
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
      const next = await loadSendRate(db, numberId, asked);
      if (next !== asked) rate = next;
    };
    /**
     * Records the outcomes that came, one recording at a time: those that come while one is in
     * flight are recorded together in the next (a slow database gets bigger batches, not a queue of
     * small ones, each a statement and a commit).
     */
    const flushInBackground = () => {
      if (recording || !done.length) return;
      const batch = done;
      done = [];
      lastFlush = Date.now();
      recording = deps
        .recordOutcomes(numberId, batch)
        .catch((err) =>
          log.error({ err, numberId }, 'recording send outcomes failed; the claims will be reconciled'),
        )
        .finally(() => {
          recording = undefined;
        });
    };
    /** Sending waits while too many outcomes wait for the recording in flight; then they are recorded. */
    const keepUp = async () => {
      while (recording && done.length > rate.rate * MAX_UNRECORDED_SECONDS) await recording;
      flushInBackground();
    };
    /** Waits until every outcome so far is recorded. */
    const recordAll = async () => {
      while (recording || done.length) {
        if (recording) await recording;
        else flushInBackground();
      }
    };

    try {
      while (deps.isRunning() && !stopNumber) {
        if (Date.now() - lastLease > 3000) {
          lastLease = Date.now();
          if (!(await takeSendLease(db, deps.holder, numberId))) break;
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
              const o = rateOutcomeOf(result);
              if (o) rate = recordOutcome(rate, o, Date.now(), sentAt);
              if (o === 'throttled') holdUntil = Date.now() + THROTTLE_HOLD_MS;
              if (result.kind === 'token') stopNumber = true;
            })
            // Not recorded: the claim runs out and the sweep reconciles it like a dead worker's.
            .catch((err) => log.error({ err, numberId }, 'a send failed unexpectedly'))
            .finally(ended);
        }
        if (done.length >= FLUSH_AT || Date.now() - lastFlush >= FLUSH_MS) flushInBackground();
        // Recording must keep up.
        if (done.length > rate.rate * MAX_UNRECORDED_SECONDS) await keepUp();
        rate = tick(rate, Date.now());
        rates.set(numberId, rate);
        if (Date.now() - lastSave > 5000) {
          lastSave = Date.now();
          await checkDay();
          await saveSendRate(db, numberId, rate);
        }
        await new Promise((r) => setTimeout(r, SLICE_MS));
      }
      if (claiming) await claiming;
      while (inFlight) await oneEnds();
      await recordAll();
      // Claimed but never sent (a pause, a stop, a token error, shutting down): back as they were.
      await releaseSends(
        db,
        buffer.map((r) => r.id),
      );
      buffer = [];
    } finally {
      rates.set(numberId, rate);
      await releaseSendLease(db, deps.holder, numberId, rate).catch(() => {});
    }
  };
}
