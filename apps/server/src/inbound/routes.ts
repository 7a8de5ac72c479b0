import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { JobQueue } from '../jobs/queue.ts';
import { processWebhookEvent } from './process-event.job.ts';
import type { InboundService } from './service.ts';

const Handshake = z.object({
  'hub.mode': z.string().max(50).optional(),
  'hub.verify_token': z.string().max(1024).optional(),
  'hub.challenge': z.string().max(200).optional(),
});

/**
 * Meta's webhook endpoint. Bodies are kept as raw bytes: the signature covers exactly those bytes.
 * A valid POST is stored and queued before it is answered, so a crash after 200 loses nothing.
 */
export const inboundRoutes =
  (deps: { inbound: InboundService; jobs: JobQueue }): FastifyPluginAsync =>
  async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 10 * 1024 * 1024 }, (_req, body, done) =>
      done(null, body),
    );

    app.get('/webhooks/whatsapp', { schema: { hide: true } }, async (req, reply) => {
      const q = Handshake.safeParse(req.query);
      if (!q.success)
        return reply.code(400).send({ error: { code: 'VALIDATION_FAILED', message: 'Bad handshake query' } });
      const ok = await deps.inbound.verifyHandshake(q.data['hub.mode'], q.data['hub.verify_token']);
      if (!ok)
        return reply
          .code(403)
          .send({ error: { code: 'FORBIDDEN', message: 'Verify token does not match any number' } });
      return reply.type('text/plain').send(q.data['hub.challenge'] ?? '');
    });

    app.post('/webhooks/whatsapp', { schema: { hide: true }, logLevel: 'warn' }, async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const signature = req.headers['x-hub-signature-256'];
      if (!(await deps.inbound.signatureValid(raw, typeof signature === 'string' ? signature : undefined))) {
        return reply
          .code(401)
          .send({ error: { code: 'UNAUTHENTICATED', message: 'Missing or invalid X-Hub-Signature-256' } });
      }
      const eventId = await deps.inbound.store(raw);
      await deps.jobs.enqueue(processWebhookEvent, { eventId });
      return reply.code(200).send({ ok: true });
    });
  };
