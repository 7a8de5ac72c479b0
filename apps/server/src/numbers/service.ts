import type {
  CreateNumberBody,
  NumberDeletionCounts,
  NumberHealth,
  NumberTestResult,
  UpdateNumberBody,
  WaNumber,
} from '@openwaba/contracts';
import { and, eq } from 'drizzle-orm';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db } from '../db/client.ts';
import { numberHealth, numbers } from '../db/schema.ts';
import type { DomainEventEmitter } from '../events/domain-events.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { NotificationService } from '../notifications/service.ts';
import { GraphError } from '../whatsapp/graph-error.ts';
import type { PhoneNumberInfo, WhatsAppProvider } from '../whatsapp/provider.ts';
import { checkWithMeta, metaError, openOrAsk } from './check.ts';
import { createNumberDeletion, type NumberMediaFiles } from './delete-number.ts';

type Row = typeof numbers.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function healthOf(r: Row): NumberHealth {
  return {
    display_phone_number: r.displayPhoneNumber,
    verified_name: r.verifiedName,
    quality_rating: r.qualityRating,
    throughput_level: r.throughputLevel,
    messaging_limit_tier: r.messagingLimitTier,
    name_status: r.nameStatus,
    checked_at: iso(r.healthCheckedAt),
  };
}

export function toNumber(r: Row): WaNumber {
  return {
    id: r.id,
    display_name: r.displayName,
    phone_number_id: r.phoneNumberId,
    waba_id: r.wabaId,
    system_prompt: r.systemPrompt,
    status: r.status as WaNumber['status'],
    inactive_reason: r.inactiveReason,
    is_sandbox: r.isSandbox,
    app_id: r.appId,
    health: healthOf(r),
    has_access_token: true,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

const healthColumns = (info: PhoneNumberInfo) => ({
  displayPhoneNumber: info.display_phone_number ?? null,
  verifiedName: info.verified_name ?? null,
  qualityRating: info.quality_rating ?? null,
  throughputLevel: info.throughput?.level ?? null,
  messagingLimitTier:
    (typeof info.whatsapp_business_manager_messaging_limit === 'string'
      ? info.whatsapp_business_manager_messaging_limit
      : undefined) ??
    info.messaging_limit_tier ??
    null,
  nameStatus: info.name_status ?? null,
  healthCheckedAt: new Date(),
});

/** Connected numbers: credentials sealed at rest, checked against Meta before they are saved. */
export function createNumberService(deps: {
  db: Db;
  box: SecretBox;
  whatsapp: WhatsAppProvider;
  notifications: NotificationService;
  /** A deleted number's files are counted with it and leave the media store after the delete commits. */
  media: NumberMediaFiles;
  /** Emits `number.credentials_changed` (connected, edited, deleted). */
  domainEvents: DomainEventEmitter;
  log: Log;
}) {
  const { db, box, whatsapp, notifications, log, domainEvents } = deps;
  const credentialsChanged = (numberId: string) =>
    domainEvents.emitCommitted('number.credentials_changed', { numberId });
  /** The in-process simulator's client, when the sandbox runs (see sandbox/start-sandbox.ts). */
  let sandbox: WhatsAppProvider | undefined;
  const providerFor = (r: Pick<Row, 'isSandbox'>) => (r.isSandbox && sandbox ? sandbox : whatsapp);
  /** A sandbox number is reachable only from the process that runs its simulator (never via Meta). */
  const reachable = (r: Pick<Row, 'isSandbox'>) => !r.isSandbox || sandbox !== undefined;

  async function getRow(orgId: string, id: string): Promise<Row> {
    const [row] = await db
      .select()
      .from(numbers)
      .where(and(eq(numbers.orgId, orgId), eq(numbers.id, id)));
    if (!row) throw notFound('Number');
    return row;
  }

  async function create(ctx: AuthContext, body: CreateNumberBody): Promise<WaNumber> {
    const [taken] = await db
      .select({ id: numbers.id })
      .from(numbers)
      .where(eq(numbers.phoneNumberId, body.phone_number_id));
    if (taken) throw new AppError('CONFLICT', `Phone number id ${body.phone_number_id} is already connected`);
    const { info, appId } = await checkWithMeta(
      whatsapp,
      { phoneNumberId: body.phone_number_id, accessToken: body.access_token, appSecret: body.app_secret },
      body.waba_id,
      log,
    );
    const created = await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(numbers)
        .values({
          orgId: ctx.orgId,
          displayName: body.display_name,
          phoneNumberId: body.phone_number_id,
          wabaId: body.waba_id,
          accessTokenSealed: box.seal(body.access_token),
          appSecretSealed: box.seal(body.app_secret),
          verifyTokenSealed: box.seal(body.verify_token),
          appId,
          systemPrompt: body.system_prompt ?? null,
          ...healthColumns(info),
        })
        .onConflictDoNothing()
        .returning();
      if (!row)
        throw new AppError('CONFLICT', `Phone number id ${body.phone_number_id} is already connected`);
      await tx.insert(numberHealth).values({ numberId: row.id, source: 'connect', ...healthHistory(row) });
      const { access_token: _a, app_secret: _s, verify_token: _v, ...visible } = body;
      await recordAudit(tx, actorOf(ctx), {
        action: 'number.create',
        entityType: 'number',
        entityId: row.id,
        after: visible,
      });
      return toNumber(row);
    });
    await credentialsChanged(created.id);
    return created;
  }

  const healthHistory = (
    r: Pick<Row, 'qualityRating' | 'throughputLevel' | 'messagingLimitTier' | 'nameStatus'>,
  ) => ({
    qualityRating: r.qualityRating,
    throughputLevel: r.throughputLevel,
    messagingLimitTier: r.messagingLimitTier,
    nameStatus: r.nameStatus,
  });

  async function list(ctx: Pick<AuthContext, 'orgId'>): Promise<WaNumber[]> {
    const rows = await db
      .select()
      .from(numbers)
      .where(eq(numbers.orgId, ctx.orgId))
      .orderBy(numbers.createdAt);
    return rows.map(toNumber);
  }

  async function get(ctx: Pick<AuthContext, 'orgId'>, id: string) {
    return toNumber(await getRow(ctx.orgId, id));
  }

  async function update(ctx: AuthContext, id: string, body: UpdateNumberBody): Promise<WaNumber> {
    const row = await getRow(ctx.orgId, id);
    // A new token or app secret is checked with Meta (and the pair proven to belong together) before
    // it replaces the old one; a new token reactivates the number.
    const checked =
      body.access_token || body.app_secret
        ? await checkWithMeta(
            providerFor(row),
            {
              phoneNumberId: row.phoneNumberId,
              accessToken:
                body.access_token ?? openOrAsk(() => box.open(row.accessTokenSealed), 'access_token'),
              appSecret: body.app_secret ?? openOrAsk(() => box.open(row.appSecretSealed), 'app_secret'),
            },
            row.wabaId,
            log,
          )
        : undefined;
    const updated = await db.transaction(async (tx) => {
      const [next] = await tx
        .update(numbers)
        .set({
          ...(body.display_name !== undefined ? { displayName: body.display_name } : {}),
          ...(body.system_prompt !== undefined ? { systemPrompt: body.system_prompt } : {}),
          ...(body.access_token
            ? { accessTokenSealed: box.seal(body.access_token), status: 'active', inactiveReason: null }
            : {}),
          ...(body.app_secret ? { appSecretSealed: box.seal(body.app_secret) } : {}),
          ...(body.verify_token ? { verifyTokenSealed: box.seal(body.verify_token) } : {}),
          ...(checked ? { ...healthColumns(checked.info), appId: checked.appId ?? row.appId } : {}),
          updatedAt: new Date(),
        })
        .where(and(eq(numbers.orgId, ctx.orgId), eq(numbers.id, id)))
        .returning();
      const changed = Object.keys(body);
      await recordAudit(tx, actorOf(ctx), {
        action: 'number.update',
        entityType: 'number',
        entityId: id,
        before: { display_name: row.displayName, system_prompt: row.systemPrompt, status: row.status },
        after: {
          display_name: next!.displayName,
          system_prompt: next!.systemPrompt,
          status: next!.status,
          changed,
        },
      });
      return toNumber(next!);
    });
    if (body.app_secret || body.verify_token) await credentialsChanged(id);
    return updated;
  }

  const deletion = createNumberDeletion({
    db,
    media: deps.media,
    toAudit: toNumber,
    onDeleted: credentialsChanged,
  });

  /** What deleting the number would delete with it (the client shows it and confirms with it). */
  const deletionCounts = (ctx: Pick<AuthContext, 'orgId'>, id: string) =>
    deletion.deletionCounts(ctx.orgId, id);
  const remove = (ctx: AuthContext, id: string, confirm: NumberDeletionCounts) =>
    deletion.deleteNumber(ctx, id, confirm);

  /** The sealed credentials of a number, for the send path and webhook verification. */
  function credentials(r: Row) {
    return {
      phoneNumberId: r.phoneNumberId,
      accessToken: box.open(r.accessTokenSealed),
      appSecret: box.open(r.appSecretSealed),
      verifyToken: box.open(r.verifyTokenSealed),
    };
  }

  /** A token error from Meta stops the number until someone replaces the token, and tells the admins. */
  async function handleGraphError(r: Row, err: GraphError) {
    if (err.kind !== 'token' || r.status === 'inactive') return;
    const reason = `Meta rejected the access token (${err.code}${err.subcode ? `/${err.subcode}` : ''}): ${err.title}`;
    await db
      .update(numbers)
      .set({ status: 'inactive', inactiveReason: reason, updatedAt: new Date() })
      .where(eq(numbers.id, r.id));
    await notifications.notifyRole(r.orgId, 'admin', {
      type: 'number.inactive',
      title: `${r.displayName} stopped: its access token no longer works`,
      message: `${reason}. Sending from this number is paused until you paste a new token.`,
      actionUrl: '/settings/numbers',
      relatedEntityType: 'number',
      relatedEntityId: r.id,
    });
    log.warn({ numberId: r.id, code: err.code }, 'number marked inactive after a token error');
  }

  /** Asks Meta for the number's current health and records it; returns what Meta said. */
  async function refreshHealth(r: Row, source: string): Promise<NumberTestResult> {
    let accessToken: string;
    try {
      accessToken = box.open(r.accessTokenSealed);
    } catch {
      // Sealed under a lost APP_SECRET: this number cannot be checked, the others still are.
      return {
        ok: false,
        error: {
          code: 'UNREADABLE_TOKEN',
          title: "The stored access token cannot be decrypted with this server's APP_SECRET",
          details: 'Paste the access token and the app secret again.',
          kind: 'token',
        },
      };
    }
    try {
      const info = await providerFor(r).getPhoneNumber({ phoneNumberId: r.phoneNumberId, accessToken });
      const cols = healthColumns(info);
      const [next] = await db
        .update(numbers)
        .set({ ...cols, updatedAt: new Date() })
        .where(eq(numbers.id, r.id))
        .returning();
      await db.insert(numberHealth).values({ numberId: r.id, source, ...healthHistory(next!) });
      return { ok: true, health: healthOf(next!) };
    } catch (err) {
      if (!(err instanceof GraphError)) throw err;
      await handleGraphError(r, err);
      return { ok: false, error: metaError(err) };
    }
  }

  async function test(ctx: AuthContext, id: string): Promise<NumberTestResult> {
    return refreshHealth(await getRow(ctx.orgId, id), 'test');
  }

  async function healthHistoryOf(ctx: Pick<AuthContext, 'orgId'>, id: string, limit = 50) {
    await getRow(ctx.orgId, id);
    return db
      .select()
      .from(numberHealth)
      .where(eq(numberHealth.numberId, id))
      .orderBy(numberHealth.recordedAt)
      .limit(limit);
  }

  /** One of the organisation's numbers, or undefined (tenant code never looks a number up by id alone). */
  async function findRow(orgId: string, id: string): Promise<Row | undefined> {
    const [row] = await db
      .select()
      .from(numbers)
      .where(and(eq(numbers.orgId, orgId), eq(numbers.id, id)));
    return row;
  }

  /**
   * A number by id alone: only for the sender, which works through every organisation's send queue
   * (its rows name the number, and the number carries its organisation).
   */
  async function rowForSender(id: string): Promise<Row | undefined> {
    const [row] = await db.select().from(numbers).where(eq(numbers.id, id));
    return row;
  }

  async function allActive() {
    return db.select().from(numbers).where(eq(numbers.status, 'active'));
  }

  /**
   * The sandbox number: one per install, wired to the in-process simulator. Its credentials change
   * with every start (the simulator lives in memory), so they are replaced here each time.
   */
  async function upsertSandbox(
    orgId: string,
    n: {
      phoneNumberId: string;
      wabaId: string;
      accessToken: string;
      appSecret: string;
      verifyToken: string;
      displayName: string;
    },
    provider: WhatsAppProvider,
  ) {
    sandbox = provider;
    const { info, appId } = await checkWithMeta(
      provider,
      { phoneNumberId: n.phoneNumberId, accessToken: n.accessToken, appSecret: n.appSecret },
      n.wabaId,
      log,
    );
    const values = {
      orgId,
      displayName: n.displayName,
      phoneNumberId: n.phoneNumberId,
      wabaId: n.wabaId,
      accessTokenSealed: box.seal(n.accessToken),
      appSecretSealed: box.seal(n.appSecret),
      verifyTokenSealed: box.seal(n.verifyToken),
      appId,
      isSandbox: true,
      status: 'active',
      inactiveReason: null,
      ...healthColumns(info),
    };
    const [row] = await db
      .insert(numbers)
      .values(values)
      .onConflictDoUpdate({ target: numbers.phoneNumberId, set: { ...values, updatedAt: new Date() } })
      .returning();
    await credentialsChanged(row!.id);
    return toNumber(row!);
  }

  async function hasRealNumbers() {
    const [row] = await db
      .select({ id: numbers.id })
      .from(numbers)
      .where(eq(numbers.isSandbox, false))
      .limit(1);
    return Boolean(row);
  }

  return {
    create,
    list,
    get,
    update,
    deletionCounts,
    remove,
    test,
    refreshHealth,
    handleGraphError,
    credentials,
    providerFor,
    reachable,
    findRow,
    rowForSender,
    healthHistoryOf,
    allActive,
    upsertSandbox,
    hasRealNumbers,
  };
}
export type NumberService = ReturnType<typeof createNumberService>;
