import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImportUpload } from '@openwaba/contracts';
import type { AuthContext } from '../../auth/context.ts';
import { AppError } from '../../lib/errors.ts';
import type { ImportDeps } from './deps.ts';
import { formatBytes } from './limits.ts';
import { suggestMapping } from './mapping.ts';
import { type FileInspection, inspectFile } from './read-file.ts';
import { type ImportPurpose, type Inspection, insertImport } from './repo.ts';

export interface UploadInput {
  body: Readable;
  filename?: string | undefined;
  contentLength?: number | undefined;
}

const tooLarge = (maxBytes: number) =>
  new AppError(
    'PAYLOAD_TOO_LARGE',
    `The file is larger than ${formatBytes(maxBytes)}, the most one import takes. Split it into smaller files.`,
    { details: { reason: 'file_too_large', max_bytes: maxBytes } },
  );

/**
 * Streams the body to a file under DATA_DIR (counting bytes: a body over the limit is a 413 and
 * leaves nothing behind), reads it once to describe it, and suggests a mapping.
 */
export async function uploadFile(
  deps: Pick<ImportDeps, 'db' | 'config' | 'fields' | 'dir' | 'limits'>,
  ctx: AuthContext,
  input: UploadInput,
  purpose: ImportPurpose = 'contacts',
): Promise<ImportUpload> {
  const { db, config, fields, dir, limits } = deps;
  const maxBytes = config.IMPORT_MAX_BYTES;
  if (input.contentLength !== undefined && input.contentLength > maxBytes) throw tooLarge(maxBytes);
  await mkdir(dir, { recursive: true });
  const id = randomUUID();
  const path = join(dir, `${id}.upload`);
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(bytes > maxBytes ? tooLarge(maxBytes) : null, chunk);
    },
  });
  let inspection: FileInspection;
  try {
    await pipeline(input.body, count, createWriteStream(path));
    inspection = await inspectFile(path, limits);
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  const filename = input.filename?.trim() || `contacts.${inspection.format}`;
  const stored: Inspection = {
    ...(inspection.encoding ? { encoding: inspection.encoding } : {}),
    ...(inspection.headerRowNumber ? { headerRowNumber: inspection.headerRowNumber } : {}),
    headers: inspection.headers,
    sampleRows: inspection.sampleRows,
    totalRows: inspection.totalRows,
    warnings: inspection.warnings,
  };
  try {
    await insertImport(db, ctx.orgId, {
      id,
      createdBy: ctx.userId,
      filename,
      path,
      format: inspection.format,
      inspection: stored,
      purpose,
    });
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  const defs = await fields.list(ctx);
  return {
    id,
    filename,
    format: inspection.format,
    encoding: inspection.encoding ?? null,
    headers: inspection.headers,
    sample_rows: inspection.sampleRows,
    total_rows: inspection.totalRows,
    warnings: inspection.warnings,
    suggested_mapping: suggestMapping(inspection.headers, defs),
  };
}
