import { eq } from 'drizzle-orm';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { ConsentService } from '../contacts/consent.ts';
import type { Database, Db } from '../db/client.ts';
import { numbers } from '../db/schema.ts';
import type { DomainEventEmitter } from '../events/domain-events.ts';
import type { EventService } from '../events/service.ts';
import type { Log } from '../lib/log.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { MediaService } from '../media/service.ts';
import type { NumberService } from '../numbers/service.ts';
import type { TemplateService } from '../templates/service.ts';
import { createWebhookSecrets } from './app-secrets.ts';
import { bodyFor, type OrgNumbers, resultFor, VIEW_MAX_BODY } from './event-views.ts';
import { createEventProcessor } from './process.ts';
import { createWebhookReceiver } from './receive.ts';
import { createSignerFingerprints } from './signer.ts';

export type { ProcessResult } from './plan.ts';

/**
 * Everything Meta sends: verified, stored raw (with which app signed it) before it is answered
 * (`receive.ts`, the ack path), then processed by a job into contacts, conversations, messages and
 * statuses (`process.ts`: `normalize` → `plan` → apply) — idempotently, by unique constraints, and
 * only for numbers of the app that signed it. Admins see, per organisation, what came and what it did.
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
  /** A limit Meta announced for a portfolio is set on its numbers. */
  numbers: Pick<NumberService, 'setPortfolioTier'>;
  templates: TemplateService;
  /** Queues a template sync (a webhook named a template the catalogue does not have yet). */
  requestTemplateSync(orgId: string): Promise<void>;
  /** Emits `consent.opted_out` (a customer wrote STOP). */
  domainEvents: DomainEventEmitter;
  log: Log;
}) {
  const { db, database, box, log } = deps;
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
  const processor = createEventProcessor({
    ...deps,
    fingerprintsOf: secrets.fingerprintsOf,
    receiving: receiver,
  });
  const { processEvent } = processor;

  /** The GET handshake: answers the challenge when the verify token is one of a number's. */
  async function verifyHandshake(mode: string | undefined, token: string | undefined): Promise<boolean> {
    if (mode !== 'subscribe' || !token) return false;
    return secrets.verifyToken(token);
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

  return {
    verifyHandshake,
    receive: receiver.receive,
    store: receiver.store,
    /** Verified POSTs per second arriving now: what processing yields to. */
    receivingRate: receiver.receivingRate,
    /** Credentials changed in this process (numbers domain): webhooks read them again at once. */
    forgetWebhookSecrets: secrets.forget,
    processEvent,
    processPending: processor.processPending,
    listEvents,
    replayEvent,
    belongsTo,
  };
}
export type InboundService = ReturnType<typeof createInboundService>;
