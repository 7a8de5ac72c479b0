import type { WaNumber } from '@openwaba/contracts';
import type { WhatsAppProvider } from '../whatsapp/provider.ts';
import { checkWithMeta } from './check.ts';
import type { NumberDeps } from './deps.ts';
import { healthColumns, toNumber } from './number-view.ts';
import { upsertSandboxNumber } from './repo.ts';

export interface SandboxCredentials {
  phoneNumberId: string;
  wabaId: string;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  displayName: string;
}

/**
 * The sandbox number: one per install, wired to the in-process simulator. Its credentials change
 * with every start (the simulator lives in memory), so they are replaced here each time.
 */
export async function connectSandboxNumber(
  deps: Pick<NumberDeps, 'db' | 'box' | 'log' | 'credentialsChanged'>,
  orgId: string,
  n: SandboxCredentials,
  provider: WhatsAppProvider,
): Promise<WaNumber> {
  const { box } = deps;
  const { info, appId } = await checkWithMeta(
    provider,
    { phoneNumberId: n.phoneNumberId, accessToken: n.accessToken, appSecret: n.appSecret },
    n.wabaId,
    deps.log,
  );
  const row = await upsertSandboxNumber(deps.db, orgId, {
    displayName: n.displayName,
    phoneNumberId: n.phoneNumberId,
    wabaId: n.wabaId,
    accessTokenSealed: box.seal(n.accessToken),
    appSecretSealed: box.seal(n.appSecret),
    verifyTokenSealed: box.seal(n.verifyToken),
    appId,
    isSandbox: true,
    status: 'active',
    inactiveReason: null,
    ...healthColumns(info),
  });
  await deps.credentialsChanged(row.id);
  return toNumber(row);
}
