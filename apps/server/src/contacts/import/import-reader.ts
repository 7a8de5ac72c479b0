import type { ImportOptions, OrgSettings } from '@openwaba/contracts';
import type { Db, Tx } from '../../db/client.ts';
import { AppError } from '../../lib/errors.ts';
import type { FieldDef } from '../fields.ts';
import type { ImportDeps } from './deps.ts';
import type { ImportLimits } from './limits.ts';
import { type ColumnIndexes, resolveColumns } from './mapping.ts';
import { createRowReader, type ReadRow, type RowReader } from './plan.ts';
import { readRows } from './read-file.ts';
import type { ImportRow } from './repo.ts';

/** Rows per statement: big enough to amortise round trips, small enough for bounded memory. */
export const BATCH = 2500;

/** An unknown custom field key in the mapping is a 400 naming every one. */
export function assertFieldsKnown(columns: ColumnIndexes, defs: Map<string, FieldDef>) {
  const unknown = columns.fields.filter(([key]) => !defs.has(key));
  if (!unknown.length) return;
  const issues = unknown.map(([key]) => ({
    path: ['mapping', 'fields', key],
    message: `no custom field has the key "${key}"`,
  }));
  throw new AppError('VALIDATION_FAILED', issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), {
    details: issues,
  });
}

/**
 * The row reader for these columns, and the cache key of everything reading depends on: the
 * preview's cached rows serve an import with the same key.
 */
export function readerSetup(
  columns: ColumnIndexes,
  options: ImportOptions,
  defs: Map<string, FieldDef>,
  settings: Pick<OrgSettings, 'default_region' | 'allowed_countries'>,
): { read: RowReader; key: string } {
  const setup = {
    // In key order: options come back from jsonb with their keys reordered, and the first failing
    // field names a row's reason, so the order must not depend on how the options were stored.
    columns: { ...columns, fields: columns.fields.toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) },
    defs,
    region: settings.default_region,
    allowedCountries: settings.allowed_countries,
    addTags: options.add_tags ?? [],
  };
  const key = JSON.stringify({
    ...setup,
    defs: [...defs.values()].sort((a, b) => (a.key < b.key ? -1 : 1)),
  });
  return { read: createRowReader(setup), key };
}

/** How rows of this import are read: the mapping checked against its headers and the org's fields. */
export async function readerOf(
  deps: Pick<ImportDeps, 'db' | 'fields' | 'orgs'>,
  orgId: string,
  imp: ImportRow,
  options: ImportOptions,
  tx: Db | Tx = deps.db,
) {
  const columns = resolveColumns(imp.inspection.headers, options.mapping);
  const defs = await deps.fields.definitions(tx, orgId);
  assertFieldsKnown(columns, defs);
  const { settings } = await deps.orgs.getOrg({ orgId });
  return readerSetup(columns, options, defs, settings);
}

/** The file's rows, read and checked, a batch at a time. */
export async function* batchesOf(
  path: string,
  read: (row: { rowNumber: number; cells: string[] }) => ReadRow,
  limits: Partial<ImportLimits>,
) {
  let batch: ReadRow[] = [];
  for await (const row of readRows(path, limits)) {
    batch.push(read(row));
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}
