import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Meta signs the exact bytes it sends: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret)>`.
 * Always verify the raw body, never a re-serialisation of parsed JSON.
 */
export function signBody(raw: Uint8Array | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

/** The signature header's digest, or undefined when it is not `sha256=` and 64 hex digits. */
export function signatureDigest(header: string | undefined): Buffer | undefined {
  if (header?.length !== 71 || !header.startsWith('sha256=')) return undefined;
  const hex = header.slice(7);
  return /^[0-9a-fA-F]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

/**
 * Tries each candidate secret on the raw bytes and returns the one that signed them. The header is
 * read once and each candidate costs one HMAC compared in constant time: a badly signed POST (a
 * flood of them) costs as little as it can.
 */
export function findSigner<T>(
  raw: Uint8Array | string,
  header: string | undefined,
  candidates: readonly T[],
  secretOf: (c: T) => string,
): T | undefined {
  const given = signatureDigest(header);
  if (!given) return undefined;
  return candidates.find((c) =>
    timingSafeEqual(given, createHmac('sha256', secretOf(c)).update(raw).digest()),
  );
}

export function verifySignature(
  raw: Uint8Array | string,
  header: string | undefined,
  appSecret: string,
): boolean {
  return findSigner(raw, header, [appSecret], (s) => s) !== undefined;
}

/** Tries each candidate secret (several Meta apps may share one webhook URL); returns the match. */
export function findSigningSecret<T extends { appSecret: string }>(
  raw: Uint8Array | string,
  header: string | undefined,
  candidates: T[],
): T | undefined {
  return findSigner(raw, header, candidates, (c) => c.appSecret);
}
