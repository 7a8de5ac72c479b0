import type { Job } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import PgBoss from 'pg-boss';
import type { z } from 'zod';
import type { Database, Tx } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import type { Metrics } from '../lib/metrics.ts';

export interface JobContext<D = unknown> {
  /** What the job declared it uses, filled in by the composition root (`job-list.ts`). */
  deps: D;
  jobId: string;
  /** 0 on the first attempt. */
  attempt: number;
  log: Log;
}

/**
 * A job: an id `<domain>.<verb-noun>`, a zod payload schema, a retry policy and a handler; a `cron`
 * (UTC, 5 or 6 fields) makes it recurring. Payloads of organisation work carry `orgId`, which is how
 * failed jobs are shown to that organisation's admins. `D` is what the handler uses (`ctx.deps`),
 * declared by the job as an interface of narrow service types; `bindJob` fills it in.
 */
export interface JobDefinition<S extends z.ZodType = z.ZodType, D = unknown> {
  id: string;
  payload: S;
  retry?: { limit: number; delaySeconds: number; backoff: boolean };
  expireInSeconds?: number;
  cron?: string;
  /** Parallel handlers per worker process. */
  concurrency?: number;
  handler(payload: z.infer<S>, ctx: JobContext<D>): Promise<unknown>;
}

/**
 * @example
 * export interface StartDueCampaignsDeps { campaigns: Pick<CampaignService, 'startDue'> }
 * export const startDueCampaigns = defineJob({
 *   id: 'campaigns.start-due',
 *   payload: z.object({}).loose(),
 *   async handler(_p, ctx: JobContext<StartDueCampaignsDeps>) { return ctx.deps.campaigns.startDue(); },
 * });
 */
export const defineJob = <S extends z.ZodType, D = Record<string, never>>(
  def: JobDefinition<S, D>,
): JobDefinition<S, D> => def;

/** A job with the dependencies it declared: what the queue registers. */
export interface BoundJob {
  def: JobDefinition;
  deps: unknown;
}

/** Pairs a job with its dependencies, checked against the job's declaration. */
export const bindJob = <S extends z.ZodType, D>(def: JobDefinition<S, D>, deps: NoInfer<D>): BoundJob => ({
  def: def as JobDefinition,
  deps,
});

const DEFAULT_RETRY = { limit: 5, delaySeconds: 10, backoff: true };

export interface JobQueueOptions {
  database: Database;
  log: Log;
  metrics: Metrics;
  /** Seconds between polls of each queue by a worker (pg-boss minimum 0.5). */
  pollSeconds?: number;
  /** How often cron schedules are checked (1–45 s). */
  cronCheckSeconds?: number;
  /** Called once when a job has used up its retries. */
  onFinalFailure?(def: JobDefinition, job: { id: string; data: unknown }, error: Error): Promise<void> | void;
}

