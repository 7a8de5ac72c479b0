import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import type { EventService } from '../events/service.ts';
import type { Log } from '../lib/log.ts';
import type { NumberService } from '../numbers/service.ts';
import { findNumbersWithWork, takeSendLease } from './number-lease.ts';
import { createPump } from './pump.ts';
import { type RateState, RETRY_DELAYS_MS } from './rate.ts';
import { createReconciler } from './reconcile.ts';
import { createOutcomeRecorder } from './record-outcomes.ts';
import type { SenderHooks } from './sender-hooks.ts';

export type { SenderHooks } from './sender-hooks.ts';

/** Notified (by a trigger, migration 0018) whenever sends are put on the queue. */
export const SEND_CHANNEL = 'openwaba_send_queued';

/**
 * The send queue's worker (SPEC F6). Per process: finds numbers with due sends, takes the number's
 * lease (one process sends for a number at a time, so its adaptive rate is one rate), claims small
 * batches with FOR UPDATE SKIP LOCKED, paces them at the number's rate and records each outcome.
 *
 * Exactly-once intent: a claim records a new attempt id before the request and sends it as
 * `biz_opaque_callback_data`. An attempt whose outcome is unknown (timeout, reset, a worker that died
 * holding the claim) is never resent blindly: it waits for a status webhook with that id (then it was
 * sent), and only after the reconcile window is it tried again. See docs/sending.md.
 *
 * The parts: `pump.ts` sends for one number (claim, pace, classify with `send-result.ts`),
 * `record-outcomes.ts` writes what happened, `reconcile.ts` is the sweep, `number-lease.ts` the
 * number's lease and saved rate, `rate.ts` the adaptive rate.
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

  const recordOutcomes = createOutcomeRecorder({ db, numbers, events, hooks: deps.hooks, retryDelays });
  const pump = createPump({
    db,
    numbers,
    log,
    holder,
    leaseSeconds: deps.leaseSeconds,
    retryDelays,
    rates,
    isRunning: () => running,
    recordOutcomes,
  });
  const sweep = createReconciler({
    db,
    log,
    hooks: deps.hooks,
    retryDelays,
    reconcileWindowSeconds: deps.reconcileWindowSeconds,
  });

  async function runLoop() {
    while (running) {
      try {
        if (Date.now() - lastSweep > 1000) {
          lastSweep = Date.now();
          await sweep();
        }
        await deps.hooks?.feed?.();
        for (const numberId of await findNumbersWithWork(db, holder, [...pumps.keys()])) {
          if (pumps.has(numberId)) continue;
          const n = await numbers.rowForSender(numberId);
          if (!n || !numbers.reachable(n)) continue;
          if (!(await takeSendLease(db, holder, numberId))) continue;
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
