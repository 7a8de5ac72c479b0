import type { ConsentLedger, ConsentSource, ConsentState } from '@openwaba/contracts';
import type { AuthContext } from '../../auth/context.ts';
import type { Db, Tx } from '../../db/client.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import type { ConsentDeps } from './deps.ts';
import { marketingHistory } from './marketing-preference.ts';
import {
  contactIdOfWaId,
  latestConsentEvent,
  latestConsentEvents,
  latestConsentKinds,
  ledgerOf,
  waIdOfContact,
} from './repo.ts';
import { decideConsent, stateOf, toConsentEvent } from './rule.ts';

/** A contact's (or a bare WhatsApp id's) consent now, from the ledger. */
export interface ConsentStatus {
  state: ConsentState;
  source: ConsentSource | null;
  at: string | null;
  /** Null when no contact has this WhatsApp id (yet). */
  contactId: string | null;
  waId: string;
}

export type ConsentTarget = { contactId: string } | { waId: string };

/** The consent of a contact (by id: NOT_FOUND if it is not the organisation's) or of a WhatsApp id. */
export async function statusOf(
  deps: Pick<ConsentDeps, 'db' | 'tombstones'>,
  orgId: string,
  target: ConsentTarget,
  tx: Db | Tx = deps.db,
): Promise<ConsentStatus> {
  let contactId: string | null;
  let waId: string;
  if ('contactId' in target) {
    const found = await waIdOfContact(tx, orgId, target.contactId);
    if (found === undefined) throw notFound('Contact');
    contactId = target.contactId;
    waId = found;
  } else {
    waId = target.waId.replace(/^\+/, '');
    contactId = (await contactIdOfWaId(tx, orgId, waId)) ?? null;
  }
  const row = await latestConsentEvent(tx, orgId, waId);
  const kept = row ? undefined : (await deps.tombstones.find(tx, orgId, [waId])).get(waId);
  return statusFrom(row, kept, contactId, waId);
}

/**
 * The status from the ledger's latest event; with nothing in the ledger, an erased contact's kept
 * opt-out still applies to the phone.
 */
function statusFrom(
  row: { kind: string; source: string; created_at: string | Date } | undefined,
  kept: { source: ConsentSource; optedOutAt: string } | undefined,
  contactId: string | null,
  waId: string,
): ConsentStatus {
  if (!row && kept) return { state: 'opted_out', source: kept.source, at: kept.optedOutAt, contactId, waId };
  return {
    state: stateOf(row?.kind),
    source: (row?.source as ConsentSource | undefined) ?? null,
    at: row ? new Date(row.created_at).toISOString() : null,
    contactId,
    waId,
  };
}

/**
 * The one check every sender (campaigns, API sends, automations, AI replies, the inbox) makes
 * before a message leaves; the rule is `decideConsent`'s. Throws CONSENT_REQUIRED (409) with the
 * state in `details`; returns the status when the message may go.
 *
 * @example
 * await consent.assertCanMessage(orgId, { contactId }, { businessInitiated: true });
 * await consent.assertCanMessage(orgId, { waId: '14155550123' }, { businessInitiated: false });
 */
export async function assertCanMessage(
  deps: Pick<ConsentDeps, 'db' | 'tombstones'>,
  orgId: string,
  target: ConsentTarget,
  opts: { businessInitiated: boolean; tx?: Db | Tx },
): Promise<ConsentStatus> {
  const status = await statusOf(deps, orgId, target, opts.tx ?? deps.db);
  const refused = refusal(status, opts.businessInitiated);
  if (refused) throw refused;
  return status;
}

/** CONSENT_REQUIRED (409) with the state in `details` when the rule refuses the message; null when it may go. */
function refusal(status: ConsentStatus, businessInitiated: boolean): AppError | null {
  const decision = decideConsent(status.state, { businessInitiated });
  if (decision.allowed) return null;
  return new AppError('CONSENT_REQUIRED', `Cannot message +${status.waId}: ${decision.reason}`, {
    details: {
      contact_id: status.contactId,
      wa_id: status.waId,
      consent: { state: status.state, source: status.source, at: status.at },
      business_initiated: businessInitiated,
    },
  });
}

/**
 * `assertCanMessage` for many known contacts at once, in the sender's transaction (the bulk send
 * path): one statement (and one more for kept opt-outs, where the organisation has any). Per item,
 * the same refusal the single check throws, or null when the message may go.
 */
export async function checkCanMessageMany(
  deps: Pick<ConsentDeps, 'tombstones'>,
  tx: Db | Tx,
  orgId: string,
  items: { contactId: string; waId: string; businessInitiated: boolean }[],
): Promise<(AppError | null)[]> {
  const waIds = [...new Set(items.map((i) => i.waId))];
  if (!items.length) return [];
  const found = await latestConsentEvents(tx, orgId, waIds);
  const latest = new Map(found.latest.map((r) => [r.wa_id, r]));
  const unheard = waIds.filter((w) => !latest.has(w));
  const kept =
    found.anyKept && unheard.length
      ? await deps.tombstones.find(tx, orgId, unheard)
      : new Map<string, { source: ConsentSource; optedOutAt: string }>();
  return items.map((i) =>
    refusal(statusFrom(latest.get(i.waId), kept.get(i.waId), i.contactId, i.waId), i.businessInitiated),
  );
}

/** Consent of many WhatsApp ids at once (campaign pre-flight); ids without events are `unknown`. */
export async function findStates(
  deps: Pick<ConsentDeps, 'db' | 'database' | 'tombstones'>,
  orgId: string,
  waIds: string[],
): Promise<Map<string, ConsentState>> {
  const states = new Map<string, ConsentState>(waIds.map((w) => [w, 'unknown']));
  if (!waIds.length) return states;
  for (const r of await latestConsentKinds(deps.database, orgId, waIds)) states.set(r.wa_id, stateOf(r.kind));
  const unknown = [...states].filter(([, s]) => s === 'unknown').map(([w]) => w);
  for (const w of (await deps.tombstones.find(deps.db, orgId, unknown)).keys()) states.set(w, 'opted_out');
  return states;
}

/** Every consent event of the contact's WhatsApp id, newest first, with its state now. */
export async function consentLedger(
  deps: Pick<ConsentDeps, 'db' | 'tombstones'>,
  ctx: Pick<AuthContext, 'orgId'>,
  contactId: string,
): Promise<ConsentLedger> {
  const status = await statusOf(deps, ctx.orgId, { contactId });
  const rows = await ledgerOf(deps.db, ctx.orgId, status.waId);
  const marketing = await marketingHistory(deps.db, ctx.orgId, status.waId);
  return { state: status.state, data: rows.map(toConsentEvent), marketing };
}
