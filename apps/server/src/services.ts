import { join } from 'node:path';
import { createKnowledgeService } from './ai/knowledge.ts';
import { createLabelQueue } from './ai/labels.ts';
import { createAiProvider } from './ai/providers.ts';
import { createAiReplies } from './ai/replies.ts';
import { createAiService } from './ai/service.ts';
import { createAuditService } from './audit/service.ts';
import { createDeviceCookies } from './auth/device-cookie.ts';
import { createRateLimiter } from './auth/rate-limit.ts';
import { createAuthService } from './auth/service.ts';
import { createTokenSigner } from './auth/tokens.ts';
import { createActionRunner } from './automation/actions.ts';
import { createBatch } from './automation/batch.ts';
import { createChain } from './automation/chain.ts';
import { createFlowEngine } from './automation/flows/engine.ts';
import { createFlowService } from './automation/flows/service.ts';
import { createHoursService } from './automation/hours.ts';
import { createRuleService } from './automation/service.ts';
import { createBillingService } from './billing/service.ts';
import { createCampaignService } from './campaigns/service.ts';
import type { Config } from './config.ts';
import { createConsentService } from './contacts/consent.ts';
import { createContactExport } from './contacts/export.ts';
import { createFieldService } from './contacts/fields.ts';
import { importContactFile } from './contacts/import/import-file.job.ts';
import { createContactImportService } from './contacts/import/service.ts';
import { createPhonePrivacy } from './contacts/phone-privacy.ts';
import { createContactPrivacy } from './contacts/privacy.ts';
import { createSegmentService } from './contacts/segments.ts';
import { createContactService } from './contacts/service.ts';
import { createTagService } from './contacts/tags.ts';
import { createPhoneHasher, createTombstones } from './contacts/tombstones.ts';
import { createQuickReplyService } from './conversations/quick-replies.ts';
import { createConversationService } from './conversations/service.ts';
import { createTeamService } from './conversations/teams.ts';
import type { Database } from './db/client.ts';
import { createDomainEvents } from './events/domain-events.ts';
import { createEventService, EVENTS_CHANNEL } from './events/service.ts';
import { createIdempotency } from './idempotency/service.ts';
import { createInboundService } from './inbound/service.ts';
import { jobList, reportFailedJob } from './job-list.ts';
import { createJobQueue } from './jobs/queue.ts';
import { createGuardedFetch } from './lib/guarded-fetch.ts';
import { type Log, silentLog } from './lib/log.ts';
import { createMetrics, type Metrics } from './lib/metrics.ts';
import { createSecretBox } from './lib/secret-box.ts';
import { createUrlGuard, type LookupFn } from './lib/url-guard.ts';
import { createDirMediaStore } from './media/dir.store.ts';
import { downloadMediaFile } from './media/download-file.job.ts';
import { createS3MediaStore } from './media/s3.store.ts';
import { createMediaService } from './media/service.ts';
import type { MediaStore } from './media/store.ts';
import { createStoredFiles } from './media/stored-files.ts';
import { createSender } from './messages/sender.ts';
import { createOutboundService } from './messages/service.ts';
import { createNotificationService } from './notifications/service.ts';
import { createNumberService } from './numbers/service.ts';
import { createOrgService } from './orgs/service.ts';
import { addReactions } from './reactions.ts';
import { createReportFolder } from './reports/fold.ts';
import { createReportService } from './reports/service.ts';
import { createRetentionService } from './retention/service.ts';
import { createTemplateService } from './templates/service.ts';
import { syncTemplates } from './templates/sync.job.ts';
import { createWebhookService } from './webhooks/service.ts';
import { createCloudApiProvider } from './whatsapp/cloud-api.provider.ts';

/**
 * The composition root: every service, built in dependency order — each from services built above
 * it, never a closure over one built below. Where one domain reacts to another, the emitter gets
 * `domainEvents` and `reactions.ts` (wired last) says who reacts; jobs get their dependencies from
 * `job-list.ts`.
 */
