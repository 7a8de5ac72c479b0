import type { Campaign, CampaignState, CreateCampaignBody, TemplateDef } from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import { type Actor, actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Tx } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { dequeueCampaign } from '../messages/repo.ts';
import type { createAudience } from './audience.ts';
import type { Json, StoredTemplate } from './campaign-row.ts';
import type { CampaignDeps } from './context.ts';
import { fixedMediaLinks, refuseInwardMediaLinks } from './media-links.ts';
import type { createPreflight } from './preflight.ts';
import type { CampaignProgress } from './progress.ts';
import {
  deleteCampaign,
  failPreflight,
  getCampaignRow,
  insertCampaign,
  markRunning,
  markStopped,
  recipientsSkippedPart,
  setCampaignState,
  skipUnfed,
} from './repo.ts';
import type { CampaignView } from './view.ts';

/** Recipients queued when a campaign starts (sending begins at once; the feed queues the rest). */
const FIRST_CHUNK = 1000;

/**
 * A campaign's life: created as a draft from its audience, started (now or when scheduled) after the
 * pre-flight, paused, resumed, stopped, deleted. Each change is audited in its transaction.
 */
export function createCampaignLifecycle(
  deps: Pick<CampaignDeps, 'db' | 'templates' | 'urlGuard' | 'log' | 'poke' | 'checkNumber'>,
  parts: {
    audience: ReturnType<typeof createAudience>;
    preflight: ReturnType<typeof createPreflight>;
    progress: CampaignProgress;
    view: CampaignView;
  },
) {
  const { db, templates, log } = deps;

  /** Creates a draft: the audience resolved into recipients, each checked and rendered. */
  async function create(ctx: AuthContext, body: CreateCampaignBody): Promise<Campaign> {
    const [number] = await queryRows<{ id: string; waba_id: string }>(
      db,
      sql`select id, waba_id from numbers where org_id = ${ctx.orgId} and id = ${body.number_id}`,
    );
    if (!number) throw notFound('Number');
    const stored: StoredTemplate[] = [];
    const defs: { def: TemplateDef; mapping: Json }[] = [];
    for (const [i, ref] of body.templates.entries()) {
      const t = await templates.get(ctx, ref.template_id).catch(() => undefined);
      if (!t) {
        throw new AppError('VALIDATION_FAILED', `templates.${i}.template_id: no such template`, {
          details: [{ path: ['templates', i, 'template_id'], message: 'no such template' }],
        });
      }
      if (t.waba_id !== number.waba_id) {
        throw new AppError(
          'VALIDATION_FAILED',
          `templates.${i}.template_id: “${t.name}” belongs to another WhatsApp account than the number`,
          { details: [{ path: ['templates', i, 'template_id'], message: 'template of another account' }] },
        );
      }
      stored.push({
        template_id: t.id,
        name: t.name,
        language: t.language,
        category: t.category,
        share: ref.share ?? null,
        mapping: ref.mapping as Json,
      });
      defs.push({
        def: {
          name: t.name,
          language: t.language,
          parameter_format: t.parameter_format,
          components: t.components as TemplateDef['components'],
        },
        mapping: ref.mapping as Json,
      });
    }
    await deps.urlGuard.assertLinks(fixedMediaLinks(body.templates), { onLookupFailure: 'accept' });
    const file =
      body.audience.kind === 'file' ? await parts.audience.openFile(ctx.orgId, body.audience) : undefined;
    const built = await parts.audience.buildRecipients(ctx.orgId, body, defs, file);
    await refuseInwardMediaLinks(
      built,
      defs.map((d) => d.mapping),
      deps.urlGuard,
    );
    const audience =
      body.audience.kind === 'contacts'
        ? { kind: 'contacts', filter: body.audience.filter, segment_id: body.audience.segment_id ?? null }
        : body.audience.kind === 'file'
          ? { kind: 'file', filename: file!.filename, count: built.length }
          : { kind: 'recipients', count: body.audience.recipients.length };
    const id = await transaction(db, async (tx) => {
      const id = await insertCampaign(
        tx,
        ctx.orgId,
        {
          numberId: number.id,
          name: body.name,
          audience,
          templates: stored,
          split: body.split,
          marketingTtlSeconds: body.marketing_ttl_seconds ?? null,
          spendCap: body.spend_cap ?? null,
          createdBy: ctx.userId,
        },
        built,
      );
      await recordAudit(tx, actorOf(ctx), {
        action: 'campaign.create',
        entityType: 'campaign',
        entityId: id,
        after: {
          name: body.name,
          number_id: number.id,
          audience,
          templates: stored.map((t) => `${t.name} (${t.language})`),
          recipients: built.length,
          invalid: built.filter((b) => b.state === 'invalid').length,
        },
      });
      return id;
    });
    // Every row lives on as a recipient: the file itself is not kept.
    await file?.discard();
    return parts.view.get(ctx, id);
  }

  /** Pre-flight, then (if it passes) queue every ready recipient and run; a failure is recorded. */
  async function startNow(orgId: string, id: string, actor: Actor, from: CampaignState[]) {
    // The token is asked about now, not trusted from the last health check: a refused one makes the
    // number inactive, which the pre-flight then reports. Meta out of reach is not a refusal.
    const [target] = await queryRows<{ number_id: string }>(
      db,
      sql`select number_id from campaigns where org_id = ${orgId} and id = ${id}`,
    );
    if (target)
      await deps
        .checkNumber?.(orgId, target.number_id)
        .catch((err) =>
          log.warn({ err, campaignId: id }, 'could not ask Meta about the number before the pre-flight'),
        );
    const result = await transaction(db, async (tx, onCommit) => {
      const c = await getCampaignRow(tx, orgId, id, true);
      if (!from.includes(c.state)) {
        throw new AppError(
          'CONFLICT',
          `The campaign is ${c.state}; only a ${from.join(' or ')} campaign can start`,
        );
      }
      const pf = await parts.preflight(tx, c);
      if (!pf.ok) {
        await failPreflight(tx, orgId, id, pf);
        await recordAudit(tx, actor, {
          action: 'campaign.preflight_failed',
          entityType: 'campaign',
          entityId: id,
          after: pf,
        });
        onCommit(() =>
          parts.progress.notifyCreator(
            c,
            `Campaign “${c.name}” did not start`,
            pf.problems.join('; '),
            'campaign.failed',
          ),
        );
        return { ok: false as const };
      }
      // The first chunk now, so sending starts at once; `feed` queues the rest ahead of the sender.
      const [{ at }] = (await queryRows<{ at: number }>(
        tx,
        sql`select (extract(epoch from now()) * 1000)::float8 as at`,
      )) as [{ at: number }];
      await parts.progress.queueNext(tx, onCommit, c, Math.round(at), FIRST_CHUNK);
      await markRunning(tx, orgId, id, pf);
      await recordAudit(tx, actor, {
        action: 'campaign.start',
        entityType: 'campaign',
        entityId: id,
        after: { ready: pf.ready, skipped: pf.skipped, estimated_cost: pf.estimated_cost },
      });
      return { ok: true as const };
    });
    if (result.ok) deps.poke?.();
    await parts.progress.publishProgress(id, true);
    return parts.view.get({ orgId }, id);
  }

  async function start(ctx: AuthContext, id: string) {
    return startNow(ctx.orgId, id, actorOf(ctx), ['draft']);
  }

  async function schedule(ctx: AuthContext, id: string, at: string) {
    if (Date.parse(at) <= Date.now()) {
      throw new AppError('VALIDATION_FAILED', 'at: must be in the future', {
        details: [{ path: ['at'], message: 'must be in the future' }],
      });
    }
    await transition(ctx, id, ['draft'], 'scheduled', 'campaign.schedule', sql`scheduled_at = ${at}`);
    return parts.view.get(ctx, id);
  }

  /** Starts every scheduled campaign whose time has come (the scheduler job, every minute). */
  async function startDue(): Promise<number> {
    const due = await queryRows<{ id: string; org_id: string }>(
      db,
      sql`select id, org_id from campaigns where state = 'scheduled' and scheduled_at <= now() order by scheduled_at limit 20`,
    );
    for (const d of due) {
      await startNow(d.org_id, d.id, { orgId: d.org_id, actorType: 'system', label: 'scheduler' }, [
        'scheduled',
      ]).catch((err) => log.warn({ err, campaignId: d.id }, 'scheduled campaign did not start'));
    }
    return due.length;
  }

  async function transition(
    ctx: AuthContext,
    id: string,
    from: CampaignState[],
    to: CampaignState,
    action: string,
    /** The columns changed besides the state. */
    set: SQL,
  ) {
    await transaction(db, async (tx) => {
      const c = await getCampaignRow(tx, ctx.orgId, id, true);
      if (!from.includes(c.state)) {
        throw new AppError(
          'CONFLICT',
          `The campaign is ${c.state}; this needs it to be ${from.join(' or ')}`,
        );
      }
      await setCampaignState(tx, ctx.orgId, id, to, set);
      await recordAudit(tx, actorOf(ctx), {
        action,
        entityType: 'campaign',
        entityId: id,
        before: { state: c.state },
        after: { state: to },
      });
    });
  }

  async function pause(ctx: AuthContext, id: string) {
    await transition(
      ctx,
      id,
      ['running'],
      'paused',
      'campaign.pause',
      sql`paused_reason = ${'paused by a person'}`,
    );
    await parts.progress.publishProgress(id, true);
    return parts.view.get(ctx, id);
  }

  async function resume(ctx: AuthContext, id: string) {
    const c = await getCampaignRow(db, ctx.orgId, id);
    if (c.state === 'paused') {
      // The reasons to pause may still hold: the number and templates are checked again.
      const [n] = await queryRows<{ status: string }>(
        db,
        sql`select status from numbers where id = ${c.number_id}`,
      );
      if (n?.status !== 'active')
        throw new AppError('CONFLICT', 'The number is inactive; replace its token first');
      for (const t of c.templates) {
        const tpl = await templates.get(ctx, t.template_id).catch(() => undefined);
        if (!tpl?.usable_in_campaigns) {
          throw new AppError(
            'CONFLICT',
            `Template “${t.name}” (${t.language}) cannot be used in campaigns now`,
          );
        }
      }
    }
    await transition(ctx, id, ['paused'], 'running', 'campaign.resume', sql`paused_reason = null`);
    deps.poke?.();
    await parts.progress.publishProgress(id, true);
    return parts.view.get(ctx, id);
  }

  /** Stops for good: nothing more is sent; sends in flight finish and are recorded. */
  async function stop(ctx: AuthContext, id: string) {
    await transaction(db, async (tx) => {
      const c = await getCampaignRow(tx, ctx.orgId, id, true);
      if (!['running', 'paused', 'scheduled'].includes(c.state)) {
        throw new AppError(
          'CONFLICT',
          `The campaign is ${c.state}; only a running, paused or scheduled one can stop`,
        );
      }
      await dropQueued(tx, ctx.orgId, id, 'campaign stopped');
      await markStopped(tx, ctx.orgId, id);
      await recordAudit(tx, actorOf(ctx), {
        action: 'campaign.stop',
        entityType: 'campaign',
        entityId: id,
        before: { state: c.state },
      });
    });
    await parts.progress.publishProgress(id, true);
    return parts.view.get(ctx, id);
  }

  /**
   * Takes a campaign's unsent sends off the queue (claims in flight stay: their recipients stay
   * queued until their outcome is recorded) and skips them with the recipients not fed yet: they
   * never happened.
   */
  async function dropQueued(tx: Tx, orgId: string, campaignId: string, reason: string) {
    await dequeueCampaign(tx, orgId, campaignId, recipientsSkippedPart(reason));
    await skipUnfed(tx, orgId, campaignId, reason);
  }

  async function remove(ctx: AuthContext, id: string) {
    await transaction(db, async (tx) => {
      const c = await getCampaignRow(tx, ctx.orgId, id, true);
      if (c.state === 'running' || c.state === 'paused') {
        throw new AppError('CONFLICT', `The campaign is ${c.state}; stop it before deleting it`);
      }
      await deleteCampaign(tx, ctx.orgId, id);
      await recordAudit(tx, actorOf(ctx), {
        action: 'campaign.delete',
        entityType: 'campaign',
        entityId: id,
        before: { name: c.name, state: c.state },
      });
    });
  }

  return { create, start, schedule, startDue, pause, resume, stop, remove };
}
