import { can } from '@openwaba/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, forbidden } from '../lib/errors.ts';
import type { Access } from '../lib/http.ts';
import type { AuthContext } from './context.ts';
import { ACCESS_COOKIE } from './cookies.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { AuthService } from './service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, set by the access hook below on routes that are not public (`authOf` reads it). */
    auth: AuthContext | null;
  }
  interface FastifyInstance {
    /** Every /api route with its declared access, for the permission tests and docs. */
    accessTable: { method: string; url: string; access: Access }[];
  }
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h?.toLowerCase().startsWith('bearer ')) return h.slice(7).trim();
  return undefined;
}

/**
 * The caller's session on a public route, if they have a valid one: a missing, expired or revoked
 * token is simply no session (public routes never answer 401 for it).
 */
export async function optionalAuthOf(req: FastifyRequest, auth: AuthService): Promise<AuthContext | null> {
  const token = bearer(req) ?? req.cookies[ACCESS_COOKIE];
  if (!token) return null;
  const ctx = await auth.authenticate(token).catch(() => null);
  return ctx && { ...ctx, requestId: req.id, ip: req.ip };
}

/**
 * Every /api route must declare its access; a route that forgets fails the boot, so no endpoint
 * is accidentally public.
 */
export function registerAccessControl(
  app: FastifyInstance,
  auth: AuthService,
  limiter?: Pick<RateLimiter, 'hit'>,
) {
  app.decorateRequest('auth', null);
  const table: FastifyInstance['accessTable'] = [];
  app.decorate('accessTable', table);
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') || route.method === 'HEAD') return;
    const access = route.config?.access;
    if (!access) throw new Error(`Route ${route.method} ${route.url} must declare config.access`);
    for (const method of [route.method].flat()) table.push({ method, url: route.url, access });
  });
  // preValidation: a caller without the right is turned away before their input is even looked at.
  app.addHook('preValidation', async (req: FastifyRequest, reply: FastifyReply) => {
    const access = req.routeOptions.config.access;
    if (!access || access === 'public') return;
    const token = bearer(req) ?? req.cookies[ACCESS_COOKIE];
    if (!token) throw new AppError('UNAUTHENTICATED', 'Sign in first', { details: { reason: 'no_token' } });
    req.auth = { ...(await auth.authenticate(token, req.ip)), requestId: req.id, ip: req.ip };
    if (access !== 'authenticated' && !can(req.auth.role, access)) {
      throw forbidden(`Your role (${req.auth.role}) cannot do this; it needs ${access}`);
    }
    // An API key: only what its scopes name; what anyone signed in may do (their account, sessions,
    // organisations) is done by the person, not a key.
    const scopes = req.auth.scopes;
    if (scopes && (access === 'authenticated' || !scopes.includes(access)))
      throw forbidden(
        access === 'authenticated'
          ? 'API keys cannot do this: it is done by a person signed in'
          : `This API key lacks the scope ${access}`,
      );
    // Rate limits, per person or key and per organisation (auth/rate-limit.ts).
    const v = await limiter?.hit(req.auth);
    if (v) {
      reply.header('RateLimit-Policy', `${v.limit};w=60`);
      reply.header('RateLimit', `limit=${v.limit}, remaining=${v.remaining}, reset=${v.resetSeconds}`);
      if (v.limited)
        throw new AppError(
          'RATE_LIMITED',
          `Too many requests: ${v.limit} a minute ${v.scope === 'organisation' ? 'for the organisation' : req.auth.apiKeyId ? 'for this API key' : 'for you'}. Try again in ${v.resetSeconds} s.`,
          { headers: { 'Retry-After': String(v.resetSeconds) }, details: { scope: v.scope, limit: v.limit } },
        );
    }
  });
}
