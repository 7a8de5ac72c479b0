import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import type { AuthContext } from './context.ts';

/** What a request's count came to: the tighter of the principal's and the organisation's. */
export interface RateVerdict {
  limited: boolean;
  /** The limit that decided (the one with fewer requests left). */
  limit: number;
  remaining: number;
  /** Seconds until the window ends. */
  resetSeconds: number;
  scope: 'principal' | 'organisation';
}

/**
 * API rate limits: fixed one-minute windows per principal (a person's session, or an API key) and
 * per organisation, counted in PostgreSQL (`rate_limit_hits`) with one statement per request, so
 * several api processes share one count. A fixed window lets a client use up to twice the limit
 * across a window boundary; simple, and what the limits are for (stop a runaway script) holds.
 * Login throttling is separate (auth/throttle.ts). docs/adr/0021.
 */
export function createRateLimiter(deps: { db: Db; perMinute: number; orgPerMinute: number }) {
  const { db, perMinute, orgPerMinute } = deps;

  async function hit(ctx: Pick<AuthContext, 'orgId' | 'userId' | 'apiKeyId'>): Promise<RateVerdict | null> {
    const keys: { key: string; limit: number; scope: RateVerdict['scope'] }[] = [];
    if (perMinute > 0)
      keys.push({ key: `p:${ctx.apiKeyId ?? ctx.userId}`, limit: perMinute, scope: 'principal' });
    if (orgPerMinute > 0) keys.push({ key: `o:${ctx.orgId}`, limit: orgPerMinute, scope: 'organisation' });
    if (!keys.length) return null;
    const rows = await queryRows<{ key: string; hits: number; reset: number }>(
      db,
      sql`insert into rate_limit_hits (key, window_start, hits)
          select k, date_trunc('minute', now()), 1 from unnest(${`{${keys.map((k) => `"${k.key}"`).join(',')}}`}::text[]) k
          on conflict (key, window_start) do update set hits = rate_limit_hits.hits + 1
          returning key, hits, ceil(extract(epoch from date_trunc('minute', now()) + interval '1 minute' - now()))::int as reset`,
    );
    let worst: RateVerdict | null = null;
    for (const r of rows) {
      const k = keys.find((x) => x.key === r.key)!;
      const v: RateVerdict = {
        limited: r.hits > k.limit,
        limit: k.limit,
        remaining: Math.max(0, k.limit - r.hits),
        resetSeconds: Math.max(1, r.reset),
        scope: k.scope,
      };
      if (!worst || v.remaining < worst.remaining || (v.limited && !worst.limited)) worst = v;
    }
    return worst;
  }

  /** Windows that ended: deleted (the cron job). */
  async function purge() {
    const rows = await queryRows<{ n: number }>(
      db,
      sql`with d as (delete from rate_limit_hits where window_start < now() - interval '2 minutes' returning 1)
          select count(*)::int as n from d`,
    );
    return rows[0]?.n ?? 0;
  }

  return { hit, purge };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;
