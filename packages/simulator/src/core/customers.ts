import { userId } from '../events/context.ts';
import type { EventContext, NumberRef } from '../events/index.ts';
import { mediaUrl, sampleMedia, storedMedia } from '../media.ts';
import { createRandom, seedFrom } from '../random.ts';
import type { CustomerState, SimNumber } from '../state.ts';
import { DAY, type Store } from './store.ts';

/** A username as WhatsApp users pick them: lower case, a dot, a few digits. */
const usernameOf = (first: string, last: string, waId: string) =>
  `${first}.${last}${waId.slice(-2)}`
    .normalize('NFD')
    .replace(/[^A-Za-z0-9.]/g, '')
    .toLowerCase();

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
  /** A username (the customer then hides their phone in webhooks); null: none. */
  username?: string | null;
  undeliverable?: boolean;
  opted_out_marketing?: boolean;
  window?: 'open' | 'closed';
}

export type Customers = ReturnType<typeof createCustomers>;

/** The simulated customers: made up on first contact (seeded by wa_id), their 24 h window, event contexts. */
export function createCustomers(store: Store) {
  const { opts, customers, customersByUserId, media } = store;

  function customer(waId: string): CustomerState {
    let c = customers.get(waId);
    if (!c) {
      const r = createRandom(seedFrom(waId, opts.seed));
      const first = r.pick(FIRST_NAMES);
      const last = r.pick(LAST_NAMES);
      c = {
        wa_id: waId,
        name: `${first} ${last}`,
        user_id: userId(waId),
        rnd: r,
        lastInboundAt: new Map(),
        undeliverable: false,
        optedOutMarketing: false,
      };
      c.undeliverable = r.chance(store.behaviour.undeliverable_rate);
      // Drawn after the others so that adding it changed no existing customer's draws.
      if (r.chance(store.behaviour.username_rate)) c.username = usernameOf(first, last, waId);
      customers.set(waId, c);
      customersByUserId.set(c.user_id, c);
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
      customer: {
        wa_id: c.wa_id,
        name: c.name,
        ...(c.username ? { username: c.username, phoneHidden: !c.contactBook } : {}),
      },
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
    if (patch.username !== undefined) {
      if (patch.username) c.username = patch.username;
      else delete c.username;
    }
    if (patch.undeliverable !== undefined) c.undeliverable = patch.undeliverable;
    if (patch.opted_out_marketing !== undefined) c.optedOutMarketing = patch.opted_out_marketing;
    if (patch.window) c.windowOverride = patch.window;
    return c;
  }

  /** The customer of a business-scoped user id, when one was made up. */
  const byUserId = (id: string) => customersByUserId.get(id);

  return { customer, byUserId, windowOpen, context, setCustomer };
}
