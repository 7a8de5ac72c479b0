import { randomBytes } from 'node:crypto';
import { WEBHOOK_EVENT_TYPES as CONTRACT_TYPES } from '@openwaba/contracts';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { WEBHOOK_EVENT_TYPES } from './event-types.ts';
import { verifyWebhook } from './signature.ts';

/** The trigger's signature check against the reference Standard Webhooks library. */
const secret = () => `whsec_${randomBytes(24).toString('base64')}`;
const NOW = Date.parse('2026-12-06T08:00:00Z');

function signed(key: string, body: string, at = NOW, id = 'evt_1') {
  const ts = new Date(at);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at / 1000)),
    'webhook-signature': new Webhook(key).sign(id, ts, body),
  };
}

describe('verifyWebhook', () => {
  it('accepts what the reference library signs, and refuses what it refuses', () => {
    fc.assert(
      fc.property(fc.string(), fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), (body, id) => {
        const key = secret();
        const headers = signed(key, body, NOW, id);
        expect(verifyWebhook(key, body, headers, NOW)).toEqual({ ok: true });
        expect(verifyWebhook(key, Buffer.from(body), headers, NOW)).toEqual({ ok: true });
        expect(verifyWebhook(secret(), body, headers, NOW).ok).toBe(false);
        expect(verifyWebhook(key, `${body} `, headers, NOW).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with the reference verify on tampered ids, timestamps and bodies', () => {
    const key = secret();
    const body = JSON.stringify({
      type: 'message.received',
      timestamp: '2026-12-06T08:00:00Z',
      data: { a: 1 },
    });
    const good = signed(key, body, Date.now());
    const cases: Record<string, string>[] = [
      good,
      { ...good, 'webhook-id': 'evt_2' },
      { ...good, 'webhook-timestamp': String(Number(good['webhook-timestamp']) + 1) },
      { ...good, 'webhook-signature': good['webhook-signature'].replace('v1,', 'v2,') },
      { ...good, 'webhook-signature': 'v1,AAAA' },
    ];
    for (const headers of cases) {
      let reference = true;
      try {
        new Webhook(key).verify(body, headers);
      } catch {
        reference = false;
      }
      expect(verifyWebhook(key, body, headers).ok, JSON.stringify(headers)).toBe(reference);
    }
  });

  it('refuses deliveries more than five minutes old or early, and missing headers', () => {
    const key = secret();
    const body = '{"type":"contact.created"}';
    expect(verifyWebhook(key, body, signed(key, body, NOW - 299_000), NOW).ok).toBe(true);
    expect(verifyWebhook(key, body, signed(key, body, NOW - 301_000), NOW)).toEqual({
      ok: false,
      reason: 'webhook-timestamp is too old or too new',
    });
    expect(verifyWebhook(key, body, signed(key, body, NOW + 301_000), NOW).ok).toBe(false);
    const { 'webhook-signature': _, ...unsigned } = signed(key, body);
    expect(verifyWebhook(key, body, unsigned, NOW)).toEqual({
      ok: false,
      reason: 'missing webhook signature headers',
    });
    expect(verifyWebhook(key, body, { ...signed(key, body), 'webhook-timestamp': '12e3' }, NOW).ok).toBe(
      false,
    );
  });

  it('takes any one of several signatures (a secret being rotated signs beside the new one)', () => {
    const [oldKey, newKey] = [secret(), secret()];
    const body = '{"type":"message.status_updated"}';
    const both = {
      ...signed(newKey, body),
      'webhook-signature': `${signed(newKey, body)['webhook-signature']} ${signed(oldKey, body)['webhook-signature']}`,
    };
    expect(verifyWebhook(oldKey, body, both, NOW).ok).toBe(true);
    expect(verifyWebhook(newKey, body, both, NOW).ok).toBe(true);
    expect(verifyWebhook(secret(), body, both, NOW).ok).toBe(false);
  });
});

describe('the built-in event types', () => {
  it("are openwaba's catalogue (the contracts' WEBHOOK_EVENT_TYPES)", () => {
    expect([...WEBHOOK_EVENT_TYPES].sort()).toEqual([...CONTRACT_TYPES].sort());
  });
});
