import { WebhookEventList, WebhookEventQuery } from '@openwaba/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { JobQueue } from '../jobs/queue.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { authOf } from '../lib/http.ts';
import { processPendingWebhookEvents } from './process-pending.job.ts';
import type { InboundService } from './service.ts';

const Handshake = z.object({
  'hub.mode': z.string().max(50).optional(),
  'hub.verify_token': z.string().max(1024).optional(),
  'hub.challenge': z.string().max(200).optional(),
});

/** How often at most a process queues the processing job after storing POSTs. */
const WAKE_EVERY_MS = 250;
/** Meta's webhook payloads are at most 3 MB: anything larger is not Meta's and is refused unread. */
export const WEBHOOK_BODY_LIMIT = 3 * 1024 * 1024;

/**
 * Meta's webhook endpoint. Bodies are kept as raw bytes: the signature covers exactly those bytes.
 * A valid POST is answered once it is committed as a pending event (concurrent POSTs share one
 * INSERT), so a crash after 200 loses nothing: the processing job is then queued, at most every
 * WAKE_EVERY_MS, and its cron run picks up any pending event whose wake-up was lost.
 */
export const inboundRoutes =
  (deps: { inbound: InboundService; jobs: JobQueue }): FastifyPluginAsync =>
  async (app) => {
    let lastWake = 0;
    let trailing: NodeJS.Timeout | undefined;
    let closed = false;
    const enqueue = () => {
      lastWake = Date.now();
      deps.jobs
        .enqueue(processPendingWebhookEvents, {})
        .catch((err) => app.log.error({ err }, 'queueing webhook processing failed (the cron run will)'));
    };
    // Leading edge at once (a lone message is processed promptly), trailing edge for what came after.
    const wake = () => {
      const since = Date.now() - lastWake;
      if (since >= WAKE_EVERY_MS) enqueue();
      else
        trailing ??= setTimeout(() => {
          trailing = undefined;
          if (!closed) enqueue();
        }, WAKE_EVERY_MS - since);
    };
    app.addHook('onClose', async () => {
      closed = true;
      clearTimeout(trailing);
    });

    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );

    app.get('/webhooks/whatsapp', { schema: { hide: true } }, async (req, reply) => {
      const q = Handshake.safeParse(req.query);
      if (!q.success) throw new AppError('VALIDATION_FAILED', 'Bad handshake query');
      const ok = await deps.inbound.verifyHandshake(q.data['hub.mode'], q.data['hub.verify_token']);
      if (!ok) throw new AppError('FORBIDDEN', 'Verify token does not match any number');
      return reply.type('text/plain').send(q.data['hub.challenge'] ?? '');
    });

    app.post('/webhooks/whatsapp', { schema: { hide: true }, logLevel: 'warn' }, async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const signature = req.headers['x-hub-signature-256'];
      if (!(await deps.inbound.receive(raw, typeof signature === 'string' ? signature : undefined))) {
        throw new AppError('UNAUTHENTICATED', 'Missing or invalid X-Hub-Signature-256');
      }
      wake();
      return reply.code(200).send({ ok: true });
    });
  };

/** Admin view of what Meta sent and what became of it; replay is idempotent. */
export const webhookEventRoutes =
  (deps: { inbound: InboundService }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['webhooks'];
    app.get(
      '/api/v1/webhook-events',
      {
        config: { access: 'integrations.manage' },
        schema: {
          tags,
          summary:
            'Webhook events from Meta for your numbers: the parts of each body that concern your numbers, and what processing made of them',
          querystring: WebhookEventQuery,
          response: { 200: WebhookEventList },
        },
      },
      async (req) => ({ data: (await deps.inbound.listEvents(authOf(req).orgId, req.query)) as never }),
    );
    app.post(
      '/api/v1/webhook-events/:id/replay',
      {
        config: { access: 'integrations.manage' },
        schema: {
          tags,
          summary: 'Process a stored webhook event again (nothing is duplicated)',
          params: z.object({ id: z.coerce.number().int().positive() }),
          body: z.object({}).strict().nullish(),
          response: { 200: z.object({ result: z.unknown() }) },
        },
      },
      async (req) => {
        const ctx = authOf(req);
        if (!(await deps.inbound.belongsTo(ctx.orgId, req.params.id))) throw notFound('Webhook event');
        // The organisation's part of the outcome only: an event can carry other organisations' changes.
        return { result: await deps.inbound.replayEvent(ctx, req.params.id) };
      },
    );
  };
