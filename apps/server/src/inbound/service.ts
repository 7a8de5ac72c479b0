import type { DomainEvent } from '@openwaba/contracts';
import { eq, sql } from 'drizzle-orm';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { ConsentService } from '../contacts/consent.ts';
import type { Database, Db, Tx } from '../db/client.ts';
import { numbers, webhookEvents } from '../db/schema.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { DomainEventEmitter } from '../events/domain-events.ts';
import type { EventService } from '../events/service.ts';
import type { Log } from '../lib/log.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { MediaService } from '../media/service.ts';
import type { TemplateService } from '../templates/service.ts';
import { createAccountUpdates } from './account-updates.ts';
import { createWebhookSecrets } from './app-secrets.ts';
import { createMessageApplier } from './apply-messages.ts';
import { applyStatuses } from './apply-statuses.ts';
import { bodyFor, type OrgNumbers, resultFor, VIEW_MAX_BODY } from './event-views.ts';
import { type DrainOptions, drainPendingEvents } from './pending-events.ts';
import { type EventPlan, type NumberRow, type ProcessResult, planEvent, type Routing } from './plan.ts';
import { createWebhookReceiver } from './receive.ts';
import { createSignerFingerprints } from './signer.ts';

export type { ProcessResult } from './plan.ts';

/** Verified POSTs a second above which processing rests between groups so acks stay quick (a burst). */
const BURST_PER_SECOND = 1500;

/**
 * Everything Meta sends: verified, stored raw (with which app signed it) before it is answered, then
 * processed by a job into contacts, conversations, messages and statuses — idempotently, by unique
 * constraints, and only for numbers of the app that signed it.
 */
