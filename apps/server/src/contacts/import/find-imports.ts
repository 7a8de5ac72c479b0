import { type ContactImport, ImportOptions } from '@openwaba/contracts';
import type { AuthContext } from '../../auth/context.ts';
import type { Db, Tx } from '../../db/client.ts';
import { csvLine } from '../../lib/csv-safe.ts';
import { notFound } from '../../lib/errors.ts';
import type { ImportDeps } from './deps.ts';
import { BATCH } from './import-reader.ts';
import { findImport, hasRejects, type ImportRow, listImports, rejectsAfter } from './repo.ts';

const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());

/** A contact import of the organisation, or NOT_FOUND. */
export async function importOf(tx: Db | Tx, orgId: string, id: string): Promise<ImportRow> {
  const row = await findImport(tx, orgId, id, 'contacts');
  if (!row) throw notFound('Import');
  return row;
}

/** The import as the API shows it; `liveProcessed` is the progress of a run in this process. */
export function toImport(r: ImportRow, hasRejects: boolean, liveProcessed = 0): ContactImport {
  const options = r.options ? ImportOptions.safeParse(r.options) : undefined;
  return {
    id: r.id,
    filename: r.filename,
    format: r.format,
    state: r.state,
    options: options?.success ? options.data : null,
    total_rows: r.total_rows,
    processed: Math.max(r.processed, liveProcessed),
    counts: r.counts,
    error: r.error,
    has_rejects: hasRejects,
    created_by: r.created_by,
    created_at: iso(r.created_at)!,
    finished_at: iso(r.finished_at),
  };
}

export async function getImport(
  deps: Pick<ImportDeps, 'db' | 'live'>,
  ctx: Pick<AuthContext, 'orgId'>,
  id: string,
): Promise<ContactImport> {
  const row = await importOf(deps.db, ctx.orgId, id);
  return toImport(row, await hasRejects(deps.db, ctx.orgId, id), deps.live.get(row.id));
}

export async function findImports(
  deps: Pick<ImportDeps, 'db' | 'live'>,
  ctx: Pick<AuthContext, 'orgId'>,
): Promise<ContactImport[]> {
  const rows = await listImports(deps.db, ctx.orgId);
  return rows.map((r) => toImport(r, r.has_rejects, deps.live.get(r.id)));
}

/** The reject report: row number, value, reason — a CSV safe to open in a spreadsheet. */
export async function* rejectsCsvOf(
  deps: Pick<ImportDeps, 'db'>,
  ctx: Pick<AuthContext, 'orgId'>,
  id: string,
): AsyncGenerator<string> {
  await importOf(deps.db, ctx.orgId, id);
  yield csvLine(['row_number', 'value', 'reason']);
  let after = 0;
  for (;;) {
    const rows = await rejectsAfter(deps.db, ctx.orgId, id, after, BATCH);
    if (!rows.length) return;
    yield rows.map((r) => csvLine([r.row_number, r.value, r.reason])).join('');
    after = rows[rows.length - 1]!.row_number;
  }
}
