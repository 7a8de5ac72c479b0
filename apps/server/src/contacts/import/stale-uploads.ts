import type { ImportDeps } from './deps.ts';
import { deleteOrphanAudienceFiles, releaseStaleImports } from './repo.ts';
import { removeUpload } from './upload-path.ts';

/** Deletes the files of imports left unconfirmed (or never run) for more than `hours`; they become failed. */
export async function purgeStaleUploads(deps: Pick<ImportDeps, 'db'>, hours: number) {
  const rows = await releaseStaleImports(deps.db, Math.floor(hours));
  for (const r of rows) if (r.path) await removeUpload(r.path);
  await deleteOrphanAudienceFiles(deps.db);
  return rows.length;
}
