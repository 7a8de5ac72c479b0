import { randomBytes } from 'node:crypto';
import { createSimulator } from '@openwaba/simulator';
import type { Services } from '../services.ts';
import { createCloudApiProvider } from '../whatsapp/cloud-api.provider.ts';

const SANDBOX = {
  phoneNumberId: '100000000000001',
  wabaId: '200000000000001',
  display: '+1 555 000 0001',
  displayName: 'Sandbox number',
};
const CUSTOMERS = ['447700900101', '919876500102', '5511988880103', '14155550104'];
const OPENERS = [
  'Hi! Are you open today?',
  'Can I change my delivery address?',
  'Do you ship to Pune?',
  'Thanks for the quick reply 🙏',
];

/**
 * A working WhatsApp number without Meta: while no real number is connected, the Cloud API simulator
 * runs in this process, a sandbox number is wired to it, and simulated customers write in.
 */
export async function startSandbox(services: Services, serverUrl: string) {
  const { config, numbers, log } = services;
  if (config.SANDBOX === 'off' || (await numbers.hasRealNumbers())) return undefined;
  const [org] = await services.database.query<{ id: string }>(
    'select id from orgs order by created_at limit 1',
  );
  if (!org) return undefined;
  const secret = () => randomBytes(18).toString('base64url');
  const creds = { accessToken: `sandbox-${secret()}`, appSecret: secret(), verifyToken: secret() };
  const sim = await createSimulator({
    seed: 20261125,
    template_review_ms: 5000,
    customers: { reply_rate: 0.3, undeliverable_rate: 0, read_delay_ms: 2500, reply_delay_ms: 5000 },
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
  sim.addTemplate({
    waba_id: SANDBOX.wabaId,
    name: 'order_update',
    language: 'en_US',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} is on its way.' }],
  });
  const provider = createCloudApiProvider({
    baseUrl: sim.url,
    version: config.META_GRAPH_VERSION,
    timeoutMs: 5000,
  });
  await numbers.upsertSandbox(
    org.id,
    {
      phoneNumberId: SANDBOX.phoneNumberId,
      wabaId: SANDBOX.wabaId,
      displayName: SANDBOX.displayName,
      ...creds,
    },
    provider,
  );
  let n = 0;
  const writeIn = () => {
    const waId = CUSTOMERS[n % CUSTOMERS.length]!;
    // Now and then a photo, so received media (download, store, serve) shows in a fresh install too.
    if (n % 4 === 3)
      sim.customerSend(SANDBOX.phoneNumberId, waId, 'image', { caption: 'Is this the right one?' });
    else sim.customerSend(SANDBOX.phoneNumberId, waId, 'text', { text: OPENERS[n % OPENERS.length]! });
    n++;
  };
  // A first conversation right away, then now and then.
  writeIn();
  writeIn();
  const timer =
    config.SANDBOX_MESSAGE_EVERY_SECONDS > 0
      ? setInterval(writeIn, config.SANDBOX_MESSAGE_EVERY_SECONDS * 1000)
      : undefined;
  log.info({ simulator: sim.url }, 'sandbox number running on the built-in simulator');
  return {
    simulatorUrl: sim.url,
    display: SANDBOX.display,
    async stop() {
      clearInterval(timer);
      await provider.close();
      await sim.close();
    },
  };
}
