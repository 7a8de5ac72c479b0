import type { DomainEvent } from '@openwaba/contracts';
import { eq, sql } from 'drizzle-orm';
import type { ConsentService } from '../contacts/consent.ts';
import type { Database, Db, Tx } from '../db/client.ts';
import { numbers, webhookEvents } from '../db/schema.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { DomainEventEmitter } from '../events/domain-events.ts';
import type { EventService } from '../events/service.ts';
import type { Log } from '../lib/log.ts';
import type { MediaService } from '../media/service.ts';
import type { NumberService } from '../numbers/service.ts';
import type { TemplateService } from '../templates/service.ts';
import { createAccountUpdates } from './account-updates.ts';
import { applyCoexistence } from './apply-coexistence.ts';
import { createMessageApplier } from './apply-messages.ts';
import { applyStatuses } from './apply-statuses.ts';
import { type DrainOptions, drainPendingEvents } from './pending-events.ts';
import { type EventPlan, type NumberRow, type ProcessResult, planEvent, type Routing } from './plan.ts';

/** Verified POSTs a second above which processing rests between groups so acks stay quick (a burst). */
const BURST_PER_SECOND = 1500;

/**
 * Processing of stored webhook events: each is read (`normalize`), routed to the numbers of the app
 * that signed it (`plan.ts`) and applied — messages, statuses, account notices — idempotently, by
 * unique constraints. Runs in the worker (the `inbound.process-*` jobs), never on the ack path.
 */
