import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { templateCategoryChanges, templates } from '../db/schema.ts';
import { queryRows } from '../db/tx.ts';

/**
 * Every statement on the catalogue (`templates`) and its category history
 * (`template_category_changes`); each takes `orgId` first.
 */

export type TemplateRow = typeof templates.$inferSelect;
export type CategoryChangeSource = 'sync' | 'webhook' | 'announcement';

/** The columns a sync, a webhook or an admin may change. */
type TemplateChanges = Partial<Omit<typeof templates.$inferInsert, 'id' | 'orgId' | 'createdAt'>>;

export async function findTemplate(tx: Db | Tx, orgId: string, id: string): Promise<TemplateRow | undefined> {
  const [r] = await tx
    .select()
    .from(templates)
    .where(and(eq(templates.orgId, orgId), eq(templates.id, id)));
  return r;
}

export async function findTemplateByMetaId(tx: Db | Tx, orgId: string, wabaId: string, metaId: string) {
  const [r] = await tx
    .select()
    .from(templates)
    .where(and(eq(templates.orgId, orgId), eq(templates.wabaId, wabaId), eq(templates.metaId, metaId)));
  return r;
}

/** The catalogue of one WABA, active or not. */
export async function templatesOfWaba(tx: Db | Tx, orgId: string, wabaId: string) {
  return tx
    .select()
    .from(templates)
    .where(and(eq(templates.orgId, orgId), eq(templates.wabaId, wabaId)));
}

/** Active templates not quarantined: what a policy change re-examines. */
export async function releasedTemplates(tx: Db | Tx, orgId: string) {
  return tx
    .select()
    .from(templates)
    .where(and(eq(templates.orgId, orgId), eq(templates.quarantined, false), eq(templates.active, true)));
}

export interface TemplateFilters {
  waba_id?: string;
  status?: string;
  category?: string;
  quarantined?: 'true' | 'false';
  include_inactive?: 'true' | 'false';
  search?: string;
}

export async function listTemplates(db: Db, orgId: string, q: TemplateFilters) {
  return db
    .select()
    .from(templates)
    .where(
      and(
        eq(templates.orgId, orgId),
        q.waba_id ? eq(templates.wabaId, q.waba_id) : undefined,
        q.status ? eq(templates.status, q.status) : undefined,
        q.category ? eq(templates.category, q.category) : undefined,
        q.quarantined ? eq(templates.quarantined, q.quarantined === 'true') : undefined,
        q.include_inactive === 'true' ? undefined : eq(templates.active, true),
        q.search ? sql`${templates.name} ilike ${`%${q.search.replace(/[%_\\]/g, '\\$&')}%`}` : undefined,
      ),
    )
    .orderBy(templates.name, templates.language);
}

/** Inserts a template; undefined when the WABA's catalogue already has its Meta id. */
export async function insertTemplate(
  tx: Db | Tx,
  orgId: string,
  values: Omit<typeof templates.$inferInsert, 'orgId'>,
  o: { onConflict: 'fail' | 'ignore' } = { onConflict: 'fail' },
): Promise<TemplateRow | undefined> {
  const insert = tx.insert(templates).values({ orgId, ...values });
  const [row] = await (o.onConflict === 'ignore' ? insert.onConflictDoNothing() : insert).returning();
  return row;
}

export async function updateTemplate(tx: Db | Tx, orgId: string, id: string, set: TemplateChanges) {
  await tx
    .update(templates)
    .set(set)
    .where(and(eq(templates.orgId, orgId), eq(templates.id, id)));
}

export async function recordCategoryChange(
  tx: Db | Tx,
  orgId: string,
  c: {
    templateId: string;
    from: string;
    to: string;
    source: CategoryChangeSource;
    effectiveAt?: Date | undefined;
  },
) {
  await tx.insert(templateCategoryChanges).values({
    orgId,
    templateId: c.templateId,
    fromCategory: c.from,
    toCategory: c.to,
    source: c.source,
    effectiveAt: c.effectiveAt ?? null,
  });
}

export async function categoryChangesOf(db: Db, orgId: string, templateId: string) {
  return db
    .select()
    .from(templateCategoryChanges)
    .where(and(eq(templateCategoryChanges.orgId, orgId), eq(templateCategoryChanges.templateId, templateId)))
    .orderBy(templateCategoryChanges.id);
}

/** A template's definition, as a sent message names it: by WABA, name and language. */
export interface TemplateKey {
  wabaId: string;
  name: string;
  language: string;
}
export type TemplateDefRow = TemplateKey & { parameterFormat: string; components: unknown };

/**
 * The definitions of many templates in one statement. A name and language Meta deleted and then
 * created again has several rows: the active one wins, then the newest.
 */
export async function templateDefsByKeys(db: Db | Tx, orgId: string, keys: TemplateKey[]) {
  if (!keys.length) return [];
  return queryRows<TemplateDefRow>(
    db,
    sql`select distinct on (waba_id, name, language)
               waba_id as "wabaId", name, language, parameter_format as "parameterFormat", components
        from templates
        where org_id = ${orgId}
          and (waba_id, name, language) in (
            select * from unnest(${sql.param(keys.map((k) => k.wabaId))}::text[],
                                 ${sql.param(keys.map((k) => k.name))}::text[],
                                 ${sql.param(keys.map((k) => k.language))}::text[]))
        order by waba_id, name, language, active desc, updated_at desc`,
  );
}
