import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { auditRoutes } from './audit/routes.ts';
import { createAuditService } from './audit/service.ts';
import { createDeviceCookies } from './auth/device-cookie.ts';
import { authRoutes } from './auth/routes.ts';
import { createAuthService } from './auth/service.ts';
import { createTokenSigner } from './auth/tokens.ts';
import { campaignRoutes } from './campaigns/routes.ts';
import { createCampaignService } from './campaigns/service.ts';
import type { Config } from './config.ts';
import { createConsentService } from './contacts/consent.ts';
import { createContactExport } from './contacts/export.ts';
import { createFieldService } from './contacts/fields.ts';
import { importContactFile } from './contacts/import/import-file.job.ts';
import { contactImportRoutes } from './contacts/import/routes.ts';
import { createContactImportService } from './contacts/import/service.ts';
import { createPhonePrivacy } from './contacts/phone-privacy.ts';
import { createContactPrivacy } from './contacts/privacy.ts';
import { contactPrivacyRoutes } from './contacts/privacy-routes.ts';
import { contactRoutes } from './contacts/routes.ts';
import { createSegmentService } from './contacts/segments.ts';
import { createContactService } from './contacts/service.ts';
import { createTagService } from './contacts/tags.ts';
import { createPhoneHasher, createTombstones } from './contacts/tombstones.ts';
import { createQuickReplyService } from './conversations/quick-replies.ts';
import { conversationRoutes } from './conversations/routes.ts';
import { createConversationService } from './conversations/service.ts';
import { createTeamService } from './conversations/teams.ts';
import type { Database } from './db/client.ts';
import { eventRoutes } from './events/routes.ts';
import { createEventService } from './events/service.ts';
import { healthRoutes } from './health/routes.ts';
import { inboundRoutes, webhookEventRoutes } from './inbound/routes.ts';
import { createInboundService } from './inbound/service.ts';
import { reportFailedJob } from './jobs/failures.ts';
import { createJobQueue } from './jobs/queue.ts';
import { JOBS } from './jobs/registry.ts';
import { jobRoutes } from './jobs/routes.ts';
import { registerErrorHandling } from './lib/error-handler.ts';
import { registerRequestGuards, registerSecurityHeaders, trustProxyOf } from './lib/guards.ts';
import { registerAccessControl } from './lib/http.ts';
import { type Log, loggerOptions, silentLog } from './lib/log.ts';
import { createMetrics, type Metrics } from './lib/metrics.ts';
import { createSecretBox } from './lib/secret-box.ts';
import { createUrlGuard, type LookupFn } from './lib/url-guard.ts';
import { createDirMediaStore } from './media/dir.store.ts';
import { downloadMediaFile } from './media/download-file.job.ts';
import { mediaRoutes } from './media/routes.ts';
import { createS3MediaStore } from './media/s3.store.ts';
import { createMediaService } from './media/service.ts';
import type { MediaStore } from './media/store.ts';
import { createSender } from './messages/sender.ts';
import { createOutboundService } from './messages/service.ts';
import { notificationRoutes } from './notifications/routes.ts';
import { createNotificationService } from './notifications/service.ts';
import { numberRoutes } from './numbers/routes.ts';
import { createNumberService } from './numbers/service.ts';
import { orgRoutes } from './orgs/routes.ts';
import { createOrgService } from './orgs/service.ts';
import { createRealtimeHub, type RealtimeHub } from './realtime/hub.ts';
import { realtimeRoutes } from './realtime/routes.ts';
import { retentionRoutes } from './retention/routes.ts';
import { createRetentionService } from './retention/service.ts';
import { templateRoutes } from './templates/routes.ts';
import { createTemplateService } from './templates/service.ts';
import { syncTemplates } from './templates/sync.job.ts';
import { registerWeb } from './web.ts';
import { createCloudApiProvider } from './whatsapp/cloud-api.provider.ts';

export interface AppDeps {
  config: Config;
  database: Database;
  appSecret: string;
  /** false silences logs (tests); default: JSON logs at config.LOG_LEVEL. */
  logger?: boolean;
  /** Tests only: where log lines go instead of stdout. */
  logStream?: { write(line: string): void };
  /** Reuse services built elsewhere (a process in role `all` shares them between HTTP and jobs). */
  services?: Services;
  /** How the URL guard resolves host names (tests make names resolve to private addresses). */
  lookup?: LookupFn;
  /** Tests only: the password throttle's first wait (1 s), long enough for a slow machine. */
  throttleFirstWaitSeconds?: number;
}

