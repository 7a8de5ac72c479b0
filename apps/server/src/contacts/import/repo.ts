import type { ContactImport, ImportCounts, ImportOptions } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { queryRows } from '../../db/tx.ts';
import type { BadRow, GoodRow } from './plan.ts';
import type { FileInspection } from './read-file.ts';

/**
 * Every statement of contact imports: their records (`contact_imports`, `contact_import_rejects`) and
 * the batch writes an import makes to contacts and their tags. Tenant statements take `orgId` first;
 * the purge of stale uploads is a sweep of the whole install.
 */

/** What the reader saw of the file, kept with the import (jsonb). */
export type Inspection = Pick<
  FileInspection,
  'encoding' | 'headers' | 'sampleRows' | 'totalRows' | 'warnings' | 'headerRowNumber'
>;

export type ImportPurpose = 'contacts' | 'campaign';

export interface ImportRow {
  id: string;
  org_id: string;
  created_by: string | null;
  filename: string;
  path: string | null;
  format: 'csv' | 'xlsx';
  inspection: Inspection;
  state: ContactImport['state'];
  options: unknown;
  total_rows: number;
  processed: number;
  counts: ImportCounts | null;
  error: string | null;
  created_at: string | Date;
  finished_at: string | Date | null;
}

// ---- The import's record ---------------------------------------------------------------------

export async function findImport(
  tx: Db | Tx,
  orgId: string,
  id: string,
  purpose: ImportPurpose,
): Promise<ImportRow | undefined> {
  const [row] = await queryRows<ImportRow>(
    tx,
    sql`select * from contact_imports where org_id = ${orgId} and id = ${id} and purpose = ${purpose}`,
  );
  return row;
}

export async function insertImport(
  db: Db,
  orgId: string,
  i: {
    id: string;
    createdBy: string;
    filename: string;
    path: string;
    format: 'csv' | 'xlsx';
    inspection: Inspection;
    purpose: ImportPurpose;
  },
) {
  await db.execute(
    sql`insert into contact_imports (id, org_id, created_by, filename, path, format, inspection, total_rows, purpose)
        values (${i.id}, ${orgId}, ${i.createdBy}, ${i.filename}, ${i.path}, ${i.format},
                ${JSON.stringify(i.inspection)}::jsonb, ${i.inspection.totalRows}, ${i.purpose})`,
  );
}

/** Confirms an uploaded import with its options; false when it was confirmed already. */
export async function queueImport(tx: Tx, orgId: string, id: string, options: ImportOptions) {
  const [claimed] = await queryRows<{ id: string }>(
    tx,
    sql`update contact_imports set state = 'queued', options = ${JSON.stringify(options)}::jsonb, updated_at = now()
        where org_id = ${orgId} and id = ${id} and state = 'uploaded' returning id`,
  );
  return Boolean(claimed);
}

export async function listImports(db: Db, orgId: string) {
  return queryRows<ImportRow & { has_rejects: boolean }>(
    db,
    sql`select i.*, exists (select 1 from contact_import_rejects r where r.import_id = i.id) as has_rejects
        from contact_imports i where i.org_id = ${orgId} and i.purpose = 'contacts'
        order by i.created_at desc limit 50`,
  );
}

/** Marks a queued (or retried) import running; undefined when it is neither. */
export async function startImport(db: Db, orgId: string, id: string): Promise<ImportRow | undefined> {
  const [imp] = await queryRows<ImportRow>(
    db,
    sql`update contact_imports set state = 'running', processed = 0, updated_at = now()
        where org_id = ${orgId} and id = ${id} and state in ('queued', 'running') returning *`,
  );
  return imp;
}

/**
 * One attempt at a time, for the transaction's life: false when another attempt holds the import
 * (the lock dies with that attempt's connection if it crashes).
 */
export async function lockImport(tx: Tx, id: string) {
  const [lock] = await queryRows<{ ok: boolean }>(
    tx,
    sql`select pg_try_advisory_xact_lock(hashtextextended(${`contact_import:${id}`}, 0)) as ok`,
  );
  return Boolean(lock?.ok);
}

