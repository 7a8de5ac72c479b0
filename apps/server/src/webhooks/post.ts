import { type Dispatcher, request } from 'undici';
import { createGuardedDispatcher, refusalIn } from '../lib/guarded-fetch.ts';
import type { UrlGuard } from '../lib/url-guard.ts';

/** What one POST to an endpoint came to: an answer (any status), or an error with none. */
export interface PostOutcome {
  statusCode: number | null;
  /** The first 1 KB of the answer's body. */
  excerpt: string | null;
  error: string | null;
  latencyMs: number;
}

/** One POST; `pool` names the endpoint (its own connections) and how many it may hold. */
export type PostWebhook = (
  url: string,
  body: string,
  headers: Record<string, string>,
  pool?: { key: string; connections: number },
) => Promise<PostOutcome>;

const EXCERPT_BYTES = 1024;
/** Read (and throw away) at most this much of an answer, so its connection can be kept alive. */
const DRAIN_BYTES = 64 * 1024;

/** An endpoint's pool is closed after this long unused. */
const IDLE_POOL_MS = 5 * 60_000;

/**
 * POSTs through the URL guard: the address connected to is the one checked (at each delivery,
 * not only when the endpoint was saved), no redirects, a time-out on the whole exchange. Each
 * endpoint has its own keep-alive pool (an undici Agent of `max_concurrency` connections), so a
 * slow one ties up only its own connections — even when several endpoints share a host, as n8n
 * workflows do.
 *
 * @example const { post } = createWebhookPoster({ guard, timeoutMs: 10_000 }); await post(url, body, headers, { key: endpointId, connections: 10 })
 */
export function createWebhookPoster(o: { guard: UrlGuard; timeoutMs: number }) {
  const pools = new Map<string, { agent: Dispatcher; connections: number; usedAt: number }>();
  const shared = createGuardedDispatcher(o.guard, { connections: 16 });
  const sweep = setInterval(() => {
    const old = Date.now() - IDLE_POOL_MS;
    for (const [key, p] of pools)
      if (p.usedAt < old) {
        pools.delete(key);
        void p.agent.close().catch(() => {});
      }
  }, 60_000);
  sweep.unref?.();

  function agentOf(pool?: { key: string; connections: number }): Dispatcher {
    if (!pool) return shared;
    let p = pools.get(pool.key);
    if (p && p.connections !== pool.connections) {
      void p.agent.close().catch(() => {});
      p = undefined;
    }
    if (!p) {
      p = {
        agent: createGuardedDispatcher(o.guard, { connections: pool.connections }),
        connections: pool.connections,
        usedAt: 0,
      };
      pools.set(pool.key, p);
    }
    p.usedAt = Date.now();
    return p.agent;
  }

  const post: PostWebhook = async (url, body, headers, pool) => {
    const started = performance.now();
    const took = () => Math.round(performance.now() - started);
    // IP literals skip the connection's lookup: the guard judges them from the text.
    const verdict = o.guard.precheck(url);
    if (!verdict.ok)
      return { statusCode: null, excerpt: null, error: `refused: ${verdict.reason}`, latencyMs: 0 };
    const signal = AbortSignal.timeout(o.timeoutMs);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(verdict.url, {
        dispatcher: agentOf(pool),
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'openwaba-webhooks/1', ...headers },
        body,
        signal,
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
      });
    } catch (err) {
      return {
        statusCode: null,
        excerpt: null,
        error: describe(err, signal, o.timeoutMs),
        latencyMs: took(),
      };
    }
    const parts: Buffer[] = [];
    let kept = 0;
    let read = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (kept < EXCERPT_BYTES) {
          parts.push(chunk.subarray(0, EXCERPT_BYTES - kept));
          kept += Math.min(chunk.length, EXCERPT_BYTES - kept);
        }
        read += chunk.length;
        if (read > DRAIN_BYTES) {
          res.body.destroy();
          break;
        }
      }
    } catch {
      // The status arrived; a body cut short or too slow does not change the outcome.
    }
    const excerpt = parts.length ? Buffer.concat(parts).toString('utf8') : null;
    const error =
      res.statusCode >= 300 && res.statusCode < 400
        ? 'redirects are not followed: point the endpoint at the final URL'
        : null;
    return { statusCode: res.statusCode, excerpt, error, latencyMs: took() };
  };

  async function close() {
    clearInterval(sweep);
    const all = [shared, ...[...pools.values()].map((p) => p.agent)];
    pools.clear();
    await Promise.allSettled(all.map((a) => a.close()));
  }

  return { post, close };
}

function describe(err: unknown, signal: AbortSignal, timeoutMs: number): string {
  const refused = refusalIn(err);
  if (refused) return `refused: ${refused.reason}`;
  if (signal.aborted) return `timed out after ${timeoutMs} ms`;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? e.code;
  const message = e.cause?.message ?? e.message ?? String(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return `timed out after ${timeoutMs} ms`;
  return (code ? `${code}: ${message}` : message).slice(0, 500);
}
