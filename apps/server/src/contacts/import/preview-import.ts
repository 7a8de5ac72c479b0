import type { ImportOptions, ImportPreview, PreviewRow } from '@openwaba/contracts';
import type { AuthContext } from '../../auth/context.ts';
import { AppError } from '../../lib/errors.ts';
import { readAhead } from '../../lib/read-ahead.ts';
import type { ImportDeps } from './deps.ts';
import { importOf } from './find-imports.ts';
import { batchesOf, readerOf } from './import-reader.ts';
import { countOutcome, emptyCounts, findExisting, type GoodRow, outcomeOf, toPreviewRow } from './plan.ts';
import { writeThrough } from './row-cache.ts';
import { fileOf } from './upload-path.ts';

const PREVIEW_ROWS = 20;

/** The first rows as they will be stored and the counts of the whole file; nothing is written. */
export async function previewImport(
  deps: Pick<ImportDeps, 'db' | 'fields' | 'orgs' | 'limits'>,
  ctx: AuthContext,
  id: string,
  input: ImportOptions,
): Promise<ImportPreview> {
  const { db } = deps;
  const imp = await importOf(db, ctx.orgId, id);
  if (imp.state !== 'uploaded') {
    throw new AppError('CONFLICT', `This import is already ${imp.state}; upload the file again to change it`);
  }
  const { read, key } = await readerOf(deps, ctx.orgId, imp, input);
  const counts = emptyCounts();
  const rows: PreviewRow[] = [];
  const path = fileOf(imp);
  for await (const batch of readAhead(writeThrough(path, key, batchesOf(path, read, deps.limits)))) {
    const good = batch.filter((r): r is GoodRow => r.ok);
    const existing = await findExisting(
      db,
      ctx.orgId,
      good.map((r) => r.waId),
    );
    for (const r of batch) {
      const outcome = r.ok ? outcomeOf(r, existing.get(r.waId), input.on_duplicate) : r.outcome;
      countOutcome(counts, outcome);
      if (rows.length < PREVIEW_ROWS) rows.push(toPreviewRow(r, outcome));
    }
  }
  return { rows, counts };
}
