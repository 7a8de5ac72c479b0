import { signWebhookBody } from '@openwaba/simulator';
import { describe, expect, it } from 'vitest';
import { findSigningSecret, signBody, verifySignature } from './signature.ts';

const payload = {
  object: 'whatsapp_business_account',
  entry: [{ id: '1', changes: [{ field: 'messages', value: { text: { body: 'Olá, café ☕ — 👋 नमस्ते' } } }] }],
};

describe('webhook signature round trip (simulator signs, server verifies)', () => {
  it('verifies the exact ASCII-escaped bytes Meta sends, non-ASCII included', () => {
    const { body, signature } = signWebhookBody(payload, 'app-secret-1');
    expect(body).toContain('caf\\u00e9');
    expect(body).toContain('\\u0928\\u092e');
    expect(verifySignature(body, signature, 'app-secret-1')).toBe(true);
    expect(verifySignature(Buffer.from(body), signature, 'app-secret-1')).toBe(true);
    expect(JSON.parse(body)).toEqual(payload);
  });

  it('rejects a re-serialised body, a changed byte, another secret and malformed headers', () => {
    const { body, signature } = signWebhookBody(payload, 'app-secret-1');
    expect(verifySignature(JSON.stringify(payload), signature, 'app-secret-1')).toBe(false);
    expect(verifySignature(body.replace('1', '2'), signature, 'app-secret-1')).toBe(false);
    expect(verifySignature(body, signature, 'app-secret-2')).toBe(false);
    expect(verifySignature(body, undefined, 'app-secret-1')).toBe(false);
    expect(verifySignature(body, signature.slice(7), 'app-secret-1')).toBe(false);
    expect(verifySignature(body, 'sha256=zz', 'app-secret-1')).toBe(false);
    expect(verifySignature(body, `${signature}00`, 'app-secret-1')).toBe(false);
  });

  it('finds which of several apps signed a body', () => {
    const { body, signature } = signWebhookBody(payload, 'second-secret');
    const apps = [
      { appSecret: 'first-secret', id: 1 },
      { appSecret: 'second-secret', id: 2 },
    ];
    expect(findSigningSecret(body, signature, apps)?.id).toBe(2);
    expect(findSigningSecret(body, signBody(body, 'unknown'), apps)).toBeUndefined();
  });
});
