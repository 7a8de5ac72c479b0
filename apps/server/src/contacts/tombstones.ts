import { createHmac, hkdfSync } from 'node:crypto';
import type { ConsentSource } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import { recordAudit } from '../audit/service.ts';
import type { Db, Tx } from '../db/client.ts';
import { type OnCommit, queryRows } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';

/**
 * Hashes a phone (its E.164 digits) for a consent tombstone: an HMAC under a key derived from
 * APP_SECRET, so the table alone gives no phone back (a plain hash of a phone is brute-forced in
 * minutes). Previous secrets (APP_SECRET_PREVIOUS) still find tombstones written before a rotation.
 */
export function createPhoneHasher(current: string, previous: string[] = []) {
  const keys = [current, ...previous].map((s) =>
    Buffer.from(hkdfSync('sha256', s, 'openwaba', 'consent-tombstone-v1', 32)),
  );
  const hmac = (key: Buffer, waId: string) => createHmac('sha256', key).update(waId).digest('hex');
  return {
    /** The hash a new tombstone is written under. */
    hash: (waId: string) => hmac(keys[0]!, waId),
    /** Every hash the phone may be stored under (one per known secret). */
    candidates: (waId: string) => keys.map((k) => hmac(k, waId)),
  };
}
export type PhoneHasher = ReturnType<typeof createPhoneHasher>;

/** What is kept of an erased contact's opt-out. */
export interface Tombstone {
  optedOutAt: string;
  source: ConsentSource;
  proof: string | null;
}

/** The opt-out's proof without the phone it was about (a person may have typed it into a note). */
export function scrubPhone(text: string | null, waId: string): string | null {
  if (text === null) return null;
  return text.replace(/\+?\d[\d ().-]*\d/g, (run) => {
    const digits = run.replace(/\D/g, '');
    return digits.length >= 6 && (waId.endsWith(digits) || digits.includes(waId)) ? '[phone]' : run;
  });
}

/**
 * Consent tombstones (GDPR erasure): an erased contact's opt-out, kept under a hashed phone. A phone
 * that comes back (an import, the API, an inbound message) finds it and stays opted out: the
 * consent service reads it wherever the ledger has nothing for the phone, and writes it back into
 * the ledger as an opt-out when a contact of that phone gains consent.
 */
export function createTombstones(deps: { hasher: PhoneHasher; events: EventService }) {
  const { hasher, events } = deps;

  /** One primary-key probe: most organisations never erased anyone, and pay nothing more. */
  async function anyIn(tx: Db | Tx, orgId: string) {
    const [r] = await queryRows<{ any: boolean }>(
      tx,
      sql`select exists (select 1 from consent_tombstones where org_id = ${orgId}) as any`,
    );
    return Boolean(r?.any);
  }

  /** The tombstones of these WhatsApp ids, by WhatsApp id. */
  async function find(tx: Db | Tx, orgId: string, waIds: string[]): Promise<Map<string, Tombstone>> {
    const found = new Map<string, Tombstone>();
    if (!waIds.length || !(await anyIn(tx, orgId))) return found;
    const byHash = new Map<string, string>();
    for (const w of new Set(waIds)) for (const h of hasher.candidates(w)) byHash.set(h, w);
    const rows = await queryRows<{ phone_hash: string; opted_out_at: string | Date; proof: unknown }>(
      tx,
      sql`select phone_hash, opted_out_at, proof from consent_tombstones
          where org_id = ${orgId} and phone_hash = any(${sql.param([...byHash.keys()])}::text[])`,
    );
    for (const r of rows) {
      const p = (r.proof ?? {}) as { source?: ConsentSource; proof?: string | null };
      found.set(byHash.get(r.phone_hash)!, {
        optedOutAt: new Date(r.opted_out_at).toISOString(),
        source: p.source ?? 'manual',
        proof: p.proof ?? null,
      });
    }
    return found;
  }

  /**
   * Inside a transaction where contacts (may) gain consent: the kept opt-outs of these WhatsApp ids
   * go back into the ledger as opt-outs — only where the ledger has nothing for the phone (its own
   * later history wins) — so the phone stays opted out, and an opt-in in the same step finds an
   * opt-out on file. Audited as the system; returns the WhatsApp ids restored.
   */
  async function restore(tx: Tx, onCommit: OnCommit, orgId: string, waIds: string[]) {
    const found = await find(tx, orgId, waIds);
    if (!found.size) return new Set<string>();
    const list = [...found];
    const proofOf = (t: Tombstone) =>
      `Opted out on ${t.optedOutAt.slice(0, 10)} (${t.source}${t.proof ? `: ${t.proof}` : ''}); kept when the contact was erased`.slice(
        0,
        2000,
      );
    const restored = await queryRows<{ contact_id: string | null; wa_id: string }>(
      tx,
      sql`insert into opt_in_events (org_id, contact_id, wa_id, kind, source, proof)
          select ${orgId}, c.id, u.w, 'opt_out', u.s, u.p
            from unnest(${sql.param(list.map(([w]) => w))}::text[], ${sql.param(list.map(([, t]) => t.source))}::text[],
                        ${sql.param(list.map(([, t]) => proofOf(t)))}::text[]) as u(w, s, p)
            left join contacts c on c.org_id = ${orgId} and c.wa_id = u.w
           where not exists (select 1 from opt_in_events e where e.org_id = ${orgId} and e.wa_id = u.w)
          order by u.w
          returning contact_id, wa_id`,
    );
    if (!restored.length) return new Set<string>();
    const contactIds = restored.flatMap((r) => (r.contact_id ? [r.contact_id] : []));
    // No phone in the audit row: the contact ids say who came back.
    await recordAudit(
      tx,
      { orgId, actorType: 'system', label: 'erased contact returned' },
      {
        action: 'contact.opt_out_restored',
        entityType: 'contact',
        ...(contactIds.length === 1 ? { entityId: contactIds[0] } : {}),
        after: { count: restored.length, contact_ids: contactIds.slice(0, 1000) },
      },
    );
    onCommit(() =>
      events.publish(
        orgId,
        contactIds.length > 20
          ? [{ type: 'contacts.bulk_updated', data: { action: 'opt_out', count: contactIds.length } }]
          : contactIds.flatMap((id) => [
              {
                type: 'contact.consent_changed' as const,
                data: { contact_id: id, state: 'opted_out' as const, source: 'kept' },
              },
              { type: 'contact.opted_out' as const, data: { contact_id: id, source: 'kept' } },
            ]),
      ),
    );
    return new Set(restored.map((r) => r.wa_id));
  }

  /** Keeps (or replaces) the opt-out of a phone being erased. */
  async function keep(tx: Tx, orgId: string, waId: string, optOut: Tombstone) {
    await forget(tx, orgId, waId);
    await tx.execute(
      sql`insert into consent_tombstones (org_id, phone_hash, opted_out_at, proof)
          values (${orgId}, ${hasher.hash(waId)}, ${optOut.optedOutAt}::timestamptz,
                  ${JSON.stringify({ kind: 'opt_out', source: optOut.source, proof: scrubPhone(optOut.proof, waId) })}::jsonb)`,
    );
  }

  /** Drops a phone's tombstone (its latest choice, when erased again, was not an opt-out). */
  async function forget(tx: Tx, orgId: string, waId: string) {
    await tx.execute(
      sql`delete from consent_tombstones
          where org_id = ${orgId} and phone_hash = any(${sql.param(hasher.candidates(waId))}::text[])`,
    );
  }

  return { anyIn, find, restore, keep, forget };
}
export type Tombstones = ReturnType<typeof createTombstones>;
