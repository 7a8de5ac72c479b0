import type { TemplateSyncResult } from '@openwaba/contracts';
import { and, eq } from 'drizzle-orm';
import { numbers } from '../db/schema.ts';
import { transaction } from '../db/tx.ts';
import { GraphError } from '../whatsapp/graph-error.ts';
import type { MetaTemplate } from '../whatsapp/provider.ts';
import type { TemplateDeps } from './deps.ts';
import { allowedInCampaigns, policyOf } from './policy.ts';
import { quarantine } from './quarantine.ts';
import {
  insertTemplate,
  recordCategoryChange,
  type TemplateRow,
  templatesOfWaba,
  updateTemplate,
} from './repo.ts';

/** The catalogue columns of a template as Meta lists it, seen now. */
export function catalogueColumns(t: MetaTemplate, now: Date) {
  return {
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
}

/** The WABAs an organisation reaches, each with a number whose token can read it. */
export async function wabasOf(deps: Pick<TemplateDeps, 'db' | 'numbers'>, orgId: string, wabaId?: string) {
  const rows = await deps.db
    .select()
    .from(numbers)
    .where(and(eq(numbers.orgId, orgId), eq(numbers.status, 'active')));
  const by = new Map<string, (typeof rows)[number]>();
  for (const n of rows) {
    if (!deps.numbers.reachable(n)) continue;
    if (!by.has(n.wabaId) && (!wabaId || n.wabaId === wabaId)) by.set(n.wabaId, n);
  }
  return [...by.values()];
}

/**
 * Syncs every WABA of the organisation (or one): follows Meta's paging to the end, upserts the
 * catalogue, marks what Meta no longer has inactive, records category changes and quarantines.
 */
export async function syncTemplates(
  deps: Pick<TemplateDeps, 'db' | 'numbers' | 'notifications' | 'events' | 'domainEvents' | 'log'>,
  orgId: string,
  o: { wabaId?: string; pageSize?: number } = {},
): Promise<TemplateSyncResult> {
  const { db, numbers: numberService } = deps;
  const result: TemplateSyncResult = {
    wabas: 0,
    templates: 0,
    created: 0,
    updated: 0,
    deactivated: 0,
    quarantined: 0,
    errors: [],
  };
  const policy = await policyOf(db, orgId);
  for (const n of await wabasOf(deps, orgId, o.wabaId)) {
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
      const existing = new Map((await templatesOfWaba(tx, orgId, n.wabaId)).map((r) => [r.metaId, r]));
      const now = new Date();
      /** A template whose category Meta moved, or that the policy forbids, is quarantined (counted). */
      const quarantineIfNeeded = async (
        row: TemplateRow,
        from: string | null | undefined,
        to: string,
        isNew: boolean,
      ) => {
        let reason: string | undefined;
        let notify = true;
        if (from && from !== to) {
          await recordCategoryChange(tx, orgId, { templateId: row.id, from, to, source: 'sync' });
          reason = `Meta changed its category from ${from} to ${to}`;
        } else if (!allowedInCampaigns(policy, to)) {
          reason = `Category ${to} is not allowed in campaigns`;
          // New and never usable: nothing changed for anyone (the Templates page says why).
          notify = !isNew;
        }
        if (reason && (await quarantine(deps, tx, row, reason, onCommit, { notify }))) result.quarantined++;
      };
      for (const t of remote) {
        const cols = catalogueColumns(t, now);
        const before = existing.get(t.id);
        if (!before) {
          const row = (await insertTemplate(tx, orgId, { wabaId: n.wabaId, metaId: t.id, ...cols }))!;
          result.created++;
          // A template Meta already moved (previous_category) or that the policy forbids starts quarantined.
          await quarantineIfNeeded(row, t.previous_category, t.category, true);
          continue;
        }
        existing.delete(t.id);
        await updateTemplate(tx, orgId, before.id, cols);
        result.updated++;
        await quarantineIfNeeded({ ...before, ...cols } as TemplateRow, before.category, t.category, false);
      }
      // What Meta no longer has: kept, marked inactive.
      for (const gone of existing.values()) {
        if (!gone.active) continue;
        await updateTemplate(tx, orgId, gone.id, { active: false, updatedAt: now });
        result.deactivated++;
      }
    });
  }
  deps.log.info({ orgId, ...result, errors: result.errors.length }, 'templates synced');
  return result;
}

/** Organisations with at least one active number: what the 3-hourly cron syncs. */
export async function orgsToSync(deps: Pick<TemplateDeps, 'database'>) {
  const rows = await deps.database.query<{ org_id: string }>(
    `select distinct org_id from numbers where status = 'active'`,
  );
  return rows.map((r) => r.org_id);
}
