import { randomBytes } from 'node:crypto';
import { startFakeLlm } from '@openwaba/fake-llm';
import { type ConversationStatus, createSimulator } from '@openwaba/simulator';
import type { Services } from '../services.ts';
import { createCloudApiProvider } from '../whatsapp/cloud-api.provider.ts';
import { SANDBOX_TEMPLATES } from './catalogue.ts';
import { sandboxPace } from './pace.ts';

const SANDBOX = {
  phoneNumberId: '100000000000001',
  wabaId: '200000000000001',
  display: '+1 555 000 0001',
  displayName: 'Sandbox number',
};

/**
 * A working WhatsApp number without Meta: while no real number is connected, the Cloud API simulator
 * runs in this process, a sandbox number is wired to it with a small approved template catalogue
 * (synced at once), and the simulator's regular customers hold conversations with it at SANDBOX_PACE.
 * The organisation's AI answers them in auto mode through a fake model this process runs (no key),
 * grounded in a small knowledge base of the sandbox shop, unless the organisation set its own.
 */
export async function startSandbox(services: Services, serverUrl: string) {
  const { config, numbers, log } = services;
  if (config.SANDBOX === 'off' || (await numbers.hasRealNumbers())) return undefined;
  const [org] = await services.database.query<{ id: string }>(
    'select id from orgs order by created_at limit 1',
  );
  if (!org) return undefined;
  const pace = sandboxPace(config.SANDBOX_PACE);
  const secret = () => randomBytes(18).toString('base64url');
  const creds = { accessToken: `sandbox-${secret()}`, appSecret: secret(), verifyToken: secret() };
  const sim = await createSimulator({
    seed: 20261125,
    template_review_ms: 5000,
    // A day of customers' messages and photos at most: the simulator runs as long as the server.
    message_log_size: 5000,
    customers: {
      // Customers the agents add themselves (not the regular ones) sometimes answer too.
      reply_rate: 0.3,
      undeliverable_rate: 0,
      // Random customers keep their phones (tests address them by phone): the username customer of the
      // sandbox is its persona Kenji Sato. `PUT /_sim/customers` can raise the share.
      username_rate: 0,
      read_delay_ms: pace.read_delay_ms,
      reply_delay_ms: pace.reply_delay_ms[1],
    },
  });
  await sim.listen(0, '127.0.0.1');
  sim.addNumber({
    phone_number_id: SANDBOX.phoneNumberId,
    waba_id: SANDBOX.wabaId,
    display_phone_number: SANDBOX.display,
    verified_name: 'openwaba Sandbox',
    access_token: creds.accessToken,
    webhook_url: `${serverUrl.replace('localhost', '127.0.0.1')}/webhooks/whatsapp`,
    app_secret: creds.appSecret,
    throughput_mps: 80,
  });
  for (const t of SANDBOX_TEMPLATES) sim.addTemplate({ ...t, waba_id: SANDBOX.wabaId });
  const provider = createCloudApiProvider({
    baseUrl: sim.url,
    version: config.META_GRAPH_VERSION,
    timeoutMs: 5000,
  });
  const number = await numbers.upsertSandbox(
    org.id,
    {
      phoneNumberId: SANDBOX.phoneNumberId,
      wabaId: SANDBOX.wabaId,
      displayName: SANDBOX.displayName,
      ...creds,
    },
    provider,
  );
  // The catalogue is on the Templates page from the first start, nobody has to press Sync.
  const synced = await services.templates.sync(org.id, { wabaId: SANDBOX.wabaId });
  if (synced.errors.length) log.warn({ errors: synced.errors }, 'sandbox templates not synced');

  // AI replies without a key: the fake model answers the simulated customers from the shop's knowledge.
  const llm = await startFakeLlm({ host: '127.0.0.1', latencyMs: 400 });
  await services.ai.setUpSandbox(org.id, number.id, `${llm.url}/v1`);
  await services.knowledge.seedSandbox(org.id);

  sim.startCast(
    {
      phone_number_id: SANDBOX.phoneNumberId,
      opening: 2,
      conversation_every_ms: pace.conversation_every_ms,
      reply_delay_ms: pace.reply_delay_ms,
      nudge_after_ms: pace.nudge_after_ms,
    },
    {
      // A conversation an agent resolved is over for the customer; they come back with something new later.
      async conversationStatus(waId): Promise<ConversationStatus> {
        const status = await services.conversations.statusWith(org.id, number.id, waId);
        return status === undefined ? 'none' : status === 'resolved' ? 'resolved' : 'open';
      },
      onError: (err) => log.warn({ err }, 'a simulated sandbox customer stumbled'),
    },
  );
  log.info({ simulator: sim.url }, 'sandbox number running on the built-in simulator');
  return {
    simulatorUrl: sim.url,
    display: SANDBOX.display,
    async stop() {
      sim.stopCast();
      await provider.close();
      await sim.close();
      await llm.close();
    },
  };
}