export async function stateOfImport(tx: Tx, orgId: string, id: string) {
  const [row] = await queryRows<{ state: string }>(
    tx,
    sql`select state from contact_imports where org_id = ${orgId} and id = ${id}`,
  );
  return row?.state;
}

export async function setImportProgress(db: Db, orgId: string, id: string, processed: number) {
  await db.execute(
    sql`update contact_imports set processed = ${processed}, updated_at = now()
        where org_id = ${orgId} and id = ${id} and state = 'running'`,
  );
}

export async function completeImport(tx: Tx, orgId: string, id: string, counts: ImportCounts) {
  await tx.execute(
    sql`update contact_imports set state = 'completed', counts = ${JSON.stringify(counts)}::jsonb,
               processed = ${counts.total}, total_rows = ${counts.total}, finished_at = now(), updated_at = now(), path = null
          where org_id = ${orgId} and id = ${id}`,
  );
}

/** Fails an import still running (one another attempt completed meanwhile stays completed); true if it did. */
export async function failImport(db: Db, orgId: string, id: string, error: string) {
  const failed = await queryRows<{ id: string }>(
    db,
    sql`update contact_imports set state = 'failed', error = ${error},
               finished_at = now(), updated_at = now(), path = null
        where org_id = ${orgId} and id = ${id} and state = 'running' returning id`,
  );
  return failed.length > 0;
}

export async function deleteImport(db: Db, orgId: string, id: string) {
  await db.execute(sql`delete from contact_imports where org_id = ${orgId} and id = ${id}`);
}

/**
 * Forgets the files of imports left unconfirmed (or never run) for more than `hours`: those become
 * failed, finished ones keep their state. Returns the paths to delete.
 */
export async function releaseStaleImports(db: Db, hours: number) {
  return queryRows<{ id: string; path: string }>(
    db,
    sql`with stale as (
          select id, path from contact_imports
           where path is not null and state in ('uploaded', 'queued', 'completed', 'failed')
             and updated_at < now() - make_interval(hours => ${hours})
           for update skip locked)
        update contact_imports i set path = null,
               state = case when i.state in ('uploaded', 'queued') then 'failed' else i.state end,
               error = case when i.state in ('uploaded', 'queued') then ${`Not imported within ${hours} hours; the file was deleted.`} else i.error end,
               finished_at = coalesce(i.finished_at, now()), updated_at = now()
          from stale where i.id = stale.id
        returning stale.id, stale.path`,
  );
}

/** A campaign's audience file that no campaign took leaves no record behind. */
export async function deleteOrphanAudienceFiles(db: Db) {
  await db.execute(sql`delete from contact_imports where purpose = 'campaign' and path is null`);
}

// ---- Rejected rows ---------------------------------------------------------------------------

