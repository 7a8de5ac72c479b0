import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import pretty from 'pino-pretty';

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

type LogStream = { write(line: string): void };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `debug`: the route's request lines are logged at debug, not info (polling endpoints). */
    requestLog?: 'debug';
  }
}

/** Paths whose requests are the API's own work; a GET or HEAD anywhere else fetches a file or a probe. */
const API_PATH = /^\/(api|webhooks|ws)(\/|\?|$)/;

/** How a process writes its log: JSON lines, or readable lines for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

/** `auto` is pretty when stdout is a terminal (a person reading), JSON when it is a file or a pipe. */
export function resolveLogFormat(
  setting: 'auto' | 'json' | 'pretty',
  isTerminal = Boolean(process.stdout.isTTY),
): LogFormat {
  if (setting === 'auto') return isTerminal ? 'pretty' : 'json';
  return setting;
}

/**
 * Request lines: at debug for what repeats all day and says nothing — the dashboard's files, API
 * docs pages, health checks and metrics (a GET or HEAD outside /api, /webhooks and /ws), and API
 * routes that declare `requestLog: 'debug'` (what the dashboard polls) — at info for everything
 * else, as Fastify does; errors always at error. For a person (`pretty`), one line per request
 * once it is answered, its method and URL included.
 */
class RequestLogController extends LogController {
  constructor(private readonly oneLine: boolean) {
    super();
  }

  private quiet(request: FastifyRequest): boolean {
    if (request.routeOptions.config?.requestLog === 'debug') return true;
    return (request.method === 'GET' || request.method === 'HEAD') && !API_PATH.test(request.url);
  }

  override incomingRequest(request: FastifyRequest, reply: FastifyReply) {
    if (this.oneLine || this.quiet(request)) request.log.debug({ req: request }, 'incoming request');
    else super.incomingRequest(request, reply);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    if (error) return super.requestCompleted(error, request, reply);
    const line = { res: reply, responseTime: reply.elapsedTime, ...(this.oneLine ? { req: request } : {}) };
    if (this.quiet(request)) reply.log.debug(line, 'request completed');
    else reply.log.info(line, 'request completed');
  }
}

/** A request line as a person reads it: `GET /api/v1/me 200 3 ms`; other lines keep their message. */
function readableMessage(log: Record<string, unknown>, messageKey: string): string {
  const message = String(log[messageKey] ?? '');
  const req = log.req as { method?: string; url?: string } | undefined;
  const res = log.res as { statusCode?: number } | undefined;
  if (!req?.method) return message;
  const took = typeof log.responseTime === 'number' ? ` ${Math.round(log.responseTime)} ms` : '';
  if (message === 'request completed' && res) return `${req.method} ${req.url} ${res.statusCode}${took}`;
  return `${message} (${req.method} ${req.url})`;
}

/**
 * pino-pretty's formatter, called as each line is written (no transport, no worker thread): the
 * lines reach stdout in the order they are logged, between the lines the process prints itself.
 */
function prettyStream(destination?: LogStream): LogStream {
  const prettify = pretty.prettyFactory({
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,reqId,req,res,responseTime',
    messageFormat: readableMessage,
    colorize: destination ? false : pretty.isColorSupported && Boolean(process.stdout.isTTY),
  });
  const out = destination ?? process.stdout;
  return { write: (line) => out.write(prettify(line)) };
}

/**
 * pino options for every Fastify instance (api and worker): JSON or readable lines (LOG_FORMAT) at
 * LOG_LEVEL, credentials redacted, request URLs without secret query values, and the request log
 * controller above. `stream` lets a test read what would be written.
 */
export function httpLogging(
  config: { LOG_LEVEL: string; LOG_FORMAT: 'auto' | 'json' | 'pretty' },
  stream?: LogStream,
) {
  // A test's stream is no terminal: `auto` means JSON there.
  const pretty = resolveLogFormat(config.LOG_FORMAT, stream ? false : undefined) === 'pretty';
  return {
    logger: loggerOptions(config.LOG_LEVEL, pretty ? prettyStream(stream) : stream),
    logController: new RequestLogController(pretty),
  };
}

/** pino options: `level`, credentials redacted, request URLs without secret query values. */
function loggerOptions(level: string, stream?: LogStream) {
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
