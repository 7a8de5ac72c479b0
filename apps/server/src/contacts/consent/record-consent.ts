import type { ConsentEvent, ConsentKind, ConsentSource, RecordConsentBody } from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import { type Actor, actorOf, recordAudit } from '../../audit/service.ts';
import type { AuthContext } from '../../auth/context.ts';
import type { Tx } from '../../db/client.ts';
import { type OnCommit, transaction } from '../../db/tx.ts';
import { notFound } from '../../lib/errors.ts';
import type { ConsentDeps } from './deps.ts';
import {
  insertConsentEvent,
  insertConsentEvents,
  latestConsentKind,
  waIdOfContact,
  waIdsWithoutConsent,
} from './repo.ts';
import { stateOf, toConsentEvent } from './rule.ts';

/**
 * Appends one event in the caller's transaction, audited, published after commit. The contact row
 * is locked first, so concurrent changes of one contact are ordered and the latest id is the latest
 * change. An event for a message already recorded (a replay) is not recorded twice: undefined.
 */
export async function recordConsent(
  deps: Pick<ConsentDeps, 'events' | 'tombstones'>,
  tx: Tx,
  onCommit: OnCommit,
  actor: Actor,
  e: {
    contactId: string;
    kind: ConsentKind;
    source: ConsentSource;
    proof: string | null;
    messageId?: string;
  },
): Promise<ConsentEvent | undefined> {
  const waId = await waIdOfContact(tx, actor.orgId, e.contactId, { forUpdate: true });
  if (waId === undefined) throw notFound('Contact');
  await deps.tombstones.restore(tx, onCommit, actor.orgId, [waId]);
  const row = await insertConsentEvent(tx, actor.orgId, {
    contactId: e.contactId,
    waId,
    kind: e.kind,
    source: e.source,
    proof: e.proof,
    actorUserId: actor.userId ?? null,
    messageId: e.messageId ?? null,
  });
  if (!row) return undefined;
  await recordAudit(tx, actor, {
    action: `contact.${e.kind}`,
    entityType: 'contact',
    entityId: e.contactId,
    after: { source: e.source, proof: e.proof, message_id: e.messageId ?? null, ledger_id: String(row.id) },
  });
  onCommit(() =>
    deps.events.publish(actor.orgId, [
      {
        type: 'contact.consent_changed',
        data: { contact_id: e.contactId, state: stateOf(e.kind), source: e.source },
      },
      // The same moment under the names webhook subscribers ask for.
      e.kind === 'opt_in'
        ? { type: 'contact.opted_in', data: { contact_id: e.contactId, source: e.source } }
        : { type: 'contact.opted_out', data: { contact_id: e.contactId, source: e.source } },
    ]),
  );
  return toConsentEvent(row);
}

/**
 * The same for many contacts at once (imports): the contacts matching `where` (a condition on
 * the `contacts c` alias, already scoped to the organisation here). An opt-in never overrides an
 * opt-out on file — re-importing an old list must not undo a customer's STOP; a person can, one
 * contact at a time, with proof. Returns how many events were recorded.
 */
export async function recordConsentBulk(
  deps: Pick<ConsentDeps, 'events' | 'tombstones'>,
  tx: Tx,
  onCommit: OnCommit,
  actor: Actor,
  e: {
    where: SQL;
    kind: ConsentKind;
    source: ConsentSource;
    proof: string | null;
    /** false: the caller audits and announces the whole operation itself (an import, batch by batch). */
    report?: boolean;
  },
): Promise<number> {
  const guard =
    e.kind === 'opt_in' ? sql`and ${latestConsentKind(sql`c`)} is distinct from 'opt_out'` : sql``;
  if (e.kind === 'opt_in' && (await deps.tombstones.anyIn(tx, actor.orgId))) {
    // Erased contacts that came back keep their opt-out: written back first, the guard then holds.
    const fresh = await waIdsWithoutConsent(tx, actor.orgId, e.where);
    await deps.tombstones.restore(
      tx,
      onCommit,
      actor.orgId,
      fresh.map((r) => r.wa_id),
    );
  }
  const rows = await insertConsentEvents(tx, actor.orgId, {
    where: e.where,
    guard,
    kind: e.kind,
    source: e.source,
    proof: e.proof,
    actorUserId: actor.userId ?? null,
  });
  if (!rows.length || e.report === false) return rows.length;
  await recordAudit(tx, actor, {
    action: `contact.bulk_${e.kind}`,
    entityType: 'contact',
    after: { source: e.source, proof: e.proof, count: rows.length },
  });
  onCommit(() =>
    deps.events.publish(actor.orgId, [
      { type: 'contacts.bulk_updated', data: { action: e.kind, count: rows.length } },
    ]),
  );
  return rows.length;
}

/** An opt-in or opt-out a person (or a client system through the API) records for one contact. */
export async function recordManualConsent(
  deps: Pick<ConsentDeps, 'db' | 'events' | 'tombstones'>,
  ctx: AuthContext,
  contactId: string,
  body: RecordConsentBody,
) {
  return transaction(deps.db, async (tx, onCommit) => {
    const event = await recordConsent(deps, tx, onCommit, actorOf(ctx), {
      contactId,
      kind: body.kind,
      source: body.source,
      proof: body.proof ?? null,
    });
    return event!;
  });
}
