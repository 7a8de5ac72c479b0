import { createSimulator, type Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudApiProvider } from './cloud-api.provider.ts';
import { GraphError } from './graph-error.ts';
import { type ContractWorld, providerContract } from './provider.contract.ts';
import type { WhatsAppProvider } from './provider.ts';

const NUMBER = {
  phone_number_id: '1000001',
  waba_id: '2000001',
  display_phone_number: '+1 555 010 0001',
  access_token: 'token-number-1',
  throughput_mps: 1000,
};
const RECIPIENT = '16505551234';

let sim: Simulator;
let provider: WhatsAppProvider;
let world: ContractWorld;
/** The client on the Graph version openwaba built against first: the contract holds there too. */
let previous: WhatsAppProvider;

beforeAll(async () => {
  sim = await createSimulator({
    seed: 3,
    customers: {
      sent_delay_ms: 0,
      delivered_delay_ms: 0,
      read_delay_ms: 0,
      reply_rate: 0,
      undeliverable_rate: 0,
    },
    pair_rate_burst: 1000,
  });
  const url = await sim.listen(0);
  sim.addNumber(NUMBER);
  sim.addNumber({
    ...NUMBER,
    phone_number_id: '1000002',
    access_token: 'token-expired',
    token_status: 'expired',
  });
  sim.addNumber({
    ...NUMBER,
    phone_number_id: '1000003',
    access_token: 'token-of-app-1',
    app_secret: 'secret-of-app-1',
    app_id: '123456789012345',
  });
  sim.addTemplate({
    waba_id: NUMBER.waba_id,
    name: 'order_ready',
    language: 'en_US',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Hi {{1}}, your order is ready.' }],
  });
  sim.setCustomer(RECIPIENT, { window: 'open' });
  provider = createCloudApiProvider({ baseUrl: url, version: 'v25.0', timeoutMs: 2000 });
  previous = createCloudApiProvider({ baseUrl: url, version: 'v23.0', timeoutMs: 2000 });
  world = {
    provider,
    number: { phoneNumberId: NUMBER.phone_number_id, accessToken: NUMBER.access_token },
    waba: { wabaId: NUMBER.waba_id, accessToken: NUMBER.access_token },
    recipient: RECIPIENT,
    template: { name: 'order_ready', language: 'en_US' },
    expired: { phoneNumberId: '1000002', accessToken: 'token-expired' },
    app: {
      number: { phoneNumberId: '1000003', accessToken: 'token-of-app-1', appSecret: 'secret-of-app-1' },
      appId: '123456789012345',
      otherSecret: 'secret-of-app-2',
    },
    async addTemplates(count) {
      for (let i = 0; i < count; i++) {
        sim.addTemplate({
          waba_id: NUMBER.waba_id,
          name: `paging_${i}`,
          language: 'en_US',
          category: 'MARKETING',
          components: [{ type: 'BODY', text: `Offer number ${i} for you.` }],
        });
      }
    },
  };
});
afterAll(async () => {
  await provider?.close();
  await previous?.close();
  await sim?.close();
});

describe('Graph client against the simulator (provider contract), Graph v25.0', () => {
  providerContract(() => world);
});

describe('Graph client against the simulator (provider contract), Graph v23.0', () => {
  providerContract(() => ({ ...world, provider: previous }));
});

