import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a delivery's `webhook-timestamp` may be from now, either way (Standard Webhooks' default). */
export const TOLERANCE_SECONDS = 5 * 60;

export type Verdict = { ok: true } | { ok: false; reason: string };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Checks a delivery per the Standard Webhooks specification: `webhook-signature` holds one or more
 * space-separated `v1,<base64 HMAC-SHA256>` of `${webhook-id}.${webhook-timestamp}.${raw body}`,
 * keyed with the base64-decoded part of the `whsec_…` secret; the timestamp is at most five minutes
 * off. Any one matching signature is enough (openwaba signs with two secrets while one is rotated).
 *
 * @example
 * const v = verifyWebhook('whsec_…', req.rawBody, req.headers);
 * if (!v.ok) return refuse(401, v.reason);
 */
export function verifyWebhook(
  secret: string,
  rawBody: string | Buffer,
  headers: Headers,
  now: number = Date.now(),
): Verdict {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing webhook signature headers' };
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'bad webhook-timestamp' };
  if (Math.abs(now / 1000 - Number(timestamp)) > TOLERANCE_SECONDS)
    return { ok: false, reason: 'webhook-timestamp is too old or too new' };
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), Buffer.from(rawBody)]);
  const expected = createHmac('sha256', key).update(signed).digest();
  for (const part of signatures.split(' ')) {
    const comma = part.indexOf(',');
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(part.slice(comma + 1), 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: 'no valid signature' };
}
