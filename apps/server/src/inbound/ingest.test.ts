import { type Simulator, signWebhookBody } from '@openwaba/simulator';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulator } from '../../test/helpers/connect-number.ts';
import { metaFixture } from '../../test/helpers/meta-fixtures.ts';
import {
  createTestApp,
  createTestDatabase,
  OWNER,
  settings,
  type TestApp,
  type TestClient,
  testConfig,
} from '../../test/helpers.ts';
import { buildApp } from '../app.ts';
import { signBody } from '../whatsapp/signature.ts';
import { RELOAD_EVERY_MS } from './app-secrets.ts';

const NUMBERS = Array.from({ length: 4 }, (_, i) => ({
  phone_number_id: `700000${i}`,
  waba_id: '7100001',
  display_phone_number: `+1 555 070 000${i}`,
  access_token: `token-ingest-000${i}`,
}));
const SECRET = 'ingest-app-secret-0';

let sim: Simulator;
let t: TestApp;

beforeAll(async () => {
  sim = await startSimulator({ seed: 11 }, NUMBERS);
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  expect((await connect(t.app, 0, SECRET)).statusCode).toBe(201);
}, 60_000);
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

/** Connects NUMBERS[i] through the API, signed in as the seeded owner of `app`. */
async function connect(app: FastifyInstance, i: number, appSecret: string) {
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: OWNER.email, password: OWNER.password },
  });
  const cookie = login.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  return app.inject({
    method: 'POST',
    url: '/api/v1/numbers',
    headers: { cookie },
    payload: {
      display_name: `Ingest ${i}`,
      phone_number_id: NUMBERS[i]!.phone_number_id,
      waba_id: NUMBERS[i]!.waba_id,
      access_token: NUMBERS[i]!.access_token,
      app_secret: appSecret,
      verify_token: `ingest-verify-${i}`,
    },
  });
}

/** Deletes a number through the API, confirming the counts it shows. */
async function deleteNumber(owner: TestClient, id: string) {
  const confirm = (await owner.get(`/api/v1/numbers/${id}/deletion`)).json();
  return owner.request('DELETE', `/api/v1/numbers/${id}`, { confirm });
}

const inboundText = (wamid: string, i = 0) =>
  metaFixture('message-text', {
    wabaId: NUMBERS[i]!.waba_id,
    phoneNumberId: NUMBERS[i]!.phone_number_id,
    displayPhone: '1555070000',
    waId: '447700900321',
    name: 'Ines',
    wamid,
    message: { text: { body: `hello ${wamid}` } },
  });

function post(app: FastifyInstance, body: string | Buffer, signature: string) {
  return app.inject({
    method: 'POST',
    url: '/webhooks/whatsapp',
    payload: body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
  });
}

function deliver(app: FastifyInstance, payload: unknown, secret = SECRET) {
  const { body, signature } = signWebhookBody(payload, secret);
  return post(app, body, signature);
}

async function storedWith(database: TestApp['database'], text: string) {
  const rows = await database.query<{ id: string; xid: string }>(
    `select id::text, xmin::text as xid from webhook_events where position($1 in raw) > 0`,
    [text],
  );
  return rows;
}

