import type { OnCommit } from '../db/tx.ts';
import type { Log } from '../lib/log.ts';

/**
 * The moments one domain reacts to in another, with what a reaction needs to know. In process and
 * not stored: the events table (`./service.ts`) is what browsers and other processes see; these are
 * the seam between domains of one process. `reactions.ts` says who reacts to what.
 */
export interface DomainEventMap {
  /** A customer opted out by writing an opt-out keyword (STOP) to one of the organisation's numbers. */
  'consent.opted_out': { orgId: string; contactId: string; numberId: string };
  /**
   * A customer's new message was stored (never an echo, a history message or our own outbound;
   * a redelivered one is not new). `consent` is the change its STOP/START keyword made, if any.
   */
  'message.received': {
    orgId: string;
    numberId: string;
    contactId: string;
    conversationId: string;
    messageId: string;
    consent: 'opt_in' | 'opt_out' | null;
  };
  /** An organisation deleted one of its contact tags (its contacts lost it). */
  'tag.deleted': { orgId: string; tagId: string };
  /** An organisation changed the template categories its campaigns may use. */
  'org.campaign_policy_changed': { orgId: string };
  /**
   * A template can no longer be sent: quarantined here, or paused, disabled or rejected by Meta.
   * `why` is a sentence for a person.
   */
  'template.unusable': { orgId: string; templateId: string; why: string };
  /** A number's webhook credentials changed in this process (connected, edited, deleted). */
  'number.credentials_changed': { numberId: string };
  /** Meta refused a number's access token (190) on a send. */
  'number.token_refused': { orgId: string; numberId: string; message: string };
  /** Meta refused to send these campaigns' template (132001/132015/132016). */
  'campaign.template_refused': { orgId: string; campaignIds: string[]; message: string };
  /** The sender recorded outcomes of these campaigns' sends (sent, failed, reconciled). */
  'campaign.sends_recorded': { campaignIds: string[] };
  /**
   * A spend or message cap (the organisation's daily or monthly, or a campaign's) is 80 % used; once
   * per cap and period. `message` is a sentence for a person.
   */
  'billing.cap_near': { orgId: string; kind: string; message: string; campaignId: string | null };
  /** The sender woke up to look for due sends: the moment to put more work on the send queue. */
  'sender.woke': Record<string, never>;
}
export type DomainEventName = keyof DomainEventMap;

export type Reaction<N extends DomainEventName> = (payload: DomainEventMap[N]) => unknown;

/**
 * A typed, in-process dispatch of domain events to reactions, after the change commits.
 *
 * - `emit(onCommit, name, payload)` inside a transaction: the reactions run once it has committed
 *   (a rolled-back change reacts to nothing), and the transaction's caller waits for them, as for
 *   any after-commit hook (`db/tx.ts`).
 * - `emitCommitted(name, payload)` where the change is already committed (or was a single statement).
 *
 * Reactions run one after another in the order they were added, each in transactions of its own (a
 * reaction gets ids, never the emitter's transaction). A reaction that throws is logged and never
 * fails the emitter, nor the reactions after it.
 *
 * @example
 * await transaction(db, async (tx, onCommit) => {
 *   await quarantine(tx, template);
 *   domainEvents.emit(onCommit, 'template.unusable', { orgId, templateId, why });
 * });
 */
export function createDomainEvents(deps: { log: Log }) {
  const reactions = new Map<DomainEventName, { name: string; run: Reaction<never> }[]>();

  /** Adds a reaction; `name` (what it does) is how a failure of it is logged. */
  function on<N extends DomainEventName>(event: N, name: string, run: Reaction<N>) {
    const list = reactions.get(event) ?? [];
    list.push({ name, run: run as Reaction<never> });
    reactions.set(event, list);
  }

  async function emitCommitted<N extends DomainEventName>(event: N, payload: DomainEventMap[N]) {
    for (const r of reactions.get(event) ?? []) {
      try {
        await (r.run as Reaction<N>)(payload);
      } catch (err) {
        deps.log.error({ err, event, reaction: r.name }, 'a reaction failed');
      }
    }
  }

  function emit<N extends DomainEventName>(onCommit: OnCommit, event: N, payload: DomainEventMap[N]) {
    onCommit(() => emitCommitted(event, payload));
  }

  return { on, emit, emitCommitted };
}
export type DomainEvents = ReturnType<typeof createDomainEvents>;
/** What a domain needs to emit (reactions are added by the composition root only). */
export type DomainEventEmitter = Pick<DomainEvents, 'emit' | 'emitCommitted'>;
