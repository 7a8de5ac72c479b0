import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { edge, node, publishFlow, sentTo } from '../../test/helpers/flows.ts';
import { metaEnvelope } from '../../test/helpers/meta-fixtures.ts';
import { deliverWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';

/**
 * The chain with the flow engine: a run waiting for a reply takes the message before keyword rules,
 * STOP comes before both, a trigger starts a run after the rules, a rule starts a flow.
 *
 * Customers write through the simulator (signed webhooks); the app's chain hands the flow steps to
 * the flow engine.
 */
const WABA = '8833001';
const NUM = {
  phone_number_id: '8833101',
  waba_id: WABA,
  display_phone_number: '+1 555 083 3101',
  access_token: 'tok-chain-flows-1',
  throughput_mps: 80,
};
const SECRET = 'chain-flows-secret';
const phone = (n: number) => `1202557${String(1000 + n).padStart(4, '0')}`;

let sim: Simulator;
let t: TestApp;
let owner: TestClient;

/** A customer writes (signed webhook); what the app's chain did with the message once it has run. */
async function writes(n: number, text: string) {
  const sent = sim.customerSend(NUM.phone_number_id, phone(n), 'text', { text })!;
  await deliverWebhook(t, metaEnvelope(WABA, [sent.change]), SECRET);
  await t.app.services.automationChain.idle();
  const rows = await t.database.query<{ handled_by: string }>(
    `select h.handled_by from automation_handled h join messages m on m.id = h.message_id where m.wamid = $1`,
    [sent.id],
  );
  return rows[0]?.handled_by ?? null;
}

const replies = (n: number) => sentTo(t, phone(n));

async function runsOf(n: number) {
  return t.database.query<{ status: string; end_reason: string | null }>(
    `select r.status, r.end_reason from flow_runs r join contacts k on k.id = r.contact_id
     where k.wa_id = $1 order by r.started_at, r.id`,
    [phone(n)],
  );
}

const published = (name: string, nodes: unknown[], edges: unknown[]) =>
  publishFlow(owner, name, nodes, edges);

let bookingFlow: string;

beforeAll(async () => {
  sim = await startSimulator(
    {
      seed: 33,
      customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
    },
    [NUM],
  );
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  owner = await t.owner();
  await connectNumber(owner, NUM, { appSecret: SECRET, verifyToken: 'chain-flows-verify' });
  bookingFlow = await published(
    'Booking',
    [
      node('t', 'trigger', { kind: 'keyword', match: { kind: 'equals', patterns: ['book'] } }),
      node('q', 'send_text', { text: 'Which day?' }),
      node('w', 'wait_reply', { timeout_minutes: 60, save_as: 'day' }),
      node('ok', 'send_text', { text: 'Booked for {{vars.day}}' }),
      node('late', 'send_text', { text: 'Too late' }),
      node('end', 'end'),
    ],
    [
      edge('t', 'q'),
      edge('q', 'w'),
      edge('w', 'ok', 'reply'),
      edge('w', 'late', 'timeout'),
      edge('ok', 'end'),
      edge('late', 'end'),
    ],
  );
  const rule = (body: Record<string, unknown>) => owner.post('/api/v1/automation/rules', body);
  // A rule that would answer the reply "monday" and one that catches STOP: neither runs when a step before handles.
  expect(
    (
      await rule({
        name: 'Monday',
        match: { kind: 'equals', patterns: ['monday'] },
        actions: [{ type: 'reply_text', text: 'rule: monday' }],
      })
    ).statusCode,
  ).toBe(201);
  expect(
    (
      await rule({
        name: 'Stop',
        match: { kind: 'contains', patterns: ['stop'] },
        actions: [{ type: 'reply_text', text: 'rule: stop' }],
      })
    ).statusCode,
  ).toBe(201);
  expect(
    (
      await rule({
        name: 'Start booking',
        match: { kind: 'equals', patterns: ['reserve'] },
        actions: [
          { type: 'reply_text', text: 'rule: reserving' },
          { type: 'start_flow', flow_id: bookingFlow },
        ],
      })
    ).statusCode,
  ).toBe(201);
  expect(
    (
      await rule({
        name: 'Cancel',
        match: { kind: 'equals', patterns: ['cancel booking'] },
        actions: [{ type: 'stop_flow' }, { type: 'reply_text', text: 'rule: cancelled' }],
      })
    ).statusCode,
  ).toBe(201);
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

describe(`the chain with flows on ${settings.backend}`, () => {
  it('a trigger starts a run; the waiting run takes the reply before the keyword rules', async () => {
    expect(await writes(1, 'book')).toBe('flow_trigger');
    expect(await writes(1, 'Monday')).toBe('waiting_run');
    expect(await replies(1)).toEqual(['Which day?', 'Booked for Monday']);
    expect((await runsOf(1)).map((r) => r.status)).toEqual(['completed']);
    // With no run waiting, the rule answers.
    expect(await writes(1, 'monday')).toBe('rule');
    expect((await replies(1)).at(-1)).toBe('rule: monday');
  });

  it('STOP comes before a waiting run', async () => {
    expect(await writes(2, 'book')).toBe('flow_trigger');
    expect(await writes(2, 'STOP')).toBe('consent');
    expect((await runsOf(2)).map((r) => r.status)).toEqual(['waiting']);
    expect(await replies(2)).toEqual(['Which day?']);
  });

  it('a rule starts a flow; a run waiting for a reply takes even another rule’s keyword', async () => {
    expect(await writes(3, 'reserve')).toBe('rule');
    expect(await replies(3)).toEqual(['rule: reserving', 'Which day?']);
    expect((await runsOf(3)).map((r) => r.status)).toEqual(['waiting']);
    // "cancel booking" is a reply the waiting run takes first: a waiting run comes before rules.
    expect(await writes(3, 'cancel booking')).toBe('waiting_run');
    expect(await writes(3, 'reserve')).toBe('rule');
    const runs = await runsOf(3);
    expect(runs.map((r) => r.status)).toEqual(['completed', 'waiting']);
  });

  it('the test box names the flow a trigger would start', async () => {
    const r = await t.app.services.automationChain.test({ orgId: t.orgId }, { text: 'BOOK' });
    expect(r.handled_by).toBe('flow_trigger');
    expect(r.actions).toEqual([{ type: 'start_flow', flow_id: bookingFlow }]);
    expect(r.steps.at(-1)).toMatchObject({ step: 'flow_trigger', name: 'Booking', outcome: 'handled' });
  });
});
