import { describe, expect, it } from 'vitest';
import { createSecretBox } from '../lib/secret-box.ts';
import { signBody } from '../whatsapp/signature.ts';
import {
  createWebhookSecrets,
  FULL_SCANS_PER_SECOND,
  RELOAD_EVERY_MS,
  type SealedWebhookCredentials,
} from './app-secrets.ts';
import { createSignerFingerprints } from './signer.ts';

const box = createSecretBox('server-key-server-key-server-key-0001');
const lost = createSecretBox('a-key-this-server-no-longer-has-00001');
const signers = createSignerFingerprints(['server-key-server-key-server-key-0001']);
const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');

/** The cache over a list of numbers it reads through its loader, counting reads, on a clock we move. */
function setup(rows: SealedWebhookCredentials[]) {
  let clock = 10_000;
  const errors: string[] = [];
  const reads = { n: 0 };
  const secrets = createWebhookSecrets({
    async load() {
      reads.n++;
      return [...rows];
    },
    box,
    signers,
    log: { error: (_o: unknown, msg: string) => errors.push(msg) } as never,
    now: () => clock,
  });
  return { secrets, reads, errors, tick: (ms: number) => (clock += ms), rows };
}
const number = (secret: string, token: string, b = box): SealedWebhookCredentials => ({
  appSecretSealed: b.seal(secret),
  verifyTokenSealed: b.seal(token),
});

describe('webhook secrets cache', () => {
  it('a flood of badly signed POSTs re-reads the numbers at most once a second', async () => {
    const { secrets, reads, tick } = setup([number('secret-one', 'verify-one')]);
    expect(await secrets.match(body, signBody(body, 'secret-one'))).toMatchObject({
      signer: signers.current('secret-one'),
    });
    expect(reads.n).toBe(1);
    const junk = await Promise.all(
      Array.from({ length: 200 }, () => secrets.match(body, signBody(body, 'junk'))),
    );
    expect(junk.every((m) => m === undefined)).toBe(true);
    expect(reads.n).toBe(1);
    tick(RELOAD_EVERY_MS);
    for (let i = 0; i < 50; i++) await secrets.match(body, signBody(body, 'junk'));
    expect(reads.n).toBe(2);
    // Headers that are not a signature at all cost nothing.
    await secrets.match(body, undefined);
    await secrets.match(body, 'md5=abc');
    expect(reads.n).toBe(2);
  });

  it('credentials changed in this process are read again at once; a number added elsewhere within a second', async () => {
    const { secrets, reads, tick, rows } = setup([number('secret-one', 'verify-one')]);
    await secrets.match(body, signBody(body, 'junk'));
    rows.push(number('secret-two', 'verify-two'));
    // Another process connected it: not seen until a read is due.
    expect(await secrets.match(body, signBody(body, 'secret-two'))).toBeUndefined();
    tick(RELOAD_EVERY_MS);
    expect(await secrets.match(body, signBody(body, 'secret-two'))).toBeDefined();
    rows.push(number('secret-three', 'verify-three'));
    // This process connected it (the numbers domain calls forget): seen at once.
    secrets.forget();
    expect(await secrets.match(body, signBody(body, 'secret-three'))).toBeDefined();
    expect(await secrets.verifyToken('verify-three')).toBe(true);
    expect(reads.n).toBe(3);
  });

  it('the handshake compares cached verify-token digests: no read per request', async () => {
    const { secrets, reads } = setup([
      number('secret-one', 'verify-one'),
      number('secret-two', 'verify-two'),
    ]);
    for (let i = 0; i < 20; i++) {
      expect(await secrets.verifyToken('verify-two')).toBe(true);
      expect(await secrets.verifyToken('not-a-token')).toBe(false);
    }
    expect(reads.n).toBe(1);
  });

  it('a number whose secrets cannot be decrypted (lost key) is left out; the others verify', async () => {
    const { secrets, errors, tick } = setup([
      number('secret-lost', 'verify-lost', lost),
      number('secret-one', 'verify-one'),
    ]);
    expect(await secrets.verifyToken('verify-one')).toBe(true);
    expect(await secrets.verifyToken('verify-lost')).toBe(false);
    expect(await secrets.match(body, signBody(body, 'secret-one'))).toBeDefined();
    expect(await secrets.match(body, signBody(body, 'secret-lost'))).toBeUndefined();
    tick(RELOAD_EVERY_MS);
    await secrets.match(body, signBody(body, 'junk'));
    // Reported once per value, not at every read.
    expect(errors).toHaveLength(2);
  });

  it('fingerprints survive a server key rotation: events stored before it still route', () => {
    const before = createSignerFingerprints(['old-server-key-old-server-key-000001']);
    const after = createSignerFingerprints([
      'new-server-key-new-server-key-000001',
      'old-server-key-old-server-key-000001',
    ]);
    const stored = before.current('app-secret');
    expect(after.current('app-secret')).not.toBe(stored);
    expect(after.all('app-secret')).toContain(stored);
    expect(stored).not.toContain('app-secret');
  });

  it('a flood past the full-scan budget: a body is still checked against the secrets of the numbers it names', async () => {
    const numbered = (secret: string, phone: string, waba: string): SealedWebhookCredentials => ({
      ...number(secret, `verify-${phone}`),
      phoneNumberId: phone,
      wabaId: waba,
    });
    const rows = Array.from({ length: 20 }, (_, i) => numbered(`secret-${i}`, `10${i}`, `20${i}`));
    const { secrets, tick } = setup(rows);
    const about = (waba: string, phone: string) =>
      Buffer.from(
        `{"object":"whatsapp_business_account","entry":[{"id":"${waba}","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"${phone}"}}}]}]}`,
      );
    const real = about('2017', '1017');
    // Signed by the app of another number than the one it names: found by the full scan (stored, not routed).
    const foreign = about('2003', '103');
    expect(await secrets.match(foreign, signBody(foreign, 'secret-9'))).toBeDefined();
    for (let i = 0; i < FULL_SCANS_PER_SECOND; i++) {
      expect(await secrets.match(real, signBody(real, `junk-${i}`))).toBeUndefined();
    }
    // The budget is spent: the named numbers' secrets are still tried, the others no more this second.
    expect(await secrets.match(real, signBody(real, 'secret-17'))).toMatchObject({
      signer: signers.current('secret-17'),
    });
    expect(await secrets.match(foreign, signBody(foreign, 'secret-9'))).toBeUndefined();
    tick(1000);
    expect(await secrets.match(foreign, signBody(foreign, 'secret-9'))).toBeDefined();
  });
});
