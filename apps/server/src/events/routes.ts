import { EventPage } from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOf } from '../lib/http.ts';
import type { EventService } from './service.ts';

const Query = z.object({
  since: z.coerce.number().int().min(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const eventRoutes =
  (deps: { events: EventService }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/v1/events',
      {
        // The polling fallback of the realtime feed.
        config: { access: 'authenticated', requestLog: 'debug' },
        schema: {
          tags: ['realtime'],
          summary: 'Events after an id (what the WebSocket pushes; the polling fallback reads this)',
          querystring: Query,
          response: { 200: EventPage },
        },
      },
      async (req) => deps.events.page(authOf(req), req.query.since, req.query.limit),
    );
  };
