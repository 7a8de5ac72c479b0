import { join } from 'node:path';
import type { ContactImport, ImportOptions, ImportPreview, ImportUpload } from '@openwaba/contracts';
import type { AuthContext } from '../../auth/context.ts';
import type { Db, Tx } from '../../db/client.ts';
import { audienceFile } from './audience-file.ts';
import { confirmImport } from './confirm-import.ts';
import type { ContactImportServiceDeps, ImportDeps } from './deps.ts';
import { findImports, getImport, rejectsCsvOf } from './find-imports.ts';
import { readerOf } from './import-reader.ts';
import { previewImport } from './preview-import.ts';
import type { ImportPurpose, ImportRow } from './repo.ts';
import { runImport } from './run-import.ts';
import { purgeStaleUploads } from './stale-uploads.ts';
import { type UploadInput, uploadFile } from './upload-file.ts';

/**
 * Contact files: uploaded to a temporary file (never held in memory), previewed with the counts of the
 * whole file, then imported by the `contacts.import-file` job in one transaction — all or nothing —
 * with the rejected rows kept for a report.
 *
 * One use case per file: `upload-file.ts`, `preview-import.ts`, `confirm-import.ts`, `run-import.ts`
 * (with `write-batch.ts`), `find-imports.ts` (the list, one import, the reject report),
 * `stale-uploads.ts`, `audience-file.ts` (a campaign's file); every statement in `repo.ts`.
 */
export function createContactImportService(deps: ContactImportServiceDeps) {
  const d: ImportDeps = {
    ...deps,
    dir: join(deps.config.DATA_DIR, 'imports'),
    limits: { maxBytes: deps.config.IMPORT_MAX_BYTES, maxRows: deps.config.IMPORT_MAX_ROWS },
    live: new Map(),
  };
  return {
    upload: (ctx: AuthContext, input: UploadInput, purpose?: ImportPurpose): Promise<ImportUpload> =>
      uploadFile(d, ctx, input, purpose),
    preview: (ctx: AuthContext, id: string, input: ImportOptions): Promise<ImportPreview> =>
      previewImport(d, ctx, id, input),
    confirm: (ctx: AuthContext, id: string, input: ImportOptions, o?: { schedule?: boolean }) =>
      confirmImport(d, ctx, id, input, o),
    get: (ctx: Pick<AuthContext, 'orgId'>, id: string): Promise<ContactImport> => getImport(d, ctx, id),
    list: (ctx: Pick<AuthContext, 'orgId'>): Promise<ContactImport[]> => findImports(d, ctx),
    rejectsCsv: (ctx: Pick<AuthContext, 'orgId'>, id: string): AsyncGenerator<string> =>
      rejectsCsvOf(d, ctx, id),
    run: (
      orgId: string,
      id: string,
      onProgress?: (processed: number, total: number) => void,
    ): Promise<ContactImport> => runImport(d, orgId, id, onProgress),
    purgeStale: (hours: number) => purgeStaleUploads(d, hours),
    readerOf: (orgId: string, imp: ImportRow, options: ImportOptions, tx?: Db | Tx) =>
      readerOf(d, orgId, imp, options, tx),
    audienceFile: (orgId: string, id: string) => audienceFile(d, orgId, id),
  };
}
export type ContactImportService = ReturnType<typeof createContactImportService>;
