import type { ContactSettings, ContactSettingsPatch } from '@openwaba/contracts';
import { actorOf, recordAudit } from '../../audit/service.ts';
import type { AuthContext } from '../../auth/context.ts';
import type { Db, Tx } from '../../db/client.ts';
import { transaction } from '../../db/tx.ts';
import { AppError } from '../../lib/errors.ts';
import { DEFAULT_OPT_IN_KEYWORDS, DEFAULT_OPT_OUT_KEYWORDS, normalizeKeyword } from '../keywords.ts';
import type { ConsentDeps } from './deps.ts';
import { contactSettingsOf, upsertContactSettings } from './repo.ts';

const KEYWORD_CACHE_MS = 5000;

/**
 * Keyword lists by organisation, kept a few seconds: every short inbound text is checked against
 * them, and webhook processing should not pay a query per message for a setting that rarely
 * changes. A change made in this process applies at once; other processes see it within seconds.
 */
export function createKeywordLists() {
  const cache = new Map<string, { at: number; optOut: string[] | null; optIn: string[] | null }>();
  return {
    async of(tx: Db | Tx, orgId: string) {
      const hit = cache.get(orgId);
      if (hit && performance.now() - hit.at < KEYWORD_CACHE_MS) return hit;
      const row = await contactSettingsOf(tx, orgId);
      const lists = {
        at: performance.now(),
        optOut: row?.optOutKeywords ?? null,
        optIn: row?.optInKeywords ?? null,
      };
      cache.set(orgId, lists);
      return lists;
    },
    forget(orgId: string) {
      cache.delete(orgId);
    },
  };
}
export type KeywordLists = ReturnType<typeof createKeywordLists>;

export async function getContactSettings(
  deps: Pick<ConsentDeps, 'db'>,
  ctx: Pick<AuthContext, 'orgId'>,
): Promise<ContactSettings> {
  const row = await contactSettingsOf(deps.db, ctx.orgId);
  return {
    opt_out_keywords: row?.optOutKeywords ?? [...DEFAULT_OPT_OUT_KEYWORDS],
    opt_in_keywords: row?.optInKeywords ?? [...DEFAULT_OPT_IN_KEYWORDS],
    stop_confirmation_text: row?.stopConfirmationText ?? null,
  };
}

/**
 * The settings after a patch (null: back to the built-in lists), or a 400 naming every keyword that
 * has nothing to match or is both an opt-in and an opt-out word.
 */
export function patchContactSettings(before: ContactSettings, patch: ContactSettingsPatch): ContactSettings {
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
    throw new AppError('VALIDATION_FAILED', `Invalid keywords: ${details.map((d) => d.message).join('; ')}`, {
      details,
    });
  }
  return next;
}

export async function updateContactSettings(
  deps: Pick<ConsentDeps, 'db'>,
  keywordLists: KeywordLists,
  ctx: AuthContext,
  patch: ContactSettingsPatch,
): Promise<ContactSettings> {
  const before = await getContactSettings(deps, ctx);
  const next = patchContactSettings(before, patch);
  await transaction(deps.db, async (tx) => {
    // null is stored as null: the built-in lists, including words added to them later.
    await upsertContactSettings(tx, ctx.orgId, {
      ...(patch.opt_out_keywords !== undefined ? { optOutKeywords: patch.opt_out_keywords } : {}),
      ...(patch.opt_in_keywords !== undefined ? { optInKeywords: patch.opt_in_keywords } : {}),
      ...(patch.stop_confirmation_text !== undefined
        ? { stopConfirmationText: next.stop_confirmation_text }
        : {}),
    });
    await recordAudit(tx, actorOf(ctx), {
      action: 'contact_settings.update',
      entityType: 'contact_settings',
      entityId: ctx.orgId,
      before,
      after: next,
    });
  });
  keywordLists.forget(ctx.orgId);
  return getContactSettings(deps, ctx);
}

/** The reply that confirms an opt-out, if the organisation set one. */
export async function stopConfirmationText(tx: Db | Tx, orgId: string): Promise<string | null> {
  return (await contactSettingsOf(tx, orgId))?.stopConfirmationText ?? null;
}
