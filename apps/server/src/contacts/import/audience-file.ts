import { notFound } from '../../lib/errors.ts';
import type { ImportDeps } from './deps.ts';
import { readRows } from './read-file.ts';
import { deleteImport, findImport } from './repo.ts';
import { fileOf, removeUpload } from './upload-path.ts';

/**
 * A campaign's audience file (uploaded with purpose `campaign`): its column names and its rows, read
 * once. `discard` deletes the file and its record — the rows live on as campaign recipients.
 */
export async function audienceFile(deps: Pick<ImportDeps, 'db' | 'limits'>, orgId: string, id: string) {
  const { db, limits } = deps;
  const imp = await findImport(db, orgId, id, 'campaign');
  if (!imp) throw notFound('Audience file');
  const path = fileOf(imp);
  return {
    filename: imp.filename,
    headers: imp.inspection.headers,
    rows: () => readRows(path, limits),
    discard: async () => {
      await deleteImport(db, orgId, id);
      await removeUpload(path);
    },
  };
}
