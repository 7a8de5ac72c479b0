import { describe, expect, it } from 'vitest';
import { createSecretBox } from './secret-box.ts';

describe('secrets at rest', () => {
  const box = createSecretBox('current-secret-current-secret-0123456789');
  it('round-trips, and never stores the plain text', () => {
    const sealed = box.seal('EAAG-access-token-👋');
    expect(sealed).not.toContain('EAAG');
    expect(box.open(sealed)).toBe('EAAG-access-token-👋');
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('refuses a tampered value and a value sealed with an unknown key', () => {
    const sealed = box.seal('secret');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
    const other = createSecretBox('another-secret-another-secret-0123456789');
    expect(() => other.open(sealed)).toThrow(/cannot be decrypted/);
    expect(() => box.open('not-a-sealed-value')).toThrow(/cannot be decrypted/);
  });

  it('opens values sealed with the previous key after a rotation, and seals with the new one', () => {
    const sealedOld = box.seal('old token');
    const rotated = createSecretBox('rotated-secret-rotated-secret-0123456789', [
      'current-secret-current-secret-0123456789',
    ]);
    expect(rotated.open(sealedOld)).toBe('old token');
    const sealedNew = rotated.seal('new token');
    expect(sealedNew.split('.')[1]).not.toBe(sealedOld.split('.')[1]);
    expect(() => box.open(sealedNew)).toThrow();
  });
});