interface JobRow {
  id: string;
  name: string;
  state: Job['state'];
  data: unknown;
  output: unknown;
  retry_count: number;
  retry_limit: number;
  created_on: Date | string;
  started_on: Date | string | null;
  completed_on: Date | string | null;
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

/**
 * The typed job layer over pg-boss (PostgreSQL, or PGlite through the database's executor).
 * Every process can enqueue; only `worker`/`all` processes run handlers and cron.
 */
export function createJobQueue(opts: JobQueueOptions) {
  const { database, log, metrics } = opts;
  const defs = new Map<string, JobDefinition>();
  const depsOf = new Map<string, unknown>();
  let boss: PgBoss | undefined;
  let starting: Promise<PgBoss> | undefined;
  let working = false;
  /** The ids of this process's workers, by queue. */
  const localWorkers = new Map<string, string[]>();
  let lastError: { at: number; message: string } | undefined;

  function register(list: BoundJob[]) {
    for (const { def: d, deps } of list) {
      if (!/^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/.test(d.id))
        throw new Error(`Job id ${d.id} must be <domain>.<verb-noun>`);
      if (defs.has(d.id)) throw new Error(`Job ${d.id} is registered twice`);
      defs.set(d.id, d);
      depsOf.set(d.id, deps);
    }
  }

  async function ensureQueues(b: PgBoss) {
    for (const d of defs.values()) {
      const retry = d.retry ?? DEFAULT_RETRY;
      const options = {
        name: d.id,
        retryLimit: retry.limit,
        retryDelay: retry.delaySeconds,
        retryBackoff: retry.backoff,
        ...(d.expireInSeconds ? { expireInSeconds: d.expireInSeconds } : {}),
      };
      if (await b.getQueue(d.id)) await b.updateQueue(d.id, options);
      else {
        try {
          await b.createQueue(d.id, options);
        } catch (err) {
          // Another process created it between our check and our insert.
          if (!(await b.getQueue(d.id))) throw err;
        }
      }
    }
  }

  /** Starts pg-boss once: creates its schema and our queues. `work` also runs handlers and cron. */
  async function start(o: { work: boolean }): Promise<PgBoss> {
    starting ??= (async () => {
      const b = new PgBoss({
        db: { executeSql: (text: string, values?: unknown[]) => executeSqlRetrying(database, text, values) },
        schema: 'pgboss',
        migrate: true,
        supervise: o.work,
        schedule: o.work,
        ...(o.work
          ? {
              cronMonitorIntervalSeconds: opts.cronCheckSeconds ?? 30,
              cronWorkerIntervalSeconds: Math.min(opts.cronCheckSeconds ?? 5, 5),
            }
          : {}),
        archiveFailedAfterSeconds: 14 * 86_400,
      } as unknown as PgBoss.ConstructorOptions);
      b.on('error', (err) => {
        lastError = { at: Date.now(), message: err.message };
        log.error({ err }, 'job queue error');
      });
      await b.start();
      await ensureQueues(b);
      boss = b;
      return b;
    })();
    const b = await starting;
    if (o.work && !working) {
      working = true;
      for (const d of defs.values()) {
        for (let i = 0; i < (d.concurrency ?? 1); i++) {
          const workerId = await b.work(
            d.id,
            { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: opts.pollSeconds ?? 1 },
            async ([job]) => run(d, job as unknown as PgBoss.JobWithMetadata),
          );
          localWorkers.set(d.id, [...(localWorkers.get(d.id) ?? []), workerId]);
        }
        if (d.cron) await b.schedule(d.id, d.cron, {}, { tz: 'UTC' });
        else await b.unschedule(d.id).catch(() => {});
      }
    }
    return b;
  }

  async function run(def: JobDefinition, job: PgBoss.JobWithMetadata) {
    const parsed = def.payload.safeParse(job.data ?? {});
    const ctx: JobContext = { deps: depsOf.get(def.id), jobId: job.id, attempt: job.retryCount, log };
    try {
      if (!parsed.success) {
        throw new Error(
          `Invalid payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      }
      const out = await def.handler(parsed.data, ctx);
      metrics.jobsCompleted.inc({ queue: def.id });
      return out;
    } catch (err) {
      metrics.jobsFailed.inc({ queue: def.id });
      const e = err instanceof Error ? err : new Error(String(err));
      log.warn({ err: e, job: def.id, jobId: job.id, attempt: job.retryCount }, 'job attempt failed');
      if (job.retryCount >= job.retryLimit) {
        await Promise.resolve(opts.onFinalFailure?.(def, { id: job.id, data: job.data }, e)).catch((x) =>
          log.error({ err: x }, 'reporting a failed job failed'),
        );
      }
      throw e;
    }
  }

  async function instance() {
    return boss ?? start({ work: false });
  }

  /** Validates the payload and stores the job; returns its id. */
  async function enqueue<S extends z.ZodType>(
    def: JobDefinition<S>,
    payload: z.input<S>,
    o: { startAfterSeconds?: number; singletonKey?: string } = {},
  ): Promise<string> {
    if (!defs.has(def.id)) throw new Error(`Job ${def.id} is not registered`);
    const parsed = def.payload.safeParse(payload);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', `Invalid payload for job ${def.id}`, {
        details: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })),
      });
    }
    const b = await instance();
    const id = await b.send(def.id, parsed.data as object, {
      ...(o.startAfterSeconds ? { startAfter: o.startAfterSeconds } : {}),
      ...(o.singletonKey ? { singletonKey: o.singletonKey } : {}),
    });
    if (!id) throw new AppError('CONFLICT', `Job ${def.id} is already queued`);
    // A worker of this queue in this process fetches it now instead of at its next poll (up to a
    // second later): a lone webhook is processed at once. Workers elsewhere poll as usual.
    if (!o.startAfterSeconds) for (const w of localWorkers.get(def.id) ?? []) b.notifyWorker(w);
    return id;
  }

  return {
    register,
    start,
    enqueue,

    /**
     * Like `enqueue`, for work that needs doing once: while a job with this `singletonKey` is
     * queued, asking again is a no-op (instead of a CONFLICT).
     */
    async enqueueOnce<S extends z.ZodType>(
      def: JobDefinition<S>,
      payload: z.input<S>,
      o: { singletonKey: string },
    ): Promise<void> {
      await enqueue(def, payload, o).catch((err) => {
        if ((err as { code?: string }).code !== 'CONFLICT') throw err;
      });
    },

    /** Jobs of one organisation (payload `orgId`), newest first. */
    async list(orgId: string, q: { state: Job['state']; queue?: string; limit: number }): Promise<Job[]> {
      await instance();
      const rows = await database.query<JobRow>(
        `select id::text, name, state::text as state, data, output, retry_count, retry_limit, created_on, started_on, completed_on
         from pgboss.job
         where data->>'orgId' = $1 and state::text = $2 and ($3::text is null or name = $3)
         order by created_on desc limit $4`,
        [orgId, q.state, q.queue ?? null, q.limit],
      );
      return rows.map((r) => ({
        id: r.id,
        queue: r.name,
        state: r.state,
        data: r.data,
        output: r.output ?? null,
        retry_count: r.retry_count,
        retry_limit: r.retry_limit,
        created_at: iso(r.created_on)!,
        started_at: iso(r.started_on),
        completed_at: iso(r.completed_on),
      }));
    },

    /**
     * Puts a failed job of this organisation back in its queue (the same change as pg-boss's
     * `retry`, on a row locked first). `record` writes what the caller keeps of it (the audit row)
     * in the same transaction.
     */
    async retry(orgId: string, queue: string, id: string, record?: (tx: Tx) => Promise<unknown>) {
      await instance();
      await transaction(database.db, async (tx) => {
        const [row] = await queryRows<{ state: string }>(
          tx,
          sql`select state::text as state from pgboss.job
              where name = ${queue} and id = ${id}::uuid and data->>'orgId' = ${orgId} for update`,
        );
        if (!row) throw notFound('Job');
        if (row.state !== 'failed')
          throw new AppError('CONFLICT', `Only failed jobs can be retried (this one is ${row.state})`);
        await tx.execute(
          sql`update pgboss.job set state = 'retry', retry_limit = retry_limit + 1
              where name = ${queue} and id = ${id}::uuid and state = 'failed'`,
        );
        await record?.(tx);
      });
    },

    async getJob(queue: string, id: string) {
      const b = await instance();
      return b.getJobById(queue, id);
    },

    /** Jobs waiting per queue, for metrics. */
    async depths(): Promise<Record<string, number>> {
      if (!boss) return {};
      const rows = await database.query<{ name: string; n: string | number }>(
        `select name, count(*) as n from pgboss.job where state < 'active' group by name`,
      );
      const out: Record<string, number> = Object.fromEntries([...defs.keys()].map((k) => [k, 0]));
      for (const r of rows) out[r.name] = Number(r.n);
      return out;
    },

    /** Ready unless the queue failed to start or reported an error in the last minute. */
    health(): { ok: boolean; detail: string } {
      if (!boss) return { ok: !starting, detail: starting ? 'starting' : 'idle (starts on first use)' };
      if (lastError && Date.now() - lastError.at < 60_000) return { ok: false, detail: lastError.message };
      return { ok: true, detail: working ? 'working' : 'enqueue only' };
    },

    async stop() {
      const b = boss ?? (starting ? await starting.catch(() => undefined) : undefined);
      if (!b) return;
      await b.stop({ graceful: true, wait: true, timeout: 10_000 });
      boss = undefined;
      starting = undefined;
      working = false;
    },
  };
}
export type JobQueue = ReturnType<typeof createJobQueue>;

/** A connection PostgreSQL ended (restart, failover, pg_terminate_backend) or that could not be made. */
const connectionLost = (err: unknown) => {
  const e = err as { code?: string; message?: string };
  return (
    /^(57P0[123]|08)/.test(e?.code ?? '') ||
    /Connection terminated|ECONNRESET|ECONNREFUSED/.test(e?.message ?? '')
  );
};

/**
 * pg-boss completes and fails jobs without awaiting them (pg-boss 10, manager.js `onFetch`): their
 * rejection is unhandled and ends the process. A statement on a connection that was lost is tried
 * again on a fresh one (pg-boss's statements are state transitions: a repeat is harmless), for up to
 * about 30 s.
 */
async function executeSqlRetrying(database: Database, text: string, values?: unknown[]) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await database.executeSql(text, values);
    } catch (err) {
      if (attempt >= 6 || !connectionLost(err)) throw err;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}
