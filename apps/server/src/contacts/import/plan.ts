import type { ImportCounts, ImportOptions, PreviewRow, RowOutcome } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { queryRows } from '../../db/tx.ts';
import { isBsuid } from '../../lib/address.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { coerceFieldValue, type FieldDef, type StoredValue } from '../fields.ts';
import type { ColumnIndexes } from './mapping.ts';
import type { SheetRow } from './rows.ts';

/** A row that can be stored, read and checked. */
export interface GoodRow {
  ok: true;
  rowNumber: number;
  /** The contact's address: phone digits, or a BSUID (a customer known by their username). */
  waId: string;
  /** E.164, or the BSUID as written. */
  e164: string;
  country: string | null;
  name: string | null;
  /** Tag names as written (deduplicated regardless of case), the file's and `add_tags`. */
  tags: string[];
  fields: Record<string, StoredValue>;
}
/** A row left out, with what a person needs to fix it. */
export interface BadRow {
  ok: false;
  rowNumber: number;
  /** The phone cell as written (or the offending cell), for the reject report. */
  value: string;
  reason: string;
  outcome: 'invalid' | 'duplicate';
}
export type ReadRow = GoodRow | BadRow;

export type RowReader = (row: SheetRow) => ReadRow;

/**
 * Turns sheet rows into contacts: the phone normalised in the organisation's region and allowed
 * countries, the name, tags split on commas and semicolons, every mapped field checked against its
 * type. A phone seen earlier in the file makes the row a duplicate (the first one wins). An empty cell
 * sets nothing: an import never clears a value.
 */
export function createRowReader(opts: {
  columns: ColumnIndexes;
  defs: Map<string, FieldDef>;
  region: string;
  allowedCountries: readonly string[];
  addTags: readonly string[];
}): RowReader {
  const { columns, defs } = opts;
  const seen = new Map<string, number>();
  const fieldCols = columns.fields.map(([key, index]) => ({ key, index, def: defs.get(key) }));
  return (row) => {
    const cell = (i: number | undefined) => (i === undefined ? '' : (row.cells[i] ?? '').trim());
    const rawPhone = cell(columns.phone);
    const bad = (reason: string, value = rawPhone, outcome: BadRow['outcome'] = 'invalid'): BadRow => ({
      ok: false,
      rowNumber: row.rowNumber,
      value,
      reason,
      outcome,
    });
    // A business-scoped user id in the phone column stands for a customer known by their username.
    const phone = isBsuid(rawPhone)
      ? ({ ok: true, waId: rawPhone, e164: rawPhone, country: null } as const)
      : normalizePhone(rawPhone, {
          defaultRegion: opts.region,
          allowedCountries: opts.allowedCountries,
        });
    if (!phone.ok) return bad(`phone: ${phone.reason}`);
    const name = [cell(columns.name), cell(columns.lastName)].filter(Boolean).join(' ');
    if (name.length > 200) return bad('name: longer than 200 characters', name);
    const fields: Record<string, StoredValue> = {};
    for (const f of fieldCols) {
      const raw = cell(f.index);
      if (raw === '') continue;
      if (!f.def) return bad(`no custom field has the key "${f.key}"`, raw);
      const r = coerceFieldValue(f.def, raw);
      if (!r.ok) return bad(`${f.key}: ${r.message}`, raw);
      fields[f.key] = r.value;
    }
    const tags = new Map<string, string>();
    for (const t of [...cell(columns.tags).split(/[,;]/), ...opts.addTags]) {
      const tag = t.trim();
      if (!tag) continue;
      if (tag.length > 50) return bad('tags: a tag is longer than 50 characters', tag);
      if (!tags.has(tag.toLowerCase())) tags.set(tag.toLowerCase(), tag);
    }
    const first = seen.get(phone.waId);
    if (first !== undefined) {
      return bad(`duplicate: the same phone as row ${first}`, rawPhone, 'duplicate');
    }
    seen.set(phone.waId, row.rowNumber);
    return {
      ok: true,
      rowNumber: row.rowNumber,
      waId: phone.waId,
      e164: phone.e164,
      country: phone.country,
      name: name || null,
      tags: [...tags.values()],
      fields,
    };
  };
}

export interface Existing {
  id: string;
  name: string | null;
  fields: Record<string, StoredValue>;
  /** Tag names, lower case. */
  tags: Set<string>;
}

/** The contacts of the organisation among these phones (or BSUIDs), with what an import could change. */
export async function findExisting(tx: Db | Tx, orgId: string, waIds: string[]) {
  const rows = await queryRows<{
    id: string;
    wa_id: string;
    name: string | null;
    fields: Record<string, StoredValue> | null;
    tags: string[] | null;
  }>(
    tx,
    // One index probe per phone (a lateral join that `limit 1` keeps from being flattened): with
    // `wa_id = any(array)` or a plain join the planner, misled by the
    // statistics of a table the import's own transaction is filling, scans every contact of the org.
    // A BSUID finds its contact by user id too (a customer whose phone is known since).
    sql`select c.id, w.wa_id, c.name, c.fields,
               (select array_agg(lower(t.name)) from contact_tags ct join tags t on t.id = ct.tag_id
                 where ct.contact_id = c.id) as tags
          from unnest(${sql.param(waIds)}::text[]) w(wa_id)
          cross join lateral (select * from contacts x where x.org_id = ${orgId} and x.wa_id = w.wa_id
            union all select * from contacts x where x.org_id = ${orgId} and x.user_id = w.wa_id limit 1) c`,
  );
  return new Map<string, Existing>(
    rows.map((r) => [
      r.wa_id,
      { id: r.id, name: r.name, fields: r.fields ?? {}, tags: new Set(r.tags ?? []) },
    ]),
  );
}

/** What importing the row does to the contact that has its phone (if any). */
export function outcomeOf(
  row: GoodRow,
  existing: Existing | undefined,
  onDuplicate: ImportOptions['on_duplicate'],
): RowOutcome {
  if (!existing) return 'new';
  if (onDuplicate === 'skip') return 'unchanged';
  if (row.name !== null && row.name !== existing.name) return 'updated';
  for (const [k, v] of Object.entries(row.fields)) if (existing.fields[k] !== v) return 'updated';
  for (const t of row.tags) if (!existing.tags.has(t.toLowerCase())) return 'updated';
  return 'unchanged';
}

export const emptyCounts = (): ImportCounts => ({
  total: 0,
  new: 0,
  updated: 0,
  unchanged: 0,
  invalid: 0,
  duplicates: 0,
});

export function countOutcome(counts: ImportCounts, outcome: RowOutcome) {
  counts.total++;
  if (outcome === 'duplicate') counts.duplicates++;
  else counts[outcome]++;
}

export function toPreviewRow(r: ReadRow, outcome: RowOutcome): PreviewRow {
  if (!r.ok) {
    return {
      row_number: r.rowNumber,
      phone: r.value,
      name: null,
      tags: [],
      fields: {},
      outcome,
      reason: r.reason,
    };
  }
  return {
    row_number: r.rowNumber,
    phone: r.e164,
    name: r.name,
    tags: r.tags,
    fields: r.fields,
    outcome,
  };
}
