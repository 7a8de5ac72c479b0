import type { Db } from '../db/client.ts';
import type { Log } from '../lib/log.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { NotificationService } from '../notifications/service.ts';
import type { PostOutcome, PostWebhook } from './post.ts';
import * as repo from './repo.ts';
import { signatureHeaders } from './sign.ts';

/** Outcomes waiting this long, or this many, are written together. */
const FLUSH_DELAY_MS = 5;
const FLUSH_AT = 200;

export interface DelivererOptions {
  db: Db;
  box: SecretBox;
  post: PostWebhook;
  notifications: Pick<NotificationService, 'notifyRole'>;
  log: Log;
  /** Waits before each retry, in seconds (WEBHOOK_RETRY_SCHEDULE_SECONDS); then the delivery is dead. */
  scheduleSeconds: number[];
  /** An endpoint whose every delivery failed this long is disabled (WEBHOOK_DISABLE_AFTER_HOURS). */
  disableAfterHours: number;
  /** Deliveries leased per statement (WEBHOOK_BATCH_SIZE). */
  batchSize: number;
  /** Requests in flight in this process at most (WEBHOOK_MAX_IN_FLIGHT). */
  maxInFlight: number;
  timeoutMs: number;
  /** The clock (tests move it forward instead of waiting hours). */
  now?: () => Date;
  random?: () => number;
}

/**
 * The delivery worker: leases due deliveries in batches (SKIP LOCKED, per-endpoint concurrency and
 * order in the lease statement), sends each as soon as it is leased, and records outcomes in
 * batches as they finish — never waiting for a whole batch, so a slow endpoint holds only its own
 * slots. Outcomes: 2xx succeeded; 410 disables the endpoint; anything else retries on the
 * schedule, then is dead. Endpoints failing for `disableAfterHours` are disabled and admins told.
 */
