import { NotificationListQuery, NotificationPage, UnreadCount, Uuid } from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { JobQueue } from '../jobs/queue.ts';
import { authOf } from '../lib/http.ts';
import { sendTestNotification } from './send-test.job.ts';
import type { NotificationService } from './service.ts';

/** Routes that take no body still refuse one with fields, so a typo is an error, not ignored. */
const NoBody = z.object({}).strict().nullish();

export const notificationRoutes =
  (deps: { notifications: NotificationService; jobs: JobQueue }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['notifications'];
    const { notifications } = deps;

    app.get(
      '/api/v1/notifications',
      {
        config: { access: 'authenticated' },
        schema: {
          tags,
          summary: 'Your notifications, newest first (50 per page; pass next_cursor as before)',
          querystring: NotificationListQuery,
          response: { 200: NotificationPage },
        },
      },
      async (req) => notifications.list(authOf(req), req.query),
    );

    app.get(
      '/api/v1/notifications/unread-count',
      {
        // Every open dashboard asks for it again and again.
        config: { access: 'authenticated', requestLog: 'debug' },
        schema: {
          tags,
          summary: 'How many of your notifications are unread',
          response: { 200: UnreadCount },
        },
      },
      async (req) => ({ unread_count: await notifications.unreadCount(authOf(req)) }),
    );

    app.post(
      '/api/v1/notifications/:id/read',
      {
        config: { access: 'authenticated' },
        schema: {
          tags,
          summary: 'Mark one notification read',
          params: z.object({ id: Uuid }),
          response: { 200: UnreadCount },
        },
      },
      async (req) => notifications.markRead(authOf(req), [req.params.id]),
    );

    app.post(
      '/api/v1/notifications/read-all',
      {
        config: { access: 'authenticated' },
        schema: {
          tags,
          summary: 'Mark all your notifications read',
          body: NoBody,
          response: { 200: UnreadCount },
        },
      },
      async (req) => notifications.markRead(authOf(req), 'all'),
    );

    app.post(
      '/api/v1/notifications/test',
      {
        config: { access: 'authenticated' },
        schema: {
          tags,
          summary: 'Send yourself a test notification (delivered by a background worker)',
          body: NoBody,
          response: { 202: z.object({ job_id: z.string() }) },
        },
      },
      async (req, reply) => {
        const ctx = authOf(req);
        const jobId = await deps.jobs.enqueue(sendTestNotification, { orgId: ctx.orgId, userId: ctx.userId });
        return reply.code(202).send({ job_id: jobId });
      },
    );
  };