describe('Graph client: business portfolio and the Marketing Messages API', () => {
  it('reads the WABA: its owner business and Marketing Messages API onboarding status', async () => {
    const w = await provider.getWaba({ wabaId: NUMBER.waba_id, accessToken: NUMBER.access_token });
    expect(w).toMatchObject({
      id: NUMBER.waba_id,
      owner_business_info: { id: expect.stringMatching(/^\d+$/) },
      marketing_messages_onboarding_status: 'NOT_STARTED',
    });
  });

  it('sends a MARKETING template to /marketing_messages with message_send_ttl_seconds; 134100 when not onboarded', async () => {
    sim.addTemplate({
      waba_id: NUMBER.waba_id,
      name: 'mm_offer',
      language: 'en_US',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'An offer for you.' }],
    });
    const creds = { phoneNumberId: NUMBER.phone_number_id, accessToken: NUMBER.access_token };
    const content = {
      type: 'template' as const,
      template: { name: 'mm_offer', language: { code: 'en_US' }, components: [] },
    };
    const refused = await provider
      .sendMessage(creds, RECIPIENT, content, { marketingMessages: { ttlSeconds: 86_400 } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GraphError);
    expect((refused as GraphError).code).toBe(134100);
    sim.updateNumber(NUMBER.phone_number_id, { marketing_messages_onboarded: true });
    try {
      const sent = await provider.sendMessage(creds, RECIPIENT, content, {
        marketingMessages: { ttlSeconds: 86_400 },
        bizOpaqueCallbackData: 'ow:mm',
      });
      expect(sim.getMessage(sent.wamid)).toMatchObject({
        via: 'marketing_messages',
        ttl_seconds: 86_400,
        biz_opaque_callback_data: 'ow:mm',
      });
      const plain = await provider.sendMessage(creds, RECIPIENT, content);
      expect(sim.getMessage(plain.wamid)?.via).toBeUndefined();
    } finally {
      sim.updateNumber(NUMBER.phone_number_id, { marketing_messages_onboarded: false });
    }
  });
});

describe('Graph client failure handling', () => {
  it('throughput beyond the number’s limit is a throttled, retryable 130429', async () => {
    sim.updateNumber(NUMBER.phone_number_id, { throughput_mps: 5 });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        provider.sendMessage(world.number, RECIPIENT, { type: 'text', text: { body: 'hi' } }),
      ),
    );
    const errors = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason as GraphError);
    expect(errors.length).toBeGreaterThan(0);
    expect(
      errors.every((e) => e.code === 130429 && e.kind === 'throttled' && e.retryable && e.status === 429),
    ).toBe(true);
    sim.updateNumber(NUMBER.phone_number_id, { throughput_mps: 1000 });
  });

  it('a 5xx fault is transient and retryable; a connection reset is a network error', async () => {
    sim.setFaults({ http_5xx: { next: 1 } });
    const e1 = (await provider.getPhoneNumber(world.number).catch((e: unknown) => e)) as GraphError;
    expect(e1.status).toBe(503);
    expect(e1.kind).toBe('transient');
    expect(e1.retryable).toBe(true);
    sim.setFaults({ reset: { next: 1 } });
    const e2 = (await provider.getPhoneNumber(world.number).catch((e: unknown) => e)) as GraphError;
    expect(e2).toBeInstanceOf(GraphError);
    expect(e2.code).toBe('NETWORK');
    expect(e2.retryable).toBe(true);
    sim.setFaults({});
    await expect(provider.getPhoneNumber(world.number)).resolves.toMatchObject({
      id: NUMBER.phone_number_id,
    });
  });

  it('a response slower than the timeout becomes a TIMEOUT error', async () => {
    const quick = createCloudApiProvider({ baseUrl: sim.url, version: 'v23.0', timeoutMs: 200 });
    sim.setFaults({ slow: { next: 1, ms: 1000 } });
    const e = (await quick.getPhoneNumber(world.number).catch((x: unknown) => x)) as GraphError;
    sim.setFaults({});
    await quick.close();
    expect(e.code).toBe('TIMEOUT');
    expect(e.retryable).toBe(true);
  });

  it('the API version in the path comes from config', async () => {
    const other = createCloudApiProvider({ baseUrl: sim.url, version: 'v99.x', timeoutMs: 2000 });
    const e = (await other.getPhoneNumber(world.number).catch((x: unknown) => x)) as GraphError;
    await other.close();
    expect(e.code).toBe(100);
    expect(e.title).toMatch(/Unknown version: v99.x/);
  });
});
