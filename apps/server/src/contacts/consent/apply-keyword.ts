import type { ConsentKind } from '@openwaba/contracts';
import type { Tx } from '../../db/client.ts';
import type { OnCommit } from '../../db/tx.ts';
import { MAX_KEYWORD_LENGTH, matchConsentKeyword, normalizeKeyword } from '../keywords.ts';
import type { ConsentDeps } from './deps.ts';
import type { KeywordLists } from './keyword-settings.ts';
import { recordConsent } from './record-consent.ts';
import { latestConsentEvent } from './repo.ts';

/**
 * Reads an inbound text for a consent keyword (the whole message: "STOP", not "stop please") and
 * records it at once, in the transaction that stores the message: an opt-out (or opt-in) by the
 * customer, source `keyword`, the message text as proof, audited as the system. Nothing is
 * recorded when the contact is already in that state. Returns what was recorded.
 *
 * The confirmation reply (`stop_confirmation_text`) is the caller's to send (inbound, through the
 * outbound path).
 */
export async function applyKeyword(
  deps: Pick<ConsentDeps, 'events' | 'tombstones'>,
  keywordLists: KeywordLists,
  tx: Tx,
  onCommit: OnCommit,
  m: { orgId: string; contactId: string; waId: string; messageId: string; text: string },
): Promise<ConsentKind | null> {
  // Most messages are longer than any keyword: they cost no query.
  if (!m.text || m.text.length > MAX_KEYWORD_LENGTH * 4) return null;
  if (normalizeKeyword(m.text).length > MAX_KEYWORD_LENGTH) return null;
  const kind = matchConsentKeyword(m.text, await keywordLists.of(tx, m.orgId));
  if (!kind) return null;
  await deps.tombstones.restore(tx, onCommit, m.orgId, [m.waId]);
  if ((await latestConsentEvent(tx, m.orgId, m.waId))?.kind === kind) return null;
  const recorded = await recordConsent(
    deps,
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