describe(`webhook POSTs are stored in groups on ${settings.backend}`, () => {
  it('answers each of many concurrent POSTs only once its bytes are stored, with fewer INSERTs than POSTs', async () => {
    const n = 40;
    const answers = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const res = await deliver(t.app, inboundText(`wamid.GROUP${i}`));
        // Answered: the row must already be there.
        const rows = await storedWith(t.database, `wamid.GROUP${i}"`);
        return { status: res.statusCode, rows };
      }),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(n).fill(200));
    expect(answers.map((a) => a.rows.length)).toEqual(Array(n).fill(1));
    // Rows written by one statement share its transaction id.
    const transactions = new Set(answers.map((a) => a.rows[0]!.xid));
    expect(transactions.size).toBeLessThan(n);
  });

  it('a POST whose bytes hold a raw NUL (PostgreSQL text refuses it) is stored escaped, beside its group', async () => {
    const poison = `{"object":"whatsapp_business_account","entry":[],"note":"wamid.POISON\u0000"}`;
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => deliver(t.app, inboundText(`wamid.BESIDE${i}`))),
      post(t.app, poison, signBody(poison, SECRET)),
      ...Array.from({ length: 10 }, (_, i) => deliver(t.app, inboundText(`wamid.BESIDE${10 + i}`))),
    ]);
    expect(results.map((r) => r.statusCode)).toEqual(Array(21).fill(200));
    for (let i = 0; i < 20; i++) expect(await storedWith(t.database, `wamid.BESIDE${i}"`)).toHaveLength(1);
    expect(await storedWith(t.database, 'wamid.POISON\\u0000')).toHaveLength(1);
  });

  it('queues processing after storing', async () => {
    await deliver(t.app, inboundText('wamid.WAKE'));
    // Queued right after the answer, not before it.
    await vi.waitFor(
      async () => {
        const [row] = await t.database.query<{ n: string }>(
          `select count(*) as n from pgboss.job where name = 'inbound.process-pending'`,
        );
        expect(Number(row!.n)).toBeGreaterThan(0);
      },
      { timeout: 10_000, interval: 50 },
    );
  });
});

describe(`app secrets are cached but never outlive their number on ${settings.backend}`, () => {
  it('a number connected a moment ago verifies at once; a replaced or removed secret stops verifying', async () => {
    const owner = await t.owner();
    // The cache is warm: the first number's POSTs were verified above.
    expect((await deliver(t.app, inboundText('wamid.WARM'))).statusCode).toBe(200);

    const created = await connect(t.app, 1, 'ingest-app-secret-1');
    expect(created.statusCode).toBe(201);
    expect((await deliver(t.app, inboundText('wamid.NEW1', 1), 'ingest-app-secret-1')).statusCode).toBe(200);
    const id = created.json().id;

    expect(
      (await owner.patch(`/api/v1/numbers/${id}`, { app_secret: 'ingest-app-secret-1b' })).statusCode,
    ).toBe(200);
    expect((await deliver(t.app, inboundText('wamid.OLD1', 1), 'ingest-app-secret-1')).statusCode).toBe(401);
    expect((await deliver(t.app, inboundText('wamid.NEW1B', 1), 'ingest-app-secret-1b')).statusCode).toBe(
      200,
    );

    expect((await deleteNumber(owner, id)).statusCode).toBe(200);
    expect((await deliver(t.app, inboundText('wamid.GONE1', 1), 'ingest-app-secret-1b')).statusCode).toBe(
      401,
    );
    expect(await storedWith(t.database, 'wamid.OLD1')).toHaveLength(0);
    expect(await storedWith(t.database, 'wamid.GONE1')).toHaveLength(0);
    // The other number is unaffected.
    expect((await deliver(t.app, inboundText('wamid.STILL'))).statusCode).toBe(200);
  });

  it('two numbers of one Meta app share a secret: removing one leaves the other verifying', async () => {
    const owner = await t.owner();
    const first = await connect(t.app, 2, 'shared-app-secret');
    expect(first.statusCode).toBe(201);
    expect((await connect(t.app, 3, 'shared-app-secret')).statusCode).toBe(201);
    expect((await deliver(t.app, inboundText('wamid.SHARED2', 2), 'shared-app-secret')).statusCode).toBe(200);
    expect((await deleteNumber(owner, first.json().id)).statusCode).toBe(200);
    expect((await deliver(t.app, inboundText('wamid.SHARED3', 3), 'shared-app-secret')).statusCode).toBe(200);
  });
});

