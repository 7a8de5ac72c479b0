import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import { AppError } from '../lib/errors.ts';
import { GraphError } from '../whatsapp/graph-error.ts';
import type { TemplateDeps } from './deps.ts';
import { templateOf } from './find-templates.ts';
import { updateTemplate } from './repo.ts';
import { wabasOf } from './sync-templates.ts';

/** Deletes one language of a template at Meta; the row stays, inactive and DELETED. */
export async function deleteTemplate(
  deps: Pick<TemplateDeps, 'db' | 'numbers'>,
  ctx: AuthContext,
  id: string,
) {
  const { db, numbers: numberService } = deps;
  const r = await templateOf(db, ctx.orgId, id);
  const [number] = await wabasOf(deps, ctx.orgId, r.wabaId);
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
    await updateTemplate(tx, ctx.orgId, id, { active: false, status: 'DELETED', updatedAt: new Date() });
    await recordAudit(tx, actorOf(ctx), {
      action: 'template.delete',
      entityType: 'template',
      entityId: id,
      before: { name: r.name, language: r.language },
    });
  });
}
