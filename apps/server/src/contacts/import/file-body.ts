import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.ts';

/** What an upload may be sent as; the reader decides CSV or XLSX from the bytes, not the type. */
export const FILE_TYPES = [
  'text/csv',
  'application/csv',
  'text/plain',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/octet-stream',
];

/**
 * Lets the plugin's routes take a CSV/XLSX file as the raw request body, streamed (never buffered
 * whole) up to `maxBytes`. Scoped to the calling plugin: other routes keep Fastify's own parsers.
 */
export function acceptFileBodies(app: FastifyInstance, maxBytes: number) {
  app.removeContentTypeParser(['text/plain']);
  app.addContentTypeParser(FILE_TYPES, { bodyLimit: maxBytes }, (_req, payload, done) => done(null, payload));
}

/** The uploaded file of a request accepted by `acceptFileBodies`; JSON (or any parsed body) is a 415. */
export function fileUploadOf(req: FastifyRequest, filename: string | undefined) {
  if (!(req.body instanceof Readable)) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the file itself as the request body (Content-Type text/csv or the XLSX type), not JSON',
    );
  }
  const length = Number(req.headers['content-length']);
  return { body: req.body, filename, contentLength: Number.isFinite(length) ? length : undefined };
}
