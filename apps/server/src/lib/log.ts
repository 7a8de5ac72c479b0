import type { FastifyRequest } from 'fastify';

/** The logging surface services use (pino's, so app.log fits). */
export interface Log {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export const silentLog: Log = { info() {}, warn() {}, error() {} };

export const REDACTED = '[redacted]';

/** Query parameters whose value is a credential: invitation and verify tokens, API keys, secrets. */
const SECRET_PARAM = /(token|secret|password|passwd|api[_-]?key|signature)$/i;

/**
 * A request URL fit for a log line: secret query values are replaced (`?token=[redacted]`). Logs
 * are kept longer and read by more people than the database is; a token in them is a token leaked.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // A malformed name is logged as it came.
      }
      return eq >= 0 && SECRET_PARAM.test(decoded) ? `${name}=${REDACTED}` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/**
 * Credentials that must never reach a log line, wherever an object carrying them is logged:
 * request headers (sessions ride in cookies and bearer tokens), set-cookie, and fields named like
 * secrets one level down.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  ...['password', 'token', 'access_token', 'accessToken', 'refresh_token', 'app_secret', 'appSecret'].flatMap(
    (k) => [k, `*.${k}`],
  ),
];

/**
 * pino options for every Fastify instance (api and worker): JSON at `level`, credentials redacted,
 * request URLs without secret query values. `stream` lets a test read what would be written.
 */
export function loggerOptions(level: string, stream?: { write(line: string): void }) {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: {
      req(req: FastifyRequest): Record<string, unknown> {
        // Something else logged under `req` (a plain object): kept, its credentials redacted below.
        if (typeof req.url !== 'string' || typeof req.method !== 'string') {
          return req as unknown as Record<string, unknown>;
        }
        return {
          method: req.method,
          url: redactUrl(req.url),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        };
      },
    },
    ...(stream ? { stream } : {}),
  };
}