export function createEventProcessor(deps: {
  db: Db;
  database: Database;
  events: EventService;
  media: MediaService;
  consent: ConsentService;
  numbers: Pick<NumberService, 'setPortfolioTier'>;
  templates: TemplateService;
  requestTemplateSync(orgId: string): Promise<void>;
  domainEvents: DomainEventEmitter;
  log: Log;
  /** The fingerprints of a sealed app secret (under every server key): who may sign for its numbers. */
  fingerprintsOf(sealed: string): string[];
  /** The ack path's pace: processing yields to a burst of POSTs. */
  receiving: { lastReceivedAt(): number; receivingRate(): number; waitForNew(ms: number): Promise<void> };
}) {
  const { db, database, events, log, receiving } = deps;
  const applyMessages = createMessageApplier(deps);
  const recordAccountUpdate = createAccountUpdates(deps);

  /**
   * Answering Meta comes first. While verified webhook POSTs arrive at this process faster than
   * `burstPerSecond` (a worker-only process never rests; junk never counts), processing rests between
   * groups of events until the POSTs pause for `quietMs` — but at most `share` times as long as its
   * last group took, so it keeps a steady part of the time under sustained traffic. Acks stay quick during a burst; its backlog is
   * processed right after it. Steady traffic below the burst rate (hundreds a second) is processed as
   * it comes, so an agent sees a message a fraction of a second after Meta sent it.
   */
  const restWhileReceiving =
    (quietMs: number, share: number, burstPerSecond: number) => async (previousMs: number) => {
      const until = performance.now() + Math.min(previousMs * share, 1000);
      while (
        performance.now() - receiving.lastReceivedAt() < quietMs &&
        receiving.receivingRate() >= burstPerSecond &&
        performance.now() < until
      ) {
        await new Promise((r) => setTimeout(r, 10));
      }
    };

  /** Processes stored events nobody is processing yet, until none are left (see `drainPendingEvents`). */
  async function processPending(opts: Partial<DrainOptions> = {}) {
    if (database.kind === 'pg') {
      const drained = await drainPendingEvents(
        {
          database,
          processEvents,
          yieldTo: restWhileReceiving(50, 3, BURST_PER_SECOND),
          waitForNew: receiving.waitForNew,
        },
        opts,
      );
      await publishing;
      return drained;
    }
    // PGlite runs its queries on this process's only thread and a transaction holds the database
    // meanwhile: small groups, one at a time, taking turns with the POSTs.
    return drainPendingEvents(
      { database, processEvents, yieldTo: restWhileReceiving(1000, 1, 0), waitForNew: receiving.waitForNew },
      { concurrency: 1, perTransaction: 5, ...opts },
    );
  }

  /**
   * Processes (or re-processes: it is idempotent) one stored event; a failure is recorded, then
   * rethrown for the job's retry.
   */
  async function processEvent(
    eventId: number,
    record?: (tx: Tx, result: ProcessResult) => Promise<unknown>,
  ): Promise<ProcessResult> {
    try {
      const [plan] = await planEvents([eventId]);
      if (!plan) throw new Error(`webhook event ${eventId} not found`);
      await processPlans([plan], { record: record && ((tx) => record(tx, plan.result)) });
      return plan.result;
    } catch (err) {
      await recordFailure(eventId, err);
      throw err;
    }
  }

  async function recordFailure(eventId: number, err: unknown) {
    await db
      .update(webhookEvents)
      .set({ state: 'failed', error: (err as Error).message.slice(0, 1000), processedAt: new Date() })
      .where(eq(webhookEvents.id, eventId))
      .catch(() => {});
  }

  /**
   * Processes claimed events together: one transaction and a dozen set-based statements for the whole
   * batch instead of a dozen round trips and a commit per event. An event with account notices is
   * processed alone (those have transactions of their own, and their counts are only right on a first
   * attempt). When a batch fails, its events are processed one by one, so a poison event fails alone.
   * Returns the ids that failed (recorded as failed; the caller queues their retries).
   */
  async function processEvents(ids: number[]): Promise<number[]> {
    const failed: number[] = [];
    const alone = async (id: number) => {
      try {
        await processEvent(id);
      } catch {
        failed.push(id);
      }
    };
    if (ids.length === 1) {
      await alone(ids[0]!);
      return failed;
    }
    let plans: EventPlan[];
    try {
      plans = await planEvents(ids);
    } catch {
      for (const id of ids) await alone(id);
      return failed;
    }
    const found = new Set(plans.map((p) => p.id));
    for (const id of ids) if (!found.has(id)) await alone(id);
    const together = plans.filter((p) => !p.account.length);
    for (const p of plans) if (p.account.length) await alone(p.id);
    if (together.length) {
      try {
        await processPlans(together, { awaitEvents: database.kind !== 'pg' });
      } catch (err) {
        log.warn({ err, events: together.length }, 'webhook batch failed; processing its events one by one');
        for (const p of together) await alone(p.id);
      }
    }
    return failed;
  }

  /** The numbers, and which app signed what: a change is applied only to numbers of its signer. */
  async function routing(): Promise<Routing> {
    const all = await db.select().from(numbers);
    const byWaba = new Map<string, NumberRow[]>();
    for (const n of all) byWaba.set(n.wabaId, [...(byWaba.get(n.wabaId) ?? []), n]);
    return {
      byPhoneId: new Map(all.map((n) => [n.phoneNumberId, n])),
      byWaba,
      signs: (n, signer) => signer !== null && deps.fingerprintsOf(n.appSecretSealed).includes(signer),
    };
  }

  /** What each stored event asks for, read and routed (no writes). Missing ids are left out. */
  async function planEvents(ids: number[]): Promise<EventPlan[]> {
    const rows = await database.query<{ id: string | number; raw: string; signer: string | null }>(
      'select id, raw, signer from webhook_events where id = any($1::bigint[]) order by id',
      [ids],
    );
    if (!rows.length) return [];
    const r = await routing();
    return rows.map((row) => planEvent(Number(row.id), row.raw, row.signer, r));
  }

  /**
   * Applies planned events: account notices first (their own transactions), then every message and
   * status of all of them in one transaction that also records each event's outcome — so an event's
   * rows and its `processed` state commit together (or neither does, and it is still pending).
   * `record` adds what a caller keeps of it (a replay's audit row) to that transaction.
   */
  async function processPlans(
    plans: EventPlan[],
    o: { awaitEvents?: boolean; record?: (tx: Tx) => Promise<unknown> } = {},
  ) {
    for (const p of plans) for (const a of p.account) await recordAccountUpdate(p, a);
    const published = new Map<string, DomainEvent[]>();
    await transaction(db, async (tx, onCommit) => {
      await relaxCommit(tx);
      const publish = (orgId: string, e: DomainEvent) => {
        const list = published.get(orgId);
        if (list) list.push(e);
        else published.set(orgId, [e]);
      };
      await applyMessages(tx, onCommit, plans, publish);
      await applyCoexistence(tx, plans, publish);
      await applyStatuses(tx, plans, publish);
      await queryRows(
        tx,
        sql`update webhook_events w set state = x.state, result = coalesce(x.result, w.result),
              org_ids = coalesce(x.org_ids, w.org_ids), error = x.error, processed_at = now()
            from json_to_recordset(${JSON.stringify(
              plans.map((p) => ({
                id: p.id,
                state: p.state,
                error: p.error,
                result: p.state === 'processed' ? p.result : null,
                org_ids: p.state === 'processed' ? [...p.orgIds] : null,
              })),
            )}::json) as x(id bigint, state text, result jsonb, org_ids uuid[], error text)
            where w.id = x.id`,
      );
      await o.record?.(tx);
    });
    const announced = publishInOrder(published);
    if (o.awaitEvents !== false) await announced;
  }

  // Processed batches' events are published after their commits, one batch after another, and off a
  // drain's path on PostgreSQL: the drain claims and applies its next group while the events of the
  // last one are stored and announced (that statement waits for its WAL flush). A drain returns once
  // all it processed is published.
  let publishing: Promise<void> = Promise.resolve();
  function publishInOrder(published: Map<string, DomainEvent[]>): Promise<void> {
    if (!published.size) return publishing;
    publishing = publishing.then(async () => {
      for (const [orgId, list] of published) await events.publish(orgId, list);
    });
    return publishing;
  }

  /**
   * Processing commits do not wait for the WAL flush on PostgreSQL (most of an event's cost was that
   * fsync). Safe: a crash loses at most the last moments of commits, and an event's rows commit with
   * its `processed` state, so a lost one is still pending and is claimed again and reprocessed,
   * idempotently. The ack path keeps full durability (Meta was told the POST is stored). PGlite: one
   * process, nothing to gain.
   */
  async function relaxCommit(tx: Tx) {
    if (database.kind === 'pg') await tx.execute(sql`set local synchronous_commit = off`);
  }

  return { processEvent, processPending };
}
