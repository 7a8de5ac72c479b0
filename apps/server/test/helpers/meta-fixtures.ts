import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Meta webhook fixtures: `test/fixtures/meta/<name>.json`, one event per file, each a whole POST body
 * as Meta sends it (shapes from Meta's references and the pywa corpus in ../shared). A test loads one
 * and points it at its own number, customer and message ids; nothing else in the file changes.
 */
export const META_FIXTURES_DIR = fileURLToPath(new URL('../fixtures/meta/', import.meta.url));

/** Every fixture file, by name. */
export const META_FIXTURES = [
  'message-text',
  'message-text-stop',
  'message-image',
  'message-document',
  'message-button',
  'status-sent',
  'status-delivered',
  'status-read',
  'status-failed',
  'template-status-approved',
  'template-status-rejected',
  'template-category-update',
  'template-category-announcement',
  'template-quality-update',
  'phone-number-quality-update',
  'phone-number-quality-update-portfolio',
  'account-update-restriction',
  'account-update-violation',
  'user-preferences-stop',
] as const;

export type MetaFixtureName = (typeof META_FIXTURES)[number];

type Json = Record<string, unknown>;

export interface MetaChange {
  field: string;
  value: Json;
}

export interface MetaEnvelope {
  object: 'whatsapp_business_account';
  entry: { id: string; time?: number; changes: MetaChange[] }[];
}

export interface MetaFixtureOverrides {
  /** The WABA: `entry[].id`. */
  wabaId?: string;
  /** Our number: `metadata.phone_number_id`. */
  phoneNumberId?: string;
  /** Our number as Meta writes it (digits): `metadata.display_phone_number` (and a quality update's). */
  displayPhone?: string;
  /** The customer: `contacts[].wa_id`, `messages[].from`, `statuses[].recipient_id`, `user_preferences[].wa_id`. */
  waId?: string;
  /** The customer's profile name: `contacts[].profile.name`. */
  name?: string;
  /** The message id (`wamid.…`) of the first message or status. */
  wamid?: string;
  /**
   * Unix seconds of the event: message and status timestamps, `entry[].time` when the fixture has
   * one. Defaults to now: a fixture is an event that has just happened (a customer's message opens
   * the 24 h window).
   */
  timestamp?: number;
  /** Fields merged over the first message (`type` and its body, `context`, …). */
  message?: Json;
  /** One message per item, each the fixture's message with these fields merged over it. */
  messages?: Json[];
  /** Fields merged over the first status (`status`, `errors`, `biz_opaque_callback_data`, …). */
  status?: Json;
  /** One status per item, each the fixture's status with these fields merged over it. */
  statuses?: Json[];
  /** Fields merged over the change's `value` (template ids and names, account events, …). */
  value?: Json;
}

const cache = new Map<string, MetaEnvelope>();

/**
 * A fixture's POST body with `o` applied (a fresh copy each call).
 *
 * @example
 * const body = metaFixture('message-text', {
 *   wabaId: NUM.waba_id, phoneNumberId: NUM.phone_number_id, waId: '16505550001', wamid: 'wamid.A',
 *   message: { text: { body: 'Olá' } },
 * });
 */
export function metaFixture(name: MetaFixtureName, o: MetaFixtureOverrides = {}): MetaEnvelope {
  let base = cache.get(name);
  if (!base) {
    base = JSON.parse(readFileSync(`${META_FIXTURES_DIR}${name}.json`, 'utf8')) as MetaEnvelope;
    cache.set(name, base);
  }
  const body = structuredClone(base);
  const ts = o.timestamp ?? Math.floor(Date.now() / 1000);
  for (const entry of body.entry) {
    if (o.wabaId !== undefined) entry.id = o.wabaId;
    if (entry.time !== undefined) entry.time = ts;
    for (const change of entry.changes) change.value = applyToValue(change.value, o, ts);
  }
  return body;
}

/** The one change of a fixture, with `o` applied: to put several events in one envelope. */
export function metaChange(name: MetaFixtureName, o: MetaFixtureOverrides = {}): MetaChange {
  return metaFixture(name, o).entry[0]!.changes[0]!;
}

/**
 * A POST body carrying `changes` for one WABA, as Meta batches them (`time` only when given: Meta
 * sends it on account and template notices, not on messages).
 */
export function metaEnvelope(wabaId: string, changes: MetaChange[], time?: number): MetaEnvelope {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: wabaId, ...(time !== undefined ? { time } : {}), changes }],
  };
}

function applyToValue(value: Json, o: MetaFixtureOverrides, ts: number): Json {
  const v: Json = { ...value };
  const metadata = v.metadata as Json | undefined;
  if (metadata) {
    v.metadata = {
      ...metadata,
      ...(o.displayPhone !== undefined ? { display_phone_number: o.displayPhone } : {}),
      ...(o.phoneNumberId !== undefined ? { phone_number_id: o.phoneNumberId } : {}),
    };
  } else if (o.displayPhone !== undefined && typeof v.display_phone_number === 'string') {
    v.display_phone_number = o.displayPhone;
  }
  if (Array.isArray(v.contacts)) {
    v.contacts = (v.contacts as Json[]).map((c) => ({
      ...c,
      ...(o.name !== undefined ? { profile: { ...(c.profile as Json), name: o.name } } : {}),
      ...(o.waId !== undefined ? { wa_id: o.waId } : {}),
    }));
  }
  if (Array.isArray(v.messages)) {
    v.messages = items(v.messages as Json[], o.messages ?? (o.message ? [o.message] : undefined)).map(
      (m, i) => ({
        ...m,
        ...(o.waId !== undefined ? { from: o.waId } : {}),
        ...(o.wamid !== undefined && i === 0 ? { id: o.wamid } : {}),
        timestamp: String(ts),
        ...(o.messages?.[i] ?? (i === 0 ? o.message : undefined)),
      }),
    );
  }
  if (Array.isArray(v.statuses)) {
    v.statuses = items(v.statuses as Json[], o.statuses ?? (o.status ? [o.status] : undefined)).map(
      (s, i) => ({
        ...s,
        ...(o.waId !== undefined ? { recipient_id: o.waId } : {}),
        ...(o.wamid !== undefined && i === 0 ? { id: o.wamid } : {}),
        timestamp: String(ts),
        ...(o.statuses?.[i] ?? (i === 0 ? o.status : undefined)),
      }),
    );
  }
  if (Array.isArray(v.user_preferences)) {
    v.user_preferences = (v.user_preferences as Json[]).map((p) => ({
      ...p,
      ...(o.waId !== undefined ? { wa_id: o.waId } : {}),
      timestamp: ts,
    }));
  }
  return { ...v, ...o.value };
}

/** The fixture's items, repeated from its first one when the overrides list more. */
function items(from: Json[], overrides: Json[] | undefined): Json[] {
  if (!overrides) return from;
  return overrides.map((_, i) => from[i] ?? from[0]!);
}
