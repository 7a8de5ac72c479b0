import { randomUUID } from 'node:crypto';
import {
  type CreateWebhookEndpointBody,
  type ReplayWebhookDeliveriesBody,
  type RotateWebhookSecretBody,
  type UpdateWebhookEndpointBody,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_TEST_EVENT,
  type WebhookDelivery,
  type WebhookDeliveryQuery,
  type WebhookEndpoint,
} from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Database } from '../db/client.ts';
import { transaction } from '../db/tx.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { UrlGuard } from '../lib/url-guard.ts';
import type { NotificationService } from '../notifications/service.ts';
import { createDeliverer } from './deliver.ts';
import { createFanOut } from './fan-out.ts';
import { createWebhookPoster, type PostWebhook } from './post.ts';
import * as repo from './repo.ts';
import { generateSecret, secretPrefixOf } from './sign.ts';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function endpointView(r: repo.EndpointRow): WebhookEndpoint {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    event_types: r.event_types,
    status: r.status,
    disabled_reason: r.disabled_reason,
    ordered: r.ordered,
    max_concurrency: r.max_concurrency,
    secret_prefix: r.secret_prefix,
    previous_secret_expires_at:
      r.previous_secret_expires_at && new Date(r.previous_secret_expires_at).getTime() > Date.now()
        ? iso(r.previous_secret_expires_at)
        : null,
    failing_since: iso(r.failing_since),
    last_success_at: iso(r.last_success_at),
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
    stats: {
      pending: Number(r.pending ?? 0),
      dead_24h: Number(r.dead_24h ?? 0),
      succeeded_24h: Number(r.succeeded_24h ?? 0),
    },
  };
}

function deliveryView(r: repo.DeliveryRow): WebhookDelivery {
  return {
    id: r.id,
    endpoint_id: r.endpoint_id,
    event_id: r.event_id,
    event_type: r.event_type,
    state: r.state,
    attempts: r.attempts,
    next_attempt_at: r.state === 'succeeded' || r.state === 'dead' ? null : iso(r.next_attempt_at),
    last_status_code: r.last_status_code,
    last_error: r.last_error,
    created_at: iso(r.created_at)!,
    delivered_at: iso(r.delivered_at),
  };
}

/** What each event type means, for the event-type list (the catalogue itself is in contracts). */
const DESCRIPTIONS: Record<string, string> = {
  'message.received': 'A customer sent a message.',
  'message.status_updated': 'A message you sent was sent, delivered, read or failed.',
  'message.media_updated': 'A received file finished downloading (or failed).',
  'conversation.updated': 'A conversation changed (status, assignee, tags, unread…).',
  'conversation.assigned': 'A conversation was assigned to someone (or unassigned).',
  'contact.created': 'A contact was created.',
  'contact.updated': 'A contact changed.',
  'contact.deleted': 'A contact was deleted or erased.',
  'contact.consent_changed': 'A contact opted in or out.',
  'contact.opted_in': 'A contact opted in.',
  'contact.opted_out': 'A contact opted out (STOP, a person, the API or an import).',
  'contacts.bulk_updated': 'A bulk action changed many contacts.',
  'contacts.import_progress': 'A contact import moved on or ended.',
  'campaign.progress': 'A campaign’s counters moved (a few times a second at most).',
  'campaign.completed': 'A campaign finished sending, with its final counts.',
  'template.status_updated': 'Meta approved, rejected, paused or disabled a template.',
  'template.category_updated': 'Meta changed a template’s category.',
  'template.quality_updated': 'A template’s quality score changed.',
  'number.health_updated': 'A number’s quality, limit or state changed.',
  'job.failed': 'A background job failed for good.',
  'org.updated': 'The organisation’s settings changed.',
  'member.changed': 'Someone joined, changed role or left.',
};

export interface WebhookServiceDeps {
  database: Database;
  box: SecretBox;
  guard: UrlGuard;
  notifications: Pick<NotificationService, 'notifyRole'>;
  log: Log;
  eventsChannel: string;
  config: {
    WEBHOOK_TIMEOUT_MS: number;
    WEBHOOK_RETRY_SCHEDULE_SECONDS: number[];
    WEBHOOK_DISABLE_AFTER_HOURS: number;
    WEBHOOK_RETENTION_DAYS: number;
    WEBHOOK_BATCH_SIZE: number;
    WEBHOOK_MAX_IN_FLIGHT: number;
  };
  /** The HTTP seam (tests may put a recorder here; by default a guarded undici pool). */
  post?: PostWebhook;
  now?: () => Date;
}

