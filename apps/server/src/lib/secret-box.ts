import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from './errors.ts';

/**
 * Secrets at rest (access tokens, app secrets): AES-256-GCM with a key derived from APP_SECRET by
 * HKDF. Each value records which key sealed it, so APP_SECRET can be rotated: put the old one in
 * APP_SECRET_PREVIOUS, and values sealed with it still open (and are re-sealed when next written).
 * Format: `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url).
 */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

function derive(secret: string) {
  const key = Buffer.from(hkdfSync('sha256', secret, 'openwaba', 'secrets-at-rest-v1', 32));
  const id = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return { key, id };
}

export function createSecretBox(current: string, previous: string[] = []): SecretBox {
  const keys = [current, ...previous].map(derive);
  const active = keys[0]!;
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', active.key, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [
        'v1',
        active.id,
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        data.toString('base64url'),
      ].join('.');
    },
    open(sealed) {
      const [v, id, iv, tag, data] = sealed.split('.');
      const key = keys.find((k) => k.id === id);
      if (v !== 'v1' || !iv || !tag || data === undefined || !key) {
        throw new AppError('INTERNAL', 'A stored secret cannot be decrypted with the configured APP_SECRET');
      }
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}
