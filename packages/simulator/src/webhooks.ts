import type { Change } from './events/index.ts';
import { batchEnvelope } from './events/index.ts';
import type { FaultState } from './faults.ts';
import { signWebhookBody } from './json.ts';
import type { Random } from './random.ts';

export interface WebhookTarget {
  url: string;
  appSecret: string;
}

export interface WebhookOptions {
  /**
   * How long changes wait to be batched into one POST (Meta batches up to 1000 updates); 0: no
   * batching, one change per POST.
   */
  batchWindowMs: number;
  maxBatch: number;
  /** Delay before each retry when the receiver does not answer 2xx; its length is the retry count. */
  retryDelaysMs: number[];
  timeoutMs: number;
  /** POSTs in flight per target. */
  concurrency: number;
}

export interface WebhookStats {
  sent: number;
  delivered: number;
  failed: number;
  retried: number;
  duplicated: number;
  dropped: number;
  changes: number;
}

export interface Delivery {
  url: string;
  body: string;
  signature: string;
  status: number;
  attempt: number;
  at: string;
}

interface Batch {
  target: WebhookTarget;
  body: string;
  signature: string;
  attempt: number;
}

/**
 * Delivers webhooks like Meta: batched, signed over the exact (ASCII-escaped) bytes, retried with
 * backoff while the receiver does not answer 2xx, with optional duplicate/reorder/drop faults.
 */
export function createWebhookDispatcher(opts: WebhookOptions, faults: FaultState, rnd: Random) {
  const stats: WebhookStats = {
    sent: 0,
    delivered: 0,
    failed: 0,
    retried: 0,
    duplicated: 0,
    dropped: 0,
    changes: 0,
  };
  const log: Delivery[] = [];
  const pending = new Map<
    string,
    { target: WebhookTarget; items: { wabaId: string; change: Change; time?: number }[] }
  >();
  const queues = new Map<string, { inFlight: number; batches: Batch[] }>();
  const timers = new Set<NodeJS.Timeout>();
  let flushTimer: NodeJS.Timeout | undefined;
  let busy = 0;
  let closed = false;

  const later = (fn: () => void, ms: number) => {
    busy++;
    const t = setTimeout(() => {
      timers.delete(t);
      busy--;
      fn();
    }, ms);
    timers.add(t);
  };

  function enqueue(target: WebhookTarget, wabaId: string, change: Change, time?: number) {
    if (closed) return;
    const key = `${target.url}\n${target.appSecret}`;
    let p = pending.get(key);
    if (!p) {
      p = { target, items: [] };
      pending.set(key, p);
    }
    p.items.push({ wabaId, change, ...(time !== undefined ? { time } : {}) });
    stats.changes++;
    // No batching window: every change is a POST of its own (client libraries often read only the
    // first change of a body).
    if (p.items.length >= (opts.batchWindowMs === 0 ? 1 : opts.maxBatch)) flush();
    else if (!flushTimer) {
      busy++;
      flushTimer = setTimeout(() => {
        busy--;
        flushTimer = undefined;
        flush();
      }, opts.batchWindowMs);
    }
  }

  function flush() {
    for (const [key, p] of pending) {
      pending.delete(key);
      for (let i = 0; i < p.items.length; i += opts.maxBatch) {
        const { body, signature } = signWebhookBody(
          batchEnvelope(p.items.slice(i, i + opts.maxBatch)),
          p.target.appSecret,
        );
        if (faults.fires('webhook_drop')) {
          stats.dropped++;
          continue;
        }
        const batch = { target: p.target, body, signature, attempt: 0 };
        if (faults.fires('webhook_reorder')) {
          // Held back so that later batches overtake it.
          later(() => push(batch), rnd.int(50, 400));
        } else push(batch);
        if (faults.fires('webhook_duplicate')) {
          stats.duplicated++;
          later(() => push({ ...batch }), rnd.int(0, 200));
        }
      }
    }
  }

  function push(batch: Batch) {
    if (closed) return;
    let q = queues.get(batch.target.url);
    if (!q) {
      q = { inFlight: 0, batches: [] };
      queues.set(batch.target.url, q);
    }
    q.batches.push(batch);
    pump(q);
  }

  function pump(q: { inFlight: number; batches: Batch[] }) {
    while (q.inFlight < opts.concurrency && q.batches.length) {
      const b = q.batches.shift()!;
      q.inFlight++;
      busy++;
      void send(b).finally(() => {
        q.inFlight--;
        busy--;
        pump(q);
      });
    }
  }

  async function send(b: Batch) {
    stats.sent++;
    let status = 0;
    try {
      const res = await fetch(b.target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': b.signature,
          'user-agent': 'facebookexternalua',
        },
        body: b.body,
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch {
      status = 0;
    }
    if (log.length >= 1000) log.shift();
    log.push({
      url: b.target.url,
      body: b.body,
      signature: b.signature,
      status,
      attempt: b.attempt,
      at: new Date().toISOString(),
    });
    if (status >= 200 && status < 300) {
      stats.delivered++;
      return;
    }
    if (b.attempt < opts.retryDelaysMs.length && !closed) {
      stats.retried++;
      later(() => push({ ...b, attempt: b.attempt + 1 }), opts.retryDelaysMs[b.attempt]!);
    } else stats.failed++;
  }

  return {
    enqueue,
    flush,
    stats: () => ({ ...stats, pending: [...pending.values()].reduce((n, p) => n + p.items.length, 0), busy }),
    deliveries: (limit = 100) => log.slice(-limit),
    /** True when nothing is batched, queued, in flight or waiting to retry. */
    idle: () =>
      busy === 0 &&
      pending.size === 0 &&
      [...queues.values()].every((q) => q.batches.length === 0 && q.inFlight === 0),
    reset() {
      for (const t of timers) clearTimeout(t);
      busy -= timers.size;
      timers.clear();
      pending.clear();
      for (const q of queues.values()) q.batches.length = 0;
      Object.assign(stats, {
        sent: 0,
        delivered: 0,
        failed: 0,
        retried: 0,
        duplicated: 0,
        dropped: 0,
        changes: 0,
      });
      log.length = 0;
    },
    close() {
      closed = true;
      if (flushTimer) clearTimeout(flushTimer);
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
