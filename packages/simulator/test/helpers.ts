import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSimulator, type SimulatorOptions } from '../src/index.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely and assert on them
export type Loose = any;

export const NUMBER = {
  phone_number_id: '1000001',
  waba_id: '2000001',
  display_phone_number: '+1 555 010 0001',
  access_token: 'token-number-0001',
  app_secret: 'app-secret-0001',
  throughput_mps: 1000,
};

/** Instant customers: every delay 0, nobody undeliverable, no replies unless a test asks. */
export const INSTANT = {
  sent_delay_ms: 0,
  delivered_delay_ms: 0,
  read_delay_ms: 0,
  reply_delay_ms: 0,
  reply_rate: 0,
  undeliverable_rate: 0,
  deliver_rate: 1,
  read_rate: 1,
};

export interface Received {
  raw: string;
  headers: IncomingHttpHeaders;
  body: {
    object: string;
    entry: { id: string; time?: number; changes: { field: string; value: Record<string, unknown> }[] }[];
  };
}

/** A webhook receiver that records raw bodies; `status` decides what it answers. */
export async function startReceiver(status: (n: number) => number = () => 200) {
  const received: Received[] = [];
  let count = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const code = status(count++);
      if (code >= 200 && code < 300) received.push({ raw, headers: req.headers, body: JSON.parse(raw) });
      res.statusCode = code;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  return {
    url,
    received,
    attempts: () => count,
    changes: () => received.flatMap((r) => r.body.entry.flatMap((e) => e.changes)),
    statuses: () =>
      received.flatMap((r) =>
        r.body.entry.flatMap((e) =>
          e.changes.flatMap((c) => (c.value.statuses as Record<string, unknown>[] | undefined) ?? []),
        ),
      ),
    close: () => new Promise((r) => server.close(r)),
  };
}

export async function startSimulator(o: SimulatorOptions = {}, webhookUrl?: string) {
  const sim = await createSimulator({
    seed: 11,
    webhook_batch_ms: 0,
    webhook_retry_ms: [20, 40],
    ...o,
    customers: { ...INSTANT, ...o.customers },
  });
  await sim.listen(0);
  sim.addNumber({ ...NUMBER, ...(webhookUrl ? { webhook_url: webhookUrl } : {}) });
  const graph = async (method: string, path: string, body?: unknown, token = NUMBER.access_token) => {
    const res = await sim.app.inject({
      method: method as 'GET',
      url: path,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, body: res.json() as Loose };
  };
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await sim.app.inject({
      method: method as 'GET',
      url: path,
      ...(body !== undefined
        ? { payload: body as Record<string, unknown>, headers: { 'content-type': 'application/json' } }
        : {}),
    });
    return { status: res.statusCode, body: res.json() as Loose };
  };
  const send = (to: string, content: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    graph('POST', `/v23.0/${NUMBER.phone_number_id}/messages`, {
      messaging_product: 'whatsapp',
      to,
      ...content,
      ...extra,
    });
  return { sim, graph, control, send };
}

export const hmac = (raw: string, secret: string) =>
  `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
