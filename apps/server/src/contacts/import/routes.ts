import { Readable } from 'node:stream';
import {
  ContactImport,
  ContactImportList,
  ContactQuery,
  ImportOptions,
  ImportParams,
  ImportPreview,
  ImportQueued,
  ImportUpload,
  ImportUploadQuery,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { authOf } from '../../lib/http.ts';
import type { ContactExport } from '../export.ts';
import { acceptFileBodies, FILE_TYPES, fileUploadOf } from './file-body.ts';
import type { ContactImportService } from './service.ts';

export const contactImportRoutes =
  (deps: {
    imports: ContactImportService;
    exporter: ContactExport;
    maxBytes: number;
  }): FastifyPluginAsyncZod =>
  async (app) => {
    const { imports, exporter } = deps;
    const tags = ['contacts'];
    acceptFileBodies(app, deps.maxBytes);

    app.post(
      '/api/v1/contacts/imports',
      {
        config: { access: 'contacts.import' },
        bodyLimit: deps.maxBytes,
        schema: {
          tags,
          summary:
            'Upload a CSV or XLSX file as the raw body (?filename=): what it holds and a suggested mapping. Over IMPORT_MAX_BYTES is 413.',
          querystring: ImportUploadQuery,
          consumes: FILE_TYPES,
          response: { 201: ImportUpload },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await imports.upload(authOf(req), fileUploadOf(req, req.query.filename))),
    );
    app.get(
      '/api/v1/contacts/imports',
      {
        config: { access: 'contacts.import' },
        schema: { tags, summary: 'The latest imports, newest first', response: { 200: ContactImportList } },
      },
      async (req) => ({ data: await imports.list(authOf(req)) }),
    );
    app.post(
      '/api/v1/contacts/imports/:id/preview',
      {
        config: { access: 'contacts.import' },
        schema: {
          tags,
          summary:
            'The first 20 rows as they will be stored and the counts of the whole file (new, updated, unchanged, invalid, duplicates); writes nothing',
          params: ImportParams,
          body: ImportOptions,
          response: { 200: ImportPreview },
        },
      },
      async (req) => imports.preview(authOf(req), req.params.id, req.body),
    );
    app.post(
      '/api/v1/contacts/imports/:id/confirm',
      {
        config: { access: 'contacts.import' },
        schema: {
          tags,
          summary:
            'Import with these options: a job does it all or nothing, publishing contacts.import_progress',
          params: ImportParams,
          body: ImportOptions,
          response: { 202: ImportQueued },
        },
      },
      async (req, reply) => reply.code(202).send(await imports.confirm(authOf(req), req.params.id, req.body)),
    );
    app.get(
      '/api/v1/contacts/imports/:id',
      {
        // The wizard polls it while an import runs.
        config: { access: 'contacts.import', requestLog: 'debug' },
        schema: {
          tags,
          summary: 'An import: state, progress, counts, error',
          params: ImportParams,
          response: { 200: ContactImport },
        },
      },
      async (req) => imports.get(authOf(req), req.params.id),
    );
    app.get(
      '/api/v1/contacts/imports/:id/rejects.csv',
      {
        config: { access: 'contacts.import' },
        schema: {
          tags,
          summary: 'The rows left out (row_number, value, reason) as CSV, safe to open in a spreadsheet',
          params: ImportParams,
          produces: ['text/csv'],
        },
      },
      async (req, reply) => {
        const lines = imports.rejectsCsv(authOf(req), req.params.id);
        // Reads the first chunk now, so an unknown import is a 404 rather than a broken download.
        const first = await lines.next();
        reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="import-${req.params.id}-rejects.csv"`);
        return reply.send(
          Readable.from(
            (async function* () {
              if (!first.done) yield first.value;
              yield* lines;
            })(),
          ),
        );
      },
    );
    app.get(
      '/api/v1/contacts/export',
      {
        config: { access: 'contacts.manage' },
        schema: {
          tags,
          summary:
            'Contacts as CSV (phone, name, tags, every custom field, consent, created_at) with the list’s filters; formula-safe',
          querystring: ContactQuery.omit({ cursor: true, limit: true, with_total: true }),
          produces: ['text/csv'],
        },
      },
      async (req, reply) => {
        const rows = await exporter.csv(authOf(req), req.query);
        const stamp = new Date().toISOString().slice(0, 10);
        reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="contacts-${stamp}.csv"`);
        return reply.send(Readable.from(rows));
      },
    );
  };
