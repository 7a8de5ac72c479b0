import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from './verify-webhook.ts';

/** `verifyWebhook` against the reference Standard Webhooks library, in both directions. */
const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const body = JSON.stringify({
  type: 'message.received',
  timestamp: '2026-12-06T08:00:00.000Z',
  data: { message_id: 'a1', conversation_id: 'c1', text: 'héllo ✓' },
});

/** Headers as the reference library signs them (one `v1,` signature per secret, space-separated). */
function signed(secrets: string[], at = new Date(), id = 'evt_0123_42') {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signature = secrets.map((s) => new Webhook(s).sign(id, at, body)).join(' ');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
}

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookVerificationError);
    return (err as WebhookVerificationError).code;
  }
  return 'accepted';
};

describe('verifyWebhook', () => {
  it('accepts what the reference library signs, from a string, a Buffer or a Headers object', () => {
    const secret = newSecret();
    const headers = signed([secret]);
    expect(verifyWebhook(body, headers, secret)).toEqual({
      id: 'evt_0123_42',
      type: 'message.received',
      timestamp: '2026-12-06T08:00:00.000Z',
      data: { message_id: 'a1', conversation_id: 'c1', text: 'héllo ✓' },
    });
    expect(verifyWebhook(Buffer.from(body), new Headers(headers), secret).id).toBe('evt_0123_42');
    // Upper-case header names, as some frameworks keep them.
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhook(body, upper, secret).type).toBe('message.received');
  });

  it('signatures it accepts are the ones the reference library accepts (and the other way round)', () => {
    const secret = newSecret();
    const other = newSecret();
    const cases = [
      signed([secret]),
      signed([other, secret]),
      signed([other]),
      signed([secret], new Date(Date.now() - 10 * 60_000)),
      signed([secret], new Date(Date.now() + 10 * 60_000)),
      { ...signed([secret]), 'webhook-id': 'evt_other' },
      { ...signed([secret]), 'webhook-signature': 'v2,abc' },
    ];
    for (const h of cases) {
      const ours = codeOf(() => verifyWebhook(body, h, secret)) === 'accepted';
      let theirs = true;
      try {
        new Webhook(secret).verify(body, h);
      } catch {
        theirs = false;
      }
      expect(ours, JSON.stringify(h)).toBe(theirs);
    }
    // A body changed by one byte.
    expect(codeOf(() => verifyWebhook(`${body} `, signed([secret]), secret))).toBe('no_match');
  });

  it('refuses clearly: missing headers, stale or future timestamps, another secret, a non-event body', () => {
    const secret = newSecret();
    const h = signed([secret]);
    expect(codeOf(() => verifyWebhook(body, { 'webhook-id': 'x' }, secret))).toBe('missing_headers');
    expect(codeOf(() => verifyWebhook(body, { ...h, 'webhook-timestamp': 'soon' }, secret))).toBe(
      'timestamp_invalid',
    );
    const old = signed([secret], new Date(Date.now() - 301_000));
    expect(codeOf(() => verifyWebhook(body, old, secret))).toBe('timestamp_too_old');
    expect(verifyWebhook(body, old, secret, { toleranceSeconds: 600 }).id).toBe('evt_0123_42');
    expect(codeOf(() => verifyWebhook(body, signed([secret], new Date(Date.now() + 301_000)), secret))).toBe(
      'timestamp_too_new',
    );
    expect(codeOf(() => verifyWebhook(body, h, newSecret()))).toBe('no_match');
    expect(codeOf(() => verifyWebhook(body, h, []))).toBe('bad_secret');
    const notJson = 'plain text';
    const at = new Date();
    const nh = {
      'webhook-id': 'm',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign('m', at, notJson),
    };
    expect(codeOf(() => verifyWebhook(notJson, nh, secret))).toBe('bad_payload');
  });
});
