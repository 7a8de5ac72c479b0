import { rm } from 'node:fs/promises';
import { AppError } from '../../lib/errors.ts';
import type { ImportRow } from './repo.ts';
import { cachePathOf } from './row-cache.ts';

/** Deletes an upload and the rows its preview cached beside it. */
export const removeUpload = (path: string) =>
  Promise.all([rm(path, { force: true }), rm(cachePathOf(path), { force: true })]);

/** The upload of an import; a 409 once it is gone (imported, failed, or purged as stale). */
export function fileOf(imp: ImportRow): string {
  if (!imp.path) throw new AppError('CONFLICT', 'The uploaded file is gone; upload it again');
  return imp.path;
}
