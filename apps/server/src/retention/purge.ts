import { sql } from 'drizzle-orm';
import { deleteEndedRuns } from '../automation/flows/writes.ts';
import { lockConversations, recountConversations } from '../conversations/writes.ts';
import type { Db, Tx } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { Log } from '../lib/log.ts';
import type { MediaService } from '../media/service.ts';

/** What one organisation's purge deleted (webhook bodies are counted by the shared sweep). */
export interface OrgPurgeCounts {
  messages: number;
  status_events: number;
  media_files: number;
  flow_runs: number;
}

export interface PurgeLimits {
  /** Rows deleted per statement (and transaction): locks are held on at most this many at once. */
  batchSize: number;
  /** Index entries read per step of a sweep (status events, webhook bodies). */
  scanWindow: number;
}

/** A deadlock or serialisation failure: the batch is simply run again. */
const retryable = (err: unknown) => {
  const code =
    (err as { code?: string; cause?: { code?: string } }).code ??
    (err as { cause?: { code?: string } }).cause?.code;
  return code === '40P01' || code === '40001';
};

/**
 * The deleting half of retention, in small steps that never hold the inbox: each batch is its own
 * short transaction over at most `batchSize` rows, found through indexes the inbox already has
 * (no table scan per batch), and a batch that deadlocks with live traffic is run again.
 */
