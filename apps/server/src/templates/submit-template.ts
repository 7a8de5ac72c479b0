import { type CreateTemplateBody, toMetaTemplate } from '@openwaba/contracts';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import { transaction } from '../db/tx.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { GraphError } from '../whatsapp/graph-error.ts';
import type { TemplateDeps } from './deps.ts';
import { templateOf } from './find-templates.ts';
import { authoredLinks } from './links.ts';
import { allowedInCampaigns, policyOf } from './policy.ts';
import { quarantine } from './quarantine.ts';
import { insertTemplate } from './repo.ts';
import { toTemplate } from './template-view.ts';

/** Submits a template to Meta (validated first); it arrives as PENDING and moves by webhook. */
export async function submitTemplate(
  deps: Pick<TemplateDeps, 'db' | 'numbers' | 'urlGuard' | 'notifications' | 'events' | 'domainEvents'>,
  ctx: AuthContext,
  body: CreateTemplateBody,
) {
  const { db, numbers: numberService } = deps;
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
  const policy = await policyOf(db, ctx.orgId);
  const row = await transaction(db, async (tx, onCommit) => {
    const r = await insertTemplate(
      tx,
      ctx.orgId,
      {
        wabaId: number.wabaId,
        metaId: created.id,
        name: meta.name,
        language: meta.language,
        status: created.status,
        category: created.category ?? meta.category,
        parameterFormat: meta.parameter_format,
        components: meta.components,
        lastSyncedAt: new Date(),
      },
      { onConflict: 'ignore' },
    );
    if (!r) throw new AppError('CONFLICT', 'This template is already in the catalogue');
    if (!allowedInCampaigns(policy, r.category)) {
      await quarantine(deps, tx, r, `Category ${r.category} is not allowed in campaigns`, onCommit);
    }
    await recordAudit(tx, actorOf(ctx), {
      action: 'template.create',
      entityType: 'template',
      entityId: r.id,
      after: meta,
    });
    return r;
  });
  return toTemplate(await templateOf(db, ctx.orgId, row.id), policy);
}
