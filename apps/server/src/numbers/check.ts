import { AppError } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import { GraphError } from '../whatsapp/graph-error.ts';
import type { NumberCredentials, PhoneNumberInfo, WhatsAppProvider } from '../whatsapp/provider.ts';

export function metaError(err: GraphError) {
  return { code: err.code, title: err.title, details: err.details ?? null, kind: err.kind };
}

/** Meta's answer to an `appsecret_proof` made with a secret that is not the token's app's. */
const isWrongProof = (err: GraphError) =>
  err.code === 100 && /appsecret_proof/i.test(`${err.title} ${err.details ?? ''}`);

/**
 * Asks Meta about a number before its credentials are saved, and proves they belong together: the
 * number check carries `appsecret_proof`, which Meta refuses unless the token belongs to the app
 * whose secret is given — the secret that signs this number's webhooks, so a secret of another app
 * (another organisation's) cannot be attached to this number. `debug_token` then names the app; its
 * id is kept for people (which numbers share an app), so its failure does not block the connection.
 * A refusal becomes a 400 that quotes Meta.
 */
export async function checkWithMeta(
  provider: WhatsAppProvider,
  creds: NumberCredentials & { appSecret: string },
  wabaId: string,
  log: Log,
): Promise<{ info: PhoneNumberInfo; appId: string | null }> {
  let info: PhoneNumberInfo;
  try {
    info = await provider.getPhoneNumber(creds);
    const inWaba = await provider.listPhoneNumbers({ wabaId, accessToken: creds.accessToken });
    if (!inWaba.some((n) => n.id === creds.phoneNumberId)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Phone number ${creds.phoneNumberId} is not in WhatsApp Business Account ${wabaId}`,
        { details: [{ path: ['waba_id'], message: 'does not contain this phone number' }] },
      );
    }
  } catch (err) {
    if (!(err instanceof GraphError)) throw err;
    if (isWrongProof(err)) {
      throw new AppError(
        'VALIDATION_FAILED',
        'The app secret is not the secret of the Meta app this access token belongs to',
        { details: { path: ['app_secret'], meta: metaError(err) } },
      );
    }
    throw new AppError('VALIDATION_FAILED', `Meta refused the connection: ${err.title}`, {
      details: { meta: metaError(err) },
    });
  }
  let appId: string | null = null;
  try {
    const token = await provider.debugToken(creds);
    appId = token.is_valid && token.app_id ? token.app_id : null;
  } catch (err) {
    if (!(err instanceof GraphError)) throw err;
    log.warn(
      { code: err.code, title: err.title },
      'debug_token failed; the number is saved without its app id',
    );
  }
  return { info, appId };
}

/** A sealed credential, or a 400 that asks for it when it cannot be opened (APP_SECRET lost or changed). */
export function openOrAsk(open: () => string, field: string): string {
  try {
    return open();
  } catch {
    throw new AppError(
      'VALIDATION_FAILED',
      `The stored ${field.replace('_', ' ')} cannot be decrypted with this server's APP_SECRET: give it again`,
      { details: [{ path: [field], message: 'is required: the stored one cannot be read' }] },
    );
  }
}
