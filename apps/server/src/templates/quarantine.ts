import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import { type OnCommit, transaction } from '../db/tx.ts';
import { AppError } from '../lib/errors.ts';
import type { TemplateDeps } from './deps.ts';
import { getTemplate, templateOf } from './find-templates.ts';
import { allowedInCampaigns, policyOf } from './policy.ts';
import { releasedTemplates, type TemplateRow, updateTemplate } from './repo.ts';
import { templateEventData } from './template-view.ts';

/**
 * A template whose category changes (seen by sync or webhook, or announced) or whose category the
 * organisation's campaign policy does not allow is quarantined at once and stays so until an admin
 * releases it.
 */

/**
 * Quarantines in the caller's transaction and tells the admins after commit; false if it already was.
 * `notify: false` for a template first seen already unusable (a new one the policy forbids): no
 * campaign could have used it, so the Templates page saying why is enough.
 */
export async function quarantine(
  deps: Pick<TemplateDeps, 'notifications' | 'events' | 'domainEvents'>,
  tx: Tx | Db,
  r: TemplateRow,
  reason: string,
  onCommit: OnCommit,
  { notify = true }: { notify?: boolean } = {},
) {
  if (r.quarantined) return false;
  await updateTemplate(tx, r.orgId, r.id, {
    quarantined: true,
    quarantineReason: reason,
    quarantinedAt: new Date(),
    updatedAt: new Date(),
  });
  onCommit(async () => {
    if (notify)
      await deps.notifications.notifyRole(r.orgId, 'admin', {
        type: 'template.quarantined',
        title: `Template “${r.name}” (${r.language}) quarantined`,
        message: `${reason}. Campaigns cannot use it until an admin reviews it.`,
        actionUrl: `/templates/${r.id}`,
        relatedEntityType: 'template',
        relatedEntityId: r.id,
      });
    await deps.events.publish(r.orgId, [
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

/** An admin releases a quarantined template; only when its current category is allowed. Audited. */
export async function unquarantine(deps: Pick<TemplateDeps, 'db'>, ctx: AuthContext, id: string) {
  const { db } = deps;
  const r = await templateOf(db, ctx.orgId, id);
  if (!r.quarantined) return getTemplate(deps, ctx, id);
  const policy = await policyOf(db, ctx.orgId);
  if (!allowedInCampaigns(policy, r.category)) {
    throw new AppError(
      'CONFLICT',
      `Category ${r.category} is not allowed in campaigns; change the campaign policy first`,
      { details: { category: r.category, allowed: policy } },
    );
  }
  await db.transaction(async (tx) => {
    await updateTemplate(tx, ctx.orgId, id, {
      quarantined: false,
      quarantineReason: null,
      quarantinedAt: null,
      updatedAt: new Date(),
    });
    await recordAudit(tx, actorOf(ctx), {
      action: 'template.unquarantine',
      entityType: 'template',
      entityId: id,
      before: { quarantine_reason: r.quarantineReason, category: r.category },
    });
  });
  return getTemplate(deps, ctx, id);
}

/** After the campaign policy changes: templates it no longer allows are quarantined. */
export async function reevaluatePolicy(
  deps: Pick<TemplateDeps, 'db' | 'notifications' | 'events' | 'domainEvents'>,
  orgId: string,
) {
  const policy = await policyOf(deps.db, orgId);
  let n = 0;
  await transaction(deps.db, async (tx, onCommit) => {
    for (const r of await releasedTemplates(tx, orgId)) {
      if (!allowedInCampaigns(policy, r.category)) {
        if (
          await quarantine(deps, tx, r, `Category ${r.category} is no longer allowed in campaigns`, onCommit)
        )
          n++;
      }
    }
  });
  return { quarantined: n };
}
