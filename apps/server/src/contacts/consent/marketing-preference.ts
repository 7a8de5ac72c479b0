import type { ConsentLedger } from '@openwaba/contracts';
import type { Db, Tx } from '../../db/client.ts';
import type { OnCommit } from '../../db/tx.ts';
import { AppError } from '../../lib/errors.ts';
import type { ConsentDeps } from './deps.ts';
import { insertMarketingPreferences, isMarketingStopped, marketingPreferencesOf } from './repo.ts';

/**
 * Marketing preferences: a customer can stop (and resume) marketing messages from one number in
 * WhatsApp ("Offers and announcements"); Meta tells us with a `user_preferences` webhook. Recorded
 * per customer and number in an append-only ledger beside the opt-in ledger; a stop refuses
 * MARKETING templates from that number (Meta would fail them with 131050) and nothing else: utility,
 * authentication and service messages still go, and the opt-in state is untouched.
 */

/** Why a MARKETING template is refused to a customer who stopped them (pre-flight skip reason, 409 message). */
export const MARKETING_STOPPED_REASON =
  'the customer stopped marketing messages from this number in WhatsApp; utility and service messages still go';

/** Records the stops and resumes of one webhook change, for the number it names. Returns how many were new. */
export async function recordMarketingPreferences(
  deps: Pick<ConsentDeps, 'events'>,
  tx: Tx,
  onCommit: OnCommit,
  p: {
    orgId: string;
    numberId: string;
    preferences: { waId: string; value: 'stop' | 'resume'; detail: string | null; occurredAtMs: number }[];
    webhookEventId: number;
    changeIndex: number;
  },
) {
  const rows = await insertMarketingPreferences(
    tx,
    p.orgId,
    p.numberId,
    p.preferences.map((x) => ({
      waId: x.waId,
      value: x.value,
      detail: x.detail,
      occurredAt: new Date(x.occurredAtMs),
    })),
    { webhookEventId: p.webhookEventId, changeIndex: p.changeIndex },
  );
  const changed = rows.filter((r) => r.contact_id);
  if (changed.length) {
    onCommit(() =>
      deps.events.publish(
        p.orgId,
        changed.map((r) => ({
          type: 'contact.updated' as const,
          data: { contact_id: r.contact_id!, fields: ['marketing_preference'] },
        })),
      ),
    );
  }
  return rows.length;
}

/** Throws MARKETING_STOPPED (409) when the customer stopped marketing messages from the number. */
export async function assertMarketingAllowed(tx: Db | Tx, orgId: string, numberId: string, waId: string) {
  if (await isMarketingStopped(tx, orgId, numberId, waId)) {
    throw new AppError('MARKETING_STOPPED', `Not sent: ${MARKETING_STOPPED_REASON}`, {
      details: { number_id: numberId, meta_code: 131050 },
    });
  }
}

/** A contact's marketing preferences for the consent history: the numbers stopped now, and every change. */
export async function marketingHistory(
  db: Db | Tx,
  orgId: string,
  waId: string,
): Promise<NonNullable<ConsentLedger['marketing']>> {
  const rows = await marketingPreferencesOf(db, orgId, waId);
  const latest = new Map<string, string>();
  for (const r of rows) if (!latest.has(r.number_id)) latest.set(r.number_id, r.value);
  return {
    stopped_number_ids: [...latest].filter(([, v]) => v === 'stop').map(([id]) => id),
    events: rows.map((r) => ({
      id: String(r.id),
      number_id: r.number_id,
      number_name: r.number_name,
      value: r.value as 'stop' | 'resume',
      detail: r.detail,
      occurred_at: new Date(r.occurred_at).toISOString(),
    })),
  };
}
