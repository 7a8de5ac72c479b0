import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { SimulatorOptions } from './config.ts';
import { registerControlRoutes } from './control-routes.ts';
import { buildCore } from './core/build-core.ts';
import type { SimOptions } from './core/store.ts';
import { registerGraphRoutes } from './graph/routes.ts';

export type Simulator = ReturnType<typeof buildSimulator>;

/**
 * Creates a Cloud API simulator. Nothing listens until `listen()`; tests and the sandbox can also
 * embed it in-process.
 *
 * @example
 * const sim = await createSimulator({ seed: 7 });
 * await sim.listen(0);
 * sim.addNumber({ phone_number_id: '1001', waba_id: '2001', display_phone_number: '+1 555 0100', access_token: 'token-1001' });
 */
export async function createSimulator(options: SimulatorOptions = {}) {
  const sim = buildSimulator(SimulatorOptions.parse(options));
  await sim.app.ready();
  return sim;
}

function buildSimulator(opts: SimOptions) {
  const core = buildCore(opts);
  const app: FastifyInstance = Fastify({
    logger: opts.logger,
    bodyLimit: 8 * 1024 * 1024,
    keepAliveTimeout: 65_000,
    forceCloseConnections: true,
  });
  void app.register(multipart, { limits: { fileSize: 100 * 1024 * 1024, files: 1, fields: 10 } });
  registerGraphRoutes(app, core);
  registerControlRoutes(app, core);

  return {
    app,
    /** Base URL once listening, e.g. http://127.0.0.1:4010 — pass it as META_GRAPH_URL. */
    get url() {
      return core.publicUrl;
    },
    async listen(port = 0, host = '127.0.0.1') {
      const address = await app.listen({ port, host });
      if (!opts.public_url) core.setPublicUrl(address.replace('[::1]', 'localhost'));
      return core.publicUrl;
    },
    async close() {
      core.stopCast();
      for (const t of core.timers) clearTimeout(t);
      core.timers.clear();
      core.webhooks.close();
      await app.close();
    },
    addNumber: core.addNumber,
    numbers: () => [...core.numbers.values()].map((n) => core.publicNumber(n)),
    updateNumber: core.updateNumber,
    addTemplate: core.addTemplate,
    setTemplateStatus: core.setTemplateStatus,
    setTemplateCategory: core.setTemplateCategory,
    customerSend: core.customerSend,
    emitEvent: core.emitEvent,
    setFaults: core.setFaults,
    setBehaviour: core.setBehaviour,
    setCustomer: core.setCustomer,
    /**
     * Regular customers who hold scripted conversations with a number: they write first now and then,
     * answer what the business sends them after a human delay, and stop when the conversation is over.
     */
    startCast: core.startCast,
    stopCast: core.stopCast,
    stats: core.snapshotStats,
    sentMessages: () => [...core.sent.values()],
    getMessage: (id: string) => core.sent.get(id),
    /** A customer's message as the simulator keeps it (`read` once the business marked it read). */
    inboundMessage: (id: string) => core.inbound.get(id),
    templates: () => [...core.templates.values()],
    events: () => [...core.events],
    webhookDeliveries: (limit?: number) => core.webhooks.deliveries(limit),
    reset: core.reset,
    loadSeed: core.loadSeed,
    /** Resolves when no status, reply or review is scheduled and every webhook has been delivered or given up. */
    async settle(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await new Promise((r) => setTimeout(r, 5));
        if (core.timers.size === 0 && core.webhooks.idle()) return;
        if (Date.now() > deadline) {
          throw new Error(
            `simulator did not settle in time (${core.timers.size} timers, webhooks ${JSON.stringify(core.webhooks.stats())})`,
          );
        }
      }
    },
  };
}
