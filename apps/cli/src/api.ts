import { Uuid } from '@openwaba/contracts';
import { ApiError, type Client, createClient } from '@openwaba/sdk';
import { z } from 'zod';
import { parseFlags } from './flags.ts';
import { CliError } from './output.ts';
import { askSecret, type Tty } from './prompt.ts';

/** Where the verbs that talk to a running server find it and whom they sign in as. */
export const REMOTE_ENV = {
  url: 'OPENWABA_URL',
  email: 'OPENWABA_EMAIL',
  password: 'OPENWABA_PASSWORD',
} as const;

/**
 * What the remote verbs take from the configuration (`loadConfig`): where the server is and whom
 * to sign in as when no flag says. Declared here: the CLI's remote side knows the server only
 * through the sdk.
 */
export interface RemoteDefaults {
  publicUrl: string;
  OPENWABA_ADMIN_EMAIL?: string | undefined;
  OPENWABA_ADMIN_PASSWORD?: string | undefined;
}

export interface RemoteOptions {
  url?: string;
  email?: string;
  password?: string;
  org?: string;
}

const RemoteFlags = z.object({
  url: z.url('must be the server URL, e.g. http://localhost:3000'),
  email: z.email('must be the email you sign in with').optional(),
  password: z.string().min(1).optional(),
  org: z.string().trim().min(1, 'must be an organisation id or name').optional(),
});

/**
 * A `fetch` that keeps the cookies the server sets, as a browser would: the sdk's session (access
 * and refresh cookies) then works unchanged outside a browser.
 */
function cookieFetch(): typeof fetch {
  const jar = new Map<string, string>();
  return async (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(input, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      // An expired or emptied cookie is the server signing us out of it.
      if (value === '' || /;\s*max-age=0/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };
}

/** The server's refusal as the CLI's: its message, never a stack trace. */
export function toCliError(err: unknown, url: string): unknown {
  // A validation refusal already names every field in its message.
  if (err instanceof ApiError) return new CliError(err.message, err.code === 'VALIDATION_FAILED' ? 2 : 1);
  if (err instanceof TypeError && /fetch failed/i.test(err.message)) {
    return new CliError(
      `Cannot reach the server at ${url} (is \`openwaba start\` running? --url sets where)`,
    );
  }
  return err;
}

export interface Remote {
  api: Client;
  /** The organisation the session acts in: `--org`, or the one a sign-in starts in (the first by name). */
  org: { id: string; name: string };
  /** Every organisation the account belongs to. */
  orgs: { id: string; name: string }[];
  url: string;
}

/**
 * Signs in to a running server through the sdk, in the organisation `--org` names (default: the
 * session's, the first of the account's organisations by name). The password comes from --password, OPENWABA_PASSWORD or OPENWABA_ADMIN_PASSWORD, or
 * is asked on a terminal (not echoed).
 */
export async function connectRemote(config: RemoteDefaults, opts: RemoteOptions, tty: Tty): Promise<Remote> {
  const flags = parseFlags(RemoteFlags, {
    url: opts.url ?? config.publicUrl,
    email: opts.email ?? config.OPENWABA_ADMIN_EMAIL,
    password: opts.password ?? config.OPENWABA_ADMIN_PASSWORD,
    org: opts.org,
  });
  if (!flags.email)
    throw new CliError(
      `Missing --email (or ${REMOTE_ENV.email}): the account to sign in to the server with`,
      2,
    );
  let password = flags.password;
  if (!password) {
    if (!tty.interactive)
      throw new CliError(
        `Missing --password (or ${REMOTE_ENV.password}); or run on a terminal to be asked`,
        2,
      );
    password = await askSecret(`Password for ${flags.email}: `, tty);
  }
  const url = flags.url.replace(/\/$/, '');
  const api = createClient({ baseUrl: url, fetch: cookieFetch() });
  try {
    await api.auth.login({ email: flags.email, password });
    let me = await api.me.get();
    if (flags.org !== undefined) {
      const ref = flags.org;
      const byId = Uuid.safeParse(ref).success ? me.orgs.filter((o) => o.id === ref.toLowerCase()) : [];
      const matches = byId.length > 0 ? byId : me.orgs.filter((o) => o.name === ref);
      if (matches.length !== 1)
        throw new CliError(
          `${matches.length === 0 ? 'None' : 'More than one'} of your organisations has the id or name "${ref}". They are:\n${me.orgs.map((o) => `  ${o.id}  ${o.name}`).join('\n')}`,
          2,
        );
      if (matches[0]!.id !== me.org.id) me = await api.me.switchOrg(matches[0]!.id);
    }
    return {
      api,
      org: { id: me.org.id, name: me.org.name },
      orgs: me.orgs.map((o) => ({ id: o.id, name: o.name })),
      url,
    };
  } catch (err) {
    if (err instanceof ApiError && err.code === 'UNAUTHENTICATED')
      throw new CliError(`Cannot sign in to ${url} as ${flags.email}: ${err.message}`);
    throw toCliError(err, url);
  }
}

/** Runs `fn` signed in to the server; the sdk's refusals become CLI errors with the server's message. */
export async function withRemote<T>(
  config: RemoteDefaults,
  opts: RemoteOptions,
  tty: Tty,
  fn: (remote: Remote) => Promise<T>,
): Promise<T> {
  const remote = await connectRemote(config, opts, tty);
  try {
    return await fn(remote);
  } catch (err) {
    throw toCliError(err, remote.url);
  } finally {
    await remote.api.auth.logout().catch(() => {});
  }
}
