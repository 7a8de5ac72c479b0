import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret, secretPrefixOf, signatureHeaders } from './sign.ts';

/** The server's signatures, checked by the reference Standard Webhooks library. */
describe('webhook signing', () => {
  const body = JSON.stringify({
    type: 'contact.created',
    timestamp: '2026-12-06T08:00:00.000Z',
    data: { x: 'é' },
  });

  it('signs with every secret given, each verifiable on its own, and no other', () => {
    const [a, b] = [generateSecret(), generateSecret()];
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(secretPrefixOf(a)).toBe(a.slice(0, 12));
    const headers = signatureHeaders('evt_abc_7', new Date(), body, [b, a]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const s of [a, b]) expect(new Webhook(s).verify(body, headers)).toMatchObject({ data: { x: 'é' } });
    expect(() => new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(body, headers)).toThrow();
    expect(() => new Webhook(a).verify(`${body} `, headers)).toThrow();
  });

  it('makes the same signature as the reference library', () => {
    const secret = generateSecret();
    const at = new Date();
    expect(signatureHeaders('evt_1', at, body, [secret])['webhook-signature']).toBe(
      new Webhook(secret).sign('evt_1', at, body),
    );
  });
});
