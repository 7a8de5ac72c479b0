import type { FastifyInstance } from 'fastify';
import type { Core } from '../core/build-core.ts';
import { graphError } from '../errors.ts';
import { registerDebugTokenRoute } from './debug-token.ts';
import { createGraphHttp } from './http.ts';
import { registerMediaRoutes } from './media.ts';
import { registerMessageRoutes } from './messages.ts';
import { registerObjectRoutes } from './objects.ts';
import { registerWabaRoutes } from './waba.ts';

/** The Graph API surface: `/{version}/…`, answered like Meta (shapes, codes, limits). */
export function registerGraphRoutes(app: FastifyInstance, core: Core) {
  const { rnd } = core;
  const http = createGraphHttp(core);
  const { fail } = http;

  // Registered before the hooks below, as it always was (debug_token is a Graph call like the others).
  registerDebugTokenRoute(app, core, http);

  // Faults and counters apply to Graph calls, not to the control API.
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/_sim')) return;
    core.stats.requests++;
    if (core.faults.fires('reset')) {
      req.raw.socket.destroy();
      return reply;
    }
    const timeout = core.faults.fires('timeout');
    if (timeout) {
      await new Promise((r) => setTimeout(r, timeout.ms ?? 30_000));
      req.raw.socket.destroy();
      return reply;
    }
    const slow = core.faults.fires('slow');
    if (slow) await new Promise((r) => setTimeout(r, slow.ms ?? 2000));
    const e5 = core.faults.fires('http_5xx');
    if (e5) {
      const status = e5.status ?? 503;
      return fail(
        reply,
        status === 503
          ? graphError(2, rnd, { transient: true })
          : graphError(131000, rnd, { status, transient: true }),
      );
    }
  });

  // An accepted send whose answer is lost: the connection drops instead of the 200.
  app.addHook('onSend', async (req, reply, payload) => {
    if (
      req.method !== 'POST' ||
      !/\/messages$/.test(req.routeOptions.url ?? '') ||
      reply.statusCode !== 200
    ) {
      return payload;
    }
    if (core.faults.fires('lost_answer')) req.raw.socket.destroy();
    return payload;
  });

  app.setErrorHandler((err: { statusCode?: number; message: string; code?: string }, req, reply) => {
    if (req.url.startsWith('/_sim')) {
      return reply
        .code(err.statusCode && err.statusCode < 500 ? err.statusCode : 400)
        .send({ error: { message: err.message } });
    }
    if (err.code === 'FST_REQ_FILE_TOO_LARGE') {
      return fail(reply, graphError(131053, rnd, { details: 'The file is larger than 100 MB.' }));
    }
    return fail(reply, graphError(100, rnd, { details: err.message }));
  });

  app.setNotFoundHandler((req, reply) =>
    fail(
      reply,
      graphError(100, rnd, { message: `Unknown path components: ${req.url.split('?')[0]}`, details: '' }),
    ),
  );

  registerMessageRoutes(app, core, http);
  registerMediaRoutes(app, core, http);
  registerObjectRoutes(app, core, http);
  registerWabaRoutes(app, core, http);
}
