import { createHmac, randomBytes } from 'node:crypto';

/** Standard Webhooks secrets: `whsec_` and the base64 of the key's bytes. */
export const SECRET_PREFIX = 'whsec_';

/** A new secret: 24 random bytes (192 bits), the size the Standard Webhooks libraries generate. */
export const generateSecret = () => `${SECRET_PREFIX}${randomBytes(24).toString('base64')}`;

/** What lists show to tell secrets apart: `whsec_` and 6 more characters. */
export const secretPrefixOf = (secret: string) => secret.slice(0, SECRET_PREFIX.length + 6);

const keyCache = new Map<string, Buffer>();
function keyOf(secret: string): Buffer {
  let key = keyCache.get(secret);
  if (!key) {
    key = Buffer.from(
      secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
      'base64',
    );
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(secret, key);
  }
  return key;
}

/**
 * The Standard Webhooks headers of one request: `webhook-signature` holds one `v1,<base64>` per
 * secret (space-separated), so during a rotation receivers holding either secret verify it.
 *
 * @example signatureHeaders('evt_…', new Date(), '{"type":"message.received",…}', [secret])
 */
export function signatureHeaders(id: string, at: Date, body: string, secrets: string[]) {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signed = `${id}.${timestamp}.${body}`;
  const signature = secrets
    .map((s) => `v1,${createHmac('sha256', keyOf(s)).update(signed).digest('base64')}`)
    .join(' ');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
}