export function createDeliverer(o: DelivererOptions) {
  const now = o.now ?? (() => new Date());
  const random = o.random ?? Math.random;
  const secrets = new Map<string, string>();
  const healthyAt = new Map<string, number>();
  let inFlight = 0;
  const done: { row: repo.LeasedRow; outcome: PostOutcome; at: Date }[] = [];
  /** Deliveries answered whose outcome is not written yet: their endpoints' slots are free. */
  const answered = new Set<string>();
  const sends = new Set<Promise<void>>();
  let flushing: Promise<void> | undefined;
  let running = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let woken = false;

  const open = (sealed: string) => {
    let s = secrets.get(sealed);
    if (!s) {
      s = o.box.open(sealed);
      if (secrets.size > 10_000) secrets.clear();
      secrets.set(sealed, s);
    }
    return s;
  };

  /** The secrets that sign: the current one, and the previous one during its overlap. */
  function signersOf(
    r: Pick<repo.LeasedRow, 'secret_sealed' | 'previous_secret_sealed' | 'previous_secret_expires_at'>,
  ) {
    const list = [open(r.secret_sealed)];
    if (
      r.previous_secret_sealed &&
      r.previous_secret_expires_at &&
      new Date(r.previous_secret_expires_at).getTime() > now().getTime()
    )
      list.push(open(r.previous_secret_sealed));
    return list;
  }

  /** One POST, signed now (a retry carries a fresh timestamp; the id stays the event's). */
  async function send(row: repo.LeasedRow): Promise<PostOutcome> {
    const body = JSON.stringify(row.payload);
    try {
      return await o.post(row.url, body, signatureHeaders(row.event_id, now(), body, signersOf(row)), {
        key: row.endpoint_id,
        connections: row.max_concurrency,
      });
    } catch (err) {
      return { statusCode: null, excerpt: null, error: String((err as Error).message ?? err), latencyMs: 0 };
    }
  }

  function outcomeOf(row: repo.LeasedRow, r: PostOutcome, at: Date): repo.AttemptResult {
    const ok = r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;
    const n = row.attempts + 1;
    const wait = o.scheduleSeconds[n - 1];
    const last = r.statusCode === 410 || wait === undefined;
    const jitter = 0.9 + random() * 0.2;
    return {
      id: row.id,
      endpointId: row.endpoint_id,
      state: ok ? 'succeeded' : last ? 'dead' : 'retrying',
      statusCode: r.statusCode,
      error: ok ? null : (r.error ?? `answered ${r.statusCode}`),
      excerpt: r.excerpt,
      latencyMs: r.latencyMs,
      at,
      nextAt: ok || last ? null : new Date(at.getTime() + wait! * 1000 * jitter),
    };
  }

  /** Records finished attempts (many per statement) and what they say about their endpoints. */
  async function record(items: { row: repo.LeasedRow; outcome: PostOutcome; at: Date }[]) {
    const results = items.map((i) => outcomeOf(i.row, i.outcome, i.at));
    await repo.recordAttempts(o.db, results);
    const ok = [...new Set(results.filter((r) => r.state === 'succeeded').map((r) => r.endpointId))];
    const failed = [...new Set(results.filter((r) => r.state !== 'succeeded').map((r) => r.endpointId))];
    // A healthy endpoint's last_success_at is rewritten at most once a second, not at every batch.
    const at = now().getTime();
    for (const id of failed) healthyAt.delete(id);
    const news = ok.filter((id) => failed.includes(id) || !(at - (healthyAt.get(id) ?? 0) < 1000));
    await repo.markEndpointHealth(o.db, news, failed, now());
    for (const id of news) if (!failed.includes(id)) healthyAt.set(id, at);
    if (healthyAt.size > 10_000) healthyAt.clear();
    const gone = [...new Set(results.filter((r) => r.statusCode === 410).map((r) => r.endpointId))];
    const disabled = [
      ...(await repo.disableEndpoints(o.db, gone, 'The endpoint answered 410 Gone')),
      ...(await repo.disableEndpoints(
        o.db,
        failed.filter((id) => !ok.includes(id)),
        `Every delivery failed for ${o.disableAfterHours} hours`,
        new Date(now().getTime() - o.disableAfterHours * 3_600_000),
      )),
    ];
    for (const d of disabled) {
      o.log.warn({ orgId: d.org_id, endpointId: d.id }, 'webhooks: endpoint disabled');
      await o.notifications
        .notifyRole(d.org_id, 'admin', {
          type: 'webhook.disabled',
          title: 'A webhook endpoint was disabled',
          message: `${d.url} was disabled: ${results.some((r) => r.endpointId === d.id && r.statusCode === 410) ? 'it answered 410 Gone' : `every delivery failed for ${o.disableAfterHours} hours`}. Fix it, re-enable it and replay what it missed.`,
          actionUrl: '/settings/webhooks',
          relatedEntityType: 'webhook_endpoint',
          relatedEntityId: d.id,
        })
        .catch((err) => o.log.warn({ err }, 'webhooks: the disabled notification failed'));
    }
  }

  function flush(): Promise<void> {
    if (flushing) return flushing;
    flushing = (async () => {
      while (done.length) {
        const items = done.splice(0, done.length);
        try {
          await record(items);
        } catch (err) {
          // The leases run out and the deliveries are sent again: at least once, never lost.
          o.log.error({ err, count: items.length }, 'webhooks: recording attempts failed');
        } finally {
          for (const i of items) answered.delete(i.row.id);
        }
      }
    })().finally(() => {
      flushing = undefined;
      wake();
    });
    return flushing;
  }

  /**
   * Outcomes are written a few milliseconds after the first of them finished (or at once when many
   * are waiting): one statement for many answers instead of one per answer.
   */
  let flushTimer: NodeJS.Timeout | undefined;
  function scheduleFlush() {
    if (done.length >= FLUSH_AT) {
      clearTimeout(flushTimer);
      flushTimer = undefined;
      void flush();
    } else
      flushTimer ??= setTimeout(() => {
        flushTimer = undefined;
        void flush();
      }, FLUSH_DELAY_MS);
  }

  /** Leases what is due and starts sending it; returns how many. */
  async function leaseOnce(): Promise<number> {
    const room = Math.min(o.batchSize, o.maxInFlight - inFlight);
    if (room <= 0) return 0;
    // The worker's clock (a test's when it drives time); rows it makes due at once are stamped a
    // second early (repo.fanOut), so a clock a little behind the database's does not hold them back.
    const rows = await repo.leaseDue(o.db, now(), room, o.timeoutMs + 30_000, [...answered]);
    for (const row of rows) {
      inFlight++;
      const p: Promise<void> = send(row).then((outcome) => {
        inFlight--;
        answered.add(row.id);
        done.push({ row, outcome, at: now() });
        sends.delete(p);
        scheduleFlush();
        // Its endpoint has a free slot now: lease again without waiting for the write.
        wake();
      });
      sends.add(p);
    }
    return rows.length;
  }

  function wake() {
    woken = true;
    wakeUp?.();
  }

  function start(opts: { pollMs?: number } = {}) {
    if (running) return;
    running = true;
    const pollMs = opts.pollMs ?? 1000;
    loop = (async () => {
      while (running) {
        woken = false;
        let n = 0;
        try {
          n = await leaseOnce();
        } catch (err) {
          o.log.error({ err }, 'webhooks: leasing deliveries failed');
        }
        if (n > 0 && inFlight < o.maxInFlight) continue;
        if (!running || woken) continue;
        await new Promise<void>((r) => {
          const timer = setTimeout(r, pollMs);
          wakeUp = () => {
            clearTimeout(timer);
            wakeUp = undefined;
            r();
          };
        });
      }
    })();
  }

  async function stop() {
    running = false;
    wake();
    await loop;
    await idle();
    loop = undefined;
  }

  /** Waits until nothing is in flight and every outcome is recorded. */
  async function idle() {
    while (sends.size || flushing || done.length) {
      await Promise.allSettled([...sends]);
      clearTimeout(flushTimer);
      flushTimer = undefined;
      await flush();
    }
  }

  /** Tests and the bench: lease and deliver until nothing more is due at the clock's time. */
  async function runUntilIdle() {
    while ((await leaseOnce()) > 0) await idle();
    await idle();
  }

  /** Sends one leased delivery now and records it (the "send test event" route waits for it). */
  async function deliverNow(row: repo.LeasedRow) {
    const outcome = await send(row);
    await record([{ row, outcome, at: now() }]);
  }

  return { start, stop, wake, idle, runUntilIdle, deliverNow, signersOf };
}
export type Deliverer = ReturnType<typeof createDeliverer>;
