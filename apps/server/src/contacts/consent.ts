import type {
  ConsentEvent,
  ConsentKind,
  ConsentLedger,
  ConsentSource,
  ConsentState,
  ContactSettings,
  ContactSettingsPatch,
  RecordConsentBody,
} from '@openwaba/contracts';
import { eq, type SQL, sql } from 'drizzle-orm';
import { type Actor, actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Database, Db, Tx } from '../db/client.ts';
import { contactSettings } from '../db/schema.ts';
import { type OnCommit, queryRows, transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { AppError, notFound } from '../lib/errors.ts';
import {
  DEFAULT_OPT_IN_KEYWORDS,
  DEFAULT_OPT_OUT_KEYWORDS,
  MAX_KEYWORD_LENGTH,
  matchConsentKeyword,
  normalizeKeyword,
} from './keywords.ts';
import type { Tombstones } from './tombstones.ts';

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

export type ConsentDecision = { allowed: true } | { allowed: false; reason: string };

const KEYWORD_CACHE_MS = 5000;

const stateOf = (kind: string | null | undefined): ConsentState =>
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

interface LedgerRow {
  id: string | number;
  contact_id: string | null;
  wa_id: string;
  kind: string;
  source: string;
  proof: string | null;
  actor_user_id: string | null;
  actor_email: string | null;
  message_id: string | null;
  created_at: string | Date;
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

/** SQL for "the latest ledger event of this contact" (`c` is the contacts alias), for lists and filters. */
export const latestConsentKind = (c: SQL) =>
  sql`(select e.kind from opt_in_events e where e.org_id = ${c}.org_id and e.wa_id = ${c}.wa_id order by e.id desc limit 1)`;

/**
 * The opt-in ledger and everything that reads or writes it: the consent rule every sender calls,
 * manual and keyword opt-ins and opt-outs, and the organisation's keyword settings.
 */
export function createConsentService(deps: {
  db: Db;
  database: Database;
  events: EventService;
  tombstones: Tombstones;
}) {
  const { db, database, events, tombstones } = deps;

  async function latest(tx: Db | Tx, orgId: string, waId: string) {
    const [row] = await queryRows<{ kind: string; source: string; created_at: string | Date }>(
      tx,
      sql`select kind, source, created_at from opt_in_events where org_id = ${orgId} and wa_id = ${waId}
          order by id desc limit 1`,
    );
    return row;
  }

  /** The consent of a contact (by id: NOT_FOUND if it is not the organisation's) or of a WhatsApp id. */
  async function statusOf(orgId: string, target: ConsentTarget, tx: Db | Tx = db): Promise<ConsentStatus> {
    let contactId: string | null;
    let waId: string;
    if ('contactId' in target) {
      const [c] = await queryRows<{ wa_id: string }>(
        tx,
        sql`select wa_id from contacts where org_id = ${orgId} and id = ${target.contactId}`,
      );
      if (!c) throw notFound('Contact');
      contactId = target.contactId;
      waId = c.wa_id;
    } else {
      waId = target.waId.replace(/^\+/, '');
      const [c] = await queryRows<{ id: string }>(
        tx,
        sql`select id from contacts where org_id = ${orgId} and wa_id = ${waId}`,
      );
      contactId = c?.id ?? null;
    }
    const row = await latest(tx, orgId, waId);
    // Nothing in the ledger: an erased contact's kept opt-out still applies to the phone.
    const kept = row ? undefined : (await tombstones.find(tx, orgId, [waId])).get(waId);
    if (kept) return { state: 'opted_out', source: kept.source, at: kept.optedOutAt, contactId, waId };
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
  async function assertCanMessage(
    orgId: string,
    target: ConsentTarget,
    opts: { businessInitiated: boolean; tx?: Db | Tx },
  ): Promise<ConsentStatus> {
    const status = await statusOf(orgId, target, opts.tx ?? db);
    const decision = decideConsent(status.state, opts);
    if (!decision.allowed) {
      throw new AppError('CONSENT_REQUIRED', `Cannot message +${status.waId}: ${decision.reason}`, {
        details: {
          contact_id: status.contactId,
          wa_id: status.waId,
          consent: { state: status.state, source: status.source, at: status.at },
          business_initiated: opts.businessInitiated,
        },
      });
    }
    return status;
  }

  /** Consent of many WhatsApp ids at once (campaign pre-flight); ids without events are `unknown`. */
  async function findStates(orgId: string, waIds: string[]): Promise<Map<string, ConsentState>> {
    const states = new Map<string, ConsentState>(waIds.map((w) => [w, 'unknown']));
    if (!waIds.length) return states;
    const rows = await database.query<{ wa_id: string; kind: string }>(
      `select distinct on (wa_id) wa_id, kind from opt_in_events
       where org_id = $1 and wa_id = any($2::text[]) order by wa_id, id desc`,
      [orgId, waIds],
    );
    for (const r of rows) states.set(r.wa_id, stateOf(r.kind));
    const unknown = [...states].filter(([, s]) => s === 'unknown').map(([w]) => w);
    for (const w of (await tombstones.find(db, orgId, unknown)).keys()) states.set(w, 'opted_out');
    return states;
  }

  /**
   * Appends one event in the caller's transaction, audited, published after commit. The contact row
   * is locked first, so concurrent changes of one contact are ordered and the latest id is the latest
   * change. An event for a message already recorded (a replay) is not recorded twice: undefined.
   */
  async function record(
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
    const [contact] = await queryRows<{ wa_id: string }>(
      tx,
      sql`select wa_id from contacts where org_id = ${actor.orgId} and id = ${e.contactId} for update`,
    );
    if (!contact) throw notFound('Contact');
    await tombstones.restore(tx, onCommit, actor.orgId, [contact.wa_id]);
    const [row] = await queryRows<LedgerRow>(
      tx,
      sql`insert into opt_in_events (org_id, contact_id, wa_id, kind, source, proof, actor_user_id, message_id)
          values (${actor.orgId}, ${e.contactId}, ${contact.wa_id}, ${e.kind}, ${e.source}, ${e.proof},
                  ${actor.userId ?? null}, ${e.messageId ?? null})
          on conflict (message_id) do nothing
          returning id, contact_id, wa_id, kind, source, proof, actor_user_id, null as actor_email, message_id, created_at`,
    );
    if (!row) return undefined;
    await recordAudit(tx, actor, {
      action: `contact.${e.kind}`,
      entityType: 'contact',
      entityId: e.contactId,
      after: { source: e.source, proof: e.proof, message_id: e.messageId ?? null, ledger_id: String(row.id) },
    });
    onCommit(() =>
      events.publish(actor.orgId, [
        {
          type: 'contact.consent_changed',
          data: { contact_id: e.contactId, state: stateOf(e.kind), source: e.source },
        },
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
  async function recordBulk(
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
    if (e.kind === 'opt_in' && (await tombstones.anyIn(tx, actor.orgId))) {
      // Erased contacts that came back keep their opt-out: written back first, the guard then holds.
      const fresh = await queryRows<{ wa_id: string }>(
        tx,
        sql`select c.wa_id from contacts c where c.org_id = ${actor.orgId} and (${e.where})
              and ${latestConsentKind(sql`c`)} is null`,
      );
      await tombstones.restore(
        tx,
        onCommit,
        actor.orgId,
        fresh.map((r) => r.wa_id),
      );
    }
    const rows = await queryRows<{ id: string }>(
      tx,
      sql`insert into opt_in_events (org_id, contact_id, wa_id, kind, source, proof, actor_user_id)
          select c.org_id, c.id, c.wa_id, ${e.kind}, ${e.source}, ${e.proof}, ${actor.userId ?? null}
          from contacts c where c.org_id = ${actor.orgId} and (${e.where}) ${guard}
          order by c.id
          returning id`,
    );
    if (!rows.length || e.report === false) return rows.length;
    await recordAudit(tx, actor, {
      action: `contact.bulk_${e.kind}`,
      entityType: 'contact',
      after: { source: e.source, proof: e.proof, count: rows.length },
    });
    onCommit(() =>
      events.publish(actor.orgId, [
        { type: 'contacts.bulk_updated', data: { action: e.kind, count: rows.length } },
      ]),
    );
    return rows.length;
  }

  /** An opt-in or opt-out a person (or a client system through the API) records for one contact. */
  async function recordManual(ctx: AuthContext, contactId: string, body: RecordConsentBody) {
    return transaction(db, async (tx, onCommit) => {
      const event = await record(tx, onCommit, actorOf(ctx), {
        contactId,
        kind: body.kind,
        source: body.source,
        proof: body.proof ?? null,
      });
      return event!;
    });
  }

  /** Every consent event of the contact's WhatsApp id, newest first, with its state now. */
  async function ledger(ctx: Pick<AuthContext, 'orgId'>, contactId: string): Promise<ConsentLedger> {
    const status = await statusOf(ctx.orgId, { contactId });
    const rows = await queryRows<LedgerRow>(
      db,
      sql`select e.id, e.contact_id, e.wa_id, e.kind, e.source, e.proof, e.actor_user_id, u.email as actor_email,
                 e.message_id, e.created_at
          from opt_in_events e left join users u on u.id = e.actor_user_id
          where e.org_id = ${ctx.orgId} and e.wa_id = ${status.waId} order by e.id desc limit 500`,
    );
    return { state: status.state, data: rows.map(toConsentEvent) };
  }

  async function settingsRow(tx: Db | Tx, orgId: string) {
    const [row] = await tx.select().from(contactSettings).where(eq(contactSettings.orgId, orgId));
    return row;
  }

  /**
   * Keyword lists by organisation, kept a few seconds: every short inbound text is checked against
   * them, and webhook processing should not pay a query per message for a setting that rarely
   * changes. A change made in this process applies at once; other processes see it within seconds.
   */
  const keywordCache = new Map<string, { at: number; optOut: string[] | null; optIn: string[] | null }>();
  async function keywordLists(tx: Db | Tx, orgId: string) {
    const hit = keywordCache.get(orgId);
    if (hit && performance.now() - hit.at < KEYWORD_CACHE_MS) return hit;
    const row = await settingsRow(tx, orgId);
    const lists = {
      at: performance.now(),
      optOut: row?.optOutKeywords ?? null,
      optIn: row?.optInKeywords ?? null,
    };
    keywordCache.set(orgId, lists);
    return lists;
  }

  async function getSettings(ctx: Pick<AuthContext, 'orgId'>): Promise<ContactSettings> {
    const row = await settingsRow(db, ctx.orgId);
    return {
      opt_out_keywords: row?.optOutKeywords ?? [...DEFAULT_OPT_OUT_KEYWORDS],
      opt_in_keywords: row?.optInKeywords ?? [...DEFAULT_OPT_IN_KEYWORDS],
      stop_confirmation_text: row?.stopConfirmationText ?? null,
    };
  }

  async function updateSettings(ctx: AuthContext, patch: ContactSettingsPatch): Promise<ContactSettings> {
    const before = await getSettings(ctx);
    const optOut = patch.opt_out_keywords;
    const optIn = patch.opt_in_keywords;
    const next: ContactSettings = {
      opt_out_keywords:
        optOut === undefined ? before.opt_out_keywords : (optOut ?? [...DEFAULT_OPT_OUT_KEYWORDS]),
      opt_in_keywords: optIn === undefined ? before.opt_in_keywords : (optIn ?? [...DEFAULT_OPT_IN_KEYWORDS]),
      stop_confirmation_text:
        patch.stop_confirmation_text === undefined
          ? before.stop_confirmation_text
          : patch.stop_confirmation_text || null,
    };
    const outs = new Set(next.opt_out_keywords.map(normalizeKeyword));
    const details = [
      ...[...(optOut ?? []), ...(optIn ?? [])]
        .filter((k) => !normalizeKeyword(k))
        .map((k) => ({ path: ['keywords'], message: `"${k}" has no letters or digits to match` })),
      ...next.opt_in_keywords
        .filter((k) => outs.has(normalizeKeyword(k)))
        .map((k) => ({ path: ['opt_in_keywords'], message: `"${k}" is also an opt-out keyword` })),
    ];
    if (details.length) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Invalid keywords: ${details.map((d) => d.message).join('; ')}`,
        { details },
      );
    }
    await transaction(db, async (tx) => {
      // null is stored as null: the built-in lists, including words added to them later.
      const values = {
        ...(optOut !== undefined ? { optOutKeywords: optOut } : {}),
        ...(optIn !== undefined ? { optInKeywords: optIn } : {}),
        ...(patch.stop_confirmation_text !== undefined
          ? { stopConfirmationText: next.stop_confirmation_text }
          : {}),
      };
      await tx
        .insert(contactSettings)
        .values({ orgId: ctx.orgId, ...values })
        .onConflictDoUpdate({ target: contactSettings.orgId, set: { ...values, updatedAt: new Date() } });
      await recordAudit(tx, actorOf(ctx), {
        action: 'contact_settings.update',
        entityType: 'contact_settings',
        entityId: ctx.orgId,
        before,
        after: next,
      });
    });
    keywordCache.delete(ctx.orgId);
    return getSettings(ctx);
  }

  /**
   * Reads an inbound text for a consent keyword (the whole message: "STOP", not "stop please") and
   * records it at once, in the transaction that stores the message: an opt-out (or opt-in) by the
   * customer, source `keyword`, the message text as proof, audited as the system. Nothing is
   * recorded when the contact is already in that state. Returns what was recorded.
   *
   * The confirmation reply (`stop_confirmation_text`) is the caller's to send (inbound, through the
   * outbound path).
   */
  async function applyKeyword(
    tx: Tx,
    onCommit: OnCommit,
    m: { orgId: string; contactId: string; waId: string; messageId: string; text: string },
  ): Promise<ConsentKind | null> {
    // Most messages are longer than any keyword: they cost no query.
    if (!m.text || m.text.length > MAX_KEYWORD_LENGTH * 4) return null;
    if (normalizeKeyword(m.text).length > MAX_KEYWORD_LENGTH) return null;
    const kind = matchConsentKeyword(m.text, await keywordLists(tx, m.orgId));
    if (!kind) return null;
    await tombstones.restore(tx, onCommit, m.orgId, [m.waId]);
    if ((await latest(tx, m.orgId, m.waId))?.kind === kind) return null;
    const recorded = await record(
      tx,
      onCommit,
      { orgId: m.orgId, actorType: 'system', label: 'inbound keyword' },
      {
        contactId: m.contactId,
        kind,
        source: 'keyword',
        proof: m.text.slice(0, 2000),
        messageId: m.messageId,
      },
    );
    return recorded ? kind : null;
  }

  /** The reply that confirms an opt-out, if the organisation set one. */
  async function stopConfirmationText(tx: Db | Tx, orgId: string): Promise<string | null> {
    return (await settingsRow(tx, orgId))?.stopConfirmationText ?? null;
  }

  return {
    statusOf,
    stopConfirmationText,
    assertCanMessage,
    findStates,
    record,
    recordBulk,
    recordManual,
    ledger,
    getSettings,
    updateSettings,
    applyKeyword,
  };
}
export type ConsentService = ReturnType<typeof createConsentService>;
