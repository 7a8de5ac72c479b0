import { z } from 'zod';
import { epochMsOf, isObject, type Json } from './body.ts';
import { type AccountChange, isAccountField, noticeOf } from './normalize-account.ts';
import { type CoexistenceChange, coexistenceChange } from './normalize-coexistence.ts';
import { type ChangeBase, digits, opt, Profile, Required, Text } from './shapes.ts';

export {
  ACCOUNT_FIELDS,
  type AccountChange,
  type AccountField,
  type AccountUpdate,
  type MarketingPreference,
  type TemplateRef,
} from './normalize-account.ts';
export type { AppContact, CoexistenceChange, CoexistenceMessage } from './normalize-coexistence.ts';

/**
 * A webhook body as what it asks for: every change of every entry, typed, in order. Pure (no
 * database, no routing): the router (`plan.ts`) decides which numbers a change concerns.
 *
 * Meta's shapes are read with zod loose objects: fields we do not know pass through untouched (the
 * raw message is what we store), an optional field of the wrong type reads as absent, and an item
 * that lacks what it cannot do without (a message without `from`/`id`) is dropped with a reason —
 * never the whole body. Unknown change kinds are kept (the body is stored raw) and skipped.
 */

/** A customer's message. */
export interface InboundMessage {
  wamid: string;
  /**
   * The customer's address: their phone's wa_id (`from`) when Meta names it, else their BSUID
   * (`from_user_id`, a username customer without a phone). Resolved to the contact's address when applied.
   */
  from: string;
  /** The customer's phone (wa_id), when Meta names it. */
  phone: string | null;
  /** Meta's message type (`unknown` when it names none). */
  type: string;
  sentAtMs: number;
  /** The message it answers (a reply, a button under a template). */
  contextWamid: string | null;
  /** What the customer said in words (a text's body, a quick-reply button's text): consent keywords. */
  said: string | null;
  /** From the message and the change's `contacts`: the customer's profile name and user id (BSUID), when given. */
  name: string | null;
  userId: string | null;
  username: string | null;
  parentUserId: string | null;
  /**
   * A system message telling that the customer's phone or BSUID changed (`user_changed_number`,
   * `user_changed_user_id`): their new identifiers, for re-linking the contact.
   */
  identityChange: { phone: string | null; userId: string | null; parentUserId: string | null } | null;
  /** The message as Meta sent it (cleaned of what PostgreSQL refuses): stored as its content. */
  raw: Json;
  /** A Click-to-WhatsApp ad's or post's `referral` (with `ctwa_clid`), when the message came from one. */
  referral: Json | null;
}

/** A status of a message we sent. */
export interface StatusUpdate {
  wamid: string;
  status: string;
  occurredAtMs: number;
  /** Meta's first error, when the status carries any. */
  error: unknown;
  /** The recipient's phone (`recipient_id`) and BSUID (`recipient_user_id`), when named. */
  recipientId: string | null;
  recipientUserId: string | null;
  /** The status as Meta sent it: recorded as the status event's payload. */
  raw: Json;
}

/** Customer messages and statuses for one of our numbers (`field: messages`). */
export interface MessagesChange extends ChangeBase {
  kind: 'messages';
  /** `metadata.phone_number_id` ('' when missing). */
  phoneNumberId: string;
  messages: InboundMessage[];
  statuses: StatusUpdate[];
  /** Items left out, each with why (noted as skipped for the number's organisation). */
  dropped: string[];
}

/** A change kind we do not act on (`user_preferences`, `security`, …): stored raw, skipped. */
export interface UnknownChange extends ChangeBase {
  kind: 'unknown';
  field: string;
  value: Json;
}

export type NormalizedChange = MessagesChange | CoexistenceChange | AccountChange | UnknownChange;

export interface NormalizedBatch {
  changes: NormalizedChange[];
  /** Parts of the body that are not what Meta sends (an entry or change that is not an object), with why. */
  dropped: string[];
}

// ---- Meta's shapes, as loosely as they can be read --------------------------------------------

const Message = z.looseObject({
  from: opt(Required),
  from_user_id: opt(z.string().min(1)),
  from_parent_user_id: opt(z.string().min(1)),
  id: Required,
  type: opt(z.string()),
  timestamp: z.unknown().optional(),
  context: opt(z.looseObject({ id: opt(z.string()) })),
  text: opt(z.looseObject({ body: opt(z.string()) })),
  button: opt(z.looseObject({ text: opt(z.string()) })),
  referral: opt(z.looseObject({})),
  /** `contact_request`: the customer shared their own phone, answering a request for it. */
  origin: opt(z.string()),
  contacts: opt(z.array(z.looseObject({ phones: opt(z.array(z.looseObject({ wa_id: opt(Text) }))) }))),
  system: opt(
    z.looseObject({
      type: opt(z.string()),
      wa_id: opt(Text),
      new_wa_id: opt(Text),
      user_id: opt(z.string().min(1)),
      parent_user_id: opt(z.string().min(1)),
    }),
  ),
});

const Status = z.looseObject({
  id: Required,
  status: Required,
  timestamp: z.unknown().optional(),
  errors: opt(z.array(z.unknown())),
  recipient_id: opt(Text),
  recipient_user_id: opt(z.string().min(1)),
});

const MessagesValue = z.looseObject({
  metadata: opt(z.looseObject({ phone_number_id: opt(Text) })),
  contacts: opt(z.array(z.unknown())),
  messages: opt(z.array(z.unknown())),
  statuses: opt(z.array(z.unknown())),
});

