import type { Db } from '../db/client.ts';
import { AppError } from '../lib/errors.ts';
import * as repo from './repo.ts';

/** A quiet day forgets a key's failures. */
const FORGET_AFTER_SECONDS = 86_400;
/** The first wait once a key's free attempts are used; each further failure doubles it. */
const FIRST_WAIT_SECONDS = 1;
/** Every this many attempts a process forgets a batch of keys quiet for a day, so rows cannot pile up. */
const PURGE_EVERY = 200;

/**
 * Every password check (sign-in, invitation acceptance, password change) goes through here. Each
 * attempt is counted *before* the password is checked, in one atomic statement per call: parallel
 * requests cannot all slip in before the count, and an attempt that turns out right gives its count
 * back. A key (the account, the client address, the account on a trusted device) may fail `free`
 * times; from then on each failure makes it wait twice as long as the last (1 s, 2 s, 4 s … at most
 * `maxWaitSeconds`) — growing delays, never a lock that lets anyone shut the owner out for good.
 */
export function createPasswordThrottle(deps: {
  db: Db;
  free: number;
  maxWaitSeconds: number;
  /** Tests lengthen it so that a slow machine cannot outwait it between two requests. */
  firstWaitSeconds?: number;
}) {
  const rules = {
    free: deps.free,
    firstWait: deps.firstWaitSeconds ?? FIRST_WAIT_SECONDS,
    maxWait: deps.maxWaitSeconds,
    forgetAfter: FORGET_AFTER_SECONDS,
  };
  let attempts = 0;

  /**
   * Reserves one attempt on every key, or refuses (429 with Retry-After) when any key must still
   * wait — then nothing is counted. Call `passed` when the password was right.
   */
  async function attempt(keys: string[]) {
    const unique = [...new Set(keys)];
    if (++attempts % PURGE_EVERY === 0) await repo.purgeQuietThrottles(deps.db, rules);
    const { waitSeconds } = await repo.reserveThrottleAttempt(deps.db, unique, rules);
    if (waitSeconds > 0) {
      throw new AppError('RATE_LIMITED', 'Too many failed password attempts. Try again later.', {
        headers: { 'retry-after': String(waitSeconds) },
        details: { retry_after_seconds: waitSeconds },
      });
    }
    return {
      /**
       * The password was right: keys that prove the account (`forget`) start over; the others
       * (the client address) get this attempt back.
       */
      async passed(forget: string[] = []) {
        await repo.releaseThrottleAttempt(
          deps.db,
          unique.filter((k) => !forget.includes(k)),
          forget,
          rules,
        );
      },
    };
  }

  return { attempt };
}
export type PasswordThrottle = ReturnType<typeof createPasswordThrottle>;
