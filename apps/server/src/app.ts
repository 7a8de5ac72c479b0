import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { aiRoutes, aiUploadRoutes } from './ai/routes.ts';
import { registerApiDocs } from './api-docs.ts';
import { auditRoutes } from './audit/routes.ts';
import { registerAccessControl } from './auth/access.ts';
import { apiKeyRoutes } from './auth/api-keys/routes.ts';
import { authRoutes } from './auth/routes.ts';
import { flowRoutes } from './automation/flows/routes.ts';
import { automationRoutes } from './automation/routes.ts';
import { billingRoutes } from './billing/routes.ts';
import { campaignRoutes } from './campaigns/routes.ts';
import type { Config } from './config.ts';
import { contactImportRoutes } from './contacts/import/routes.ts';
import { contactPrivacyRoutes } from './contacts/privacy-routes.ts';
import { contactRoutes } from './contacts/routes.ts';
import { conversationRoutes } from './conversations/routes.ts';
import type { Database } from './db/client.ts';
import { eventRoutes } from './events/routes.ts';
import { healthRoutes, versionRoutes } from './health/routes.ts';
import { inboundRoutes, webhookEventRoutes } from './inbound/routes.ts';
import { jobRoutes } from './job-routes.ts';
import { registerErrorHandling } from './lib/error-handler.ts';
import { registerRequestGuards, registerSecurityHeaders, trustProxyOf } from './lib/guards.ts';
import { httpLogging } from './lib/log.ts';
import type { LookupFn } from './lib/url-guard.ts';
import { mediaRoutes } from './media/routes.ts';
import { notificationRoutes } from './notifications/routes.ts';
import { numberRoutes } from './numbers/routes.ts';
import { orgRoutes } from './orgs/routes.ts';
import { createRealtimeHub, type RealtimeHub } from './realtime/hub.ts';
import { realtimeRoutes } from './realtime/routes.ts';
import { reportRoutes } from './reports/routes.ts';
import { retentionRoutes } from './retention/routes.ts';
import { createServices, type Services } from './services.ts';
import { templateRoutes } from './templates/routes.ts';
import { registerWeb } from './web.ts';
import { webhookRoutes } from './webhooks/routes.ts';

export type { Services } from './services.ts';

export interface AppDeps {
  config: Config;
  database: Database;
  appSecret: string;
  /** false silences logs (tests); default: logs at config.LOG_LEVEL in config.LOG_FORMAT. */
  logger?: boolean;
  /** Tests only: where log lines go instead of stdout. */
  logStream?: { write(line: string): void };
  /** Reuse services built elsewhere (a process in role `all` shares them between HTTP and jobs). */
  services?: Services;
  /** How the URL guard resolves host names (tests make names resolve to private addresses). */
  lookup?: LookupFn;
  /** Tests only: the password throttle's first wait (1 s), long enough for a slow machine. */
  throttleFirstWaitSeconds?: number;
  /** Tests only: the clock of the webhook delivery worker (retries and disabling are driven by it). */
  clock?: () => Date;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    hub: RealtimeHub;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds the HTTP app without listening; tests call `app.inject`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    ...(deps.logger === false ? { logger: false } : httpLogging(config, deps.logStream)),
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: trustProxyOf(config.TRUST_PROXY),
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Graceful shutdown: requests in flight finish, and their keep-alive connections close after the
  // answer instead of holding the server open until the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (req, reply) => {
    if (closing) reply.header('connection', 'close');
    reply.header('x-request-id', req.id);
  });
  registerSecurityHeaders(app, { https: config.publicUrl.startsWith('https:') });
  registerErrorHandling(app);
  registerRequestGuards(app, { publicUrl: config.publicUrl });

  const services = deps.services ?? createServices({ ...deps, log: app.log });
  app.decorate('services', services);
  app.addHook('onResponse', async (req, reply) => {
    services.metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  await app.register(fastifyCookie);
  registerAccessControl(app, services.auth, services.rateLimiter);
  services.idempotency.register(app);

  await registerApiDocs(app, config);

  await app.register(
    healthRoutes({ database: deps.database, jobs: services.jobs, metrics: services.metrics, config }),
  );
  await app.register(versionRoutes({ config }));
  await app.register(authRoutes({ auth: services.auth, config }));
  await app.register(apiKeyRoutes({ keys: services.auth.apiKeys }));
  await app.register(webhookRoutes({ webhooks: services.webhooks }));
  await app.register(orgRoutes({ orgs: services.orgs, auth: services.auth, config }));
  await app.register(eventRoutes({ events: services.events }));
  await app.register(notificationRoutes({ notifications: services.notifications, jobs: services.jobs }));
  await app.register(auditRoutes({ audit: services.audit }));
  await app.register(jobRoutes({ jobs: services.jobs }));
  await app.register(numberRoutes({ numbers: services.numbers }));
  await app.register(inboundRoutes({ inbound: services.inbound, jobs: services.jobs }));
  await app.register(webhookEventRoutes({ inbound: services.inbound }));
  await app.register(
    conversationRoutes({
      conversations: services.conversations,
      quickReplies: services.quickReplies,
      teams: services.teams,
      phones: services.phones,
    }),
  );
  await app.register(templateRoutes({ templates: services.templates, phones: services.phones }));
  await app.register(
    campaignRoutes({
      campaigns: services.campaigns,
      imports: services.contactImports,
      phones: services.phones,
      maxBytes: config.IMPORT_MAX_BYTES,
    }),
  );
  await app.register(mediaRoutes({ media: services.media }));
  await app.register(
    contactRoutes({
      contacts: services.contacts,
      consent: services.consent,
      tags: services.tags,
      fields: services.fields,
      segments: services.segments,
      phones: services.phones,
    }),
  );
  await app.register(contactPrivacyRoutes({ privacy: services.contactPrivacy }));
  await app.register(retentionRoutes({ retention: services.retention }));
  await app.register(billingRoutes({ billing: services.billing }));
  await app.register(reportRoutes({ reports: services.reports }));
  await app.register(flowRoutes({ flows: services.flows }));
  await app.register(
    aiRoutes({ ai: services.ai, knowledge: services.knowledge, replies: services.aiReplies }),
  );
  await app.register(aiUploadRoutes({ knowledge: services.knowledge }));
  await app.register(
    automationRoutes({
      rules: services.automationRules,
      hours: services.businessHours,
      chain: services.automationChain,
    }),
  );
  await app.register(
    contactImportRoutes({
      imports: services.contactImports,
      exporter: services.contactExport,
      maxBytes: config.IMPORT_MAX_BYTES,
    }),
  );

  const hub = createRealtimeHub({
    database: deps.database,
    events: services.events,
    log: app.log,
    metrics: services.metrics,
    maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
    heartbeatMs: config.WS_HEARTBEAT_SECONDS * 1000,
    sessionAlive: (sub) => services.auth.sessionAlive(sub),
  });
  await hub.start();
  app.decorate('hub', hub);
  await realtimeRoutes(app, { auth: services.auth, hub, config });
  app.addHook('onClose', async () => {
    await hub.stop();
    if (!deps.services) {
      // Messages already queued for the automation chain finish (the sweep would find them anyway).
      await services.automationChain.idle();
      await services.sender.stop();
      await services.flowEngine.stop();
      await services.webhooks.stop();
      await services.jobs.stop();
      await services.whatsapp.close();
    }
  });
  await registerWeb(app, config.WEB_DIST_DIR);
  return app;
}
