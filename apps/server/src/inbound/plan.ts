import type { numbers } from '../db/schema.ts';

export type NumberRow = typeof numbers.$inferSelect;
export type Json = Record<string, unknown>;

/** What processing did for one organisation (the part of an event it may see). */
export interface OrgResult {
  messages: number;
  /** Template and account notices recorded. */
  updates: number;
  duplicates: number;
  statuses: number;
  parked: number;
  skipped: string[];
  /** Numbers (or WABAs) of this organisation the event named but whose app did not sign it: not applied. */
  foreign: string[];
}

/** What processing did with one event: totals, and each organisation's part. */
export interface ProcessResult extends OrgResult {
  /** Numbers or WABAs nobody has connected. */
  unroutable: string[];
  orgs: Record<string, OrgResult>;
}

/** One stored event, read and routed: what processing it will write. */
export interface EventPlan {
  id: number;
  result: ProcessResult;
  /** Organisations the event is routed to or names (who may see and replay it). */
  orgIds: Set<string>;
  state: 'processed' | 'unparseable';
  error: string | null;
  /** `messages` changes routed to a number, in order. */
  changes: { number: NumberRow; value: Json }[];
  /** Account-level notices, each with the numbers (of the signing app) it concerns. */
  account: { index: number; field: string; wabaId: string; value: Json; targets: NumberRow[] }[];
}

/** The connected numbers, and whether a number's app secret has an event's signer fingerprint. */
export interface Routing {
  byPhoneId: Map<string, NumberRow>;
  byWaba: Map<string, NumberRow[]>;
  signs(n: NumberRow, signer: string | null): boolean;
}

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
]);

const emptyOrgResult = (): OrgResult => ({
  messages: 0,
  updates: 0,
  duplicates: 0,
  statuses: 0,
  parked: 0,
  skipped: [],
  foreign: [],
});

const orgResult = (plan: EventPlan, orgId: string) => {
  plan.result.orgs[orgId] ??= emptyOrgResult();
  return plan.result.orgs[orgId]!;
};

/** Counts an outcome for an organisation and in the event's totals. */
export function tally(
  plan: EventPlan,
  orgId: string,
  key: 'messages' | 'updates' | 'duplicates' | 'statuses' | 'parked',
) {
  plan.result[key]++;
  orgResult(plan, orgId)[key]++;
}

/** Notes a skipped or foreign change for the organisations it concerns (once in the totals). */
export function note(plan: EventPlan, orgIds: Iterable<string>, key: 'skipped' | 'foreign', what: string) {
  plan.result[key].push(what);
  for (const orgId of new Set(orgIds)) {
    orgResult(plan, orgId)[key].push(what);
    plan.orgIds.add(orgId);
  }
}

const digits = (s: string | null | undefined) => (s ?? '').replace(/\D+/g, '');

/** A UTF-16 surrogate without its other half: JSON may escape one, PostgreSQL's json refuses it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const clean = (s: string) => s.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');

/**
 * PostgreSQL refuses U+0000 and lone surrogates in text and jsonb: a customer's text or name carrying
 * one would fail the whole event on every retry. Meta sends them escaped (`\u0000`, `\ud800`); NUL is
 * dropped from every string and a lone surrogate becomes U+FFFD.
 */
function cleanStrings(v: unknown): unknown {
  if (typeof v === 'string') return clean(v);
  if (Array.isArray(v)) return v.map(cleanStrings);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [clean(k), cleanStrings(x)]));
  }
  return v;
}

/** The stored body as JSON, cleaned (most bodies have no escape to clean: parsed once, untouched). */
export function parseBody(raw: string): unknown {
  const parsed: unknown = JSON.parse(raw);
  return /\\u(0000|[dD][89a-fA-F])/.test(raw) ? cleanStrings(parsed) : parsed;
}

/**
 * When Meta says something happened (`timestamp`: Unix seconds, as a string), in ms. A value that is
 * not a time a date can hold (garbage, or far beyond year 275760) is taken as now, not thrown on.
 */
export function epochMsOf(timestamp: unknown): number {
  const ms = Number(timestamp ?? 0) * 1000;
  return Number.isFinite(ms) && ms > 0 && ms <= 8.64e15 ? ms : Date.now();
}

/**
 * The objects of a list in a webhook body: anything else (a list that is not one, `null` items, a
 * string) is left out, so an odd shape skips itself instead of failing its whole batch.
 */
export function objectsOf(v: unknown): Json[] {
  return Array.isArray(v)
    ? (v.filter((x) => x !== null && typeof x === 'object' && !Array.isArray(x)) as Json[])
    : [];
}

/**
 * Reads a stored event and routes each change: a `messages` change to the number its
 * `metadata.phone_number_id` names, an account-level notice to the numbers of the WABA `entry.id`
 * names (a quality update: the one with its display number) — and only to numbers whose app secret
 * signed the event (`signer`). A change naming numbers of another app is kept as foreign: stored,
 * never applied, shown to their organisation. Two organisations sharing one Meta app (an agency)
 * both receive what that app signs. An event stored without a signer routes nothing.
 */
export function planEvent(id: number, raw: string, signer: string | null, routing: Routing): EventPlan {
  const plan: EventPlan = {
    id,
    result: { ...emptyOrgResult(), unroutable: [], orgs: {} },
    orgIds: new Set(),
    state: 'processed',
    error: null,
    changes: [],
    account: [],
  };
  let payload: Json;
  try {
    payload = (parseBody(raw) ?? {}) as Json;
  } catch (err) {
    plan.state = 'unparseable';
    plan.error = clean((err as Error).message);
    return plan;
  }
  const entries = objectsOf(payload.entry);
  let changeIndex = 0;
  for (const entry of entries) {
    for (const change of objectsOf(entry.changes)) {
      const index = changeIndex++;
      const field = String(change?.field ?? '');
      const value = (change?.value && typeof change.value === 'object' ? change.value : {}) as Json;
      const wabaId = String(entry.id ?? '');
      if (field === 'messages') {
        const phoneId = String((value.metadata as Json | undefined)?.phone_number_id ?? '');
        const number = routing.byPhoneId.get(phoneId);
        if (!number) plan.result.unroutable.push(phoneId || wabaId || '?');
        else if (!routing.signs(number, signer)) note(plan, [number.orgId], 'foreign', phoneId);
        else {
          plan.orgIds.add(number.orgId);
          plan.changes.push({ number, value });
        }
        continue;
      }
      // Account-level notices name the WABA (and, for quality, the display number): every
      // organisation with a number of the signing app in that account is told.
      const display = digits(String(value.display_phone_number ?? ''));
      const inWaba = routing.byWaba.get(wabaId) ?? [];
      const named =
        field === 'phone_number_quality_update'
          ? inWaba.filter((n) => digits(n.displayPhoneNumber) === display)
          : inWaba;
      if (!named.length) {
        plan.result.unroutable.push((field === 'phone_number_quality_update' && display) || wabaId || '?');
        continue;
      }
      const targets = named.filter((n) => routing.signs(n, signer));
      if (!targets.length) {
        note(
          plan,
          named.map((n) => n.orgId),
          'foreign',
          field === 'phone_number_quality_update' ? display : wabaId,
        );
        continue;
      }
      if (!ACCOUNT_FIELDS.has(field)) {
        note(
          plan,
          targets.map((n) => n.orgId),
          'skipped',
          field,
        );
        continue;
      }
      for (const n of targets) plan.orgIds.add(n.orgId);
      plan.account.push({ index, field, wabaId, value, targets });
    }
  }
  return plan;
}
