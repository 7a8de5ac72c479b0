import { createHmac, hkdfSync } from 'node:crypto';

/**
 * Which app secret verified a webhook, kept with the stored event as a fingerprint: an HMAC of the
 * secret under a key derived from the server key (APP_SECRET), never the secret itself. Processing
 * applies a change only to numbers whose secret has the event's fingerprint. With APP_SECRET_PREVIOUS
 * set (a rotation), a number's fingerprints under the previous keys count too, so events stored
 * before the rotation still route.
 *
 * @example
 * const signers = createSignerFingerprints([config.APP_SECRET, ...config.APP_SECRET_PREVIOUS]);
 * const signer = signers.current(appSecret); // stored with the event
 * signers.all(number.appSecret).includes(signer); // this number's app signed it
 */
export function createSignerFingerprints(serverKeys: string[]) {
  if (!serverKeys.length) throw new Error('a server key is needed to fingerprint webhook signers');
  const keys = serverKeys.map((k) => Buffer.from(hkdfSync('sha256', k, 'openwaba', 'webhook-signer-v1', 32)));
  const under = (key: Buffer, secret: string) => createHmac('sha256', key).update(secret).digest('base64url');
  return {
    /** The fingerprint a verified event is stored with (under the current server key). */
    current: (appSecret: string) => under(keys[0]!, appSecret),
    /** Every fingerprint the secret may have been stored with (current and previous server keys). */
    all: (appSecret: string) => keys.map((k) => under(k, appSecret)),
  };
}
export type SignerFingerprints = ReturnType<typeof createSignerFingerprints>;