export function createServices(deps: {
  config: Config;
  database: Database;
  appSecret: string;
  log?: Log;
  metrics?: Metrics;
  lookup?: LookupFn;
  throttleFirstWaitSeconds?: number;
  /** Tests only: the webhook worker's clock. */
  clock?: () => Date;
}) {
  const { config, database } = deps;
  const db = database.db;
  const log = deps.log ?? silentLog;
  const metrics = deps.metrics ?? createMetrics();
  const domainEvents = createDomainEvents({ log });

  // Infrastructure: events for browsers, notifications, audit, the job queue, Meta's Graph API.
  const events = createEventService({ database, log });
  const notifications = createNotificationService({ db, database, events });
  const audit = createAuditService({ database });
  const jobs = createJobQueue({
    database,
    log,
    metrics,
    pollSeconds: config.JOB_POLL_SECONDS,
    onFinalFailure: (def, job, err) => reportFailedJob({ events, notifications }, def.id, job, err),
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

  // People and organisations.
  const auth = createAuthService({
    db,
    config,
    signer: createTokenSigner(deps.appSecret, config.ACCESS_TOKEN_TTL_SECONDS),
    devices: createDeviceCookies(deps.appSecret),
    throttleFirstWaitSeconds: deps.throttleFirstWaitSeconds,
  });
  // API rate limits per person or key and per organisation, counted in PostgreSQL.
  const rateLimiter = createRateLimiter({
    db,
    perMinute: config.RATE_LIMIT_PER_MINUTE,
    orgPerMinute: config.RATE_LIMIT_ORG_PER_MINUTE,
  });
  // `Idempotency-Key` on POSTs that create something.
  const idempotency = createIdempotency({ db });
  const orgs = createOrgService({ db, auth, events, notifications, domainEvents });
  // The rate card, expected costs, spend caps and spend.
  const billing = createBillingService({
    db,
    domainEvents,
    isInstanceAdmin: (userId) => auth.isInstanceAdmin(userId),
  });

  // Numbers, templates and the files they carry.
  const mediaStore = mediaStoreOf(config);
  const storedFiles = createStoredFiles({ database, store: mediaStore, log });
  const numbers = createNumberService({
    db,
    box,
    whatsapp,
    notifications,
    log,
    media: storedFiles,
    domainEvents,
  });
  const templates = createTemplateService({
    db,
    database,
    numbers,
    events,
    notifications,
    urlGuard,
    log,
    domainEvents,
  });
  const media = createMediaService({
    db,
    database,
    store: mediaStore,
    files: storedFiles,
    numbers,
    events,
    log,
    maxBytes: config.MEDIA_MAX_BYTES,
    schedule: (orgId, mediaFileId) =>
      jobs.enqueueOnce(downloadMediaFile, { orgId, mediaFileId }, { singletonKey: mediaFileId }),
  });

  // Contacts and consent.
  const tombstones = createTombstones({
    hasher: createPhoneHasher(deps.appSecret, config.APP_SECRET_PREVIOUS),
    events,
  });
  const consent = createConsentService({ db, database, events, tombstones });
  const fields = createFieldService({ db });
  const tags = createTagService({ db, domainEvents });
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
    templates,
  });
  const phones = createPhonePrivacy({ db });
  const contactPrivacy = createContactPrivacy({ db, contacts, tombstones, media, events });
  const retention = createRetentionService({ db, media, log });
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

  // What Meta sends us, and the inbox.
  const inbound = createInboundService({
    db,
    database,
    box,
    serverKeys: [deps.appSecret, ...config.APP_SECRET_PREVIOUS],
    events,
    media,
    consent,
    numbers,
    templates,
    domainEvents,
    requestTemplateSync: (orgId) =>
      jobs.enqueueOnce(syncTemplates, { orgId }, { singletonKey: `templates:${orgId}` }),
    log,
  });
  const outbound = createOutboundService({ db, consent, events, urlGuard, billing });
  const conversations = createConversationService({
    db,
    outbound,
    numbers,
    notifications,
    events,
    media,
    templates,
    log,
  });
  const quickReplies = createQuickReplyService({ db });
  const teams = createTeamService({ db });

  // Sending: the sender, then the campaigns that feed it (their hooks are domain events).
  const sender = createSender({
    db,
    numbers,
    events,
    log,
    leaseSeconds: config.SEND_LEASE_SECONDS,
    reconcileWindowSeconds: config.SEND_RECONCILE_WINDOW_SECONDS,
    retryDelaysMs: config.SEND_RETRY_DELAYS_SECONDS.map((x) => x * 1000),
    listen: (channel, onNotify) => database.listen(channel, onNotify),
    hooks: {
      feed: () => domainEvents.emitCommitted('sender.woke', {}),
      onCampaignActivity: (campaignIds) =>
        domainEvents.emitCommitted('campaign.sends_recorded', { campaignIds }),
      onTokenError: (orgId, numberId, err) =>
        domainEvents.emitCommitted('number.token_refused', { orgId, numberId, message: err.message }),
      onTemplateError: (orgId, campaignIds, err) =>
        domainEvents.emitCommitted('campaign.template_refused', { orgId, campaignIds, message: err.message }),
    },
  });
  const campaigns = createCampaignService({
    db,
    config,
    orgs,
    contacts,
    numbers,
    templates,
    events,
    notifications,
    urlGuard,
    log,
    billing,
    audienceFile: (orgId, id) => contactImports.audienceFile(orgId, id),
    checkNumber: async (orgId, numberId) => {
      const n = await numbers.findRow(orgId, numberId);
      if (n?.status === 'active') await numbers.refreshHealth(n, 'preflight');
    },
    rateOf: (numberId) => sender.rateOf(numberId),
    poke: () => sender.poke(),
  });

  // Automation: keyword rules, business hours and the chain every customer message goes through.
  const automationRules = createRuleService({ db });
  const businessHours = createHoursService({ db });
  const automationActions = createActionRunner({ outbound, sender, contacts, conversations, log });
  // Flows (docs/automation.md "Flows"): the engine the chain hands waiting runs and triggers to.
  const flowEngine = createFlowEngine({
    db,
    actions: automationActions,
    fetch: createGuardedFetch(urlGuard),
    // In the run's transaction: PGlite has one connection, a read beside it would wait for it.
    isOpen: (orgId, numberId, at, tx = db) => businessHours.openAt(tx, orgId, numberId, at),
    log,
    newBatch: () => createBatch(outbound),
  });
  const flows = createFlowService({ db, engine: flowEngine });
  // AI replies (docs/ai.md): the model behind one seam, the knowledge base, auto mode's replies
  // (the chain's last step), suggestions, labels and summaries.
  // The sandbox's fake model listens on 127.0.0.1; only a base URL the process started itself uses this guard.
  const localGuard = createUrlGuard({ allowPrivate: ['127.0.0.1'] });
  const ai = createAiService({
    db,
    log,
    box,
    guard: urlGuard,
    notifications,
    timeoutMs: config.AI_TIMEOUT_MS,
    providerOf: (cfg, trusted) => createAiProvider(cfg, { guard: trusted ? localGuard : urlGuard }),
  });
  const knowledge = createKnowledgeService({ db });
  const aiReplies = createAiReplies({
    db,
    log,
    ai,
    knowledge,
    outbound,
    conversations,
    publish: async (orgId, conversationId) => {
      await events.publish(orgId, [
        { type: 'conversation.updated', data: { conversation_id: conversationId, fields: ['ai'] } },
      ]);
    },
  });
  const aiLabels = createLabelQueue({ ai, jobs });
  const automationChain = createChain({
    db,
    log,
    actions: automationActions,
    hours: businessHours,
    consent,
    flows: flowEngine.control,
    aiReply: aiReplies.chainStep,
    aiPreview: aiReplies.preview,
    newBatch: () => createBatch(outbound),
  });

  // Outbound webhooks (docs/webhooks.md): the events table is the outbox; workers fan it out and deliver.
  const webhooks = createWebhookService({
    database,
    box,
    guard: urlGuard,
    notifications,
    log,
    eventsChannel: EVENTS_CHANNEL,
    config,
    ...(deps.clock ? { now: deps.clock } : {}),
  });
  const reports = createReportService({
    db,
    orgs,
    numbers,
    campaigns,
    billing,
    tags,
    foldBatch: config.REPORTS_FOLD_BATCH,
  });
  const reportFolder = createReportFolder({ reports, intervalMs: config.REPORTS_FOLD_INTERVAL_MS, log });

  addReactions(domainEvents, {
    db,
    log,
    consent,
    outbound,
    sender,
    templates,
    campaigns,
    inbound,
    notifications,
    automation: automationChain,
    aiLabels,
    reports,
  });

  const services = {
    config,
    database,
    log,
    metrics,
    auth,
    rateLimiter,
    idempotency,
    orgs,
    billing,
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
    reports,
    reportFolder,
    consent,
    tags,
    fields,
    segments,
    automationRules,
    businessHours,
    automationActions,
    automationChain,
    flowEngine,
    flows,
    ai,
    knowledge,
    aiReplies,
    aiLabels,
    webhooks,
  };
  jobs.register(jobList(services));
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
