import {
  type CreateTemplateBody,
  renderTemplate,
  resolveTemplateParams,
  type Template,
  type TemplateDef,
  type TemplateParams,
  type TemplateSyncResult,
  toMetaTemplate,
  type VariableMapping,
} from '@openwaba/contracts';
import { and, eq, sql } from 'drizzle-orm';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { PhoneView } from '../contacts/phone-privacy.ts';
import type { Database, Db, Tx } from '../db/client.ts';
import { numbers, orgSettings, templateCategoryChanges, templates } from '../db/schema.ts';
import { type OnCommit, transaction } from '../db/tx.ts';
import type { DomainEventEmitter } from '../events/domain-events.ts';
import type { EventService } from '../events/service.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import { collectLinks, type UrlGuard } from '../lib/url-guard.ts';
import type { NotificationService } from '../notifications/service.ts';
import type { NumberService } from '../numbers/service.ts';
import { GraphError } from '../whatsapp/graph-error.ts';
import type { MetaTemplate } from '../whatsapp/provider.ts';
import { authoredLinks } from './links.ts';

type Row = typeof templates.$inferSelect;
type Json = Record<string, unknown>;

/** Never in a campaign, whatever the policy says: Meta reserves it for one-time passwords. */
const NEVER_IN_CAMPAIGNS = 'AUTHENTICATION';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * The template catalogue: synced from Meta per WABA, guarded by quarantine. A template whose
 * category changes (seen by sync or webhook, or announced) or whose category the organisation's
 * campaign policy does not allow is quarantined at once and stays so until an admin releases it.
 */
/** Statuses Meta gives a template it will no longer send. */
const UNSENDABLE = new Set(['PAUSED', 'DISABLED', 'REJECTED', 'PENDING_DELETION', 'DELETED']);