export function createServices(deps: {
  config: Config;
  database: Database;
  appSecret: string;
  log?: Log;
  metrics?: Metrics;
  lookup?: LookupFn;
  throttleFirstWaitSeconds?: number;
}) {
  const { config, database } = deps;
  const db = database.db;
  const log = deps.log ?? silentLog;
  const metrics = deps.metrics ?? createMetrics();
  const signer = createTokenSigner(deps.appSecret, config.ACCESS_TOKEN_TTL_SECONDS);
  const events = createEventService({ database, log });
  const notifications = createNotificationService({ db, database, events });
  const audit = createAuditService({ database });
  const auth = createAuthService({
    db,
    config,
    signer,
    devices: createDeviceCookies(deps.appSecret),
    throttleFirstWaitSeconds: deps.throttleFirstWaitSeconds,
  });
  const orgs = createOrgService({
    db,
    auth,
    events,
    notifications,
    onCampaignPolicyChanged: (orgId) => templates.reevaluatePolicy(orgId),
  });
  const box = createSecretBox(deps.appSecret, config.APP_SECRET_PREVIOUS);
  const urlGuard = createUrlGuard({
    allowPrivate: config.FETCH_ALLOW_PRIVATE,
    ...(deps.lookup ? { lookup: deps.lookup } : {}),
  });
  const whatsapp = createCloudApiProvider({
    baseUrl: config.META_GRAPH_URL,
    version: config.META_GRAPH_VERSION,
    timeoutMs: config.META_HTTP_TIMEOUT_MS,
    connections: config.META_HTTP_CONNECTIONS,
  });
  const numbers = createNumberService({
    db,
    box,
    whatsapp,
    notifications,
    log,
    media: () => media,
    onCredentialsChanged: () => inbound.forgetWebhookSecrets(),
  });
  const templates = createTemplateService({
    db,
    database,
    numbers,
    events,
    notifications,
    urlGuard,
    log,
    onUnusable: (orgId, templateId, why) => campaigns.pauseForTemplate(orgId, templateId, why),
  });
  const media = createMediaService({
    db,
    database,
    store: mediaStoreOf(config),
    numbers,
    events,
    log,
    maxBytes: config.MEDIA_MAX_BYTES,
    async schedule(orgId, mediaFileId) {
      // One queued download per file: a second request while one is queued is a no-op.
      await jobs
        .enqueue(downloadMediaFile, { orgId, mediaFileId }, { singletonKey: mediaFileId })
        .catch((err) => {
          if ((err as { code?: string }).code !== 'CONFLICT') throw err;
        });
    },
  });
  const tombstones = createTombstones({
    hasher: createPhoneHasher(deps.appSecret, config.APP_SECRET_PREVIOUS),
    events,
  });
  const consent = createConsentService({ db, database, events, tombstones });
  const fields = createFieldService({ db });
  const tags = createTagService({ db });
  const segments = createSegmentService({ db, fields, tags });
  const contacts = createContactService({
    db,
    orgs,
    fields,
    tags,
    segments,
    consent,
    tombstones,
    media,
    events,
  });
  const phones = createPhonePrivacy({ db });
  const contactPrivacy = createContactPrivacy({ db, contacts, tombstones, media, events });
  const retention = createRetentionService({ db, media, log });
  const inbound = createInboundService({
    db,
    database,
    box,
    serverKeys: [deps.appSecret, ...config.APP_SECRET_PREVIOUS],
    events,
    media,
    consent,
    templates,
    async confirmOptOut(tx, onCommit, m) {
      const text = await consent.stopConfirmationText(tx, m.orgId);
      if (!text) return;
      // Only checks that throw before any SQL fails can refuse it: the inbound transaction goes on.
      await outbound
        .send(
          m.orgId,
          {
            numberId: m.numberId,
            to: { contactId: m.contactId },
            content: { type: 'text', text: { body: text } },
            source: 'system',
            purpose: 'consent_confirmation',
          },
          { tx, onCommit },
        )
        .then(() => onCommit(() => sender.poke()))
        .catch((err) => log.warn({ err, orgId: m.orgId }, 'opt-out confirmation not sent'));
    },
    async requestTemplateSync(orgId) {
      await jobs.enqueue(syncTemplates, { orgId }, { singletonKey: `templates:${orgId}` }).catch((err) => {
        if ((err as { code?: string }).code !== 'CONFLICT') throw err;
      });
    },
    log,
  });
  const jobs = createJobQueue({
    database,
    log,
    metrics,
    pollSeconds: config.JOB_POLL_SECONDS,
    services: () => services,
    onFinalFailure: (def, job, err) => reportFailedJob({ events, notifications }, def.id, job, err),
  });
  jobs.register(JOBS);
  const contactImports = createContactImportService({
    db,
    database,
    config,
    orgs,
    fields,
    consent,
    tombstones,
    events,
    notifications,
    log,
    schedule: (orgId, importId) => jobs.enqueue(importContactFile, { orgId, importId }),
  });
  const contactExport = createContactExport({ db, contacts, fields });
  const outbound = createOutboundService({ db, consent, events, urlGuard });
  const conversations = createConversationService({
    db,
    outbound,
    numbers,
    notifications,
    events,
    media,
    log,
  });
  const quickReplies = createQuickReplyService({ db });
  const teams = createTeamService({ db });
  const campaigns = createCampaignService({
    db,
    config,
    orgs,
    contacts,
    templates,
    events,
    notifications,
    urlGuard,
    log,
    audienceFile: (orgId, id) => contactImports.audienceFile(orgId, id),
    checkNumber: async (orgId, numberId) => {
      const n = await numbers.findRow(orgId, numberId);
      if (n?.status === 'active') await numbers.refreshHealth(n, 'preflight');
    },
    rateOf: (numberId) => sender.rateOf(numberId),
    poke: () => sender.poke(),
  });
  const sender = createSender({
    db,
    numbers,
    events,
    log,
    leaseSeconds: config.SEND_LEASE_SECONDS,
    reconcileWindowSeconds: config.SEND_RECONCILE_WINDOW_SECONDS,
    retryDelaysMs: config.SEND_RETRY_DELAYS_SECONDS.map((x) => x * 1000),
    listen: (channel, onNotify) => deps.database.listen(channel, onNotify),
    hooks: {
      onCampaignActivity: (ids) => campaigns.onActivity(ids),
      feed: () => campaigns.feed(),
      onTokenError: (orgId, numberId, err) => campaigns.pauseForNumber(orgId, numberId, err.message),
      onTemplateError: (orgId, campaignIds, err) =>
        campaigns.pauseForTemplateError(orgId, campaignIds, err.message),
    },
  });
  const services = {
    config,
    database,
    log,
    metrics,
    auth,
    orgs,
    events,
    notifications,
    audit,
    jobs,
    whatsapp,
    urlGuard,
    numbers,
    inbound,
    templates,
    media,
    conversations,
    quickReplies,
    teams,
    contacts,
    contactImports,
    contactExport,
    contactPrivacy,
    phones,
    retention,
    outbound,
    sender,
    campaigns,
    consent,
    tags,
    fields,
    segments,
  };
  return services;
}