export function createPurger(deps: { db: Db; media: MediaService; log: Log; limits: PurgeLimits }) {
  const { db, media, log, limits } = deps;

  async function batch<T>(fn: (tx: Tx, onCommit: (f: () => unknown) => void) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await transaction(db, fn);
      } catch (err) {
        if (attempt >= 3 || !retryable(err)) throw err;
        log.warn({ err, attempt }, 'retention batch retried');
      }
    }
  }

  /**
   * Messages sent before `cutoff` (with their media rows, whose stored bytes go after commit), one
   * page of the organisation's conversations at a time (read along the inbox's own index), at most
   * `batchSize` messages per transaction. A message still waiting in the send queue stays. Each
   * batch brings its conversations' pointers in line with what remains: the last message and last
   * inbound times (null when none is left, which also closes the reply window) and an unread count
   * no larger than the inbound messages left.
   */
  async function purgeMessages(orgId: string, cutoff: string) {
    let messages = 0;
    let files = 0;
    let after: { k: string; id: string } | undefined;
    for (;;) {
      const page = await queryRows<{ id: string; k: string }>(
        db,
        sql`select id, coalesce(last_message_at, created_at)::text as k from conversations
            where org_id = ${orgId}
              ${after ? sql`and (coalesce(last_message_at, created_at), id) > (${after.k}::timestamptz, ${after.id}::uuid)` : sql``}
            order by coalesce(last_message_at, created_at), id limit 500`,
      );
      if (!page.length) break;
      const ids = page.map((p) => p.id);
      for (;;) {
        const done = await batch(async (tx, onCommit) => {
          const doomed = await queryRows<{ id: string; conversation_id: string }>(
            tx,
            sql`select m.id, m.conversation_id from messages m
                where m.conversation_id = any(${sql.param(ids)}::uuid[]) and m.org_id = ${orgId}
                  and m.sent_at < ${cutoff}::timestamptz
                  and not exists (select 1 from send_queue q where q.message_id = m.id)
                limit ${limits.batchSize}`,
          );
          if (!doomed.length) return 0;
          const convs = [...new Set(doomed.map((d) => d.conversation_id))].sort();
          // Conversations first, in one order: inbound traffic on them waits for this short batch.
          await lockConversations(tx, convs);
          const list = sql`m.id = any(${sql.param(doomed.map((d) => d.id))}::uuid[])`;
          const keys = await media.filesOf(tx, orgId, list);
          const [f] = await queryRows<{ n: number }>(
            tx,
            sql`select count(*)::int as n from media_files f join messages m on m.id = f.message_id
                where f.org_id = ${orgId} and ${list}`,
          );
          await tx.execute(sql`delete from messages m where m.org_id = ${orgId} and ${list}`);
          await recountConversations(tx, convs);
          onCommit(() => media.releaseFiles(orgId, keys));
          messages += doomed.length;
          files += f?.n ?? 0;
          return doomed.length;
        });
        if (done < limits.batchSize) break;
      }
      const last = page[page.length - 1]!;
      after = { k: last.k, id: last.id };
      if (page.length < 500) break;
    }
    return { messages, files };
  }

  /**
   * Files agents uploaded before `cutoff` (the upload cache: reused to send the same bytes again).
   * The bytes go only when no remaining message shows them.
   */
  async function purgeUploads(orgId: string, cutoff: string) {
    let n = 0;
    for (;;) {
      const keys = await batch(async (tx, onCommit) => {
        const rows = await queryRows<{ storage_key: string }>(
          tx,
          sql`delete from outbound_media where id in (
                select id from outbound_media where org_id = ${orgId} and created_at < ${cutoff}::timestamptz
                limit ${limits.batchSize})
              returning storage_key`,
        );
        const gone = rows.map((r) => r.storage_key);
        onCommit(() => media.releaseFiles(orgId, gone));
        return gone;
      });
      n += keys.length;
      if (keys.length < limits.batchSize) return n;
    }
  }

  /**
   * Status events stored before `cutoff` on the organisation's numbers — including those whose
   * message is already gone or never came. Read along the (number, message, status, time) index in
   * windows of `scanWindow` entries; only the old ones of each window are deleted.
   */
  async function purgeStatusEvents(orgId: string, cutoff: string) {
    let n = 0;
    const numbers = await queryRows<{ id: string }>(db, sql`select id from numbers where org_id = ${orgId}`);
    for (const { id: numberId } of numbers) {
      let after: { w: string; s: string; o: string } | undefined;
      for (;;) {
        const window = await queryRows<{ id: string; w: string; s: string; o: string; old: boolean }>(
          db,
          sql`select id::text as id, wamid as w, status as s, occurred_at::text as o,
                     created_at < ${cutoff}::timestamptz as old
              from message_status_events
              where number_id = ${numberId}
                ${after ? sql`and (wamid, status, occurred_at) > (${after.w}, ${after.s}, ${after.o}::timestamptz)` : sql``}
              order by wamid, status, occurred_at limit ${limits.scanWindow}`,
        );
        const old = window.filter((r) => r.old).map((r) => r.id);
        for (let i = 0; i < old.length; i += limits.batchSize) {
          const chunk = old.slice(i, i + limits.batchSize);
          n += await batch(async (tx) => {
            const [r] = await queryRows<{ n: number }>(
              tx,
              sql`with d as (delete from message_status_events where id = any(${sql.param(chunk)}::bigint[])
                               and created_at < ${cutoff}::timestamptz returning 1)
                  select count(*)::int as n from d`,
            );
            return r?.n ?? 0;
          });
        }
        if (window.length < limits.scanWindow) break;
        const last = window[window.length - 1]!;
        after = { w: last.w, s: last.s, o: last.o };
      }
    }
    return n;
  }

  /** Flow runs that ended before `cutoff`, with their step logs (the flows domain deletes them). */
  async function purgeFlowRuns(orgId: string, cutoff: string) {
    let runs = 0;
    for (;;) {
      const n = await batch((tx) => deleteEndedRuns(tx, orgId, cutoff, limits.batchSize));
      runs += n;
      if (n < limits.batchSize) return runs;
    }
  }

  /** Everything of one organisation older than `cutoff`, except the shared webhook bodies. */
  async function purgeOrg(orgId: string, cutoff: string): Promise<OrgPurgeCounts> {
    const m = await purgeMessages(orgId, cutoff);
    const uploads = await purgeUploads(orgId, cutoff);
    const statusEvents = await purgeStatusEvents(orgId, cutoff);
    const flowRuns = await purgeFlowRuns(orgId, cutoff);
    return {
      messages: m.messages,
      status_events: statusEvents,
      media_files: m.files + uploads,
      flow_runs: flowRuns,
    };
  }

  /**
   * Stored raw webhook bodies, for every organisation at once: a body can concern several
   * organisations (`org_ids`), so it goes once it is past the retention of every one of them — kept
   * while any of them keeps messages forever, and while it is still pending. Organisations deleted
   * since set no limit (their data went with them). A body that concerns no organisation (nothing
   * was routed) is not any organisation's to purge and stays. The table is read along its primary
   * key (arrival order) `batchSize` rows at a time, and the sweep stops at the first window wholly
   * younger than the shortest retention. Returns the bodies deleted, counted for each organisation they concerned.
   */
  async function purgeWebhookEvents(now: Date, shortestDays: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const horizon = new Date(now.getTime() - shortestDays * 86_400_000).toISOString();
    let after = 0;
    for (;;) {
      const [w] = await queryRows<{ last: string | null; young: boolean | null; n: number }>(
        db,
        sql`select max(id)::text as last, min(received_at) >= ${horizon}::timestamptz as young, count(*)::int as n
            from (select id, received_at from webhook_events where id > ${after}
                  order by id limit ${limits.batchSize}) w`,
      );
      if (!w?.n || !w.last) break;
      const gone = await batch((tx) =>
        queryRows<{ org_id: string }>(
          tx,
          sql`with d as (
                delete from webhook_events e
                where e.id > ${after} and e.id <= ${w.last}::bigint
                  and e.state <> 'pending' and cardinality(e.org_ids) > 0
                  and not exists (select 1 from org_settings s
                                  where s.org_id = any(e.org_ids) and s.retention_days is null)
                  and e.received_at < ${now.toISOString()}::timestamptz - make_interval(days => coalesce(
                        (select max(s.retention_days) from org_settings s where s.org_id = any(e.org_ids)), 0))
                returning e.org_ids)
              select unnest(org_ids)::text as org_id from d`,
        ),
      );
      for (const g of gone) counts.set(g.org_id, (counts.get(g.org_id) ?? 0) + 1);
      after = Number(w.last);
      // Arrival order: once a whole window is younger than the shortest retention, so is the rest.
      if (w.n < limits.batchSize || w.young) break;
    }
    return counts;
  }

  return { purgeOrg, purgeWebhookEvents, batch };
}
export type Purger = ReturnType<typeof createPurger>;
