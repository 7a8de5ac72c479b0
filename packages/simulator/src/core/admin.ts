import { Seed } from '../config.ts';
import { createRateMeter, createTokenBucket } from '../limits.ts';
import type { Cast } from './cast.ts';
import type { Customers } from './customers.ts';
import { burstOf, type Numbers } from './numbers.ts';
import type { Store } from './store.ts';
import type { Templates } from './templates.ts';

/** The control API's whole-world verbs: counters, reset, and loading a seed file. */
export function createAdmin(
  store: Store,
  numbers: Numbers,
  customers: Customers,
  templates: Templates,
  cast: Cast,
) {
  const { faults, webhooks, stats } = store;

  function snapshotStats() {
    const now = Date.now();
    return {
      requests: stats.requests,
      accepted: stats.accepted,
      errors: { ...stats.errors },
      statuses: { ...stats.statuses },
      inbound: stats.inbound,
      replies: stats.replies,
      webhooks: webhooks.stats(),
      numbers: Object.fromEntries(
        [...store.numbers.values()].map((n) => [
          n.phone_number_id,
          { accepted: n.accepted, current_mps: n.meter.perSecond(now), throughput_mps: n.throughput_mps },
        ]),
      ),
      templates: store.templates.size,
      media: store.media.size,
    };
  }

  function reset(all = false) {
    cast.stop();
    for (const t of store.timers) clearTimeout(t);
    store.timers.clear();
    webhooks.reset();
    store.sent.clear();
    store.inbound.clear();
    store.customers.clear();
    store.pairBuckets.clear();
    store.conversations.clear();
    store.portfolioInitiated.clear();
    store.media.clear();
    store.events.length = 0;
    faults.set({});
    Object.assign(stats, {
      requests: 0,
      accepted: 0,
      errors: {},
      statuses: { sent: 0, delivered: 0, read: 0, failed: 0 },
      inbound: 0,
      replies: 0,
    });
    for (const n of store.numbers.values()) {
      n.accepted = 0;
      n.initiated.clear();
      n.meter = createRateMeter();
      n.bucket = createTokenBucket(n.throughput_mps, burstOf(n.throughput_mps), Date.now());
    }
    if (all) {
      store.numbers.clear();
      store.templates.clear();
    }
  }

  function loadSeed(seed: Seed) {
    const s = Seed.parse(seed);
    for (const n of s.numbers) numbers.addNumber(n);
    for (const t of s.templates) templates.addTemplate(t);
    for (const c of s.customers) {
      const st = customers.customer(c.wa_id);
      if (c.name) st.name = c.name;
      if (c.undeliverable !== undefined) st.undeliverable = c.undeliverable;
      if (c.opted_out_marketing !== undefined) st.optedOutMarketing = c.opted_out_marketing;
      if (c.window) st.windowOverride = c.window;
    }
    if (s.faults) faults.set(s.faults);
  }

  return { snapshotStats, reset, loadSeed };
}
