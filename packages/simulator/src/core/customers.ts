import type { EventContext, NumberRef } from '../events/index.ts';
import { mediaUrl, sampleMedia, storedMedia } from '../media.ts';
import { createRandom, seedFrom } from '../random.ts';
import type { CustomerState, SimNumber } from '../state.ts';
import { DAY, type Store } from './store.ts';

const FIRST_NAMES = [
  'Ana',
  'Ben',
  'Chen',
  'Divya',
  'Emeka',
  'Fatima',
  'Gustavo',
  'Hana',
  'Ivan',
  'Jamal',
  'Kiko',
  'Lucía',
  'Mehmet',
  'Nia',
  'Omar',
  'Priya',
];
const LAST_NAMES = [
  'Silva',
  'Okafor',
  'Wang',
  'Sharma',
  'Müller',
  'García',
  'Kim',
  'Haddad',
  'Novak',
  'Smith',
];

export interface CustomerPatch {
  name?: string;
  undeliverable?: boolean;
  opted_out_marketing?: boolean;
  window?: 'open' | 'closed';
}

export type Customers = ReturnType<typeof createCustomers>;

/** The simulated customers: made up on first contact (seeded by wa_id), their 24 h window, event contexts. */
export function createCustomers(store: Store) {
  const { opts, customers, media } = store;

  function customer(waId: string): CustomerState {
    let c = customers.get(waId);
    if (!c) {
      const r = createRandom(seedFrom(waId, opts.seed));
      c = {
        wa_id: waId,
        name: `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}`,
        rnd: r,
        lastInboundAt: new Map(),
        undeliverable: false,
        optedOutMarketing: false,
      };
      c.undeliverable = r.chance(store.behaviour.undeliverable_rate);
      customers.set(waId, c);
    }
    return c;
  }

  function windowOpen(c: CustomerState, phoneId: string, now: number) {
    if (c.windowOverride) return c.windowOverride === 'open';
    const last = c.lastInboundAt.get(phoneId);
    return last !== undefined && now - last < DAY;
  }

  /** What an event builder needs to know about the number and the customer (and how to make ids and media). */
  function context(n: SimNumber, c: CustomerState, replyTo?: string, forwarded = false): EventContext {
    const ref: NumberRef = {
      phone_number_id: n.phone_number_id,
      display_phone_number: n.display_phone_number,
      waba_id: n.waba_id,
    };
    return {
      number: ref,
      customer: { wa_id: c.wa_id, name: c.name },
      rnd: c.rnd,
      now: Math.floor(Date.now() / 1000),
      wamid: () => store.wamid(c.wa_id),
      media: (kind, sample) => {
        const s = sampleMedia(kind, sample);
        const m = storedMedia(store.nextId(16), n.phone_number_id, s.mime, s.data);
        store.remember(media, m.id, m);
        return {
          id: m.id,
          mime_type: m.mime_type,
          sha256: m.sha256,
          url: mediaUrl(store.publicUrl, m.id, opts.media_url_ttl_ms, store.mediaKey),
        };
      },
      ...(forwarded ? { forwarded } : {}),
      ...(replyTo ? { replyTo } : {}),
    };
  }

  function setCustomer(waId: string, patch: CustomerPatch) {
    const c = customer(waId);
    if (patch.name) c.name = patch.name;
    if (patch.undeliverable !== undefined) c.undeliverable = patch.undeliverable;
    if (patch.opted_out_marketing !== undefined) c.optedOutMarketing = patch.opted_out_marketing;
    if (patch.window) c.windowOverride = patch.window;
    return c;
  }

  return { customer, windowOpen, context, setCustomer };
}