/** The media store the configuration asks for (config validates that S3_* are set for `s3`). */
function mediaStoreOf(config: Config): MediaStore {
  if (config.MEDIA_STORE === 's3') {
    return createS3MediaStore({
      endpoint: config.S3_ENDPOINT!,
      bucket: config.S3_BUCKET!,
      region: config.S3_REGION,
      accessKeyId: config.S3_ACCESS_KEY_ID!,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY!,
    });
  }
  return createDirMediaStore(config.MEDIA_DIR ?? join(config.DATA_DIR, 'media'));
}
export type Services = ReturnType<typeof createServices>;

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
    logger: deps.logger === false ? false : loggerOptions(config.LOG_LEVEL, deps.logStream),
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
  registerAccessControl(app, services.auth);

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'openwaba API', version: '1', description: 'Self-hosted WhatsApp Business platform' },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          cookie: { type: 'apiKey', in: 'cookie', name: 'ow_access' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/api/v1/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  await app.register(
    healthRoutes({ database: deps.database, jobs: services.jobs, metrics: services.metrics, config }),
  );
  await app.register(authRoutes({ auth: services.auth, config }));
  await app.register(orgRoutes({ orgs: services.orgs, auth: services.auth, config }));
  await app.register(eventRoutes({ events: services.events }));
  await app.register(notificationRoutes({ notifications: services.notifications, jobs: services.jobs }));
  await app.register(auditRoutes({ audit: services.audit }));
  await app.register(jobRoutes({ jobs: services.jobs, db: deps.database.db }));
  await app.register(numberRoutes({ numbers: services.numbers }));
  await app.register(inboundRoutes({ inbound: services.inbound, jobs: services.jobs }));
  await app.register(webhookEventRoutes({ inbound: services.inbound, db: deps.database.db }));
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
  await app.register(
    contactImportRoutes({
      imports: services.contactImports,
      exporter: services.contactExport,
      maxBytes: config.IMPORT_MAX_BYTES,
    }),
  );

  const hub = createRealtimeHub({
    database: deps.database,
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
      await services.sender.stop();
      await services.jobs.stop();
      await services.whatsapp.close();
    }
  });
  await registerWeb(app, config.WEB_DIST_DIR);
  return app;
}