export async function hasRejects(db: Db, orgId: string, importId: string) {
  const [r] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from (select 1 from contact_import_rejects
        where org_id = ${orgId} and import_id = ${importId} limit 1) x`,
  );
  return (r?.n ?? 0) > 0;
}

/** The next page of the reject report, by row number. */
export async function rejectsAfter(db: Db, orgId: string, importId: string, after: number, limit: number) {
  return queryRows<{ row_number: number; value: string; reason: string }>(
    db,
    sql`select row_number, value, reason from contact_import_rejects
        where org_id = ${orgId} and import_id = ${importId} and row_number > ${after}
        order by row_number limit ${limit}`,
  );
}

/** A retried import reports only its own rejects. */
export async function clearRejects(tx: Tx, orgId: string, importId: string) {
  await tx.execute(
    sql`delete from contact_import_rejects where org_id = ${orgId} and import_id = ${importId}`,
  );
}

export async function insertRejects(tx: Tx, orgId: string, importId: string, bad: BadRow[]) {
  if (!bad.length) return;
  await tx.execute(
    sql`insert into contact_import_rejects (import_id, org_id, row_number, value, reason)
        select ${importId}, ${orgId}, u.n, u.v, u.r
          from unnest(${sql.param(bad.map((r) => r.rowNumber))}::int[], ${sql.param(bad.map((r) => r.value))}::text[],
                      ${sql.param(bad.map((r) => r.reason))}::text[]) as u(n, v, r)`,
  );
}

// ---- Contacts and tags, a batch at a time ----------------------------------------------------

/** Inserts the new contacts (a phone another writer added meanwhile is left alone); returns their ids. */
export async function insertImportedContacts(tx: Tx, orgId: string, fresh: GoodRow[]) {
  return queryRows<{ id: string; wa_id: string }>(
    tx,
    sql`insert into contacts (org_id, wa_id, user_id, name, country, fields)
        select ${orgId}, u.w, case when u.w !~ '^[0-9]+$' then u.w end, u.n, u.c, u.f
          from unnest(${sql.param(fresh.map((r) => r.waId))}::text[], ${sql.param(fresh.map((r) => r.name))}::text[],
                      ${sql.param(fresh.map((r) => r.country))}::text[],
                      ${sql.param(fresh.map((r) => JSON.stringify(r.fields)))}::jsonb[]) as u(w, n, c, f)
        on conflict (org_id, wa_id) do nothing
        returning id, wa_id`,
  );
}

/**
 * Updates contacts on file: a name or fields in the file replace theirs, a country only fills a blank
 * (an empty cell never clears a value).
 */
export async function updateImportedContacts(tx: Tx, orgId: string, changed: { id: string; row: GoodRow }[]) {
  if (!changed.length) return;
  await tx.execute(
    sql`update contacts c set name = coalesce(u.n, c.name), fields = c.fields || u.f,
               country = coalesce(c.country, u.c), updated_at = now()
          from unnest(${sql.param(changed.map((c) => c.id))}::uuid[], ${sql.param(changed.map((c) => c.row.name))}::text[],
                      ${sql.param(changed.map((c) => c.row.country))}::text[],
                      ${sql.param(changed.map((c) => JSON.stringify(c.row.fields)))}::jsonb[]) as u(id, n, c, f)
         where c.org_id = ${orgId} and c.id = u.id`,
  );
}

/** A tag id per lower-cased name in `cache`, creating the missing tags (the cache lives for the whole import). */
export async function fillTagIds(tx: Tx, orgId: string, names: string[], cache: Map<string, string>) {
  const missing = [
    ...new Map(names.filter((n) => !cache.has(n.toLowerCase())).map((n) => [n.toLowerCase(), n])).values(),
  ];
  if (!missing.length) return;
  await tx.execute(
    sql`insert into tags (org_id, name) select ${orgId}, n from unnest(${sql.param(missing)}::text[]) n
        on conflict do nothing`,
  );
  const rows = await queryRows<{ id: string; key: string }>(
    tx,
    sql`select id, lower(name) as key from tags
        where org_id = ${orgId} and lower(name) = any(${sql.param(missing.map((m) => m.toLowerCase()))}::text[])`,
  );
  for (const r of rows) cache.set(r.key, r.id);
}

export async function tagContacts(tx: Tx, orgId: string, pairs: readonly (readonly [string, string])[]) {
  await tx.execute(
    sql`insert into contact_tags (org_id, contact_id, tag_id)
        select ${orgId}, u.c, u.t
          from unnest(${sql.param(pairs.map((p) => p[0]))}::uuid[], ${sql.param(pairs.map((p) => p[1]))}::uuid[]) as u(c, t)
        on conflict do nothing`,
  );
}

/**
 * The planner knows nothing of the rows a transaction added: without fresh statistics it scans every
 * contact of the org for each batch (quadratic). ANALYZE sees the transaction's own rows.
 */
export async function analyzeImportedTables(tx: Tx) {
  await tx.execute(sql`analyze contacts, contact_tags, opt_in_events`);
}