const Entry = z.looseObject({ id: opt(Text), changes: opt(z.array(z.unknown())) });
const Change = z.looseObject({ field: opt(Text), value: z.unknown().optional() });
const Body = z.looseObject({ entry: opt(z.array(z.unknown())) });

// ---- Reading -------------------------------------------------------------------------------------

/**
 * The changes a parsed webhook body carries (see the top of this file). `now` stands in for a
 * timestamp no date can hold.
 *
 * @example
 * const batch = normalize(parseBody(raw));
 * for (const c of batch.changes) if (c.kind === 'messages') console.log(c.phoneNumberId, c.messages.length);
 */
export function normalize(body: unknown, now = Date.now()): NormalizedBatch {
  const batch: NormalizedBatch = { changes: [], dropped: [] };
  const parsed = Body.safeParse(body);
  // Not an object (`null`, a list, a string): nothing to do — as for a body without entries.
  if (!parsed.success) return batch;
  let index = 0;
  for (const [e, rawEntry] of (parsed.data.entry ?? []).entries()) {
    const entry = Entry.safeParse(rawEntry);
    if (!entry.success) {
      batch.dropped.push(`entry ${e}: not an object`);
      continue;
    }
    const wabaId = entry.data.id ?? '';
    for (const [c, rawChange] of (entry.data.changes ?? []).entries()) {
      const change = Change.safeParse(rawChange);
      if (!change.success) {
        batch.dropped.push(`entry ${e} change ${c}: not an object`);
        continue;
      }
      const base = { index: index++, wabaId };
      const field = change.data.field ?? '';
      const value = isObject(change.data.value) ? change.data.value : {};
      if (field === 'messages') batch.changes.push(messagesChange(base, value, now));
      else if (field === 'smb_message_echoes' || field === 'history' || field === 'smb_app_state_sync')
        batch.changes.push(coexistenceChange(base, field, value, now));
      else if (isAccountField(field))
        batch.changes.push({ ...base, kind: 'account', update: noticeOf(field, value), value });
      else batch.changes.push({ ...base, kind: 'unknown', field, value });
    }
  }
  return batch;
}

// `parse` below cannot throw: on an object, every field of these schemas is optional with a catch.

function messagesChange(base: ChangeBase, value: Json, now: number): MessagesChange {
  const v = MessagesValue.parse(value);
  const dropped: string[] = [];
  // A customer's profile by wa_id and by BSUID (the last one named wins): a username customer's
  // has a user_id and no wa_id.
  const profiles = new Map<string, z.infer<typeof Profile>>();
  for (const raw of v.contacts ?? []) {
    const p = Profile.safeParse(raw);
    if (!p.success) continue;
    if (p.data.wa_id) profiles.set(`wa ${p.data.wa_id}`, p.data);
    if (p.data.user_id) profiles.set(`user ${p.data.user_id}`, p.data);
  }
  const at = (timestamp: unknown) => epochMsOf(timestamp, now);
  const messages: InboundMessage[] = [];
  for (const raw of v.messages ?? []) {
    const m = Message.safeParse(raw);
    if (!m.success || !isObject(raw)) {
      dropped.push(isObject(raw) ? 'message without from/id' : 'message that is not an object');
      continue;
    }
    const { id, type, context, text, button, system, referral } = m.data;
    const profile =
      (m.data.from ? profiles.get(`wa ${m.data.from}`) : undefined) ??
      (m.data.from_user_id ? profiles.get(`user ${m.data.from_user_id}`) : undefined);
    // The answer to "share your phone number" carries it: the customer's own, linked to their BSUID.
    const shared =
      type === 'contacts' && m.data.origin === 'contact_request'
        ? digits(m.data.contacts?.[0]?.phones?.[0]?.wa_id) || null
        : null;
    const phone = m.data.from ?? profile?.wa_id ?? shared;
    const userId = m.data.from_user_id ?? profile?.user_id ?? null;
    const from = phone ?? userId;
    if (!from) {
      dropped.push('message without from/id');
      continue;
    }
    const said = type === 'text' ? text?.body : button?.text;
    const changed =
      type === 'system' &&
      (system?.type === 'user_changed_number' || system?.type === 'user_changed_user_id');
    messages.push({
      wamid: id,
      from,
      phone,
      type: type ?? 'unknown',
      sentAtMs: at(m.data.timestamp),
      contextWamid: context?.id ?? null,
      said: said ?? null,
      name: profile?.profile?.name ?? null,
      userId,
      username: profile?.profile?.username ?? null,
      parentUserId: m.data.from_parent_user_id ?? profile?.parent_user_id ?? null,
      identityChange: changed
        ? {
            phone: digits(system?.wa_id ?? system?.new_wa_id) || null,
            userId: system?.user_id ?? null,
            parentUserId: system?.parent_user_id ?? null,
          }
        : null,
      raw,
      referral: referral ?? null,
    });
  }
  const statuses: StatusUpdate[] = [];
  for (const raw of v.statuses ?? []) {
    const s = Status.safeParse(raw);
    if (!s.success || !isObject(raw)) {
      dropped.push(isObject(raw) ? 'status without id/status' : 'status that is not an object');
      continue;
    }
    const errors = s.data.errors ?? [];
    statuses.push({
      wamid: s.data.id,
      status: s.data.status,
      occurredAtMs: at(s.data.timestamp),
      error: errors.length ? errors[0] : null,
      recipientId: s.data.recipient_id ?? null,
      recipientUserId: s.data.recipient_user_id ?? null,
      raw,
    });
  }
  return {
    ...base,
    kind: 'messages',
    phoneNumberId: v.metadata?.phone_number_id ?? '',
    messages,
    statuses,
    dropped,
  };
}
