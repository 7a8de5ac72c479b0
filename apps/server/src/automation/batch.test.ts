import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { edge, node, publishFlow, sentTo } from '../../test/helpers/flows.ts';
import { metaEnvelope } from '../../test/helpers/meta-fixtures.ts';
import { deliverWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import { transaction } from '../db/tx.ts';
import type { AppError } from '../lib/errors.ts';
import type { QueuedMessage } from '../messages/service.ts';

/**
 * Batches (batch.ts): the chain handles many customers' messages in one transaction and the flow
 * sweep many due runs, their sends queued at the end through `outbound.sendMany`. What must hold:
 * each message handled once and one customer's in order; a message the send path refuses is
 * reported where it would have been (the run's log); a batch that fails costs its other messages
 * nothing (one by one); `sendMany` answers per message what `send` would.
 */
const WABA = '8844001';
const NUM = {
  phone_number_id: '8844101',
  waba_id: WABA,
  display_phone_number: '+1 555 084 4101',
  access_token: 'tok-batch-1',
  throughput_mps: 80,
};
const SECRET = 'batch-secret';
const phone = (n: number) => `1202558${String(1000 + n).padStart(4, '0')}`;

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let numberId: string;
let delayFlow: string;

/** Customers' messages, all in one signed webhook (one inbound transaction: queued for the chain together). */
async function together(messages: [n: number, text: string][]) {
  const sent = messages.map(
    ([n, text]) => sim.customerSend(NUM.phone_number_id, phone(n), 'text', { text })!,
  );
  await deliverWebhook(
    t,
    metaEnvelope(
      WABA,
      sent.map((s) => s.change),
    ),
    SECRET,
  );
  await t.app.services.automationChain.idle();
  return sent.map((s) => s.id);
}

const handledBy = async (wamid: string) =>
  (
    await t.database.query<{ handled_by: string }>(
      `select h.handled_by from automation_handled h join messages m on m.id = h.message_id where m.wamid = $1`,
      [wamid],
    )
  ).map((r) => r.handled_by);

const replies = (n: number) => sentTo(t, phone(n));

const contactId = async (n: number) =>
  (
    await t.database.query<{ id: string }>(`select id from contacts where org_id = $1 and wa_id = $2`, [
      t.orgId,
      phone(n),
    ])
  )[0]!.id;

async function runOf(n: number) {
  const [r] = await t.database.query<{ id: string; status: string; end_reason: string | null }>(
    `select r.id, r.status, r.end_reason from flow_runs r join contacts k on k.id = r.contact_id
     where k.wa_id = $1 order by r.started_at desc, r.id limit 1`,
    [phone(n)],
  );
  return r!;
}

const published = (name: string, nodes: unknown[], edges: unknown[]) =>
  publishFlow(owner, name, nodes, edges);

beforeAll(async () => {
  sim = await startSimulator(
    {
      seed: 44,
      customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
    },
    [NUM],
  );
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  owner = await t.owner();
  numberId = await connectNumber(owner, NUM, { appSecret: SECRET, verifyToken: 'batch-verify' });
  await published(
    'Booking',
    [
      node('t', 'trigger', { kind: 'keyword', match: { kind: 'equals', patterns: ['book'] } }),
      node('q', 'send_text', { text: 'Which day?' }),
      node('w', 'wait_reply', { timeout_minutes: 60, save_as: 'day' }),
      node('ok', 'send_text', { text: 'Booked for {{vars.day}}' }),
      node('end', 'end'),
    ],
    [
      edge('t', 'q'),
      edge('q', 'w'),
      edge('w', 'ok', 'reply'),
      edge('w', 'end', 'timeout'),
      edge('ok', 'end'),
    ],
  );
  delayFlow = await published(
    'Later',
    [
      node('t', 'trigger', { kind: 'api' }),
      node('d', 'delay', { seconds: 60 }),
      node('s', 'send_text', { text: 'A minute later' }),
      node('end', 'end'),
    ],
    [edge('t', 'd'), edge('d', 's'), edge('s', 'end')],
  );
  const rule = await owner.post('/api/v1/automation/rules', {
    name: 'Hello',
    match: { kind: 'equals', patterns: ['hello'] },
    actions: [{ type: 'reply_text', text: 'Hi there' }],
  });
  expect(rule.statusCode, rule.body).toBe(201);
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

describe(`batches on ${settings.backend}`, () => {
  it('many customers at once: each message handled once, one customer’s in the order they wrote', async () => {
    const ids = await together([
      [1, 'hello'],
      [2, 'book'],
      [3, 'hello'],
      [2, 'monday'],
      [4, 'nothing to see'],
      [2, 'hello'],
    ]);
    const by = await Promise.all(ids.map(handledBy));
    expect(by).toEqual([['rule'], ['flow_trigger'], ['rule'], ['waiting_run'], ['nothing'], ['rule']]);
    expect(await replies(1)).toEqual(['Hi there']);
    expect(await replies(3)).toEqual(['Hi there']);
    // Customer 2: the flow started, the run took "monday", then the rule answered "hello".
    expect(await replies(2)).toEqual(['Which day?', 'Booked for monday', 'Hi there']);
    expect(await replies(4)).toEqual([]);
    const stats = await owner.get('/api/v1/automation/rules');
    expect(stats.json().data[0]).toMatchObject({ name: 'Hello', matched_count: 3 });
    // The run's log, written with the batch, in order.
    const run = await runOf(2);
    expect(run.status).toBe('completed');
    const steps = await t.database.query<{ node_id: string; outcome: string }>(
      `select node_id, outcome from flow_run_steps where run_id = $1 order by id`,
      [run.id],
    );
    expect(steps.map((s) => `${s.node_id}:${s.outcome}`)).toEqual([
      't:entered',
      't:completed',
      'q:entered',
      'q:completed',
      'w:entered',
      'w:waiting',
      'w:entered',
      'w:completed',
      'ok:entered',
      'ok:completed',
      'end:entered',
      'end:completed',
    ]);
  });

  it('a message the send path refuses in a batch goes into the run’s log as it would alone; the others go', async () => {
    await together([[5, 'book']]);
    expect(await replies(5)).toEqual(['Which day?']);
    const stop = await owner.post(`/api/v1/contacts/${await contactId(5)}/consent`, { kind: 'opt_out' });
    expect(stop.statusCode, stop.body).toBe(201);
    await together([
      [5, 'tuesday'],
      [6, 'hello'],
    ]);
    expect(await replies(5)).toEqual(['Which day?']);
    expect(await replies(6)).toEqual(['Hi there']);
    const run = await runOf(5);
    expect(run.status).toBe('completed');
    const steps = await t.database.query<{
      node_id: string;
      outcome: string;
      detail: string | null;
      error: string | null;
    }>(
      `select node_id, outcome, detail, error from flow_run_steps where run_id = $1 and node_id = 'ok' order by id`,
      [run.id],
    );
    expect(steps).toMatchObject([
      { outcome: 'entered' },
      { outcome: 'error', detail: 'reply_text', error: expect.stringMatching(/opted out/) },
      { outcome: 'completed', detail: 'not sent' },
    ]);
  });

  it('a batch that fails is handled one by one: the bad message alone fails, the others are answered', async () => {
    await together([[7, 'book']]);
    const broken = await runOf(7);
    // A run on a version that does not exist: advancing it throws.
    await t.database.query(`update flow_runs set version = 999 where id = $1`, [broken.id]);
    const ids = await together([
      [8, 'hello'],
      [7, 'friday'],
      [9, 'hello'],
    ]);
    expect(await replies(8)).toEqual(['Hi there']);
    expect(await replies(9)).toEqual(['Hi there']);
    expect(await handledBy(ids[0]!)).toEqual(['rule']);
    // Not claimed: its transaction was undone (the sweep tries again later).
    expect(await handledBy(ids[1]!)).toEqual([]);
    expect(await replies(7)).toEqual(['Which day?']);
    await t.database.query(`update flow_runs set version = 1 where id = $1`, [broken.id]);
    expect(await t.app.services.automationChain.sweep({ minAgeSeconds: 0 })).toBe(1);
    expect(await handledBy(ids[1]!)).toEqual(['waiting_run']);
    expect(await replies(7)).toEqual(['Which day?', 'Booked for friday']);
  });

  it('due runs advance together; a run that throws is marked failed alone', async () => {
    await together([
      [10, 'hi'],
      [11, 'hi'],
      [12, 'hi'],
    ]);
    const runIds: string[] = [];
    for (const n of [10, 11, 12]) {
      const r = await owner.post(`/api/v1/automation/flows/${delayFlow}/runs`, {
        contact_id: await contactId(n),
        number_id: numberId,
      });
      expect(r.statusCode, r.body).toBe(201);
      runIds.push(r.json().id);
    }
    await t.database.query(
      `update flow_runs set due_at = now() - interval '1 second' where id = any($1::uuid[])`,
      [runIds],
    );
    await t.database.query(`update flow_runs set version = 999 where id = $1`, [runIds[1]]);
    expect(await t.app.services.flowEngine.sweepDue()).toBe(3);
    const rows = await t.database.query<{ id: string; status: string; end_reason: string | null }>(
      `select id, status, end_reason from flow_runs where id = any($1::uuid[])`,
      [runIds],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(runIds[0]!)!.status).toBe('completed');
    expect(byId.get(runIds[2]!)!.status).toBe('completed');
    expect(byId.get(runIds[1]!)).toMatchObject({
      status: 'failed',
      end_reason: expect.stringMatching(/version 999/),
    });
    expect(await replies(10)).toEqual(['A minute later']);
    expect(await replies(11)).toEqual([]);
    expect(await replies(12)).toEqual(['A minute later']);
  });

  it('sendMany answers per message what send would, queues the rest in order, and honours a cap crossed midway', async () => {
    await together([
      [20, 'hi'],
      [21, 'hi'],
    ]);
    const c20 = await contactId(20);
    const c21 = await contactId(21);
    // Customer 22 never wrote: no window; customer 21 opts out.
    const made = await owner.post('/api/v1/contacts', { phone: `+${phone(22)}`, name: 'No window' });
    expect(made.statusCode, made.body).toBe(201);
    expect((await owner.post(`/api/v1/contacts/${c21}/consent`, { kind: 'opt_out' })).statusCode).toBe(201);
    const text = (body: string) => ({ type: 'text', text: { body } });
    const input = (contactId: string, body: string) => ({
      numberId,
      to: { contactId },
      content: text(body),
      source: 'automation' as const,
    });
    const many = (inputs: ReturnType<typeof input>[]) =>
      transaction(t.database.db, (tx, onCommit) =>
        t.app.services.outbound.sendMany(tx, onCommit, t.orgId, inputs),
      );
    const code = (r: QueuedMessage | AppError) => ('code' in r ? r.code : 'queued');
    const out = await many([
      input(c20, 'one'),
      input(c21, 'to the opted out'),
      input(made.json().id, 'no window'),
      input('00000000-0000-4000-8000-000000000000', 'nobody'),
      { ...input(c20, 'bad'), content: { type: 'text', text: {} } as unknown as ReturnType<typeof text> },
      input(c20, 'two'),
    ]);
    expect(out.map(code)).toEqual([
      'queued',
      'CONSENT_REQUIRED',
      'WINDOW_CLOSED',
      'NOT_FOUND',
      'VALIDATION_FAILED',
      'queued',
    ]);
    expect(await replies(20)).toEqual(['one', 'two']);
    // The same refusals `send` throws, message for message.
    const alone = await t.app.services.outbound
      .send(t.orgId, input(c21, 'to the opted out'))
      .catch((e: AppError) => e);
    expect((alone as AppError).message).toBe((out[1] as AppError).message);

    // A daily cap with room for two more: of three, two go and the third is refused.
    const used = (await owner.get('/api/v1/billing')).json().today.messages as number;
    expect((await owner.patch('/api/v1/billing/caps', { daily_message_cap: used + 2 })).statusCode).toBe(200);
    const capped = await many([input(c20, 'three'), input(c20, 'four'), input(c20, 'five')]);
    expect(capped.map(code)).toEqual(['queued', 'queued', 'CAP_REACHED']);
    expect(await replies(20)).toEqual(['one', 'two', 'three', 'four']);
    expect((await owner.patch('/api/v1/billing/caps', { daily_message_cap: null })).statusCode).toBe(200);
  });
});
