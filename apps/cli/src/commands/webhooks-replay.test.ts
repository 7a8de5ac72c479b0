import { createSimulator, type Simulator, signWebhookBody } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settings } from '../../../server/test/helpers.ts';
import { type CliServer, startCliServer } from '../../test/cli-server.ts';
import { findEventIds } from './webhooks-replay.ts';

const NUM = {
  phone_number_id: '1700001',
  waba_id: '2700001',
  display_phone_number: '+1 555 017 0001',
  access_token: 'token-replay-cli',
  app_secret: 'replay-cli-app-secret',
};

let sim: Simulator;
let server: CliServer;
/** The stored events, oldest first: two messages from one customer, one from another. */
let ids: number[];

/** A customer's text message, POSTed and signed as Meta does; resolves once it is processed. */
async function deliver(wamid: string, from: string): Promise<number> {
  const payload = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: NUM.waba_id,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550170001', phone_number_id: NUM.phone_number_id },
              contacts: [{ profile: { name: 'Ana' }, wa_id: from }],
              messages: [
                {
                  from,
                  id: wamid,
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  type: 'text',
                  text: { body: `Hello (${wamid})` },
                },
              ],
            },
          },
        ],
      },
    ],
  };
  const { body, signature } = signWebhookBody(payload, NUM.app_secret);
  const res = await fetch(`${server.url}/webhooks/whatsapp`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
  });
  expect(res.status).toBe(200);
  // The server's job processes it; the organisation sees an event once it is processed.
  for (let i = 0; i < 200; i++) {
    const { data } = await server.api.webhookEvents.list({ state: 'processed', limit: 200 });
    const event = data.find((e) => e.raw.includes(wamid));
    if (event) return event.id;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${wamid} was not processed`);
}

beforeAll(async () => {
  sim = await createSimulator({ seed: 17 });
  await sim.listen(0, '127.0.0.1');
  sim.addNumber(NUM);
  server = await startCliServer({ META_GRAPH_URL: sim.url });
  await server.t.app.services.jobs.start({ work: true });
  await server.api.numbers.create({
    display_name: 'Replays',
    phone_number_id: NUM.phone_number_id,
    waba_id: NUM.waba_id,
    access_token: NUM.access_token,
    app_secret: NUM.app_secret,
    verify_token: 'replay-cli-verify',
  });
  ids = [
    await deliver('wamid.REPLAY-1', '16505550101'),
    await deliver('wamid.REPLAY-2', '16505550101'),
    await deliver('wamid.REPLAY-3', '16505550102'),
  ];
});
afterAll(async () => {
  await server?.close();
  await sim?.close();
});

/** Every message the organisation holds, as the API shows them. */
async function messageCount() {
  let n = 0;
  for (const c of (await server.api.conversations.list({ assigned: 'all' })).data)
    n += (await server.api.conversations.messages(c.id)).data.length;
  return n;
}

describe(`openwaba webhooks replay against a running server on ${settings.backend}`, () => {
  it('replays stored events by id, range or state without duplicating anything', async () => {
    const { cli } = server;
    const [first, second, third] = ids as [number, number, number];
    expect(await messageCount()).toBe(3);

    const one = await cli(['webhooks', 'replay', '--id', String(second), '--json']);
    expect(one.code, one.err).toBe(0);
    expect(JSON.parse(one.out)).toEqual({ events: 1, messages: 0, duplicates: 1, statuses: 0, failed: 0 });

    const range = await cli(['webhooks', 'replay', '--from', String(first), '--to', String(second)]);
    expect(range.code, range.err).toBe(0);
    expect(range.out).toBe(
      'Replayed 2 event(s): 0 new message(s), 2 already stored, 0 new status(es), 0 failed',
    );
    const from = JSON.parse((await cli(['webhooks', 'replay', '--from', String(second), '--json'])).out);
    expect(from).toMatchObject({ events: 2, duplicates: 2 });
    const processed = JSON.parse((await cli(['webhooks', 'replay', '--state', 'processed', '--json'])).out);
    expect(processed).toMatchObject({ events: 3, duplicates: 3, failed: 0 });
    const none = await cli(['webhooks', 'replay', '--state', 'failed']);
    expect(none.code).toBe(0);
    expect(none.out).toMatch(/^Replayed 0 event\(s\)/);
    expect(await messageCount()).toBe(3);

    // A range longer than a page of the list is read page by page.
    expect(await findEventIds(server.api, { from: first }, 1)).toEqual(ids);
    expect(await findEventIds(server.api, { from: first, to: second }, 1)).toEqual([first, second]);
    expect(await findEventIds(server.api, { to: third, state: 'processed' }, 2)).toEqual(ids);

    // An id the organisation has no event under: counted as failed, with the server's reason.
    const unknown = await cli(['webhooks', 'replay', '--id', String(third + 1000)]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain(`event ${third + 1000}: Webhook event not found`);
    expect(unknown.err).toContain('error: 1 event(s) failed');
    expect(unknown.out).toMatch(/1 failed$/);
  });

  it('explains bad flags with exit code 2; a role without access is refused', async () => {
    const bad = async (args: string[], message: string) => {
      const r = await server.cli(['webhooks', 'replay', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toBe(`error: ${message}`);
    };
    await bad(
      [],
      'Say which events: --id N, --from N [--to M], and/or --state failed|pending|unparseable|processed',
    );
    await bad(['--state', 'odd'], '--state: must be pending, processed, failed or unparseable');
    await bad(['--id', 'x'], '--id: must be a whole number');
    await bad(['--id', '0'], '--id: must be 1 or more');
    await bad(['--from', '5', '--to', '2'], '--to: must not be before --from');
    await bad(
      ['--id', '1', '--state', 'failed'],
      '--id: replays one event: leave out --from, --to and --state',
    );

    await server.t.member('agent', 'agent-replay@example.com');
    const agent = await server.cli(['webhooks', 'replay', '--state', 'processed'], {
      OPENWABA_ADMIN_EMAIL: 'agent-replay@example.com',
      OPENWABA_ADMIN_PASSWORD: 'member password 1',
    });
    expect(agent.code).toBe(1);
    expect(agent.err).toMatch(/^error: Your role \(agent\) cannot do this/);
  });
});
