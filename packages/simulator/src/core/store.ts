import type { z } from 'zod';
import { type CustomerBehaviour, DEFAULT_BEHAVIOUR, type SimulatorOptions } from '../config.ts';
import type { Change } from '../events/index.ts';
import { createFaultState } from '../faults.ts';
import type { TokenBucket } from '../limits.ts';
import type { StoredMedia } from '../media.ts';
import { createRandom, seedFrom } from '../random.ts';
import type { CustomerState, InboundRecord, SentRecord, SimNumber } from '../state.ts';
import type { SimTemplate } from '../templates.ts';
import { createWebhookDispatcher } from '../webhooks.ts';

export const DAY = 86_400_000;

export type SimOptions = z.output<typeof SimulatorOptions>;

/** One webhook change as the control API lists it (`/_sim/events`). */
export interface EmittedEvent {
  at: string;
  phone_number_id?: string;
  waba_id: string;
  change: Change;
  delivered_to?: string;
}

export type Store = ReturnType<typeof createStore>;

/**
 * Everything the simulator remembers (numbers, templates, media, customers, sent and received messages,
 * counters) and the clock it plays statuses on. The core's files each take the store and act on it.
 */
export function createStore(opts: SimOptions) {
  const rnd = createRandom(opts.seed);
  const faults = createFaultState(createRandom(seedFrom('faults', opts.seed)));
  const webhooks = createWebhookDispatcher(
    {
      batchWindowMs: opts.webhook_batch_ms,
      maxBatch: opts.webhook_max_batch,
      retryDelaysMs: opts.webhook_retry_ms,
      timeoutMs: opts.webhook_timeout_ms,
      concurrency: opts.webhook_concurrency,
    },
    faults,
    createRandom(seedFrom('webhooks', opts.seed)),
  );
  const publicUrl = opts.public_url?.replace(/\/$/, '') ?? 'http://127.0.0.1';
  const mediaKey = `media-${opts.seed}-${rnd.hex(16)}`;
  const behaviour: CustomerBehaviour = { ...DEFAULT_BEHAVIOUR, ...opts.customers };
  const timers = new Set<NodeJS.Timeout>();
  let ids = 0;

  /** Runs `fn` after `ms` on a timer `reset` and `close` can cancel (at once, in order, when `ms` ≤ 0). */
  const later = (fn: () => void, ms: number) => {
    if (ms <= 0) {
      queueMicrotask(fn);
      return;
    }
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  /** Keeps at most `message_log_size` entries of a log (customer messages, their media): the oldest go. */
  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    if (map.size >= Math.max(1, opts.message_log_size)) map.delete(map.keys().next().value!);
    map.set(key, value);
  };

  const nextId = (digits = 15) => {
    ids += 1;
    return `${rnd.int(1, 9)}${String(ids).padStart(6, '0')}${rnd.hex(12).replace(/[a-f]/g, (c) => String(c.charCodeAt(0) % 10))}`.slice(
      0,
      digits,
    );
  };
  const wamid = (waId = '0') =>
    `wamid.HBgL${Buffer.from(waId).toString('base64').replace(/=+$/, '')}FQIAERgS${rnd.hex(20).toUpperCase()}AA==`;

  return {
    opts,
    rnd,
    faults,
    webhooks,
    mediaKey,
    /** Where Graph and media URLs point; set by `listen()` unless `public_url` was given. */
    publicUrl,
    /** Customer behaviour for numbers that do not override it. */
    behaviour,
    numbers: new Map<string, SimNumber>(),
    templates: new Map<string, SimTemplate>(),
    media: new Map<string, StoredMedia>(),
    customers: new Map<string, CustomerState>(),
    /** Customers by business-scoped user id (a send's `recipient`). */
    customersByUserId: new Map<string, CustomerState>(),
    sent: new Map<string, SentRecord>(),
    inbound: new Map<string, InboundRecord>(),
    pairBuckets: new Map<string, TokenBucket>(),
    conversations: new Map<string, { id: string; until: number }>(),
    /** Business portfolio → wa_id → when one of its numbers last started a business-initiated conversation. */
    portfolioInitiated: new Map<string, Map<string, number>>(),
    events: [] as EmittedEvent[],
    stats: {
      requests: 0,
      accepted: 0,
      errors: {} as Record<string, number>,
      statuses: { sent: 0, delivered: 0, read: 0, failed: 0 },
      inbound: 0,
      replies: 0,
    },
    timers,
    startedAt: Date.now(),
    later,
    remember,
    nextId,
    wamid,
  };
}
