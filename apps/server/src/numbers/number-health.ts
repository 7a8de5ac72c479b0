import type { NumberTestResult } from '@openwaba/contracts';
import { GraphError } from '../whatsapp/graph-error.ts';
import type { WabaInfo } from '../whatsapp/provider.ts';
import { metaError } from './check.ts';
import type { NumberDeps } from './deps.ts';
import { healthColumns, healthOf, healthRecordOf } from './number-view.ts';
import { businessColumns } from './portfolio.ts';
import { insertHealthRecord, type NumberRow, updateNumber } from './repo.ts';

/** A token error from Meta stops the number until someone replaces the token, and tells the admins. */
export async function handleGraphError(
  deps: Pick<NumberDeps, 'db' | 'notifications' | 'log'>,
  r: NumberRow,
  err: GraphError,
) {
  if (err.kind !== 'token' || r.status === 'inactive') return;
  const reason = `Meta rejected the access token (${err.code}${err.subcode ? `/${err.subcode}` : ''}): ${err.title}`;
  await updateNumber(deps.db, r.orgId, r.id, {
    status: 'inactive',
    inactiveReason: reason,
    updatedAt: new Date(),
  });
  await deps.notifications.notifyRole(r.orgId, 'admin', {
    type: 'number.inactive',
    title: `${r.displayName} stopped: its access token no longer works`,
    message: `${reason}. Sending from this number is paused until you paste a new token.`,
    actionUrl: '/settings/numbers',
    relatedEntityType: 'number',
    relatedEntityId: r.id,
  });
  deps.log.warn({ numberId: r.id, code: err.code }, 'number marked inactive after a token error');
}

/**
 * The WABA as Meta shows it (owner business, Marketing Messages API onboarding), or undefined when
 * Meta does not answer it (a token without the permission): the health check goes on without it.
 */
export async function readWaba(
  deps: Pick<NumberDeps, 'providerFor' | 'log'>,
  r: NumberRow,
  accessToken: string,
): Promise<WabaInfo | undefined> {
  try {
    return await deps.providerFor(r).getWaba({ wabaId: r.wabaId, accessToken });
  } catch (err) {
    if (!(err instanceof GraphError) || err.kind === 'token') throw err;
    deps.log.warn(
      { numberId: r.id, code: err.code },
      'could not read the WABA (portfolio, marketing messages)',
    );
    return undefined;
  }
}

/** The number's portfolio and Marketing Messages API status from what Meta says of its WABA. */
export const wabaColumns = (r: NumberRow, waba: WabaInfo) => ({
  ...businessColumns(r, waba),
  marketingMessagesStatus: waba.marketing_messages_onboarding_status ?? null,
});

/** Asks Meta for the number's current health and records it; returns what Meta said. */
export async function refreshHealth(
  deps: Pick<NumberDeps, 'db' | 'box' | 'notifications' | 'log' | 'providerFor'>,
  r: NumberRow,
  source: string,
): Promise<NumberTestResult> {
  let accessToken: string;
  try {
    accessToken = deps.box.open(r.accessTokenSealed);
  } catch {
    // Sealed under a lost APP_SECRET: this number cannot be checked, the others still are.
    return {
      ok: false,
      error: {
        code: 'UNREADABLE_TOKEN',
        title: "The stored access token cannot be decrypted with this server's APP_SECRET",
        details: 'Paste the access token and the app secret again.',
        kind: 'token',
      },
    };
  }
  try {
    const provider = deps.providerFor(r);
    const info = await provider.getPhoneNumber({ phoneNumberId: r.phoneNumberId, accessToken });
    const waba = await readWaba(deps, r, accessToken);
    const next = (await updateNumber(deps.db, r.orgId, r.id, {
      ...healthColumns(info),
      ...(waba ? wabaColumns(r, waba) : {}),
      updatedAt: new Date(),
    }))!;
    await insertHealthRecord(deps.db, r.id, source, healthRecordOf(next));
    return { ok: true, health: healthOf(next) };
  } catch (err) {
    if (!(err instanceof GraphError)) throw err;
    await handleGraphError(deps, r, err);
    return { ok: false, error: metaError(err) };
  }
}
