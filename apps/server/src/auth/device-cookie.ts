import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The browser's proof that an account signed in from it before (OWASP "device cookies"). */
export const DEVICE_COOKIE = 'ow_device';
/** Sent only where a password is checked: sign-in, invitation acceptance, password change. */
export const DEVICE_COOKIE_PATH = '/api/v1';
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 180 * 86_400;
/** One browser remembers this many accounts; the oldest is forgotten first. */
const MAX_ACCOUNTS = 5;

/**
 * Device cookies: after a successful sign-in the browser gets an entry `nonce.mac`, the mac an HMAC
 * of the account's email and the nonce under the server key. A later password check that presents
 * an entry valid for *that* account is throttled on the device's own key instead of the account's,
 * so an attacker guessing from elsewhere — who cannot forge an entry — never locks the owner out of
 * their usual browser. Nothing is stored server-side; the email is not readable from the cookie.
 */
export function createDeviceCookies(appSecret: string) {
  const key = createHash('sha256').update(`openwaba:device-cookie:${appSecret}`).digest();
  const macOf = (email: string, nonce: string) =>
    createHmac('sha256', key).update(`${email}\n${nonce}`).digest().subarray(0, 18).toString('base64url');

  const entriesOf = (cookie: string | undefined) =>
    (cookie ?? '')
      .split('~')
      .slice(0, MAX_ACCOUNTS)
      .map((e) => e.split('.'))
      .filter(
        (p): p is [string, string] =>
          p.length === 2 && /^[\w-]{22}$/.test(p[0]!) && /^[\w-]{24}$/.test(p[1]!),
      );

  const valid = (email: string, [nonce, mac]: [string, string]) =>
    timingSafeEqual(Buffer.from(mac), Buffer.from(macOf(email, nonce)));

  return {
    /** The throttle key of this browser for `email`, when its cookie holds a valid entry for it. */
    trustedKey(email: string, cookie: string | undefined): string | undefined {
      const entry = entriesOf(cookie).find((e) => valid(email, e));
      return entry ? `dev:${entry[0]}` : undefined;
    },
    /** The cookie after `email` signed in: its entry kept (or a new one) first, other accounts after. */
    remember(email: string, cookie: string | undefined): string {
      const entries = entriesOf(cookie);
      const mine = entries.find((e) => valid(email, e));
      const nonce = mine?.[0] ?? randomBytes(16).toString('base64url');
      const others = entries.filter((e) => e !== mine).map((e) => e.join('.'));
      return [`${nonce}.${macOf(email, nonce)}`, ...others].slice(0, MAX_ACCOUNTS).join('~');
    },
  };
}
export type DeviceCookies = ReturnType<typeof createDeviceCookies>;
