import type { Database } from '../db/client.ts';

/**
 * A pending event whose `processed_at` is set is claimed: a worker is processing it since then.
 * A claim older than this is taken over (its worker died).
 */
export const CLAIM_LEASE_SECONDS = 60;

/**
 * Stores raw webhook bodies in one statement, each with the fingerprint of the secret that verified
 * it (`signer`: processing routes it only to numbers of that app), and only if the sealed app secret
 * that verified it is still a number's (a number removed, or its secret replaced, since the caller's
 * cache read it). Returns, per row and in order, whether it was stored.
 */
export async function insertSignedEvents(
  database: Database,
  rows: { raw: string; sealed: string; signer: string }[],
): Promise<boolean[]> {
  // One JSON parameter: serialising it costs the web process far less than several text arrays.
  const stored = await database.query<{ ord: string | number }>(
    `with input as (
       select r.raw, r.sealed, r.signer, r.ord
       from rows from (json_to_recordset($1::json) as (raw text, sealed text, signer text))
         with ordinality as r(raw, sealed, signer, ord)
     ), signed as materialized (
       select i.ord, i.raw, i.signer from input i
       where exists (select 1 from numbers n where n.app_secret_sealed = i.sealed)
     ), ins as (
       insert into webhook_events (raw, signer) select raw, signer from signed order by ord returning id
     )
     select ord from signed`,
    [JSON.stringify(rows)],
  );
  const ok = new Set(stored.map((r) => Number(r.ord)));
  return rows.map((_, i) => ok.has(i + 1));
}

/** Claims up to `limit` pending events nobody is processing, oldest first; returns their ids. */
export async function claimPendingEvents(database: Database, limit: number): Promise<number[]> {
  const rows = await database.query<{ id: string | number }>(
    `update webhook_events set processed_at = now()
     where id in (
       select id from webhook_events
       where state = 'pending' and (processed_at is null or processed_at < now() - make_interval(secs => $2))
       order by id limit $1 for update skip locked)
     returning id`,
    [limit, CLAIM_LEASE_SECONDS],
  );
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

export interface DrainOptions {
  /** Batches processed at once. */
  concurrency: number;
  /** Events claimed per query. */
  batch: number;
  /** Events processed together (one transaction) at most. */
  perTransaction: number;
  /** Having processed something, keep looking this long for more before returning. */
  lingerMs: number;
  /** Stop claiming after this long (the caller queues a follow-up when `more`). */
  budgetMs: number;
}

// Two drains per process (the job's concurrency), one group in flight each (the next batch is claimed
// meanwhile): more groups at once only made them wait on each other's locks and leave fewer pool
// connections (default 10) for the webhook INSERTs. A group of up to 100 events is one transaction of a
// few set-based statements: big enough that round trips and commits stop mattering, small enough that a
// failed group (then processed one by one) costs little. A drain stays well inside a graceful shutdown's
// wait (10 s); a longer backlog continues in a follow-up job.
export const DRAIN_DEFAULTS: DrainOptions = {
  concurrency: 1,
  batch: 200,
  perTransaction: 100,
  lingerMs: 1000,
  budgetMs: 5000,
};

/**
 * Processes pending events until none are left: claims a batch, processes it in groups of up to
 * `perTransaction` events, `concurrency` groups at a time, and claims the next batch as the queue runs
 * low. Several drains (jobs, processes) can run at once: claims do not overlap. A failed event stays
 * failed (processing records it) and is returned to be retried; a failed claim ends the drain with
 * `error` once what was claimed is done.
 */
export async function drainPendingEvents(
  deps: {
    database: Database;
    /** Processes claimed events; returns those that failed. */
    processEvents(ids: number[]): Promise<number[]>;
    /** Awaited before each group, given how long the previous one took: lets more urgent work go first. */
    yieldTo?(previousMs: number): Promise<void> | undefined;
    /**
     * Waits up to `ms` for new events, resolving early when this process stores some: a lingering
     * drain claims a POST as soon as it is committed instead of at its next look (up to 50 ms later).
     */
    waitForNew?(ms: number): Promise<void>;
  },
  opts: Partial<DrainOptions> = {},
): Promise<{ processed: number; failed: number[]; more: boolean; error?: Error }> {
  const o = { ...DRAIN_DEFAULTS, ...opts };
  const started = Date.now();
  const queue: number[] = [];
  const failed: number[] = [];
  let processed = 0;
  let busy = 0;
  let exhausted = false;
  let more = false;
  let claiming: Promise<void> | undefined;
  let idleSince: number | undefined;
  let claimError: unknown;

  async function claim() {
    if (Date.now() - started > o.budgetMs) {
      more = true;
      exhausted = true;
      return;
    }
    for (;;) {
      let ids: number[];
      try {
        ids = await claimPendingEvents(deps.database, o.batch);
      } catch (err) {
        // What is already claimed is still processed; the error fails the drain afterwards.
        claimError = err;
        exhausted = true;
        return;
      }
      if (ids.length) {
        idleSince = undefined;
        queue.push(...ids);
        return;
      }
      // Others are still working on what was claimed: the next look happens when the queue runs low.
      if (queue.length) return;
      idleSince ??= Date.now();
      // Nothing pending: right after a burst more is likely on its way, so look again briefly.
      if ((!processed && !busy) || Date.now() - idleSince >= o.lingerMs) {
        exhausted = true;
        return;
      }
      await (deps.waitForNew?.(50) ?? new Promise((r) => setTimeout(r, 50)));
    }
  }

  // Shares what is queued among the groups in flight, up to `perTransaction` each.
  const take = () =>
    queue.splice(0, Math.min(o.perTransaction, Math.max(1, Math.ceil(queue.length / o.concurrency))));

  async function next(): Promise<number[]> {
    for (;;) {
      // Claim ahead while the queue runs low, so groups stay large and workers do not wait.
      if (!exhausted && !claiming && queue.length <= o.batch / 2) {
        claiming = claim().finally(() => {
          claiming = undefined;
        });
      }
      if (queue.length) return take();
      if (exhausted || !claiming) return [];
      await claiming;
    }
  }

  async function worker() {
    let previousMs = 0;
    for (let ids = await next(); ids.length; ids = await next()) {
      await deps.yieldTo?.(previousMs);
      const t0 = performance.now();
      busy++;
      try {
        const f = await deps.processEvents(ids);
        failed.push(...f);
        processed += ids.length - f.length;
      } catch {
        failed.push(...ids);
      } finally {
        busy--;
      }
      previousMs = performance.now() - t0;
    }
  }

  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return { processed, failed, more, ...(claimError ? { error: claimError as Error } : {}) };
}
