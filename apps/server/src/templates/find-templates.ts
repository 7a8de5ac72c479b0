import type { Template } from '@openwaba/contracts';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import { notFound } from '../lib/errors.ts';
import type { TemplateDeps } from './deps.ts';
import { policyOf } from './policy.ts';
import {
  type CategoryChangeSource,
  categoryChangesOf,
  findTemplate,
  listTemplates,
  type TemplateFilters,
  type TemplateRow,
} from './repo.ts';
import { toTemplate } from './template-view.ts';

/** A template of the organisation, or NOT_FOUND. */
export async function templateOf(tx: Db | Tx, orgId: string, id: string): Promise<TemplateRow> {
  const r = await findTemplate(tx, orgId, id);
  if (!r) throw notFound('Template');
  return r;
}

export async function findTemplates(
  deps: Pick<TemplateDeps, 'db'>,
  ctx: Pick<AuthContext, 'orgId'>,
  q: TemplateFilters & { usable?: 'true' | 'false' },
): Promise<Template[]> {
  const policy = await policyOf(deps.db, ctx.orgId);
  const rows = await listTemplates(deps.db, ctx.orgId, q);
  const all = rows.map((r) => toTemplate(r, policy));
  return q.usable ? all.filter((t) => t.usable_in_campaigns === (q.usable === 'true')) : all;
}

/** One template; `tx` when called inside a transaction (on PGlite the only connection is its). */
export async function getTemplate(
  deps: Pick<TemplateDeps, 'db'>,
  ctx: Pick<AuthContext, 'orgId'>,
  id: string,
  tx: Db | Tx = deps.db,
) {
  return toTemplate(await templateOf(tx, ctx.orgId, id), await policyOf(tx, ctx.orgId));
}

/** The template's category changes, oldest first. */
export async function categoryHistory(
  deps: Pick<TemplateDeps, 'db'>,
  ctx: Pick<AuthContext, 'orgId'>,
  id: string,
) {
  await templateOf(deps.db, ctx.orgId, id);
  const rows = await categoryChangesOf(deps.db, ctx.orgId, id);
  return rows.map((c) => ({
    from_category: c.fromCategory,
    to_category: c.toCategory,
    source: c.source as CategoryChangeSource,
    effective_at: c.effectiveAt ? c.effectiveAt.toISOString() : null,
    created_at: c.createdAt.toISOString(),
  }));
}
