import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { AppError } from './lib/errors.ts';

export const DEFAULT_WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

/** Serves the built dashboard at `/` with an SPA fallback; API paths keep JSON 404s. */
export async function registerWeb(app: FastifyInstance, distDir: string | undefined) {
  const dir = resolve(distDir ?? DEFAULT_WEB_DIST);
  const built = existsSync(resolve(dir, 'index.html'));
  if (built) await app.register(fastifyStatic, { root: dir, wildcard: false, index: ['index.html'] });
  app.setNotFoundHandler((req, reply) => {
    const isApi = /^\/(api|webhooks|docs|healthz|readyz|ws)(\/|$|\?)/.test(req.url);
    if (!isApi && req.method === 'GET' && built) return reply.type('text/html').sendFile('index.html');
    if (!isApi && req.method === 'GET' && !built) {
      return reply
        .code(404)
        .type('text/plain')
        .send('The dashboard is not built. Run `npm run build` (or `npm start`, which builds it).');
    }
    const err = new AppError('NOT_FOUND', `No route for ${req.method} ${req.url.split('?')[0]}`);
    return reply.code(404).send({ error: { code: err.code, message: err.message } });
  });
}
