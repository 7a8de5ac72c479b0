import type { ConsentEvent, ConsentKind, ConsentSource, ConsentState } from '@openwaba/contracts';
import type { LedgerRow } from './repo.ts';

export type ConsentDecision = { allowed: true } | { allowed: false; reason: string };

/** A ledger event's kind as a state: no event is `unknown`, never consent. */
export const stateOf = (kind: string | null | undefined): ConsentState =>
  kind === 'opt_in' ? 'opted_in' : kind === 'opt_out' ? 'opted_out' : 'unknown';

/**
 * The consent rule (SPEC principle 2, F4), in one place:
 *
 * - **Opted out** (the latest ledger event is an opt-out: a STOP keyword, a person, the API): no
 *   message at all, business-initiated or a reply, until a later opt-in (the customer's START, or an
 *   opt-in a person records with proof). "STOP blocks every later send."
 * - **Business-initiated** (campaigns, API template sends, automations that start a conversation):
 *   only to a contact whose latest event is an opt-in. `unknown` (no event) is not consent.
 * - **A reply** to a customer who wrote in (`businessInitiated: false`): allowed unless opted out — the
 *   customer asked; consent to marketing is not needed to answer them. Whether the 24-hour window
 *   is still open (free-form inside, templates outside) is the send path's check, on the conversation.
 *
 * @example decideConsent('unknown', { businessInitiated: true }) // { allowed: false, reason: … }
 * @example decideConsent('unknown', { businessInitiated: false }) // { allowed: true }
 */
export function decideConsent(state: ConsentState, opts: { businessInitiated: boolean }): ConsentDecision {
  if (state === 'opted_out') {
    return {
      allowed: false,
      reason:
        'the contact opted out; nothing may be sent until they opt back in (START or a recorded opt-in)',
    };
  }
  if (opts.businessInitiated && state !== 'opted_in') {
    return {
      allowed: false,
      reason: 'no opt-in is recorded for the contact; business-initiated messages need one',
    };
  }
  return { allowed: true };
}

export function toConsentEvent(r: LedgerRow): ConsentEvent {
  return {
    id: String(r.id),
    contact_id: r.contact_id,
    wa_id: r.wa_id,
    kind: r.kind as ConsentKind,
    source: r.source as ConsentSource,
    proof: r.proof,
    actor_user_id: r.actor_user_id,
    actor_email: r.actor_email ?? null,
    message_id: r.message_id,
    created_at: new Date(r.created_at).toISOString(),
  };
}
