import type { LookupAddress } from 'node:dns';
import { Agent, type Dispatcher, request } from 'undici';
import { readLimited } from './read-limited.ts';
import { type UrlGuard, UrlRefusedError } from './url-guard.ts';

/**
 * Requests the server itself makes to a URL someone gave it (outbound webhooks, issue 24; any
 * future fetch of a media link). The guard decides at connect time: the socket's own DNS lookup is
 * the guard's, so the address checked is the address connected to — a name cannot answer a public
 * address to a check and a private one to the connection (DNS rebinding). Redirects are followed
 * by hand, each hop checked again, at most `maxRedirects`, never from https down to http.
 */

export interface GuardedRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Hops followed after the first request (0: a redirect is an error). Default 3. */
  maxRedirects?: number;
  /** For the answer's headers, and again for its body. Default 10 s. */
  timeoutMs?: number;
  /** Answers larger than this are cut off with an error. Default 5 MB. */
  maxBytes?: number;
}

export interface GuardedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
}

export interface GuardedFetch {
  (url: string, init?: GuardedRequest): Promise<GuardedResponse>;
  close(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that must not follow a redirect to another origin. */
const CREDENTIALS = new Set(['authorization', 'cookie', 'proxy-authorization']);

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * An undici Agent whose connections resolve through the guard: the address checked is the address
 * connected to. Host names only — net/tls skip the lookup for IP literals, so a caller checks those
 * with `guard.precheck` before the request.
 *
 * @example const dispatcher = createGuardedDispatcher(guard); await fetch(url, { dispatcher });
 */
export function createGuardedDispatcher(guard: UrlGuard, o: { connections?: number } = {}): Agent {
  return new Agent({
    connections: o.connections ?? 16,
    keepAliveTimeout: 10_000,
    connect: {
      timeout: 10_000,
      lookup(hostname: string, options: { all?: boolean }, callback: LookupCallback) {
        guard.resolveForConnect(hostname).then(
          (addresses) => {
            if (options.all) callback(null, addresses as LookupAddress[]);
            else callback(null, addresses[0]!.address, addresses[0]!.family);
          },
          (err: NodeJS.ErrnoException) => callback(err, []),
        );
      },
    },
  });
}

/**
 * A fetch for URLs from outside; one keep-alive pool per helper.
 *
 * @example
 * const fetchOut = createGuardedFetch(createUrlGuard({ allowPrivate: config.FETCH_ALLOW_PRIVATE }));
 * const res = await fetchOut('https://hooks.example.com/in', { method: 'POST', body: '{}' });
 */
export function createGuardedFetch(guard: UrlGuard, o: { connections?: number } = {}): GuardedFetch {
  const agent = createGuardedDispatcher(guard, o);

  async function guardedFetch(raw: string, init: GuardedRequest = {}): Promise<GuardedResponse> {
    const maxRedirects = init.maxRedirects ?? 3;
    const timeoutMs = init.timeoutMs ?? 10_000;
    const maxBytes = init.maxBytes ?? 5 * 1024 * 1024;
    let method = init.method ?? 'GET';
    let body = init.body;
    let headers = { ...init.headers };
    let current = raw;
    for (let hop = 0; ; hop++) {
      const verdict = guard.precheck(current);
      if (!verdict.ok) throw new UrlRefusedError(current, verdict.reason);
      let res: Dispatcher.ResponseData;
      try {
        res = await request(verdict.url, {
          dispatcher: agent,
          method,
          headers,
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
      } catch (err) {
        throw refusalIn(err) ?? err;
      }
      const location = res.headers.location;
      if (REDIRECTS.has(res.statusCode) && typeof location === 'string') {
        await res.body.dump();
        if (hop >= maxRedirects) throw new UrlRefusedError(current, `more than ${maxRedirects} redirects`);
        let next: URL;
        try {
          next = new URL(location, verdict.url);
        } catch {
          throw new UrlRefusedError(current, 'redirects to an invalid URL');
        }
        if (verdict.url.protocol === 'https:' && next.protocol !== 'https:') {
          throw new UrlRefusedError(current, 'redirects from https to plain http');
        }
        if (next.origin !== verdict.url.origin) {
          headers = Object.fromEntries(
            Object.entries(headers).filter(([k]) => !CREDENTIALS.has(k.toLowerCase())),
          );
        }
        // Like browsers: 303 (and 301/302 after a POST) turn into a GET without the body.
        if (
          res.statusCode === 303 ||
          ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')
        ) {
          method = 'GET';
          body = undefined;
          headers = Object.fromEntries(
            Object.entries(headers).filter(([k]) => !/^content-(type|length)$/i.test(k)),
          );
        }
        current = next.href;
        continue;
      }
      const data = await readLimited(res.body, maxBytes);
      if (!data) throw new Error(`The answer from ${verdict.url.host} is larger than ${maxBytes} bytes`);
      return { status: res.statusCode, headers: res.headers, body: data, url: current };
    }
  }

  return Object.assign(guardedFetch, { close: () => agent.close() });
}

/** The guard's refusal inside a connection error (undici may wrap what the lookup threw). */
export function refusalIn(err: unknown): UrlRefusedError | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof UrlRefusedError) return e;
  }
  return undefined;
}
