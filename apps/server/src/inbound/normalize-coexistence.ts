import { z } from 'zod';
import { isBsuid } from '../lib/address.ts';
import { epochMsOf, isObject, type Json } from './body.ts';
import { type ChangeBase, digits, opt, phoneOf, profileNames, Required, Text } from './shapes.ts';

/**
 * Coexistence changes (the WhatsApp Business app and the API on one number), read for `normalize.ts`:
 * `smb_message_echoes`, `history` and `smb_app_state_sync`. Pure.
 */

/**
 * A message of a coexistence number (the WhatsApp Business app and the API on one number) that the
 * business sent from the app (`smb_message_echoes`), or an older one of either side back-filled by
 * `history`.
 */
export interface CoexistenceMessage {
  wamid: string;
  /**
   * The customer: their phone's digits (the echo's `to`; a history thread's `id`) or, for a username
   * customer Meta names only by BSUID, the BSUID (`to_user_id`; a thread `id` that is one).
   */
  customer: string;
  /** The customer's phone digits, when Meta gives them. */
  phone: string | null;
  /** The customer's BSUID, when Meta gives it. */
  userId: string | null;
  /** `out`: the business sent it (from the app); `in`: the customer did (history only). */
  direction: 'in' | 'out';
  type: string;
  sentAtMs: number;
  /** A history message's `history_context.status` (e.g. `read`, `delivered`). */
  status: string | null;
  /** The customer's profile name, when the change's `contacts` gives it (echoes). */
  name: string | null;
  raw: Json;
}

/** A contact of the business's WhatsApp Business app address book (`smb_app_state_sync`). */
export interface AppContact {
  phone: string;
  /** `add` (added or edited) or `remove`. */
  action: 'add' | 'remove';
  name: string | null;
}

/**
 * A coexistence number's change: `smb_message_echoes` (`echoes`), `history` (back-filled messages)
 * or `smb_app_state_sync` (app contacts), routed like `messages` by `metadata.phone_number_id`.
 */
export interface CoexistenceChange extends ChangeBase {
  kind: 'coexistence';
  field: 'smb_message_echoes' | 'history' | 'smb_app_state_sync';
  phoneNumberId: string;
  messages: CoexistenceMessage[];
  contacts: AppContact[];
  dropped: string[];
}

export const Echo = z.looseObject({
  to: opt(Text),
  to_user_id: opt(z.string().min(1)),
  id: Required,
  type: opt(z.string()),
  timestamp: z.unknown().optional(),
});
export const HistoryMessage = z.looseObject({
  from: opt(Text),
  to: opt(Text),
  id: Required,
  type: opt(z.string()),
  timestamp: z.unknown().optional(),
  history_context: opt(z.looseObject({ status: opt(z.string()) })),
});
export const HistoryThread = z.looseObject({
  id: Required,
  user_id: opt(z.string().min(1)),
  messages: opt(z.array(z.unknown())),
});
export const StateSync = z.looseObject({
  type: opt(z.string()),
  action: opt(z.string()),
  contact: opt(
    z.looseObject({ phone_number: opt(Text), full_name: opt(z.string()), first_name: opt(z.string()) }),
  ),
});
export const CoexistenceValue = z.looseObject({
  metadata: opt(z.looseObject({ phone_number_id: opt(Text), display_phone_number: opt(Text) })),
  contacts: opt(z.array(z.unknown())),
  message_echoes: opt(z.array(z.unknown())),
  history: opt(z.array(z.looseObject({ threads: opt(z.array(z.unknown())) }))),
  state_sync: opt(z.array(z.unknown())),
});

/** Who an item names: their phone's digits when it is a phone, and the first well-formed BSUID given. */
function customerOf(phoneLike: string | undefined, bsuids: (string | undefined)[]) {
  const phone = phoneOf(phoneLike) || null;
  const userId = bsuids.find((x) => isBsuid(x)) ?? null;
  return { customer: phone ?? userId, phone, userId };
}

export function coexistenceChange(
  base: ChangeBase,
  field: CoexistenceChange['field'],
  value: Json,
  now: number,
): CoexistenceChange {
  const v = CoexistenceValue.parse(value);
  const business = digits(v.metadata?.display_phone_number);
  const change: CoexistenceChange = {
    ...base,
    kind: 'coexistence',
    field,
    phoneNumberId: v.metadata?.phone_number_id ?? '',
    messages: [],
    contacts: [],
    dropped: [],
  };
  const at = (timestamp: unknown) => epochMsOf(timestamp, now);
  const names = profileNames(v.contacts);
  for (const raw of v.message_echoes ?? []) {
    const e = Echo.safeParse(raw);
    if (!e.success || !isObject(raw)) {
      change.dropped.push('echo without id');
      continue;
    }
    const { customer, phone, userId } = customerOf(e.data.to, [e.data.to_user_id, e.data.to]);
    if (!customer) {
      change.dropped.push('echo to a customer without a phone number or user id');
      continue;
    }
    change.messages.push({
      wamid: e.data.id,
      customer,
      phone,
      userId,
      direction: 'out',
      type: e.data.type ?? 'unknown',
      sentAtMs: at(e.data.timestamp),
      status: null,
      name: names.get(customer) ?? null,
      raw,
    });
  }
  for (const chunk of v.history ?? []) {
    for (const rawThread of chunk.threads ?? []) {
      const t = HistoryThread.safeParse(rawThread);
      if (!t.success) {
        change.dropped.push('history thread without id');
        continue;
      }
      const { customer, phone, userId } = customerOf(t.data.id, [t.data.user_id, t.data.id]);
      if (!customer) {
        change.dropped.push('history thread of a customer without a phone number or user id');
        continue;
      }
      for (const raw of t.data.messages ?? []) {
        const m = HistoryMessage.safeParse(raw);
        if (!m.success || !isObject(raw)) {
          change.dropped.push('history message without id');
          continue;
        }
        // The business's messages name the customer in `to` (and come from the business's number).
        const out = m.data.to !== undefined || (business !== '' && digits(m.data.from) === business);
        change.messages.push({
          wamid: m.data.id,
          customer,
          phone,
          userId,
          direction: out ? 'out' : 'in',
          type: m.data.type ?? 'unknown',
          sentAtMs: at(m.data.timestamp),
          status: m.data.history_context?.status?.toLowerCase() ?? null,
          name: null,
          raw,
        });
      }
    }
  }
  for (const raw of v.state_sync ?? []) {
    const s = StateSync.safeParse(raw);
    const phone = s.success ? phoneOf(s.data.contact?.phone_number) : '';
    if (!s.success || (s.data.type ?? 'contact') !== 'contact' || !phone) {
      change.dropped.push('app state sync item that is not a contact with a phone');
      continue;
    }
    const c = s.data.contact;
    change.contacts.push({
      phone,
      action: s.data.action === 'remove' ? 'remove' : 'add',
      name: c?.full_name || c?.first_name || null,
    });
  }
  return change;
}
