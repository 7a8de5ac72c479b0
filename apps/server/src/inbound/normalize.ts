import { z } from 'zod';
import { isBsuid } from '../lib/address.ts';
import { epochMsOf, isObject, type Json } from './body.ts';

/**
 * A webhook body as what it asks for: every change of every entry, typed, in order. Pure (no
 * database, no routing): the router (`plan.ts`) decides which numbers a change concerns.
 *
 * Meta's shapes are read with zod loose objects: fields we do not know pass through untouched (the
 * raw message is what we store), an optional field of the wrong type reads as absent, and an item
 * that lacks what it cannot do without (a message without `from`/`id`) is dropped with a reason —
 * never the whole body. Unknown change kinds are kept (the body is stored raw) and skipped.
 */

/** Account-level webhook fields that are recorded and published (others are stored raw and skipped). */
export const ACCOUNT_FIELDS = new Set([
  'message_template_status_update',
  'template_category_update',
  'message_template_quality_update',
  'message_template_components_update',
  'phone_number_quality_update',
  'phone_number_name_update',
  'account_update',
  'business_capability_update',
  'user_preferences',
] as const);
export type AccountField = typeof ACCOUNT_FIELDS extends Set<infer F> ? F : never;
const isAccountField = (f: string): f is AccountField => ACCOUNT_FIELDS.has(f as AccountField);

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

