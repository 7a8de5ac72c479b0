import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Meta signs the exact bytes it sends: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret)>`.
 * Always verify the raw body, never a re-serialisation of parsed JSON.
 */
export function signBody(raw: Uint8Array | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

export function verifySignature(
  raw: Uint8Array | string,
  header: string | undefined,
  appSecret: string,
): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice(7), 'hex');
  const expected = Buffer.from(signBody(raw, appSecret).slice(7), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Tries each candidate secret (several Meta apps may share one webhook URL); returns the match. */
export function findSigningSecret<T extends { appSecret: string }>(
  raw: Uint8Array | string,
  header: string | undefined,
  candidates: T[],
): T | undefined {
  return candidates.find((c) => verifySignature(raw, header, c.appSecret));
}