describe.skipIf(settings.backend !== 'pg')('app secrets across two processes on one PostgreSQL', () => {
  it('a number connected in one process verifies in the other within a second; a removed one is refused at once', async () => {
    const db = await createTestDatabase();
    const config = testConfig({ META_GRAPH_URL: sim.url });
    const a = await buildApp({ config, database: db.database, appSecret: config.APP_SECRET!, logger: false });
    const b = await buildApp({
      config,
      database: db.connect(),
      appSecret: config.APP_SECRET!,
      logger: false,
    });
    try {
      await a.services.orgs.setupOwner({ email: OWNER.email, password: OWNER.password, orgName: OWNER.org });
      expect((await connect(a, 0, 'process-secret-0')).statusCode).toBe(201);
      expect((await deliver(a, inboundText('wamid.PA0'), 'process-secret-0')).statusCode).toBe(200);
      expect((await deliver(b, inboundText('wamid.PB0'), 'process-secret-0')).statusCode).toBe(200);

      // Connected in b, used in a (whose cache does not know it) within a second: a miss re-reads the
      // numbers at most once a second per process (Meta retries a refused POST).
      expect((await connect(b, 1, 'process-secret-1')).statusCode).toBe(201);
      const started = Date.now();
      let status = 0;
      for (let i = 0; status !== 200 && Date.now() - started < 3 * RELOAD_EVERY_MS; i++) {
        status = (await deliver(a, inboundText(`wamid.PA1-${i}`, 1), 'process-secret-1')).statusCode;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);

      // Removed in b, refused at once by a (whose cache still holds it).
      const [row] = await db.database.query<{ id: string }>(
        'select id from numbers where phone_number_id = $1',
        [NUMBERS[0]!.phone_number_id],
      );
      await b.services.database.query('delete from numbers where id = $1', [row!.id]);
      expect((await deliver(a, inboundText('wamid.PA2'), 'process-secret-0')).statusCode).toBe(401);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});

describe(`pending events are processed by draining on ${settings.backend}`, () => {
  const storeRaw = async (wamid: string) =>
    t.app.services.inbound.store(Buffer.from(signWebhookBody(inboundText(wamid), SECRET).body), {
      appSecret: SECRET,
    });

  it('stored events that were never queued are processed, each once, by concurrent drains', async () => {
    // Events left by earlier tests are pending too: drain them first.
    await t.app.services.inbound.processPending({ lingerMs: 0 });
    const ids: number[] = [];
    for (let i = 0; i < 60; i++) ids.push(await storeRaw(`wamid.DRAIN${i}`));
    const [x, y] = await Promise.all([
      t.app.services.inbound.processPending({ lingerMs: 0, batch: 7 }),
      t.app.services.inbound.processPending({ lingerMs: 0, batch: 5 }),
    ]);
    expect(x!.processed + y!.processed).toBe(60);
    expect([...x!.failed, ...y!.failed]).toEqual([]);
    const rows = await t.database.query<{ state: string; result: { messages: number; duplicates: number } }>(
      'select state, result from webhook_events where id = any($1::bigint[])',
      [ids],
    );
    expect(rows.map((r) => [r.state, r.result.messages, r.result.duplicates])).toEqual(
      Array(60).fill(['processed', 1, 0]),
    );
  });

  it('takes over an event whose claim is older than the lease, not one being processed', async () => {
    const stale = await storeRaw('wamid.STALE');
    const busy = await storeRaw('wamid.BUSY');
    await t.database.query(
      `update webhook_events set processed_at = now() - interval '10 minutes' where id = $1`,
      [stale],
    );
    await t.database.query('update webhook_events set processed_at = now() where id = $1', [busy]);
    const r = await t.app.services.inbound.processPending({ lingerMs: 0 });
    expect(r.processed).toBe(1);
    const rows = await t.database.query<{ id: string; state: string }>(
      'select id::text, state from webhook_events where id = any($1::bigint[]) order by id',
      [[stale, busy]],
    );
    expect(rows.map((row) => row.state)).toEqual(['processed', 'pending']);
  });
});
