import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { FastifyInstance, InjectOptions } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { type Config, type Env, loadConfig, testSettings } from '../src/config.ts';
import { type Database, fromPglite, fromPool } from '../src/db/client.ts';
import { runMigrations } from '../src/db/migrate.ts';
import type { LookupFn } from '../src/lib/url-guard.ts';

export const settings = testSettings();

/** A fresh, isolated database on the backend this run targets (TEST_DB=pg or the embedded one). */
export async function createTestDatabase(opts: { migrate?: boolean; poolMax?: number } = {}): Promise<{
  database: Database;
  url?: string;
  drop(): Promise<void>;
  /** Opens another handle on the same database (PostgreSQL only: two "processes"). */
  connect(): Database;
}> {
  if (settings.backend === 'pglite') {
    const database = fromPglite(new PGlite());
    if (opts.migrate !== false) await runMigrations(database);
    return {
      database,
      drop: () => database.close(),
      connect: () => {
        throw new Error('PGlite cannot be shared between handles');
      },
    };
  }
  const name = `openwaba_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: settings.adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(settings.adminUrl);
  url.pathname = `/${name}`;
  const pools: pg.Pool[] = [];
  const connect = () => {
    const pool = new pg.Pool({ connectionString: url.toString(), max: opts.poolMax ?? 5 });
    pools.push(pool);
    return fromPool(pool);
  };
  const database = connect();
  if (opts.migrate !== false) await runMigrations(database);
  return {
    database,
    url: url.toString(),
    connect,
    async drop() {
      await Promise.all(pools.map((p) => p.end().catch(() => {})));
      const c = new pg.Client({ connectionString: settings.adminUrl });
      await c.connect();
      // Ended pools' connections may still be closing: a plain DROP waits (up to 5 s) for them to go
      // rather than terminating them, since a terminated connection's FATAL can reach a client that
      // is ending (an unhandled error). Connections still open after that are terminated.
      try {
        await c.query(`drop database if exists ${name}`);
      } catch {
        await c.query(`drop database if exists ${name} with (force)`);
      }
      await c.end();
    },
  };
}

export function testConfig(env: Env = {}): Config {
  return loadConfig(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      APP_SECRET: 'test-secret-test-secret-test-secret-0123',
      // Tests never write media into the repository's ./data.
      MEDIA_DIR: join(tmpdir(), `openwaba-test-media-${process.pid}`),
      // Tests make hundreds of requests a minute as one person; the limits have their own test.
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_ORG_PER_MINUTE: '0',
      ...env,
    },
    {},
  );
}

export const OWNER = { email: 'owner@example.com', password: 'correct horse battery', org: 'Acme' };

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  config: Config;
  orgId: string;
  ownerId: string;
  /** A new cookie-keeping client. */
  client(ip?: string): TestClient;
  /** Signs in as the seeded owner. */
  owner(): Promise<TestClient>;
  /** Invites `email` with `role` into the owner's current org and signs them in. */
  member(role: string, email?: string): Promise<TestClient>;
  close(): Promise<void>;
}

/**
/**
 * App + isolated database + seeded owner: what most HTTP tests start from. `lookup` answers the
 * URL guard's DNS questions (the SSRF tests make names resolve to private addresses). `poolMax` widens
 * the PostgreSQL pool for tests that need many statements truly in flight at once (races). The
 * password throttle's first wait is a minute, not a second: a busy test machine must not outwait it
 * between two requests of a test (tests that want it short say `throttleFirstWaitSeconds`).
 */
export async function createTestApp(
  env: Env = {},
  opts: {
    lookup?: LookupFn;
    poolMax?: number;
    throttleFirstWaitSeconds?: number;
    logStream?: { write(line: string): void };
    /** The webhook worker's clock (tests of retries move it forward). */
    clock?: () => Date;
  } = {},
): Promise<TestApp> {
  const db = await createTestDatabase(opts);
  const config = testConfig(env);
  const appSecret = config.APP_SECRET!;
  const app = await buildApp({
    config,
    database: db.database,
    appSecret,
    logger: opts.logStream !== undefined,
    ...(opts.logStream ? { logStream: opts.logStream } : {}),
    ...(opts.lookup ? { lookup: opts.lookup } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    throttleFirstWaitSeconds: opts.throttleFirstWaitSeconds ?? 60,
  });
  const services = app.services;
  const seeded = await services.orgs.setupOwner({
    email: OWNER.email,
    password: OWNER.password,
    orgName: OWNER.org,
  });
  let n = 0;
  const t: TestApp = {
    app,
    database: db.database,
    config,
    orgId: seeded.orgId,
    ownerId: seeded.userId,
    client: (ip) => new TestClient(app, ip),
    async owner() {
      const c = new TestClient(app);
      await c.login(OWNER.email, OWNER.password);
      return c;
    },
    async member(role, email = `member${++n}-${role}@example.com`) {
      const owner = await t.owner();
      const inv = await owner.post('/api/v1/invitations', { email, role });
      if (inv.statusCode !== 201) throw new Error(`invite failed: ${inv.body}`);
      const c = new TestClient(app);
      const acc = await c.post('/api/v1/invitations/accept', {
        token: inv.json().token,
        password: 'member password 1',
        name: role,
      });
      if (acc.statusCode !== 200) throw new Error(`accept failed: ${acc.body}`);
      return c;
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
  return t;
}

/** Talks to the app in-process like a browser: keeps the cookies it is given. */
export class TestClient {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly app: FastifyInstance,
    readonly ip = '10.0.0.1',
  ) {}

  async request(
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await this.app.inject({
      method,
      url,
      remoteAddress: this.ip,
      headers: { ...(cookie ? { cookie } : {}), ...headers },
      ...(body === undefined
        ? {}
        : typeof body === 'string'
          ? { payload: body }
          : { payload: body as object }),
    });
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = c.maxAge === 0 || (c.expires && c.expires.getTime() <= Date.now()) || c.value === '';
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return res;
  }
  get(url: string) {
    return this.request('GET', url);
  }
  post(url: string, body?: unknown) {
    return this.request('POST', url, body);
  }
  patch(url: string, body: unknown) {
    return this.request('PATCH', url, body);
  }
  delete(url: string) {
    return this.request('DELETE', url);
  }
  async login(email: string, password: string) {
    const res = await this.post('/api/v1/auth/login', { email, password });
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
    return res;
  }
}

/** A WebSocket client on a listening app, keeping every frame it receives. */
export async function openSocket(
  baseUrl: string,
  headers: Record<string, string>,
): Promise<{
  ws: import('ws').WebSocket;
  frames: Record<string, unknown>[];
  send(frame: unknown): void;
  waitFor(pred: (frames: Record<string, unknown>[]) => boolean, ms?: number): Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
}> {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, { headers });
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (d, isBinary) => {
    // The protocol is text frames only (browsers would get a Blob for a binary one).
    if (isBinary) throw new Error('received a binary frame');
    frames.push(JSON.parse(String(d)));
  });
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.on('close', (code, reason) => r({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return {
    ws,
    frames,
    closed,
    send: (f) => ws.send(JSON.stringify(f)),
    async waitFor(pred, ms = 5000) {
      const deadline = Date.now() + ms;
      while (!pred(frames)) {
        if (Date.now() > deadline)
          throw new Error(`timed out; frames: ${JSON.stringify(frames).slice(0, 2000)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

export const cookieHeader = (c: TestClient) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