/**
 * Outbound webhooks (issue 24 §4, docs/webhooks.md, docs/adr/0024): endpoints with sealed
 * `whsec_` secrets and rotation, the fan-out from the events outbox, the delivery worker, the
 * delivery log and replay.
 */
export function createWebhookService(deps: WebhookServiceDeps) {
  const { database, box, guard, log, config } = deps;
  const db = database.db;
  const poster = deps.post
    ? { post: deps.post, close: async () => {} }
    : createWebhookPoster({ guard, timeoutMs: config.WEBHOOK_TIMEOUT_MS });
  const deliverer = createDeliverer({
    db,
    box,
    post: poster.post,
    notifications: deps.notifications,
    log,
    scheduleSeconds: config.WEBHOOK_RETRY_SCHEDULE_SECONDS,
    disableAfterHours: config.WEBHOOK_DISABLE_AFTER_HOURS,
    batchSize: config.WEBHOOK_BATCH_SIZE,
    maxInFlight: config.WEBHOOK_MAX_IN_FLIGHT,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const fanOut = createFanOut({
    database,
    log,
    eventsChannel: deps.eventsChannel,
    batchSize: config.WEBHOOK_BATCH_SIZE,
    onDeliveries: () => deliverer.wake(),
  });

  /** The URL as saved: the guard's full verdict (DNS included), a 400 naming the reason. */
  async function assertUrl(url: string) {
    const v = await guard.check(url);
    if (!v.ok)
      throw new AppError('VALIDATION_FAILED', `url: ${v.reason}`, {
        details: [{ path: ['url'], message: v.reason }],
      });
  }

  async function endpointRow(orgId: string, id: string) {
    const r = await repo.endpointOf(db, orgId, id);
    if (!r) throw notFound('Webhook endpoint');
    return r;
  }

  function eventTypes() {
    return {
      data: [
        ...WEBHOOK_EVENT_TYPES.map((type) => ({ type, description: DESCRIPTIONS[type] ?? type })),
        { type: WEBHOOK_TEST_EVENT, description: 'Sent by “Send test event”; you cannot subscribe to it.' },
      ],
    };
  }

  async function list(ctx: AuthContext) {
    return { data: (await repo.listEndpoints(db, ctx.orgId)).map(endpointView) };
  }

  async function get(ctx: AuthContext, id: string) {
    return endpointView(await endpointRow(ctx.orgId, id));
  }

  async function create(ctx: AuthContext, body: z.output<typeof CreateWebhookEndpointBody>) {
    await assertUrl(body.url);
    const secret = generateSecret();
    const id = await transaction(db, async (tx) => {
      const id = await repo.insertEndpoint(tx, ctx.orgId, {
        url: body.url,
        description: body.description,
        eventTypes: body.event_types,
        ordered: body.ordered,
        maxConcurrency: body.max_concurrency,
        secretSealed: box.seal(secret),
        secretPrefix: secretPrefixOf(secret),
      });
      await recordAudit(tx, actorOf(ctx), {
        action: 'webhook_endpoint.created',
        entityType: 'webhook_endpoint',
        entityId: id,
        after: { url: body.url, event_types: body.event_types, ordered: body.ordered },
      });
      return id;
    });
    return { ...(await get(ctx, id)), secret };
  }

  async function update(ctx: AuthContext, id: string, body: z.output<typeof UpdateWebhookEndpointBody>) {
    const before = await endpointRow(ctx.orgId, id);
    if (body.url !== undefined) await assertUrl(body.url);
    await transaction(db, async (tx) => {
      await repo.updateEndpoint(tx, ctx.orgId, id, {
        ...(body.url !== undefined ? { url: body.url } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.event_types !== undefined ? { eventTypes: body.event_types } : {}),
        ...(body.ordered !== undefined ? { ordered: body.ordered } : {}),
        ...(body.max_concurrency !== undefined ? { maxConcurrency: body.max_concurrency } : {}),
        ...(body.status !== undefined ? { status: body.status } : {}),
      });
      await recordAudit(tx, actorOf(ctx), {
        action: 'webhook_endpoint.updated',
        entityType: 'webhook_endpoint',
        entityId: id,
        before: Object.fromEntries(
          Object.keys(body).map((k) => [k, (before as unknown as Record<string, unknown>)[k] ?? null]),
        ),
        after: body,
      });
    });
    if (body.status === 'active') deliverer.wake();
    return get(ctx, id);
  }

  async function remove(ctx: AuthContext, id: string) {
    const before = await endpointRow(ctx.orgId, id);
    await transaction(db, async (tx) => {
      if (!(await repo.deleteEndpoint(tx, ctx.orgId, id))) throw notFound('Webhook endpoint');
      await recordAudit(tx, actorOf(ctx), {
        action: 'webhook_endpoint.deleted',
        entityType: 'webhook_endpoint',
        entityId: id,
        before: { url: before.url, event_types: before.event_types },
      });
    });
  }

  async function revealSecret(ctx: AuthContext, id: string) {
    const s = await repo.secretsOf(db, ctx.orgId, id);
    if (!s) throw notFound('Webhook endpoint');
    const overlap =
      s.previous_secret_expires_at && new Date(s.previous_secret_expires_at).getTime() > Date.now()
        ? iso(s.previous_secret_expires_at)
        : null;
    return { secret: box.open(s.secret_sealed), previous_secret_expires_at: overlap };
  }

  async function rotateSecret(ctx: AuthContext, id: string, body: z.output<typeof RotateWebhookSecretBody>) {
    const s = await repo.secretsOf(db, ctx.orgId, id);
    if (!s) throw notFound('Webhook endpoint');
    const secret = generateSecret();
    const expires = body.overlap_hours > 0 ? new Date(Date.now() + body.overlap_hours * 3_600_000) : null;
    await transaction(db, async (tx) => {
      await repo.setSecret(tx, ctx.orgId, id, {
        sealed: box.seal(secret),
        prefix: secretPrefixOf(secret),
        previousSealed: expires ? s.secret_sealed : null,
        previousExpiresAt: expires,
      });
      await recordAudit(tx, actorOf(ctx), {
        action: 'webhook_endpoint.secret_rotated',
        entityType: 'webhook_endpoint',
        entityId: id,
        after: { overlap_hours: body.overlap_hours, secret_prefix: secretPrefixOf(secret) },
      });
    });
    return { secret, previous_secret_expires_at: iso(expires) };
  }

  /** "Send test event": a `webhook.test` delivery sent now; answers it with the attempt's outcome. */
  async function sendTest(ctx: AuthContext, id: string) {
    const ep = await endpointRow(ctx.orgId, id);
    const s = (await repo.secretsOf(db, ctx.orgId, id))!;
    const eventId = `evt_test_${randomUUID().replaceAll('-', '')}`;
    const payload = {
      type: WEBHOOK_TEST_EVENT,
      timestamp: new Date().toISOString(),
      data: {
        endpoint_id: id,
        message: 'A test event from openwaba: your endpoint is reachable and verifies.',
      },
    };
    const deliveryId = await repo.insertTestDelivery(
      db,
      ctx.orgId,
      id,
      eventId,
      payload,
      new Date(Date.now() + config.WEBHOOK_TIMEOUT_MS + 30_000),
    );
    await deliverer.deliverNow({
      id: deliveryId,
      org_id: ctx.orgId,
      endpoint_id: id,
      event_id: eventId,
      payload,
      attempts: 0,
      url: ep.url,
      max_concurrency: ep.max_concurrency,
      ...s,
    });
    return deliveryView((await repo.deliveryOf(db, ctx.orgId, deliveryId))!);
  }

  async function deliveries(ctx: AuthContext, endpointId: string, q: z.output<typeof WebhookDeliveryQuery>) {
    await endpointRow(ctx.orgId, endpointId);
    let before: { at: string; id: string } | undefined;
    if (q.cursor) {
      const [at, cid] = q.cursor.split('|');
      if (!at || !cid || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/i.test(cid))
        throw new AppError('VALIDATION_FAILED', 'cursor: not a cursor this list gave', {
          details: [{ path: ['cursor'], message: 'not a cursor this list gave' }],
        });
      before = { at, id: cid };
    }
    const rows = await repo.listDeliveries(db, ctx.orgId, endpointId, {
      ...(q.state ? { state: q.state } : {}),
      ...(q.event_type ? { eventType: q.event_type } : {}),
      ...(before ? { before } : {}),
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      data: page.map(deliveryView),
      next_cursor:
        rows.length > q.limit && last ? `${new Date(last.created_at).toISOString()}|${last.id}` : null,
    };
  }

  async function delivery(ctx: AuthContext, id: string) {
    const r = await repo.deliveryOf(db, ctx.orgId, id);
    if (!r) throw notFound('Webhook delivery');
    const attempts = await repo.attemptsOf(db, id);
    return {
      ...deliveryView(r),
      payload: r.payload,
      attempts_log: attempts.map((a) => ({
        attempted_at: iso(a.attempted_at)!,
        status_code: a.status_code,
        latency_ms: a.latency_ms,
        response_excerpt: a.response_excerpt,
        error: a.error,
      })),
    };
  }

  async function replay(ctx: AuthContext, id: string) {
    const r = await repo.deliveryOf(db, ctx.orgId, id);
    if (!r) throw notFound('Webhook delivery');
    if (r.state === 'delivering' || r.state === 'pending')
      throw new AppError('CONFLICT', 'This delivery is being sent already; replay it once it has an outcome');
    await repo.replayWhere(db, ctx.orgId, sql`d.id = ${id}`);
    deliverer.wake();
    return deliveryView((await repo.deliveryOf(db, ctx.orgId, id))!);
  }

  async function replayRange(
    ctx: AuthContext,
    endpointId: string,
    body: z.output<typeof ReplayWebhookDeliveriesBody>,
  ) {
    await endpointRow(ctx.orgId, endpointId);
    const replayed = await repo.replayWhere(
      db,
      ctx.orgId,
      sql`d.endpoint_id = ${endpointId} and d.created_at >= ${body.since}::timestamptz
          ${body.until ? sql`and d.created_at < ${body.until}::timestamptz` : sql``}
          ${body.state === 'dead' ? sql`and d.state = 'dead'` : sql`and d.state in ('dead', 'succeeded', 'retrying')`}`,
    );
    deliverer.wake();
    return { replayed };
  }

  /** Retention: the log older than WEBHOOK_RETENTION_DAYS goes (finished deliveries only), in batches. */
  async function purgeOld() {
    const before = new Date(Date.now() - config.WEBHOOK_RETENTION_DAYS * 86_400_000);
    let deleted = 0;
    for (;;) {
      const n = await repo.purgeDeliveriesBefore(db, before, 5000);
      deleted += n;
      if (n < 5000) return deleted;
    }
  }

  /** The worker: fan-out from the events outbox and the delivery loop (every worker process). */
  let unlisten: (() => Promise<void>) | undefined;
  async function start(o: { pollMs?: number } = {}) {
    deliverer.start(o);
    // Other processes' fan-outs made deliveries: wake this one's leases too.
    unlisten = await database.listen(repo.WEBHOOKS_CHANNEL, () => deliverer.wake());
    await fanOut.start(o);
  }
  let stopping: Promise<void> | undefined;
  function stop() {
    stopping ??= (async () => {
      await fanOut.stop();
      await unlisten?.();
      await deliverer.stop();
      await poster.close();
    })();
    return stopping;
  }

  return {
    eventTypes,
    list,
    get,
    create,
    update,
    remove,
    revealSecret,
    rotateSecret,
    sendTest,
    deliveries,
    delivery,
    replay,
    replayRange,
    purgeOld,
    start,
    stop,
    /** Tests and the bench: one fan-out pass, and deliveries until nothing is due. */
    fanOutNow: () => fanOut.sweep(),
    deliverDue: () => deliverer.runUntilIdle(),
    idle: () => deliverer.idle(),
  };
}
export type WebhookService = ReturnType<typeof createWebhookService>;