export function createInboundService(deps: {
  db: Db;
  database: Database;
  box: SecretBox;
  /** APP_SECRET, then APP_SECRET_PREVIOUS: the keys webhook signer fingerprints are made under. */
  serverKeys: string[];
  events: EventService;
  media: MediaService;
  consent: ConsentService;
  templates: TemplateService;
  /** Queues a template sync (a webhook named a template the catalogue does not have yet). */
  requestTemplateSync(orgId: string): Promise<void>;
  /** Emits `consent.opted_out` (a customer wrote STOP). */
  domainEvents: DomainEventEmitter;
  log: Log;
}) {
  const { db, database, box, events, log } = deps;
  const signers = createSignerFingerprints(deps.serverKeys);
  const secrets = createWebhookSecrets({
    load: () =>
      db
        .select({
          appSecretSealed: numbers.appSecretSealed,
          verifyTokenSealed: numbers.verifyTokenSealed,
          phoneNumberId: numbers.phoneNumberId,
          wabaId: numbers.wabaId,
        })
        .from(numbers),
    box,
    signers,
    log,
  });
  const receiver = createWebhookReceiver({ db, database, secrets, signers });
  const applyMessages = createMessageApplier(deps);
  const recordAccountUpdate = createAccountUpdates(deps);

  /** The GET handshake: answers the challenge when the verify token is one of a number's. */
  async function verifyHandshake(mode: string | undefined, token: string | undefined): Promise<boolean> {
    if (mode !== 'subscribe' || !token) return false;
    return secrets.verifyToken(token);
  }

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
        performance.now() - receiver.lastReceivedAt() < quietMs &&
        receiver.receivingRate() >= burstPerSecond &&
        performance.now() < until
      ) {
        await new Promise((r) => setTimeout(r, 10));
      }
    };

  /** Processes stored events nobody is processing yet, until none are left (see `drainPendingEvents`). */
  function processPending(opts: Partial<DrainOptions> = {}) {
    if (database.kind === 'pg') {
      return drainPendingEvents(
        { database, processEvents, yieldTo: restWhileReceiving(50, 3, BURST_PER_SECOND) },
        opts,
      );
    }
    // PGlite runs its queries on this process's only thread and a transaction holds the database
    // meanwhile: small groups, one at a time, taking turns with the POSTs.
    return drainPendingEvents(
      { database, processEvents, yieldTo: restWhileReceiving(1000, 1, 0) },
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
      await processPlans([plan], record && ((tx) => record(tx, plan.result)));
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
        await processPlans(together);
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
      signs: (n, signer) => signer !== null && secrets.fingerprintsOf(n.appSecretSealed).includes(signer),
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
  async function processPlans(plans: EventPlan[], record?: (tx: Tx) => Promise<unknown>) {
    for (const p of plans) for (const a of p.account) await recordAccountUpdate(p, a);
    await transaction(db, async (tx, onCommit) => {
      await relaxCommit(tx);
      const published = new Map<string, DomainEvent[]>();
      const publish = (orgId: string, e: DomainEvent) => {
        const list = published.get(orgId);
        if (list) list.push(e);
        else published.set(orgId, [e]);
      };
      await applyMessages(tx, onCommit, plans, publish);
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
      await record?.(tx);
      onCommit(async () => {
        for (const [orgId, list] of published) await events.publish(orgId, list);
      });
    });
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

  /**
   * Events routed to (or naming the numbers of) this organisation, newest first — each as far as it
   * concerns the organisation: its own entries and changes of the body, its own part of the result.
   */
  async function listEvents(
    orgId: string,
    q: { state?: string; from_id?: number; to_id?: number; limit: number },
  ) {
    const rows = await database.query<{
      id: string;
      state: string;
      result: unknown;
      error: string | null;
      received_at: Date;
      processed_at: Date | null;
      raw: string | null;
    }>(
      `select id::text, state, result, error, received_at, processed_at,
              case when length(raw) <= $4 then raw end as raw
       from webhook_events
       where $1::uuid = any(org_ids) and ($2::text is null or state = $2)
         and ($5::bigint is null or id >= $5) and ($6::bigint is null or id <= $6)
       order by webhook_events.id desc limit $3`,
      [orgId, q.state ?? null, q.limit, VIEW_MAX_BODY, q.from_id ?? null, q.to_id ?? null],
    );
    const mine = await db
      .select({ phoneId: numbers.phoneNumberId, wabaId: numbers.wabaId })
      .from(numbers)
      .where(eq(numbers.orgId, orgId));
    const org: OrgNumbers = {
      orgId,
      phoneIds: new Set(mine.map((n) => n.phoneId)),
      wabaIds: new Set(mine.map((n) => n.wabaId)),
    };
    return rows.map((r) => ({
      id: Number(r.id),
      state: r.state,
      result: resultFor(r.result, orgId),
      error: r.error,
      raw: bodyFor(r.raw, org),
      received_at: new Date(r.received_at).toISOString(),
      processed_at: r.processed_at ? new Date(r.processed_at).toISOString() : null,
    }));
  }

  /**
   * Processes an event of this organisation again (someone asked to); answers the organisation's part
   * of the result, which is also what the audit row, written in the processing's transaction, keeps.
   */
  async function replayEvent(ctx: AuthContext, eventId: number) {
    const result = await processEvent(eventId, (tx, r) =>
      recordAudit(tx, actorOf(ctx), {
        action: 'webhook_event.replay',
        entityType: 'webhook_event',
        entityId: String(eventId),
        after: resultFor(r, ctx.orgId),
      }),
    );
    return resultFor(result, ctx.orgId);
  }

  async function belongsTo(orgId: string, eventId: number) {
    const rows = await database.query(
      'select 1 from webhook_events where id = $1 and $2::uuid = any(org_ids)',
      [eventId, orgId],
    );
    return rows.length > 0;
  }

  /** Event ids in a range and/or state, for the CLI's replay. */
  async function findEventIds(q: { from?: number; to?: number; state?: string }) {
    const rows = await database.query<{ id: string }>(
      `select id::text from webhook_events where ($1::bigint is null or id >= $1) and ($2::bigint is null or id <= $2)
       and ($3::text is null or state = $3) order by webhook_events.id`,
      [q.from ?? null, q.to ?? null, q.state ?? null],
    );
    return rows.map((r) => Number(r.id));
  }

  return {
    verifyHandshake,
    receive: receiver.receive,
    store: receiver.store,
    /** Verified POSTs per second arriving now: what processing yields to. */
    receivingRate: receiver.receivingRate,
    /** Credentials changed in this process (numbers domain): webhooks read them again at once. */
    forgetWebhookSecrets: secrets.forget,
    processEvent,
    processPending,
    listEvents,
    replayEvent,
    belongsTo,
    findEventIds,
  };
}
export type InboundService = ReturnType<typeof createInboundService>;
