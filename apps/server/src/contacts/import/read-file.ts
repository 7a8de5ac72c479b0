import { readCsvRows } from './csv-rows.ts';
import { fileError } from './file-error.ts';
import { formatCount, type ImportLimits, resolveLimits } from './limits.ts';
import { columnLetter, isBlankRow, type SheetRow } from './rows.ts';
import { sniffFile, type TextEncodingName } from './sniff.ts';
import { readXlsxRows, type XlsxStats } from './xlsx-rows.ts';
import { guardWorkbook } from './zip-guard.ts';

export type { ImportLimits } from './limits.ts';
export { DEFAULT_IMPORT_LIMITS } from './limits.ts';
export type { SheetRow } from './rows.ts';
export type { TextEncodingName } from './sniff.ts';

export type FileFormat = 'csv' | 'xlsx';

export type ReadOptions = {
  /** The first non-empty row names the columns (the default). When false it is data like the rest. */
  firstRowIsHeader?: boolean;
};

/** What the import wizard shows before anything is mapped. */
export type FileInspection = {
  format: FileFormat;
  /** CSV only. */
  encoding?: TextEncodingName;
  bom?: boolean;
  delimiter?: string;
  /** XLSX only: the worksheet that is read (the first visible one). */
  sheetName?: string;
  /** The row holding the column names; absent when the first row is data. */
  headerRowNumber?: number;
  /** One name per column, as wide as the widest row; unnamed columns are called "Column C". */
  headers: string[];
  /** Whether the first non-empty row reads like column names rather than a contact. */
  looksLikeHeader: boolean;
  /** The first data rows, as read. */
  sampleRows: string[][];
  /** Data rows in the whole file (empty rows not counted). */
  totalRows: number;
  emptyRows: number;
  warnings: string[];
};

const SAMPLE_ROWS = 20;

/**
 * Reads the whole file once (streaming) and describes it for the preview. Every problem — too big,
 * empty, not a spreadsheet, a zip bomb, a cell too long, too many rows — is an AppError with a message
 * for a person and `details.reason`.
 *
 * @example
 * const info = await inspectFile(upload.path, { maxRows: config.IMPORT_MAX_ROWS });
 * // { format: 'csv', encoding: 'utf-8', delimiter: ';', headers: ['Name', 'Phone'], totalRows: 1204, … }
 */
export async function inspectFile(
  path: string,
  limits: Partial<ImportLimits> = {},
  options: ReadOptions = {},
): Promise<FileInspection> {
  const resolved = resolveLimits(limits);
  const firstRowIsHeader = options.firstRowIsHeader ?? true;
  const source = await openSource(path, resolved);
  let header: SheetRow | undefined;
  let firstRow: SheetRow | undefined;
  const sampleRows: string[][] = [];
  let totalRows = 0;
  let emptyRows = 0;
  let width = 0;
  for await (const { kind, row } of walkTable(source, resolved, firstRowIsHeader)) {
    if (kind === 'empty') {
      emptyRows++;
      continue;
    }
    firstRow ??= row;
    width = Math.max(width, row.cells.length);
    if (kind === 'header') {
      header = row;
      continue;
    }
    totalRows++;
    if (sampleRows.length < SAMPLE_ROWS) sampleRows.push(row.cells);
  }

  const names = Array.from({ length: width }, (_, i) => header?.cells[i]?.trim() ?? '');
  const headers = names.map((n, i) => n || `Column ${columnLetter(i)}`);
  const looksLikeHeader = firstRow ? looksLikeHeaderRow(firstRow.cells) : false;

  const warnings = [...source.warnings];
  if (source.stats.formulaCells > 0) {
    warnings.push(
      `${plural(source.stats.formulaCells, 'cell holds a formula', 'cells hold formulas')}; the value Excel last calculated is used.`,
    );
  }
  if (header) {
    if (!looksLikeHeader) {
      warnings.push(
        `The first row (row ${formatCount(header.rowNumber)}) looks like a contact, not column names. If it is data, import it as data.`,
      );
    }
    const unnamed = names.flatMap((n, i) => (n ? [] : [columnLetter(i)]));
    if (unnamed.length > 0) {
      const [noun, verb] = unnamed.length === 1 ? ['Column', 'has'] : ['Columns', 'have'];
      warnings.push(`${noun} ${unnamed.join(', ')} ${verb} no name in the header row.`);
    }
    for (const [name, columns] of duplicates(names)) {
      warnings.push(`More than one column is called “${name}” (${columns.join(', ')}).`);
    }
  }
  if (emptyRows > 0) warnings.push(`${plural(emptyRows, 'empty row')} will be skipped.`);

  return {
    format: source.format,
    ...source.meta,
    ...(header ? { headerRowNumber: header.rowNumber } : {}),
    headers,
    looksLikeHeader,
    sampleRows,
    totalRows,
    emptyRows,
    warnings,
  };
}

