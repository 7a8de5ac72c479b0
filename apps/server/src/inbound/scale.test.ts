import { type Simulator, signWebhookBody } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';
import { applyParkedStatuses } from '../messages/repo.ts';

// The exactness checks at full size: 10,000 messages. Meta batches many changes per POST,
// so messages and statuses travel 100 to an event, as a busy number's would.
const N = 10_000;
const PER_EVENT = 100;
const NUM = {
  phone_number_id: '6000001',
  waba_id: '6100001',
  display_phone_number: '+1 555 060 0001',
  access_token: 'tok-scale-1',
};
const SECRET = 'scale-secret';

let sim: Simulator;
let t: TestApp;
let numberId: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3 }, [NUM]);
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  numberId = await connectNumber(await t.owner(), NUM, {
    appSecret: SECRET,
    displayName: 'Scale',
    verifyToken: 'scale-verify',
  });
}, 60_000);
afterAll(async () => {
  await t.close();
  await sim.close();
});

/** A small seeded generator: the same permutations every run, so a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const envelope = (value: Record<string, unknown>) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: NUM.waba_id,
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550600001', phone_number_id: NUM.phone_number_id },
            ...value,
          },
        },
      ],
    },
  ],
});

async function store(payload: unknown): Promise<number> {
  const { body } = signWebhookBody(payload, SECRET);
  return t.app.services.inbound.store(Buffer.from(body), { appSecret: SECRET });
}

/** Runs tasks with bounded concurrency (the job worker's shape). */
async function pool<T>(items: T[], width: number, fn: (x: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

describe(`exactness at ${N.toLocaleString('en')} messages on ${settings.backend}`, () => {
  it(`${N} distinct inbound messages, each delivered 3 times concurrently → exactly ${N} rows`, async () => {
    const now = Math.floor(Date.now() / 1000);
    const events: number[] = [];
    for (let b = 0; b < N / PER_EVENT; b++) {
      const messages = Array.from({ length: PER_EVENT }, (_, i) => {
        const k = b * PER_EVENT + i;
        return {
          from: `1650${String(5_000_000 + (k % 500)).padStart(7, '0')}`,
          id: `wamid.SCALE-IN-${k}`,
          timestamp: String(now - N + k),
          type: 'text',
          text: { body: `message ${k}` },
        };
      });
      const payload = envelope({ contacts: [], messages });
      for (let copy = 0; copy < 3; copy++) events.push(await store(payload));
    }
    const rnd = random(42);
    const shuffled = events
      .map((e) => [rnd(), e] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, e]) => e);
    let stored = 0;
    let duplicates = 0;
    await pool(shuffled, 6, async (id) => {
      const r = await t.app.services.inbound.processEvent(id);
      stored += r.messages;
      duplicates += r.duplicates;
    });
    const [row] = await t.database.query<{ n: string; distinct_wamids: string }>(
      `select count(*) as n, count(distinct wamid) as distinct_wamids from messages where wamid like 'wamid.SCALE-IN-%'`,
    );
    expect([Number(row!.n), Number(row!.distinct_wamids)]).toEqual([N, N]);
    expect([stored, duplicates]).toEqual([N, 2 * N]);
    const [conv] = await t.database.query<{ n: string; unread: string }>(
      `select count(*) as n, sum(unread_count) as unread from conversations where number_id = $1`,
      [numberId],
    );
    // 500 customers; every message counted unread exactly once.
    expect([Number(conv!.n), Number(conv!.unread)]).toEqual([500, N]);
  }, 900_000);

  it(`random permutations of sent/delivered/read/failed for ${N} messages: no downgrade, right final state, parked applied`, async () => {
    const rnd = random(7);
    const [conv] = await t.database.query<{ id: string }>(
      'select id from conversations where number_id = $1 limit 1',
      [numberId],
    );
    const wamid = (k: number) => `wamid.SCALE-OUT-${k}`;
    // The send path records outbound messages; 10% are recorded only after their statuses arrive.
    const late = (k: number) => k % 10 === 0;
    const insertOutbound = async (ks: number[]) => {
      for (let i = 0; i < ks.length; i += 1000) {
        await t.database.query(
          `insert into messages (org_id, number_id, conversation_id, direction, wamid, type, content, sent_at, status)
           select $1, $2, $3, 'out', 'wamid.SCALE-OUT-' || k, 'template', '{}'::jsonb, now(), 'accepted'
           from unnest($4::int[]) as k`,
          [t.orgId, numberId, conv!.id, ks.slice(i, i + 1000)],
        );
      }
    };
    await insertOutbound(Array.from({ length: N }, (_, k) => k).filter((k) => !late(k)));

    const expected = new Map<string, string>();
    const statuses: Record<string, unknown>[] = [];
    const base = Math.floor(Date.now() / 1000);
    for (let k = 0; k < N; k++) {
      const chain = ['sent', 'delivered', 'read'].slice(0, 1 + Math.floor(rnd() * 3));
      const fails = rnd() < 0.1;
      const set = fails ? [...chain.slice(0, 1), 'failed'] : chain;
      expected.set(wamid(k), fails ? 'failed' : chain[chain.length - 1]!);
      set.forEach((status, i) => {
        statuses.push({
          id: wamid(k),
          status,
          timestamp: String(base + i),
          recipient_id: '16505550000',
          ...(status === 'failed'
            ? { errors: [{ code: 131026, title: 'Message undeliverable', message: 'Message undeliverable' }] }
            : {}),
        });
      });
    }
    // Any order at all: shuffle every status, then batch them as webhook events.
    const shuffled = statuses
      .map((s) => [rnd(), s] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, s]) => s);
    const events: number[] = [];
    for (let i = 0; i < shuffled.length; i += PER_EVENT) {
      events.push(await store(envelope({ statuses: shuffled.slice(i, i + PER_EVENT) })));
    }
    let parked = 0;
    await pool(events, 6, async (id) => {
      parked += (await t.app.services.inbound.processEvent(id)).parked;
    });
    expect(parked).toBeGreaterThan(0);

    // The late messages are recorded now, each followed by its parked statuses (as the send path does).
    const lateKs = Array.from({ length: N }, (_, k) => k).filter(late);
    await insertOutbound(lateKs);
    await pool(lateKs, 6, (k) =>
      t.database.db.transaction((tx) => applyParkedStatuses(tx, numberId, wamid(k))),
    );

    const rows = await t.database.query<{ wamid: string; status: string }>(
      `select wamid, status from messages where wamid like 'wamid.SCALE-OUT-%'`,
    );
    expect(rows).toHaveLength(N);
    const wrong = rows.filter((r) => expected.get(r.wamid) !== r.status);
    expect(wrong.slice(0, 5)).toEqual([]);
    const [left] = await t.database.query<{ n: string }>(
      `select count(*) as n from message_status_events where number_id = $1 and not applied`,
      [numberId],
    );
    expect(Number(left!.n)).toBe(0);
  }, 900_000);
});
