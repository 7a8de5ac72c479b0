import type { RetentionCounts, RetentionPreview } from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { Log } from '../lib/log.ts';
import type { MediaService } from '../media/service.ts';
import { createPurger, type OrgPurgeCounts, type PurgeLimits } from './purge.ts';

/** The daily run (UTC): at night for most of Europe and the Americas, off the hour everyone picks. */
export const RETENTION_CRON = { minute: 23, hour: 2 };
/** The preview counts each kind up to this many: it never scans without bound. */
export const PREVIEW_COUNT_LIMIT = 100_000;

const DAY_MS = 86_400_000;

/** The next daily run after `now`. */
export function nextRunAfter(now: Date): Date {
  const next = new Date(
    Date.UTC(
      now.getUTCFullYear(),
      now.getUTCMonth(),
      now.getUTCDate(),
      RETENTION_CRON.hour,
      RETENTION_CRON.minute,
    ),
  );
  if (next <= now) next.setUTCDate(next.getUTCDate() + 1);
  return next;
}

const zero = (): RetentionCounts => ({
  messages: 0,
  status_events: 0,
  webhook_events: 0,
  media_files: 0,
  flow_runs: 0,
});

/**
 * The organisation's "keep messages for N days" setting, enforced: a daily job deletes messages,
 * status events, stored raw webhook bodies, media files (rows and stored bytes) and ended flow runs older than N
 * days, in small batches (see purge.ts), and writes one audit row per organisation with what it
 * deleted. `preview` counts what the next run would delete, deleting nothing.
 */
