import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, createClient } from '@openwaba/sdk';
import { createTestApp, OWNER, type TestApp } from '../../server/test/helpers.ts';
import type { Io } from '../src/output.ts';
import { runCli } from '../src/program.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export interface CliServer {
  /** The real server, in-process on the test database, listening for the CLI's requests. */
  t: TestApp;
  url: string;
  /** The CLI's environment: the server's URL and the seeded owner (OWNER) to sign in as. */
  env: Record<string, string>;
  /** A scratch directory for the files the verbs read and write. */
  dir: string;
  /** Runs the CLI in-process, as `openwaba …` would, collecting its output. */
  cli(args: string[], env?: Record<string, string>): Promise<CliRun>;
  /** The owner, signed in through the sdk: to arrange a test and check what a verb did. */
  api: Client;
  close(): Promise<void>;
}

/** `fetch` keeping the session's cookies, as the CLI's own does. */
function cookieFetch(): typeof fetch {
  const jar = new Map<string, string>();
  return async (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(input, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';', 1);
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /;\s*max-age=0/i.test(line)) jar.delete(pair.slice(0, eq).trim());
      else jar.set(pair.slice(0, eq).trim(), value);
    }
    return res;
  };
}

/** A server for the CLI's remote verbs to talk to, with the sdk signed in as its owner. */
export async function startCliServer(serverEnv: Record<string, string> = {}): Promise<CliServer> {
  const dir = mkdtempSync(join(tmpdir(), 'openwaba-cli-'));
  const t = await createTestApp(serverEnv);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const env = {
    LOG_LEVEL: 'silent',
    APP_SECRET: 'cli-test-secret-0123456789abcdef-0123',
    DATA_DIR: dir,
    PUBLIC_URL: url,
    OPENWABA_ADMIN_EMAIL: OWNER.email,
    OPENWABA_ADMIN_PASSWORD: OWNER.password,
  };
  const api = createClient({ baseUrl: url, fetch: cookieFetch() });
  await api.auth.login({ email: OWNER.email, password: OWNER.password });
  return {
    t,
    url,
    env,
    dir,
    api,
    async cli(args, extra = {}) {
      const out: string[] = [];
      const err: string[] = [];
      const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
      const code = await runCli(args, io, { ...env, ...extra });
      return { code, out: out.join('\n'), err: err.join('\n') };
    },
    async close() {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
