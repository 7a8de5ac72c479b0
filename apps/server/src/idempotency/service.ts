import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.ts';
import { AppError } from '../lib/errors.ts';
import * as repo from './repo.ts';

const HEADER = 'idempotency-key';
const KEY = /^[\x21-\x7e]{1,255}$/;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when this request claimed an `Idempotency-Key`: its answer is stored on send. */
    idempotency: { orgId: string; scope: string } | null;
  }
}

/**
 * `Idempotency-Key` on every signed-in POST under /api (Stripe's contract): the first request with a
 * key is answered and its answer (status, body) kept 24 hours for this organisation and caller; the
 * same key and request again get that answer (`Idempotent-Replayed: true`), not a second copy; the
 * same key with a different request is a 422; while the first is still running, a 409. Answers of
 * 5xx and streamed answers are not kept (the key may be used again).
 */
export function createIdempotency(deps: { db: Db }) {
  const { db } = deps;
  return { register: (app: FastifyInstance) => register(app, db), purge: () => repo.purge(db) };
}
export type Idempotency = ReturnType<typeof createIdempotency>;

function register(app: FastifyInstance, db: Db) {
  app.decorateRequest('idempotency', null);
  // preHandler: after the access hook (req.auth) and validation (a bad body never claims a key).
  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const key = req.headers[HEADER];
    if (req.method !== 'POST' || key === undefined || !req.auth || !req.url.startsWith('/api/')) return;
    if (typeof key !== 'string' || !KEY.test(key))
      throw new AppError('VALIDATION_FAILED', 'Idempotency-Key: 1 to 255 printable characters', {
        details: [{ path: ['headers', 'idempotency-key'], message: '1 to 255 printable ASCII characters' }],
      });
    const who = req.auth.apiKeyId ?? req.auth.userId;
    const scope = `${who}:POST ${req.routeOptions.url}:${key}`;
    const fingerprint = createHash('sha256')
      .update(
        `${req.url}\n${Buffer.isBuffer(req.body) ? req.body.toString('base64') : JSON.stringify(req.body ?? null)}`,
      )
      .digest('hex');
    const got = await repo.claim(db, req.auth.orgId, scope, fingerprint);
    if (got === true) {
      req.idempotency = { orgId: req.auth.orgId, scope };
      return;
    }
    if (got.fingerprint !== fingerprint)
      throw new AppError('IDEMPOTENCY_MISMATCH', 'This Idempotency-Key was used with a different request');
    if (got.status === null)
      throw new AppError(
        'CONFLICT',
        'A request with this Idempotency-Key is still being answered; retry shortly',
      );
    reply.code(got.status).header('idempotent-replayed', 'true');
    if (got.content_type) reply.type(got.content_type);
    return reply.send(got.body);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const claimed = req.idempotency;
    if (!claimed) return payload;
    req.idempotency = null;
    const text =
      typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
    if (reply.statusCode >= 500 || text === null) await repo.release(db, claimed.orgId, claimed.scope);
    else
      await repo.store(db, claimed.orgId, claimed.scope, {
        status: reply.statusCode,
        contentType: (reply.getHeader('content-type') as string | undefined) ?? null,
        body: text,
      });
    return payload;
  });
}
