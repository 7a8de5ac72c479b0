import { RetentionPreview, RetentionPreviewQuery } from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { authOf } from '../lib/http.ts';
import type { RetentionService } from './service.ts';

export const retentionRoutes =
  (deps: { retention: RetentionService }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/v1/retention/preview',
      {
        // Those who set the retention see what it will delete; the counts read (bounded) whole tables.
        config: { access: 'org.update' },
        schema: {
          tags: ['org'],
          summary:
            'What the next nightly retention run would delete (a dry run): messages, status events, raw webhook bodies and media files older than the setting (or ?days=)',
          querystring: RetentionPreviewQuery,
          response: { 200: RetentionPreview },
        },
      },
      async (req) => deps.retention.preview(authOf(req), req.query.days),
    );
  };
