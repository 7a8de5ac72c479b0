import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, forbidden } from './errors.ts';

/**
 * What Fastify's `trustProxy` gets from TRUST_PROXY: `false` (the socket address is the client), a
 * hop count, the proxies' addresses/CIDRs, or `true` (every hop — only behind a proxy that
 * overwrites X-Forwarded-For). Believing the header from anyone would let a client pick the
 * address the throttle, sessions and audit log see.
 */
export function trustProxyOf(setting: string): boolean | string[] | ((addr: string, hop: number) => boolean) {
  const s = setting.trim();
  if (s === 'false') return false;
  if (s === 'true') return true;
  if (/^\d+$/.test(s)) {
    // n proxies in front: the n nearest hops are trusted (what Fastify does with a number).
    const hops = Number(s);
    return (_addr, hop) => hop < hops;
  }
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/**
 * Routes that take a raw body of another type (files, Meta's webhook): every other route with a
 * body speaks JSON only. A new raw route must be listed here, or its uploads are refused with 415.
 */
export const RAW_BODY_ROUTES = new Set([
  'POST /api/v1/conversations/:id/media',
  'POST /api/v1/ai/knowledge/upload',
  'POST /api/v1/contacts/imports',
  'POST /api/v1/campaigns/audience-files',
  'POST /webhooks/whatsapp',
]);

/** Swagger UI's pages: the only ones whose CSP lets an injected <style> in. */
const DOCS = /^\/docs(\/|\?|$)/;
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

function hasBearer(req: FastifyRequest) {
  return req.headers.authorization?.toLowerCase().startsWith('bearer ') ?? false;
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/**
 * Cross-site request forgery and content-type guards, before anything else runs.
 *
 * A browser attaches our cookies to requests another site makes it send, and a plain HTML form can
 * POST `text/plain`, `application/x-www-form-urlencoded` or `multipart/form-data` anywhere without a
 * preflight. So a state-changing request not carrying a bearer token (which no other site can add)
 * must come from our own pages — `Sec-Fetch-Site: same-origin` (or `none`: typed by the user), or an
 * `Origin` that is PUBLIC_URL's or this host's — and a JSON route refuses any other content type
 * (415), even when it takes no body. A request with neither header is not a browser's (the CLI,
 * curl, Meta's webhook): it carries no ambient credentials to abuse.
 */
export function registerRequestGuards(app: FastifyInstance, opts: { publicUrl: string }) {
  const publicHost = hostOf(opts.publicUrl);
  // A callback hook, not an async one: it runs on every request, and a refusal is rare.
  app.addHook('onRequest', (req, _reply, done) => {
    try {
      check(req);
      done();
    } catch (err) {
      done(err as Error);
    }
  });
  function check(req: FastifyRequest) {
    if (!STATE_CHANGING.has(req.method)) return;
    if (!hasBearer(req)) {
      const site = req.headers['sec-fetch-site'];
      const origin = req.headers.origin;
      const sameSite = site === 'same-origin' || site === 'none';
      if (!sameSite && (site !== undefined || origin !== undefined)) {
        const host = origin ? hostOf(origin) : undefined;
        if (!host || (host !== publicHost && host !== req.host)) {
          throw forbidden(
            'Cross-site request refused: send it from the openwaba dashboard, or use a bearer token',
          );
        }
      }
    }
    const route = req.routeOptions.url;
    if (route === undefined || RAW_BODY_ROUTES.has(`${req.method} ${route}`)) return;
    const type = req.headers['content-type'];
    if (type !== undefined && !JSON_TYPE.test(type)) {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        'This endpoint takes JSON: send Content-Type application/json',
      );
    }
  }
}

/**
 * Browser-facing protections on every response. The CSP lets scripts, styles and connections come
 * only from this origin (the Vite build has no inline script; `'self'` covers the same-origin
 * WebSocket), images also from https (template media previews) and data/blob URLs, and no page may
 * frame ours (clickjacking). HSTS once the install is served over https.
 */
export function registerSecurityHeaders(app: FastifyInstance, opts: { https: boolean }) {
  const policy = (styleSrc: string) =>
    [
      "default-src 'self'",
      "script-src 'self'",
      `style-src ${styleSrc}`,
      "img-src 'self' data: blob: https:",
      "media-src 'self' blob:",
      "font-src 'self' data:",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; ');
  const csp = policy("'self'");
  // Swagger UI (/docs) injects a <style> element; its scripts still come only from here.
  const docsCsp = policy("'self' 'unsafe-inline'");
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('content-security-policy', DOCS.test(req.url) ? docsCsp : csp);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    if (opts.https) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    done(null, payload);
  });
}