export function createRetentionService(deps: {
  db: Db;
  media: MediaService;
  log: Log;
  limits?: Partial<PurgeLimits>;
}) {
  const { db, log } = deps;
  const limits: PurgeLimits = { batchSize: 1000, scanWindow: 5000, ...deps.limits };
  const purger = createPurger({ db, media: deps.media, log, limits });

  /** `count(*)` of at most PREVIEW_COUNT_LIMIT rows of a query. */
  const bounded = async (query: SQL) => {
    const [r] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from (${query} limit ${PREVIEW_COUNT_LIMIT}) x`,
    );
    return r?.n ?? 0;
  };

  async function preview(ctx: Pick<AuthContext, 'orgId'>, days?: number): Promise<RetentionPreview> {
    const orgId = ctx.orgId;
    const [s] = await queryRows<{ retention_days: number | null }>(
      db,
      sql`select retention_days from org_settings where org_id = ${orgId}`,
    );
    const retention = days ?? s?.retention_days ?? null;
    const now = new Date();
    const [last] = await queryRows<{
      created_at: string | Date;
      after: { deleted?: RetentionCounts } | null;
    }>(
      db,
      sql`select created_at, after from audit_log where org_id = ${orgId} and action = 'retention.purge'
          order by id desc limit 1`,
    );
    const base = {
      retention_days: retention,
      next_run_at: nextRunAfter(now).toISOString(),
      count_limit: PREVIEW_COUNT_LIMIT,
      last_run: last?.after?.deleted
        ? { at: new Date(last.created_at).toISOString(), deleted: { ...zero(), ...last.after.deleted } }
        : null,
    };
    if (retention === null) return { ...base, cutoff: null, counts: zero() };
    const cutoff = new Date(now.getTime() - retention * DAY_MS).toISOString();
    const inOld = sql`m.conversation_id in (select id from conversations where org_id = ${orgId})
                      and m.org_id = ${orgId} and m.sent_at < ${cutoff}::timestamptz
                      and not exists (select 1 from send_queue q where q.message_id = m.id)`;
    const [messages, files, uploads, statusEvents, flowRuns, webhookEvents] = await Promise.all([
      bounded(sql`select 1 from messages m where ${inOld}`),
      bounded(
        sql`select 1 from media_files f join messages m on m.id = f.message_id where f.org_id = ${orgId} and ${inOld}`,
      ),
      bounded(
        sql`select 1 from outbound_media where org_id = ${orgId} and created_at < ${cutoff}::timestamptz`,
      ),
      bounded(
        sql`select 1 from message_status_events where number_id in (select id from numbers where org_id = ${orgId})
              and created_at < ${cutoff}::timestamptz`,
      ),
      bounded(
        sql`select 1 from flow_runs where org_id = ${orgId} and started_at < ${cutoff}::timestamptz
              and ended_at < ${cutoff}::timestamptz and status in ('completed', 'stopped', 'failed')`,
      ),
      // The sweep's rule (purge.ts), with this organisation's days as asked.
      bounded(
        sql`select 1 from webhook_events e
            where e.org_ids @> array[${orgId}]::uuid[] and e.state <> 'pending'
              and not exists (select 1 from org_settings s where s.org_id = any(e.org_ids)
                                and s.org_id <> ${orgId} and s.retention_days is null)
              and e.received_at < ${now.toISOString()}::timestamptz - make_interval(days => greatest(${retention}::int,
                    coalesce((select max(s.retention_days) from org_settings s
                              where s.org_id = any(e.org_ids) and s.org_id <> ${orgId}), 0)))`,
      ),
    ]);
    return {
      ...base,
      cutoff,
      counts: {
        messages,
        status_events: statusEvents,
        webhook_events: webhookEvents,
        media_files: Math.min(files + uploads, PREVIEW_COUNT_LIMIT),
        flow_runs: flowRuns,
      },
    };
  }

  /**
   * One run for every organisation with a retention setting: each purged on its own (one failing
   * does not stop the others), then the shared webhook bodies, then one audit row per organisation
   * (written when its run is over: the batches are separate transactions by design, so the row
   * records the totals). Throws at the end if any organisation failed, so the job is retried.
   */
  async function runAll(now = new Date()) {
    const orgs = await queryRows<{ org_id: string; retention_days: number }>(
      db,
      sql`select org_id, retention_days from org_settings where retention_days is not null order by org_id`,
    );
    const results = new Map<string, { counts: RetentionCounts; cutoff: string; error?: string }>();
    for (const o of orgs) {
      const cutoff = new Date(now.getTime() - o.retention_days * DAY_MS).toISOString();
      let counts: OrgPurgeCounts = { messages: 0, status_events: 0, media_files: 0, flow_runs: 0 };
      let error: string | undefined;
      try {
        counts = await purger.purgeOrg(o.org_id, cutoff);
      } catch (err) {
        error = (err as Error).message.slice(0, 300);
        log.error({ err, orgId: o.org_id }, 'retention purge failed');
      }
      results.set(o.org_id, {
        counts: { ...counts, webhook_events: 0 },
        cutoff,
        ...(error ? { error } : {}),
      });
    }
    if (orgs.length) {
      const shortest = Math.min(...orgs.map((o) => o.retention_days));
      const webhooks = await purger.purgeWebhookEvents(now, shortest);
      for (const [orgId, n] of webhooks) {
        const r = results.get(orgId);
        if (r) r.counts.webhook_events = n;
      }
    }
    for (const o of orgs) {
      const r = results.get(o.org_id)!;
      await transaction(db, (tx) =>
        recordAudit(
          tx,
          { orgId: o.org_id, actorType: 'system', label: 'retention' },
          {
            action: 'retention.purge',
            entityType: 'org',
            entityId: o.org_id,
            after: {
              retention_days: o.retention_days,
              cutoff: r.cutoff,
              deleted: r.counts,
              ...(r.error ? { error: r.error } : {}),
            },
          },
        ),
      );
      log.info({ orgId: o.org_id, deleted: r.counts }, 'retention purge done');
    }
    const failed = [...results].filter(([, r]) => r.error);
    if (failed.length) {
      throw new Error(`Retention failed for ${failed.length} organisation(s): ${failed[0]![1].error}`);
    }
    return Object.fromEntries([...results].map(([id, r]) => [id, r.counts]));
  }

  return { preview, runAll };
}
export type RetentionService = ReturnType<typeof createRetentionService>;