export function createTemplateService(deps: {
  db: Db;
  database: Database;
  numbers: NumberService;
  events: EventService;
  notifications: NotificationService;
  /** Media links and button URLs must not point inside our network (lib/url-guard.ts). */
  urlGuard: UrlGuard;
  log: Log;
  /**
   * Emits `template.unusable` after a change that stops the template being sent commits (a
   * quarantine, or Meta pausing, disabling or rejecting it): campaigns using it pause.
   */
  domainEvents: DomainEventEmitter;
}) {
  const { db, database, numbers: numberService, events, notifications, log } = deps;

  async function policyOf(orgId: string, tx: Db | Tx = db): Promise<string[]> {
    const [s] = await tx
      .select({ c: orgSettings.campaignCategories })
      .from(orgSettings)
      .where(eq(orgSettings.orgId, orgId));
    return (s?.c ?? ['UTILITY', 'MARKETING']).filter((c) => c !== NEVER_IN_CAMPAIGNS);
  }

  const allowed = (policy: string[], category: string) =>
    category !== NEVER_IN_CAMPAIGNS && policy.includes(category);

  function toTemplate(r: Row, policy: string[]): Template {
    return {
      id: r.id,
      waba_id: r.wabaId,
      meta_id: r.metaId,
      name: r.name,
      language: r.language,
      status: r.status,
      category: r.category,
      parameter_format: r.parameterFormat === 'NAMED' ? 'NAMED' : 'POSITIONAL',
      components: r.components as Json[],
      quality_score: r.qualityScore,
      rejected_reason: r.rejectedReason,
      active: r.active,
      quarantined: r.quarantined,
      quarantine_reason: r.quarantineReason,
      quarantined_at: iso(r.quarantinedAt),
      usable_in_campaigns:
        r.active && r.status === 'APPROVED' && !r.quarantined && allowed(policy, r.category),
      last_synced_at: iso(r.lastSyncedAt),
    };
  }

  /** Quarantines in the caller's transaction and tells the admins after commit. */
  async function quarantine(tx: Tx | Db, r: Row, reason: string, onCommit: OnCommit) {
    if (r.quarantined) return false;
    await tx
      .update(templates)
      .set({ quarantined: true, quarantineReason: reason, quarantinedAt: new Date(), updatedAt: new Date() })
      .where(eq(templates.id, r.id));
    onCommit(async () => {
      await notifications.notifyRole(r.orgId, 'admin', {
        type: 'template.quarantined',
        title: `Template “${r.name}” (${r.language}) quarantined`,
        message: `${reason}. Campaigns cannot use it until an admin reviews it.`,
        actionUrl: `/templates/${r.id}`,
        relatedEntityType: 'template',
        relatedEntityId: r.id,
      });
      await events.publish(r.orgId, [
        { type: 'template.status_updated', data: templateEventData(r, 'QUARANTINED', reason) },
      ]);
    });
    deps.domainEvents.emit(onCommit, 'template.unusable', {
      orgId: r.orgId,
      templateId: r.id,
      why: `A template was quarantined: ${reason}`,
    });
    return true;
  }

  async function recordChange(
    tx: Tx | Db,
    r: Row,
    to: string,
    source: 'sync' | 'webhook' | 'announcement',
    effectiveAt?: Date,
  ) {
    await tx.insert(templateCategoryChanges).values({
      orgId: r.orgId,
      templateId: r.id,
      fromCategory: r.category,
      toCategory: to,
      source,
      effectiveAt: effectiveAt ?? null,
    });
  }

  /** The WABAs an organisation reaches, each with a number whose token can read it. */
  async function wabasOf(orgId: string, wabaId?: string) {
    const rows = await db
      .select()
      .from(numbers)
      .where(and(eq(numbers.orgId, orgId), eq(numbers.status, 'active')));
    const by = new Map<string, (typeof rows)[number]>();
    for (const n of rows) {
      if (!numberService.reachable(n)) continue;
      if (!by.has(n.wabaId) && (!wabaId || n.wabaId === wabaId)) by.set(n.wabaId, n);
    }
    return [...by.values()];
  }

  /**
   * Syncs every WABA of the organisation (or one): follows Meta's paging to the end, upserts the
   * catalogue, marks what Meta no longer has inactive, records category changes and quarantines.
   */
  async function sync(
    orgId: string,
    o: { wabaId?: string; pageSize?: number } = {},
  ): Promise<TemplateSyncResult> {
    const result: TemplateSyncResult = {
      wabas: 0,
      templates: 0,
      created: 0,
      updated: 0,
      deactivated: 0,
      quarantined: 0,
      errors: [],
    };
    const policy = await policyOf(orgId);
    for (const n of await wabasOf(orgId, o.wabaId)) {
      let remote: MetaTemplate[];
      try {
        remote = await numberService
          .providerFor(n)
          .listTemplates(
            { wabaId: n.wabaId, accessToken: numberService.credentials(n).accessToken },
            { pageSize: o.pageSize ?? 100 },
          );
      } catch (err) {
        if (err instanceof GraphError) await numberService.handleGraphError(n, err);
        result.errors.push({ waba_id: n.wabaId, message: (err as Error).message });
        continue;
      }
      result.wabas++;
      result.templates += remote.length;
      await transaction(db, async (tx, onCommit) => {
        const existing = new Map(
          (
            await tx
              .select()
              .from(templates)
              .where(and(eq(templates.orgId, orgId), eq(templates.wabaId, n.wabaId)))
          ).map((r) => [r.metaId, r]),
        );
        const now = new Date();
        for (const t of remote) {
          const cols = {
            name: t.name,
            language: t.language,
            status: t.status,
            category: t.category,
            parameterFormat: t.parameter_format === 'NAMED' ? 'NAMED' : 'POSITIONAL',
            components: t.components,
            qualityScore: t.quality_score?.score ?? null,
            rejectedReason: t.rejected_reason && t.rejected_reason !== 'NONE' ? t.rejected_reason : null,
            subCategory: t.sub_category ?? null,
            active: true,
            lastSyncedAt: now,
            updatedAt: now,
          };
          const before = existing.get(t.id);
          if (!before) {
            const [row] = await tx
              .insert(templates)
              .values({ orgId, wabaId: n.wabaId, metaId: t.id, ...cols })
              .returning();
            result.created++;
            // A template Meta already moved (previous_category) or that the policy forbids starts quarantined.
            if (t.previous_category && t.previous_category !== t.category) {
              await recordChange(tx, { ...row!, category: t.previous_category }, t.category, 'sync');
              if (
                await quarantine(
                  tx,
                  row!,
                  `Meta changed its category from ${t.previous_category} to ${t.category}`,
                  onCommit,
                )
              )
                result.quarantined++;
            } else if (!allowed(policy, t.category)) {
              if (await quarantine(tx, row!, `Category ${t.category} is not allowed in campaigns`, onCommit))
                result.quarantined++;
            }
            continue;
          }
          existing.delete(t.id);
          await tx.update(templates).set(cols).where(eq(templates.id, before.id));
          result.updated++;
          if (before.category !== t.category) {
            await recordChange(tx, before, t.category, 'sync');
            if (
              await quarantine(
                tx,
                { ...before, ...cols } as Row,
                `Meta changed its category from ${before.category} to ${t.category}`,
                onCommit,
              )
            )
              result.quarantined++;
          } else if (!allowed(policy, t.category)) {
            if (await quarantine(tx, before, `Category ${t.category} is not allowed in campaigns`, onCommit))
              result.quarantined++;
          }
        }
        // What Meta no longer has: kept, marked inactive.
        for (const gone of existing.values()) {
          if (!gone.active) continue;
          await tx.update(templates).set({ active: false, updatedAt: now }).where(eq(templates.id, gone.id));
          result.deactivated++;
        }
      });
    }
    log.info({ orgId, ...result, errors: result.errors.length }, 'templates synced');
    return result;
  }

  /** Organisations with at least one active number: what the 3-hourly cron syncs. */
  async function orgsToSync() {
    const rows = await database.query<{ org_id: string }>(
      `select distinct org_id from numbers where status = 'active'`,
    );
    return rows.map((r) => r.org_id);
  }

  /**
   * A template notice from Meta's webhook, in the inbound transaction: status changes apply,
   * category changes (done or announced) quarantine; an unknown template asks for a sync.
   * Returns true when the organisation's catalogue should be synced.
   */
  async function applyMetaUpdate(
    tx: Tx,
    orgId: string,
    field: string,
    wabaId: string,
    v: Json,
    onCommit: OnCommit,
  ): Promise<boolean> {
    const metaId = v.message_template_id === undefined ? '' : String(v.message_template_id);
    const [r] = await tx
      .select()
      .from(templates)
      .where(and(eq(templates.orgId, orgId), eq(templates.wabaId, wabaId), eq(templates.metaId, metaId)));
    if (!r) return field === 'message_template_status_update' || field === 'template_category_update';
    const str = (x: unknown) => (typeof x === 'string' && x ? x : undefined);
    if (field === 'message_template_status_update') {
      const status = str(v.event);
      if (!status) return false;
      const reason = str(v.reason);
      const category = str(v.message_template_category);
      await tx
        .update(templates)
        .set({
          status,
          rejectedReason: reason && reason !== 'NONE' ? reason : null,
          updatedAt: new Date(),
        })
        .where(eq(templates.id, r.id));
      if (UNSENDABLE.has(status) && status !== r.status) {
        const why = `Meta set template “${r.name}” (${r.language}) to ${status}${reason && reason !== 'NONE' ? `: ${reason}` : ''}`;
        deps.domainEvents.emit(onCommit, 'template.unusable', { orgId, templateId: r.id, why });
      }
      if (category && category !== r.category) {
        await recordChange(tx, r, category, 'webhook');
        await tx.update(templates).set({ category }).where(eq(templates.id, r.id));
        await quarantine(tx, r, `Meta changed its category from ${r.category} to ${category}`, onCommit);
      }
      return false;
    }
    if (field === 'template_category_update') {
      const next = str(v.new_category);
      const announced = str(v.correct_category);
      const ts = Number(v.category_update_timestamp);
      if (announced && !str(v.previous_category)) {
        // Meta announces a change that takes effect later: stop campaigns now, not when it lands.
        await recordChange(
          tx,
          r,
          announced,
          'announcement',
          Number.isFinite(ts) && ts > 0 ? new Date(ts * 1000) : undefined,
        );
        await quarantine(
          tx,
          r,
          `Meta announced its category will change from ${r.category} to ${announced}`,
          onCommit,
        );
        return false;
      }
      if (next && next !== r.category) {
        await recordChange(tx, r, next, 'webhook');
        await tx
          .update(templates)
          .set({ category: next, updatedAt: new Date() })
          .where(eq(templates.id, r.id));
        await quarantine(tx, r, `Meta changed its category from ${r.category} to ${next}`, onCommit);
      }
      return false;
    }
    if (field === 'message_template_quality_update') {
      const q = str(v.new_quality_score);
      if (q)
        await tx
          .update(templates)
          .set({ qualityScore: q, updatedAt: new Date() })
          .where(eq(templates.id, r.id));
    }
    return false;
  }

  async function getRow(orgId: string, id: string, tx: Db | Tx = db) {
    const [r] = await tx
      .select()
      .from(templates)
      .where(and(eq(templates.orgId, orgId), eq(templates.id, id)));
    if (!r) throw notFound('Template');
    return r;
  }

  async function list(
    ctx: Pick<AuthContext, 'orgId'>,
    q: {
      waba_id?: string;
      status?: string;
      category?: string;
      quarantined?: 'true' | 'false';
      usable?: 'true' | 'false';
      include_inactive?: 'true' | 'false';
      search?: string;
    },
  ): Promise<Template[]> {
    const policy = await policyOf(ctx.orgId);
    const rows = await db
      .select()
      .from(templates)
      .where(
        and(
          eq(templates.orgId, ctx.orgId),
          q.waba_id ? eq(templates.wabaId, q.waba_id) : undefined,
          q.status ? eq(templates.status, q.status) : undefined,
          q.category ? eq(templates.category, q.category) : undefined,
          q.quarantined ? eq(templates.quarantined, q.quarantined === 'true') : undefined,
          q.include_inactive === 'true' ? undefined : eq(templates.active, true),
          q.search ? sql`${templates.name} ilike ${`%${q.search.replace(/[%_\\]/g, '\\$&')}%`}` : undefined,
        ),
      )
      .orderBy(templates.name, templates.language);
    const all = rows.map((r) => toTemplate(r, policy));
    return q.usable ? all.filter((t) => t.usable_in_campaigns === (q.usable === 'true')) : all;
  }

  /** One template; `tx` when called inside a transaction (on PGlite the only connection is its). */
  async function get(ctx: Pick<AuthContext, 'orgId'>, id: string, tx: Db | Tx = db) {
    return toTemplate(await getRow(ctx.orgId, id, tx), await policyOf(ctx.orgId, tx));
  }

  async function history(ctx: Pick<AuthContext, 'orgId'>, id: string) {
    await getRow(ctx.orgId, id);
    const rows = await db
      .select()
      .from(templateCategoryChanges)
      .where(and(eq(templateCategoryChanges.orgId, ctx.orgId), eq(templateCategoryChanges.templateId, id)))
      .orderBy(templateCategoryChanges.id);
    return rows.map((c) => ({
      from_category: c.fromCategory,
      to_category: c.toCategory,
      source: c.source as 'sync' | 'webhook' | 'announcement',
      effective_at: iso(c.effectiveAt),
      created_at: c.createdAt.toISOString(),
    }));
  }

  /** An admin releases a quarantined template; only when its current category is allowed. Audited. */
  async function unquarantine(ctx: AuthContext, id: string) {
    const r = await getRow(ctx.orgId, id);
    if (!r.quarantined) return get(ctx, id);
    const policy = await policyOf(ctx.orgId);
    if (!allowed(policy, r.category)) {
      throw new AppError(
        'CONFLICT',
        `Category ${r.category} is not allowed in campaigns; change the campaign policy first`,
        { details: { category: r.category, allowed: policy } },
      );
    }
    await db.transaction(async (tx) => {
      await tx
        .update(templates)
        .set({ quarantined: false, quarantineReason: null, quarantinedAt: null, updatedAt: new Date() })
        .where(eq(templates.id, id));
      await recordAudit(tx, actorOf(ctx), {
        action: 'template.unquarantine',
        entityType: 'template',
        entityId: id,
        before: { quarantine_reason: r.quarantineReason, category: r.category },
      });
    });
    return get(ctx, id);
  }

  /** After the campaign policy changes: templates it no longer allows are quarantined. */
  async function reevaluatePolicy(orgId: string) {
    const policy = await policyOf(orgId);
    let n = 0;
    await transaction(db, async (tx, onCommit) => {
      const rows = await tx
        .select()
        .from(templates)
        .where(and(eq(templates.orgId, orgId), eq(templates.quarantined, false), eq(templates.active, true)));
      for (const r of rows) {
        if (!allowed(policy, r.category)) {
          if (await quarantine(tx, r, `Category ${r.category} is no longer allowed in campaigns`, onCommit))
            n++;
        }
      }
    });
    return { quarantined: n };
  }

  /** The message as the customer would see it, with given values or a contact's. */
  async function render(
    ctx: Pick<AuthContext, 'orgId'>,
    id: string,
    body: { params: TemplateParams } | { contact_id: string; mapping: VariableMapping },
    /** How the caller may see phones: a preview must not show an agent a phone the org hides. */
    view: Pick<PhoneView, 'phone'>,
  ) {
    const r = await getRow(ctx.orgId, id);
    let params: TemplateParams;
    let missing: { key: string; source: string }[] = [];
    if ('params' in body) params = body.params;
    else {
      const [c] = await database.query<{ name: string | null; phone: string; fields: Json | null }>(
        'select name, phone, fields from contacts where org_id = $1 and id = $2',
        [ctx.orgId, body.contact_id],
      );
      if (!c) throw notFound('Contact');
      const resolved = resolveTemplateParams(body.mapping, {
        name: c.name,
        phone: view.phone(c.phone),
        fields: c.fields ?? {},
      });
      params = resolved.params;
      missing = resolved.missing;
    }
    // A preview stores nothing, but its media link is a URL given to us: the same answer as a send.
    await deps.urlGuard.assertLinks(collectLinks(params, ['params']), { onLookupFailure: 'accept' });
    const def: TemplateDef = {
      name: r.name,
      language: r.language,
      parameter_format: r.parameterFormat === 'NAMED' ? 'NAMED' : 'POSITIONAL',
      components: r.components as TemplateDef['components'],
    };
    const out = renderTemplate(def, params);
    return out.ok
      ? { ok: true as const, rendered: out.rendered, components: out.components, missing }
      : { ok: false as const, problems: out.problems, missing };
  }

  /** Submits a template to Meta (validated first); it arrives as PENDING and moves by webhook. */
  async function create(ctx: AuthContext, body: CreateTemplateBody) {
    const number = await numberService.findRow(ctx.orgId, body.number_id);
    if (!number) throw notFound('Number');
    // Before Meta sees it: Meta fetches the sample media, and a link inward is never legitimate.
    await deps.urlGuard.assertLinks(authoredLinks(body), { onLookupFailure: 'accept' });
    const meta = toMetaTemplate(body);
    let created: { id: string; status: string; category?: string | undefined };
    try {
      created = await numberService
        .providerFor(number)
        .createTemplate(
          { wabaId: number.wabaId, accessToken: numberService.credentials(number).accessToken },
          meta,
        );
    } catch (err) {
      if (err instanceof GraphError) {
        await numberService.handleGraphError(number, err);
        throw new AppError('VALIDATION_FAILED', `Meta refused the template: ${err.title}`, {
          details: { meta: { code: err.code, title: err.title, details: err.details ?? null } },
        });
      }
      throw err;
    }
    const policy = await policyOf(ctx.orgId);
    const row = await transaction(db, async (tx, onCommit) => {
      const [r] = await tx
        .insert(templates)
        .values({
          orgId: ctx.orgId,
          wabaId: number.wabaId,
          metaId: created.id,
          name: meta.name,
          language: meta.language,
          status: created.status,
          category: created.category ?? meta.category,
          parameterFormat: meta.parameter_format,
          components: meta.components,
          lastSyncedAt: new Date(),
        })
        .onConflictDoNothing()
        .returning();
      if (!r) throw new AppError('CONFLICT', 'This template is already in the catalogue');
      if (!allowed(policy, r.category)) {
        await quarantine(tx, r, `Category ${r.category} is not allowed in campaigns`, onCommit);
      }
      await recordAudit(tx, actorOf(ctx), {
        action: 'template.create',
        entityType: 'template',
        entityId: r.id,
        after: meta,
      });
      return r;
    });
    return toTemplate(await getRow(ctx.orgId, row.id), policy);
  }

  /** Deletes one language of a template at Meta; the row stays, inactive and DELETED. */
  async function remove(ctx: AuthContext, id: string) {
    const r = await getRow(ctx.orgId, id);
    const [number] = await wabasOf(ctx.orgId, r.wabaId);
    if (!number) throw new AppError('CONFLICT', 'No active number can reach this template’s account');
    try {
      await numberService
        .providerFor(number)
        .deleteTemplate(
          { wabaId: r.wabaId, accessToken: numberService.credentials(number).accessToken },
          { name: r.name, id: r.metaId },
        );
    } catch (err) {
      if (err instanceof GraphError) {
        await numberService.handleGraphError(number, err);
        throw new AppError('VALIDATION_FAILED', `Meta refused to delete it: ${err.title}`, {
          details: { meta: { code: err.code, title: err.title } },
        });
      }
      throw err;
    }
    await db.transaction(async (tx) => {
      await tx
        .update(templates)
        .set({ active: false, status: 'DELETED', updatedAt: new Date() })
        .where(eq(templates.id, id));
      await recordAudit(tx, actorOf(ctx), {
        action: 'template.delete',
        entityType: 'template',
        entityId: id,
        before: { name: r.name, language: r.language },
      });
    });
  }

  return {
    sync,
    orgsToSync,
    applyMetaUpdate,
    list,
    get,
    history,
    unquarantine,
    reevaluatePolicy,
    render,
    create,
    remove,
  };
}
export type TemplateService = ReturnType<typeof createTemplateService>;

function templateEventData(r: Row, status: string, reason: string | null) {
  return {
    waba_id: r.wabaId,
    template_id: r.metaId,
    name: r.name,
    language: r.language,
    status,
    reason,
  };
}