/**
 * The data rows of the file, one at a time: the header row (unless `firstRowIsHeader: false`) and empty
 * rows are skipped, `rowNumber` is what a person sees in Excel. Memory stays bounded whatever the file
 * size; stopping early (break) closes the file. Throws the same errors as `inspectFile`, possibly after
 * some rows were yielded (a limit is only known to be crossed when it is reached).
 *
 * @example
 * for await (const { rowNumber, cells } of readRows(upload.path, limits)) {
 *   const phone = cells[mapping.phone] ?? '';
 * }
 */
export async function* readRows(
  path: string,
  limits: Partial<ImportLimits> = {},
  options: ReadOptions = {},
): AsyncGenerator<SheetRow> {
  const resolved = resolveLimits(limits);
  const source = await openSource(path, resolved);
  for await (const { kind, row } of walkTable(source, resolved, options.firstRowIsHeader ?? true)) {
    if (kind === 'data') yield row;
  }
}

type Source = {
  format: FileFormat;
  meta: Pick<FileInspection, 'encoding' | 'bom' | 'delimiter' | 'sheetName'>;
  warnings: string[];
  stats: XlsxStats;
  /** Names the sheet in "is empty" messages. */
  emptyMessage: string;
  rows: AsyncGenerator<SheetRow>;
};

async function openSource(path: string, limits: ImportLimits): Promise<Source> {
  const sniffed = await sniffFile(path, limits);
  const stats: XlsxStats = { formulaCells: 0 };
  if (sniffed.format === 'xlsx') {
    const workbook = await guardWorkbook(path, sniffed.size, limits);
    return {
      format: 'xlsx',
      meta: { sheetName: workbook.sheetName },
      warnings: workbook.warnings,
      stats,
      emptyMessage: `The worksheet “${workbook.sheetName}” is empty`,
      rows: readXlsxRows(workbook, limits, stats),
    };
  }
  return {
    format: 'csv',
    meta: { encoding: sniffed.encoding, bom: sniffed.bom, delimiter: sniffed.delimiter },
    warnings: sniffed.warnings,
    stats,
    emptyMessage: 'The file is empty',
    rows: readCsvRows(path, sniffed, limits),
  };
}

type TableEvent = { kind: 'header' | 'data' | 'empty'; row: SheetRow };

/** Splits rows into header, data and empty, enforcing the row limits and that there is data at all. */
async function* walkTable(
  source: Source,
  limits: ImportLimits,
  firstRowIsHeader: boolean,
): AsyncGenerator<TableEvent> {
  let header: SheetRow | undefined;
  let data = 0;
  let empty = 0;
  for await (const row of source.rows) {
    if (isBlankRow(row)) {
      // Empty rows cost time too: a file of nothing but line breaks is still refused quickly.
      if (++empty > limits.maxRows) {
        throw fileError(
          'too_many_rows',
          `The file has more than ${formatCount(limits.maxRows)} empty rows. Delete them and upload it again.`,
          row.rowNumber,
        );
      }
      yield { kind: 'empty', row };
      continue;
    }
    if (firstRowIsHeader && !header) {
      header = row;
      yield { kind: 'header', row };
      continue;
    }
    if (++data > limits.maxRows) {
      throw fileError(
        'too_many_rows',
        `The file has more than ${formatCount(limits.maxRows)} rows, the most one import takes. Split it into smaller files.`,
        row.rowNumber,
      );
    }
    yield { kind: 'data', row };
  }
  if (data === 0) {
    if (header) throw fileError('no_data_rows', 'The file has a header row but no data rows');
    throw fileError('empty_file', source.emptyMessage);
  }
}

/**
 * Column names are words (or template placeholders such as `{{1}}`): a row holding a phone number, an
 * e-mail address, a plain number or a date is a contact that happens to come first.
 */
export function looksLikeHeaderRow(cells: string[]): boolean {
  const values = cells.map((c) => c.trim()).filter((c) => c !== '');
  if (values.length === 0) return false;
  return values.every(
    (v) =>
      /^\{\{\s*[\p{L}\d_]+\s*\}\}$/u.test(v) ||
      (/\p{L}/u.test(v) &&
        !/^[+(]?[\d\s().\-/]{6,}$/.test(v) &&
        (v.match(/\d/g)?.length ?? 0) < 6 &&
        !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) &&
        !/^\d{4}-\d{2}-\d{2}/.test(v)),
  );
}

function duplicates(names: string[]): [string, string[]][] {
  const seen = new Map<string, { name: string; columns: string[] }>();
  names.forEach((n, i) => {
    if (!n) return;
    const key = n.toLowerCase();
    const entry = seen.get(key) ?? { name: n, columns: [] };
    entry.columns.push(columnLetter(i));
    seen.set(key, entry);
  });
  return [...seen.values()].filter((e) => e.columns.length > 1).map((e) => [e.name, e.columns]);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? `1 ${one}` : `${formatCount(n)} ${many}`;
}
