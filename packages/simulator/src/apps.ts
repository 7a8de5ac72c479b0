import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { type GraphFailure, graphError } from './errors.ts';
import type { Random } from './random.ts';
import type { SimNumber } from './state.ts';

/**
 * Meta apps. Every access token belongs to one app; a call that carries `appsecret_proof` (the hex
 * HMAC-SHA256 of the token keyed by the app secret) is refused unless the proof was made with that
 * app's secret — whether or not the app requires proofs. A number's app is its `app_secret` (and
 * `app_id`, derived from the secret when not given). A number added without an app secret belongs to
 * an app whose secret the simulator does not know: any proof is taken for it.
 */
export function appIdOf(n: Pick<SimNumber, 'app_id' | 'app_secret' | 'waba_id'>): string {
  if (n.app_id) return n.app_id;
  const seed = n.app_secret ?? `waba:${n.waba_id}`;
  const digits = BigInt(`0x${createHash('sha256').update(`app:${seed}`).digest('hex').slice(0, 15)}`);
  // Meta's app ids are 15–16 digits; the leading 1 keeps the length fixed.
  return `1${String(digits % 10n ** 14n).padStart(14, '0')}`;
}

/** The error Meta answers for a proof that was not made with the token's app secret, or undefined. */
export function checkAppSecretProof(
  owner: Pick<SimNumber, 'app_secret'>,
  token: string,
  proof: string,
  rnd: Random,
): GraphFailure | undefined {
  if (!owner.app_secret) return undefined;
  const expected = createHmac('sha256', owner.app_secret).update(token).digest();
  const given = Buffer.from(/^[0-9a-f]{64}$/i.test(proof) ? proof : '', 'hex');
  if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
  return graphError(100, rnd, {
    type: 'GraphMethodException',
    message: 'Invalid appsecret_proof provided in the API argument',
    details: '',
  });
}
