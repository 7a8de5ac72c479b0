import type {
  ConsentKind,
  ConsentSource,
  ContactSettings,
  ContactSettingsPatch,
  RecordConsentBody,
} from '@openwaba/contracts';
import type { SQL } from 'drizzle-orm';
import type { Actor } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import type { OnCommit } from '../db/tx.ts';
import { applyKeyword } from './consent/apply-keyword.ts';
import {
  assertCanMessage,
  type ConsentTarget,
  checkCanMessageMany,
  consentLedger,
  findStates,
  statusOf,
} from './consent/consent-status.ts';
import type { ConsentDeps } from './consent/deps.ts';
import {
  createKeywordLists,
  getContactSettings,
  stopConfirmationText,
  updateContactSettings,
} from './consent/keyword-settings.ts';
import { assertMarketingAllowed, recordMarketingPreferences } from './consent/marketing-preference.ts';
import { recordConsent, recordConsentBulk, recordManualConsent } from './consent/record-consent.ts';
import { matchConsentKeyword } from './keywords.ts';

export type { ConsentStatus, ConsentTarget } from './consent/consent-status.ts';
export { MARKETING_STOPPED_REASON } from './consent/marketing-preference.ts';
export { latestConsentKind, marketingStoppedSql } from './consent/repo.ts';
export { type ConsentDecision, decideConsent, toConsentEvent } from './consent/rule.ts';

/**
 * The opt-in ledger and everything that reads or writes it: the consent rule every sender calls,
 * manual and keyword opt-ins and opt-outs, and the organisation's keyword settings.
 *
 * One concern per file in `consent/`: `rule.ts` (the rule, pure), `consent-status.ts` (a contact's
 * state, the senders' check, many at once, the ledger), `record-consent.ts` (one, many, a person's),
 * `apply-keyword.ts` (STOP/START in an inbound text), `keyword-settings.ts`; every statement in
 * `consent/repo.ts`.
 */
export function createConsentService(deps: ConsentDeps) {
  const keywordLists = createKeywordLists();
  return {
    statusOf: (orgId: string, target: ConsentTarget, tx?: Db | Tx) => statusOf(deps, orgId, target, tx),
    stopConfirmationText,
    assertCanMessage: (
      orgId: string,
      target: ConsentTarget,
      opts: { businessInitiated: boolean; tx?: Db | Tx },
    ) => assertCanMessage(deps, orgId, target, opts),
    /** `assertCanMessage` for many known contacts in one go (the bulk send path): per item, the refusal or null. */
    checkCanMessageMany: (
      tx: Db | Tx,
      orgId: string,
      items: { contactId: string; waId: string; businessInitiated: boolean }[],
    ) => checkCanMessageMany(deps, tx, orgId, items),
    findStates: (orgId: string, waIds: string[]) => findStates(deps, orgId, waIds),
    record: (
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
    ) => recordConsent(deps, tx, onCommit, actor, e),
    recordBulk: (
      tx: Tx,
      onCommit: OnCommit,
      actor: Actor,
      e: { where: SQL; kind: ConsentKind; source: ConsentSource; proof: string | null; report?: boolean },
    ) => recordConsentBulk(deps, tx, onCommit, actor, e),
    recordManual: (ctx: AuthContext, contactId: string, body: RecordConsentBody) =>
      recordManualConsent(deps, ctx, contactId, body),
    ledger: (ctx: Pick<AuthContext, 'orgId'>, contactId: string) => consentLedger(deps, ctx, contactId),
    /** Records the marketing stops and resumes of a `user_preferences` webhook change. */
    recordMarketingPreferences: (
      tx: Tx,
      onCommit: OnCommit,
      p: Parameters<typeof recordMarketingPreferences>[3],
    ) => recordMarketingPreferences(deps, tx, onCommit, p),
    /** Refuses (409 MARKETING_STOPPED) a MARKETING template to a customer who stopped them from the number. */
    assertMarketingAllowed: (orgId: string, numberId: string, waId: string, tx?: Db | Tx) =>
      assertMarketingAllowed(tx ?? deps.db, orgId, numberId, waId),
    getSettings: (ctx: Pick<AuthContext, 'orgId'>): Promise<ContactSettings> => getContactSettings(deps, ctx),
    updateSettings: (ctx: AuthContext, patch: ContactSettingsPatch) =>
      updateContactSettings(deps, keywordLists, ctx, patch),
    /** Whether a text is one of the organisation's STOP/START keywords (automation skips those messages). */
    keywordOf: async (tx: Db | Tx, orgId: string, text: string) =>
      matchConsentKeyword(text, await keywordLists.of(tx, orgId)),
    applyKeyword: (
      tx: Tx,
      onCommit: OnCommit,
      m: { orgId: string; contactId: string; waId: string; messageId: string; text: string },
    ) => applyKeyword(deps, keywordLists, tx, onCommit, m),
  };
}
export type ConsentService = ReturnType<typeof createConsentService>;
