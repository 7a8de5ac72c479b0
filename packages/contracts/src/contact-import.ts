import { z } from 'zod';
import { IsoDate, Text, Uuid } from './common.ts';
import { FieldKey } from './contacts.ts';

// ---- contact import: upload → preview → confirm → job ---------------------------------------------
//
// 1. POST /api/v1/contacts/imports?filename=… with the file as the raw body (text/csv, the XLSX type
//    or application/octet-stream) → 201 ImportUpload: what the file holds and a suggested mapping.
// 2. POST /api/v1/contacts/imports/{id}/preview with ImportOptions → ImportPreview: the first rows as
//    they will be stored and the counts of the whole file.
// 3. POST /api/v1/contacts/imports/{id}/confirm with the same options → 202 { id, state: 'queued' }.
//    A job imports every row in one transaction (all or nothing) and publishes
//    `contacts.import_progress`; GET /api/v1/contacts/imports/{id} shows the state and counts, and
//    GET …/{id}/rejects.csv the rows that were left out (row number, value, reason).
//
// GET /api/v1/contacts/export?<the contacts list's filter> → text/csv of the matching contacts.

export const IMPORT_FORMATS = ['csv', 'xlsx'] as const;
export const ImportFormat = z.enum(IMPORT_FORMATS);
export type ImportFormat = z.infer<typeof ImportFormat>;

export const IMPORT_STATES = ['uploaded', 'queued', 'running', 'completed', 'failed'] as const;
export const ImportState = z.enum(IMPORT_STATES);
export type ImportState = z.infer<typeof ImportState>;

/** A column of the file, by its header as returned in `headers` (e.g. "Mobile", or "Column C"). */
const Column = z.string().min(1, 'is required').max(200);

/** Which column feeds which contact property. Only `phone` is required. */
export const ImportMapping = z.strictObject({
  phone: Column,
  name: Column.optional(),
  /** A second name column ("Last name"), joined after `name` with a space. */
  last_name: Column.optional(),
  /** Tag names separated by commas or semicolons; missing tags are created. */
  tags: Column.optional(),
  /** Custom field key → column. Values are checked against the field's type. */
  fields: z.record(FieldKey, Column).optional(),
});
export type ImportMapping = z.infer<typeof ImportMapping>;

/** What to do with the file's rows; the same body for preview and confirm. */
export const ImportOptions = z.strictObject({
  mapping: ImportMapping,
  /** A phone already in the organisation: update its name, tags (added) and fields, or leave it as it is. */
  on_duplicate: z.enum(['update', 'skip']).default('update'),
  /** Tags added to every imported contact (created when missing). */
  add_tags: z
    .array(Text(50).pipe(z.string().min(1, 'must not be empty')))
    .max(20)
    .optional(),
  /** Records an opt-in for every imported contact (never overrides an earlier opt-out). */
  opt_in: z
    .strictObject({
      source: z.literal('import').default('import'),
      proof: Text(2000).pipe(z.string().min(1, 'is required')),
    })
    .optional(),
});
export type ImportOptions = z.infer<typeof ImportOptions>;
/** The options as sent (defaults not applied yet). */
export type ImportOptionsInput = z.input<typeof ImportOptions>;

export const ImportUploadQuery = z.strictObject({
  /** The file's name as the person chose it; shown in lists and the audit log. */
  filename: Text(255).optional(),
});
export type ImportUploadQuery = z.infer<typeof ImportUploadQuery>;

/** The answer to an upload: the file as read, before anything is mapped. */
export const ImportUpload = z.object({
  id: Uuid,
  filename: z.string(),
  format: ImportFormat,
  /** CSV only: utf-8, utf-16le, utf-16be, windows-1252 … */
  encoding: z.string().nullable(),
  /** One name per column; unnamed columns are called "Column C". Mapping values are these names. */
  headers: z.array(z.string()),
  /** The first data rows as read (at most 20). */
  sample_rows: z.array(z.array(z.string())),
  /** Data rows in the whole file. */
  total_rows: z.number().int(),
  warnings: z.array(z.string()),
  /** A mapping guessed from the headers and the organisation's custom fields; phone is null when no column looks like one. */
  suggested_mapping: z.object({
    phone: z.string().nullable(),
    name: z.string().optional(),
    last_name: z.string().optional(),
    tags: z.string().optional(),
    fields: z.record(z.string(), z.string()),
  }),
});
export type ImportUpload = z.infer<typeof ImportUpload>;

export const ROW_OUTCOMES = ['new', 'updated', 'unchanged', 'invalid', 'duplicate'] as const;
export const RowOutcome = z.enum(ROW_OUTCOMES);
export type RowOutcome = z.infer<typeof RowOutcome>;

export const ImportCounts = z.object({
  /** Data rows in the file. */
  total: z.number().int(),
  /** Contacts that will be (or were) created. */
  new: z.number().int(),
  /** Existing contacts that change. */
  updated: z.number().int(),
  /** Existing contacts left as they are (skip, or nothing differs). */
  unchanged: z.number().int(),
  /** Rows left out: bad phone or field value (see the reject report). */
  invalid: z.number().int(),
  /** Rows whose phone came earlier in the file (the first one wins). */
  duplicates: z.number().int(),
});
export type ImportCounts = z.infer<typeof ImportCounts>;

/** One row as it will be stored. */
export const PreviewRow = z.object({
  /** The row as numbered in the spreadsheet (the header is usually 1). */
  row_number: z.number().int(),
  /** E.164, or the cell as written when it is not a valid phone. */
  phone: z.string(),
  name: z.string().nullable(),
  tags: z.array(z.string()),
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  outcome: RowOutcome,
  /** Why a row is invalid or a duplicate. */
  reason: z.string().optional(),
});
export type PreviewRow = z.infer<typeof PreviewRow>;

export const ImportPreview = z.object({
  /** The first 20 data rows. */
  rows: z.array(PreviewRow),
  counts: ImportCounts,
});
export type ImportPreview = z.infer<typeof ImportPreview>;

export const ImportQueued = z.object({ id: Uuid, state: z.literal('queued') });
export type ImportQueued = z.infer<typeof ImportQueued>;

export const ContactImport = z.object({
  id: Uuid,
  filename: z.string(),
  format: ImportFormat,
  state: ImportState,
  /** Set once confirmed. */
  options: ImportOptions.nullable(),
  total_rows: z.number().int(),
  /** Rows done so far while running. */
  processed: z.number().int(),
  /** Final counts once completed (the preview's counts while queued or running). */
  counts: ImportCounts.nullable(),
  /** Why it failed: nothing was imported. */
  error: z.string().nullable(),
  /** Whether a reject report can be downloaded (invalid or duplicate rows). */
  has_rejects: z.boolean(),
  created_by: Uuid.nullable(),
  created_at: IsoDate,
  finished_at: IsoDate.nullable(),
});
export type ContactImport = z.infer<typeof ContactImport>;
export const ContactImportList = z.object({ data: z.array(ContactImport) });
export type ContactImportList = z.infer<typeof ContactImportList>;

export const ImportParams = z.object({ id: Uuid });

/** The reject report's columns (CSV, in this order). */
export const REJECT_REPORT_COLUMNS = ['row_number', 'value', 'reason'] as const;

/**
 * The export's fixed columns; every custom field follows as a column named by its key, then
 * `consent` (opted_in | opted_out | unknown) and `created_at`. Tags are joined with ", ".
 */
export const EXPORT_COLUMNS = ['phone', 'name', 'tags'] as const;
