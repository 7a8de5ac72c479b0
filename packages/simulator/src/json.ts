import { createHmac } from 'node:crypto';

/**
 * Meta sends webhook bodies as ASCII-only JSON: every non-ASCII UTF-16 code unit becomes `\uXXXX`
 * (lowercase hex), and the signature covers those exact bytes. Receivers that re-encode the body
 * differently compute a different HMAC, which is the bug this reproduces.
 */
export function escapeNonAscii(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Serialises a webhook payload the way Meta does and signs it: returns the exact bytes and header. */
export function signWebhookBody(payload: unknown, appSecret: string): { body: string; signature: string } {
  const body = escapeNonAscii(JSON.stringify(payload));
  return { body, signature: `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}` };
}
