import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppAPI } from 'whatsapp-api-js';
import { Text } from 'whatsapp-api-js/messages';
import { NUMBER, startSimulator } from '../test/helpers.ts';
import { userId } from './events/context.ts';

/**
 * Fidelity with a popular third-party client library, whatsapp-api-js, pointed at the simulator
 * instead of graph.facebook.com: it sends (to a phone and to a BSUID), uploads media the way it does
 * (`messaging_product` in the query string) and reads the simulator's signed webhooks — one change
 * per POST (`webhook_batch_ms: 0`), since it reads only the first change of a body.
 */
type Harness = Awaited<ReturnType<typeof startSimulator>>;
let h: Harness;
let api: WhatsAppAPI;
let receiver: ReturnType<typeof createServer>;
const seen: { kind: string; id: string; from: string | undefined; bsuid: string | undefined }[] = [];
const rejected: string[] = [];

beforeAll(async () => {
  // The library's webhook side: it verifies the signature and hands over the first change.
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      try {
        await api.post(JSON.parse(raw), raw, String(req.headers['x-hub-signature-256'] ?? ''));
        res.statusCode = 200;
      } catch (err) {
        rejected.push(String(err));
        res.statusCode = 500;
      }
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook`;
  h = await startSimulator({ webhook_batch_ms: 0 }, url);
  api = new WhatsAppAPI({
    token: NUMBER.access_token,
    appSecret: NUMBER.app_secret,
    v: 'v25.0',
    // The library calls graph.facebook.com; the simulator answers at its own address, same paths.
    ponyfill: {
      fetch: (input: RequestInfo | URL, init?: RequestInit) =>
        fetch(String(input).replace('https://graph.facebook.com', h.sim.url), init),
    },
  });
  api.on.message = ({ message, recipient }) => {
    // A customer's recipient (not a group's): a phone, a BSUID, or both.
    const who = recipient as { phone?: string; bsuid?: string };
    seen.push({ kind: 'message', id: message.id, from: who.phone, bsuid: who.bsuid });
  };
  api.on.status = ({ id }) => {
    seen.push({ kind: 'status', id, from: undefined, bsuid: undefined });
  };
});
afterAll(async () => {
  await h.sim.close();
  await new Promise((r) => receiver.close(r));
});

describe('whatsapp-api-js against the simulator', () => {
  it('sends a text to a phone and to a BSUID; every status reaches the library', async () => {
    h.sim.setCustomer('16505550301', { window: 'open' });
    const toPhone = await api.sendMessage(
      NUMBER.phone_number_id,
      '16505550301',
      new Text('Hello from a library'),
    );
    expect(toPhone).toMatchObject({ messaging_product: 'whatsapp', contacts: [{ wa_id: '16505550301' }] });
    const wamid = (toPhone as { messages: { id: string }[] }).messages[0]!.id;

    h.sim.setCustomer('16505550302', { username: 'lib.user', window: 'open' });
    const bsuid = userId('16505550302');
    const toBsuid = await api.sendMessage(NUMBER.phone_number_id, { bsuid }, new Text('Hello, username'));
    expect(toBsuid).toMatchObject({ contacts: [{ input: bsuid, user_id: bsuid }] });

    await h.sim.settle();
    // sent, delivered, read each in its own POST: the library saw all three, not only the first.
    expect(seen.filter((s) => s.kind === 'status' && s.id === wamid)).toHaveLength(3);
    expect(rejected).toEqual([]);
  });

  it('uploads media with messaging_product in the query string, as the library does', async () => {
    const form = new FormData();
    form.append(
      'file',
      new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])], { type: 'image/jpeg' }),
    );
    form.append('type', 'image/jpeg');
    const uploaded = await api.uploadMedia(NUMBER.phone_number_id, form);
    expect(uploaded).toMatchObject({ id: expect.stringMatching(/\S+/) });
  });

  it('reads customer messages, a username customer’s by BSUID', async () => {
    await h.control('POST', '/_sim/customers/16505550303/messages', {
      phone_number_id: NUMBER.phone_number_id,
      type: 'text',
      text: 'Hi, I have a question',
    });
    h.sim.setCustomer('16505550304', { username: 'asks.things' });
    await h.control('POST', '/_sim/customers/16505550304/messages', {
      phone_number_id: NUMBER.phone_number_id,
      type: 'text',
      text: 'Me too',
    });
    await h.sim.settle();
    const messages = seen.filter((s) => s.kind === 'message');
    expect(messages.map((m) => [m.from, m.bsuid])).toEqual(
      expect.arrayContaining([
        ['16505550303', expect.anything()],
        [undefined, userId('16505550304')],
      ]),
    );
    expect(rejected).toEqual([]);
  });
});
