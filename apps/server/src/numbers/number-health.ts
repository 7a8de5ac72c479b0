import type { NumberTestResult } from '@openwaba/contracts';
import { GraphError } from '../whatsapp/graph-error.ts';
import { metaError } from './check.ts';
import type { NumberDeps } from './deps.ts';
import { healthColumns, healthOf, healthRecordOf } from './number-view.ts';
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
    const info = await deps.providerFor(r).getPhoneNumber({ phoneNumberId: r.phoneNumberId, accessToken });
    const next = (await updateNumber(deps.db, r.orgId, r.id, {
      ...healthColumns(info),
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
