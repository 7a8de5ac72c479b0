import type { numbers } from '../db/schema.ts';
import { cleanText, parseBody } from './body.ts';
import { type AccountChange, type CoexistenceChange, type MessagesChange, normalize } from './normalize.ts';

export type NumberRow = typeof numbers.$inferSelect;

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
  changes: { number: NumberRow; change: MessagesChange }[];
  /** Coexistence changes (app echoes, history, app contacts) routed to a number, in order. */
  coexistence: { number: NumberRow; change: CoexistenceChange }[];
  /** Account-level notices, each with the numbers (of the signing app) it concerns. */
  account: { change: AccountChange; targets: NumberRow[] }[];
}

/** The connected numbers, and whether a number's app secret has an event's signer fingerprint. */
export interface Routing {
  byPhoneId: Map<string, NumberRow>;
  byWaba: Map<string, NumberRow[]>;
  signs(n: NumberRow, signer: string | null): boolean;
}

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
    coexistence: [],
    account: [],
  };
  let body: unknown;
  try {
    body = parseBody(raw);
  } catch (err) {
    plan.state = 'unparseable';
    plan.error = cleanText((err as Error).message);
    return plan;
  }
  for (const change of normalize(body).changes) {
    if (change.kind === 'messages' || change.kind === 'coexistence') {
      const { phoneNumberId } = change;
      const number = routing.byPhoneId.get(phoneNumberId);
      if (!number) plan.result.unroutable.push(phoneNumberId || change.wabaId || '?');
      else if (!routing.signs(number, signer)) note(plan, [number.orgId], 'foreign', phoneNumberId);
      else {
        plan.orgIds.add(number.orgId);
        if (change.kind === 'messages') plan.changes.push({ number, change });
        else plan.coexistence.push({ number, change });
        for (const why of change.dropped) note(plan, [number.orgId], 'skipped', why);
      }
      continue;
    }
    // Account-level notices name the WABA (and, for quality, the display number): every
    // organisation with a number of the signing app in that account is told.
    const { wabaId } = change;
    const display =
      change.kind === 'account' && change.update.field === 'phone_number_quality_update'
        ? change.update.displayPhone
        : null;
    // A marketing preference names its number by id (`metadata.phone_number_id`).
    const phoneId =
      change.kind === 'account' && change.update.field === 'user_preferences'
        ? change.update.phoneNumberId
        : null;
    const inWaba = routing.byWaba.get(wabaId) ?? [];
    const named =
      phoneId !== null
        ? inWaba.filter((n) => n.phoneNumberId === phoneId)
        : display === null
          ? inWaba
          : inWaba.filter((n) => digits(n.displayPhoneNumber) === display);
    if (!named.length) {
      plan.result.unroutable.push(phoneId || display || wabaId || '?');
      continue;
    }
    const targets = named.filter((n) => routing.signs(n, signer));
    if (!targets.length) {
      note(
        plan,
        named.map((n) => n.orgId),
        'foreign',
        display ?? wabaId,
      );
      continue;
    }
    if (change.kind === 'unknown') {
      note(
        plan,
        targets.map((n) => n.orgId),
        'skipped',
        change.field,
      );
      continue;
    }
    for (const n of targets) plan.orgIds.add(n.orgId);
    plan.account.push({ change, targets });
  }
  return plan;
}

const digits = (s: string | null | undefined) => (s ?? '').replace(/\D+/g, '');
