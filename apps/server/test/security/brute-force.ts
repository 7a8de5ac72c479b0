import { TestClient } from '../helpers.ts';
import { type Drillground, signInAs } from './seed.ts';

/**
 * Password guessing against organisation A's owner, the two ways the API checks a password: sign-in
 * (from one address, then from many), and accepting an invitation B sent to A's owner's email (an
 * existing account proves itself with its password). Guesses go `concurrency` at a time, so a throttle
 * that counts after the check lets a burst slip through. Afterwards the owner signs in from the client
 * they used before the attack (it signed out, keeping whatever the server left it) — throttling must
 * not lock them out.
 */
export interface GuessCount {
  guesses: number;
  /** Answers that mean the password was checked (401): what an attacker gets to try. */
  checked: number;
  throttled: number;
  other: Record<string, number>;
}
export interface BruteForceResult {
  login: GuessCount;
  invitation: GuessCount;
  /** The invitation lookup tells whether an account exists for the invited email. */
  lookupRevealsAccount: boolean;
  /** The owner's own client signs in right after each attack (status of each try). */
  ownerAfterLogin: number;
  ownerAfterInvitation: number;
  ownerSignedIn: boolean;
}

async function guess(
  n: number,
  concurrency: number,
  attempt: (i: number) => Promise<number>,
): Promise<GuessCount> {
  const count: GuessCount = { guesses: n, checked: 0, throttled: 0, other: {} };
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const status = await attempt(next++);
        // A wrong password: 401 at sign-in, 400 at an invitation (a 401 would make clients refresh).
        if (status === 401 || status === 400) count.checked++;
        else if (status === 429) count.throttled++;
        else count.other[status] = (count.other[status] ?? 0) + 1;
      }
    }),
  );
  return count;
}

export async function runBruteForce(
  g: Drillground,
  opts: { guesses?: number; invitationGuesses?: number; concurrency?: number } = {},
): Promise<BruteForceResult> {
  const { t, a, b } = g;
  const n = opts.guesses ?? 1000;
  const concurrency = opts.concurrency ?? 10;

  // The owner's own browser: signed in before the attack, signed out since.
  const own = new TestClient(t.app, '10.20.0.7');
  await own.login(a.ownerEmail, a.ownerPassword);
  await own.post('/api/v1/auth/logout', {});

  // Half the sign-in guesses from one address, half from a different address each (a botnet).
  const single = new TestClient(t.app, '10.99.0.1');
  const login = await guess(n, concurrency, async (i) => {
    const client = i < n / 2 ? single : new TestClient(t.app, `10.98.${Math.floor(i / 250)}.${i % 250}`);
    const res = await client.post('/api/v1/auth/login', {
      email: a.ownerEmail,
      password: `guess-${i}-password`,
    });
    return res.statusCode;
  });

  const ownerTry = async () =>
    (await own.post('/api/v1/auth/login', { email: a.ownerEmail, password: a.ownerPassword })).statusCode;
  const ownerAfterLogin = await ownerTry();
  if (ownerAfterLogin === 200) await own.post('/api/v1/auth/logout', {});

  // B invites A's agent (an account the sign-in attack left alone, so what stops these guesses is the
  // acceptance's own throttle) and guesses their password through the acceptance.
  const attacker = await signInAs(g, b, '10.97.0.1');
  const inv = await attacker.post('/api/v1/invitations', { email: a.agentEmail, role: 'viewer' });
  if (inv.statusCode !== 201)
    throw new Error(`brute force: invitation answered ${inv.statusCode} ${inv.body}`);
  const token = inv.json().token as string;
  // The lookup of an invitation for an existing account and one for a new email must read alike.
  const fresh = await attacker.post('/api/v1/invitations', {
    email: 'nobody-yet@example.net',
    role: 'viewer',
  });
  const looked = async (tok: string) => {
    const res = await new TestClient(t.app, '10.97.0.2').post('/api/v1/invitations/lookup', { token: tok });
    const { email: _email, ...rest } = res.json() as Record<string, unknown>;
    return JSON.stringify([res.statusCode, rest]);
  };
  const lookupRevealsAccount = (await looked(token)) !== (await looked(fresh.json().token));
  await attacker.delete(`/api/v1/invitations/${fresh.json().id}`);
  const invitation = await guess(opts.invitationGuesses ?? n, concurrency, async (i) => {
    const res = await new TestClient(t.app, `10.96.${Math.floor(i / 250)}.${i % 250}`).post(
      '/api/v1/invitations/accept',
      { token, password: `guess-${i}-password` },
    );
    return res.statusCode;
  });
  await attacker.delete(`/api/v1/invitations/${inv.json().id}`);

  const ownerAfterInvitation = await ownerTry();
  return {
    login,
    invitation,
    lookupRevealsAccount,
    ownerAfterLogin,
    ownerAfterInvitation,
    ownerSignedIn: ownerAfterLogin === 200 && ownerAfterInvitation === 200,
  };
}