interface ChangeBase {
  /** The change's place among the body's changes: with the event id, what makes a notice unique. */
  index: number;
  /** The WABA: `entry[].id`. */
  wabaId: string;
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

/** The fields of a template notice the product reads (Meta may send ids as numbers: read as text). */
export interface TemplateRef {
  id: string | null;
  name: string | null;
  language: string | null;
}

/** An account-level notice, typed by its field; `value` is kept whole (recorded, and the templates domain reads it). */
export type AccountUpdate =
  | {
      field: 'phone_number_quality_update';
      displayPhone: string;
      event: string | null;
      currentLimit: string | null;
      /** The business portfolio's limit (`max_daily_conversations_per_business`), as Meta sent it. */
      businessLimit: string | number | null;
    }
  | { field: 'business_capability_update'; businessLimit: string | number | null }
  | {
      field: 'user_preferences';
      /** `metadata.phone_number_id`: the number the customer stopped or resumed. */
      phoneNumberId: string;
      preferences: MarketingPreference[];
    }
  | { field: 'account_update'; event: string | null; currentLimit: string | null }
  | {
      field: 'message_template_status_update';
      template: TemplateRef;
      event: string | null;
      reason: string | null;
    }
  | {
      field: 'template_category_update';
      template: TemplateRef;
      previousCategory: string | null;
      newCategory: string | null;
      correctCategory: string | null;
    }
  | {
      field: 'message_template_quality_update';
      template: TemplateRef;
      previousQuality: string | null;
      newQuality: string | null;
    }
  | {
      field: 'message_template_components_update' | 'phone_number_name_update';
    };

/** A customer's stop or resume of marketing messages (`user_preferences`, category `marketing_messages`). */
export interface MarketingPreference {
  waId: string;
  value: 'stop' | 'resume';
  detail: string | null;
  occurredAtMs: number;
  name: string | null;
}

export interface AccountChange extends ChangeBase {
  kind: 'account';
  update: AccountUpdate;
  value: Json;
}

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

/** An id or name Meta writes as a string; a number is read as its digits. */
const Text = z.union([z.string(), z.number().transform(String)]);
/** Present and not empty: what an item cannot do without. */
const Required = z.union([z.string().min(1), z.number().transform(String)]);
/** A field read only when it has the right type: anything else is absent, never an error. */
const opt = <T extends z.ZodType>(s: T) => s.optional().catch(undefined);

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

const Profile = z.looseObject({
  wa_id: opt(Text),
  profile: opt(z.looseObject({ name: opt(z.string()), username: opt(z.string().min(1)) })),
  user_id: opt(z.string().min(1)),
  parent_user_id: opt(z.string().min(1)),
});

const MessagesValue = z.looseObject({
  metadata: opt(z.looseObject({ phone_number_id: opt(Text) })),
  contacts: opt(z.array(z.unknown())),
  messages: opt(z.array(z.unknown())),
  statuses: opt(z.array(z.unknown())),
});

/** Text fields of notices: a string (empty reads as absent) or a number. */
const Str = opt(Text).transform((v) => v || null);

const TemplateFields = {
  message_template_id: Str,
  message_template_name: Str,
  message_template_language: Str,
};

const Limit = opt(z.union([z.string(), z.number()]));

const NOTICES = {
  phone_number_quality_update: z.looseObject({
    display_phone_number: Str,
    event: Str,
    current_limit: Str,
    max_daily_conversations_per_business: Limit,
  }),
  business_capability_update: z.looseObject({ max_daily_conversations_per_business: Limit }),
  user_preferences: z.looseObject({
    metadata: opt(z.looseObject({ phone_number_id: opt(Text) })),
    contacts: opt(z.array(z.unknown())),
    user_preferences: opt(z.array(z.unknown())),
  }),
  account_update: z.looseObject({ event: Str, current_limit: Str }),
  message_template_status_update: z.looseObject({ ...TemplateFields, event: Str, reason: Str }),
  template_category_update: z.looseObject({
    ...TemplateFields,
    previous_category: Str,
    new_category: Str,
    correct_category: Str,
  }),
  message_template_quality_update: z.looseObject({
    ...TemplateFields,
    previous_quality_score: Str,
    new_quality_score: Str,
  }),
};

const Entry = z.looseObject({ id: opt(Text), changes: opt(z.array(z.unknown())) });
const Change = z.looseObject({ field: opt(Text), value: z.unknown().optional() });
const Body = z.looseObject({ entry: opt(z.array(z.unknown())) });

const digits = (s: string | null | undefined) => (s ?? '').replace(/\D+/g, '');
/** A phone number's digits; '' for anything else (a business-scoped user id such as `US.1349…`). */
const phoneOf = (s: string | null | undefined) => (/^\+?[\d\s()-]+$/.test(s ?? '') ? digits(s) : '');

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

const Echo = z.looseObject({
  to: opt(Text),
  to_user_id: opt(z.string().min(1)),
  id: Required,
  type: opt(z.string()),
  timestamp: z.unknown().optional(),
});
const HistoryMessage = z.looseObject({
  from: opt(Text),
  to: opt(Text),
  id: Required,
  type: opt(z.string()),
  timestamp: z.unknown().optional(),
  history_context: opt(z.looseObject({ status: opt(z.string()) })),
});
const HistoryThread = z.looseObject({
  id: Required,
  user_id: opt(z.string().min(1)),
  messages: opt(z.array(z.unknown())),
});
const StateSync = z.looseObject({
  type: opt(z.string()),
  action: opt(z.string()),
  contact: opt(
    z.looseObject({ phone_number: opt(Text), full_name: opt(z.string()), first_name: opt(z.string()) }),
  ),
});
const CoexistenceValue = z.looseObject({
  metadata: opt(z.looseObject({ phone_number_id: opt(Text), display_phone_number: opt(Text) })),
  contacts: opt(z.array(z.unknown())),
  message_echoes: opt(z.array(z.unknown())),
  history: opt(z.array(z.looseObject({ threads: opt(z.array(z.unknown())) }))),
  state_sync: opt(z.array(z.unknown())),
});

function coexistenceChange(
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
  const names = new Map<string, string>();
  for (const raw of v.contacts ?? []) {
    const p = Profile.safeParse(raw);
    if (!p.success || !p.data.profile?.name) continue;
    if (p.data.wa_id) names.set(p.data.wa_id, p.data.profile.name);
    if (p.data.user_id) names.set(p.data.user_id, p.data.profile.name);
  }
  for (const raw of v.message_echoes ?? []) {
    const e = Echo.safeParse(raw);
    if (!e.success || !isObject(raw)) {
      change.dropped.push('echo without id');
      continue;
    }
    const phone = phoneOf(e.data.to) || null;
    const userId = [e.data.to_user_id, e.data.to].find((x) => isBsuid(x)) ?? null;
    const customer = phone ?? userId;
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
      const phone = phoneOf(t.data.id) || null;
      const userId = [t.data.user_id, t.data.id].find((x) => isBsuid(x)) ?? null;
      const customer = phone ?? userId;
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

const Preference = z.looseObject({
  wa_id: Text,
  category: opt(Text),
  value: opt(Text),
  detail: opt(Text),
  timestamp: z.unknown().optional(),
});

/** The marketing stops and resumes of a `user_preferences` change (other categories are left out). */
function preferencesOf(v: z.infer<(typeof NOTICES)['user_preferences']>): AccountUpdate {
  const names = new Map<string, string>();
  for (const raw of v.contacts ?? []) {
    const p = Profile.safeParse(raw);
    if (p.success && p.data.wa_id && p.data.profile?.name) names.set(p.data.wa_id, p.data.profile.name);
  }
  const preferences: MarketingPreference[] = [];
  for (const raw of v.user_preferences ?? []) {
    const p = Preference.safeParse(raw);
    if (!p.success || p.data.category !== 'marketing_messages') continue;
    if (p.data.value !== 'stop' && p.data.value !== 'resume') continue;
    preferences.push({
      waId: p.data.wa_id,
      value: p.data.value,
      detail: p.data.detail ?? null,
      occurredAtMs: epochMsOf(p.data.timestamp, Date.now()),
      name: names.get(p.data.wa_id) ?? null,
    });
  }
  return { field: 'user_preferences', phoneNumberId: v.metadata?.phone_number_id ?? '', preferences };
}

function noticeOf(field: AccountField, value: Json): AccountUpdate {
  const templateOf = (v: {
    message_template_id: string | null;
    message_template_name: string | null;
    message_template_language: string | null;
  }): TemplateRef => ({
    id: v.message_template_id,
    name: v.message_template_name,
    language: v.message_template_language,
  });
  switch (field) {
    case 'phone_number_quality_update': {
      const v = NOTICES[field].parse(value);
      return {
        field,
        displayPhone: digits(v.display_phone_number),
        event: v.event,
        currentLimit: v.current_limit,
        businessLimit: v.max_daily_conversations_per_business ?? null,
      };
    }
    case 'business_capability_update': {
      const v = NOTICES[field].parse(value);
      return { field, businessLimit: v.max_daily_conversations_per_business ?? null };
    }
    case 'user_preferences':
      return preferencesOf(NOTICES[field].parse(value));
    case 'account_update': {
      const v = NOTICES[field].parse(value);
      return { field, event: v.event, currentLimit: v.current_limit };
    }
    case 'message_template_status_update': {
      const v = NOTICES[field].parse(value);
      return { field, template: templateOf(v), event: v.event, reason: v.reason };
    }
    case 'template_category_update': {
      const v = NOTICES[field].parse(value);
      return {
        field,
        template: templateOf(v),
        previousCategory: v.previous_category,
        newCategory: v.new_category,
        correctCategory: v.correct_category,
      };
    }
    case 'message_template_quality_update': {
      const v = NOTICES[field].parse(value);
      return {
        field,
        template: templateOf(v),
        previousQuality: v.previous_quality_score,
        newQuality: v.new_quality_score,
      };
    }
    default:
      return { field };
  }
}
