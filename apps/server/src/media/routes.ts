import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOf } from '../lib/http.ts';
import type { MediaService } from './service.ts';

const Params = z.object({ id: z.uuid() });

/** Received media, served to signed-in users of the organisation (never a public URL). */
export const mediaRoutes =
  (deps: { media: MediaService }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/v1/messages/:id/media',
      {
        config: { access: 'conversations.read' },
        schema: {
          tags: ['conversations'],
          summary: 'The media file of a received message',
          params: Params,
          querystring: z.object({ download: z.enum(['1', 'true']).optional() }),
          produces: ['*/*'],
        },
      },
      async (req, reply) => {
        const file = await deps.media.open(authOf(req).orgId, req.params.id);
        const name = (file.filename ?? `${req.params.id}`).replace(/[^\w.-]+/g, '_');
        // Stored files are what a customer sent: never let the browser sniff them into HTML.
        reply
          .header('content-type', file.mimeType)
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('cache-control', 'private, max-age=86400')
          .header(
            'content-disposition',
            `${req.query.download || !/^(image|video|audio)\//.test(file.mimeType) ? 'attachment' : 'inline'}; filename="${name}"`,
          );
        if (file.size) reply.header('content-length', String(file.size));
        return reply.send(file.body);
      },
    );

    app.post(
      '/api/v1/messages/:id/media/retry',
      {
        config: { access: 'conversations.reply' },
        schema: {
          tags: ['conversations'],
          summary: 'Download a media file again after it failed',
          params: Params,
          response: { 200: z.object({ state: z.enum(['pending', 'ready']) }) },
        },
      },
      async (req) => deps.media.retry(authOf(req).orgId, req.params.id),
    );
  };
