import ExcelJS, { type CellValue } from 'exceljs';
import { AppError } from '../../lib/errors.ts';
import { fileError } from './file-error.ts';
import type { ImportLimits } from './limits.ts';
import { normaliseRow, type SheetRow } from './rows.ts';
import type { GuardedWorkbook } from './zip-guard.ts';

export type XlsxStats = { formulaCells: number };

/**
 * The rows of the guarded workbook's first visible worksheet through ExcelJS's streaming reader:
 * shared strings are cached (their size was capped by the guard), styles are read so date cells are
 * recognised, and the sheet is never held whole.
 */
export async function* readXlsxRows(
  workbook: GuardedWorkbook,
  limits: ImportLimits,
  stats: XlsxStats = { formulaCells: 0 },
): AsyncGenerator<SheetRow> {
  const input = workbook.openStream();
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  let lastRow = 0;
  try {
    for await (const worksheet of reader) {
      for await (const row of worksheet) {
        // `r` is optional in the file format; a row without it follows the previous one.
        const rowNumber = Number.isInteger(row.number) && row.number > lastRow ? row.number : lastRow + 1;
        lastRow = rowNumber;
        const values = row.values as CellValue[];
        const cells = new Array<string>(Math.max(values.length - 1, 0));
        for (let c = 1; c < values.length; c++) {
          const v = values[c];
          if (v && typeof v === 'object' && ('formula' in v || 'sharedFormula' in v)) stats.formulaCells++;
          cells[c - 1] = formatCellValue(v);
        }
        yield normaliseRow(rowNumber, cells, limits);
      }
    }
  } catch (err) {
    // ExcelJS, unzipper and saxes fail with plain errors on a malformed part; a system error (the
    // temp file vanished) is not the file's fault and stays as it is.
    if (err instanceof Error && !(err instanceof AppError) && !('syscall' in err)) {
      throw fileError('damaged_file', `The Excel file is damaged and could not be read (${err.message})`);
    }
    throw err;
  } finally {
    input.destroy();
  }
}

/** A cell as the text a person sees: numbers in full (a phone number is not 4.47911E+11), dates as ISO. */
export function formatCellValue(value: CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return dateText(value);
  if ('richText' in value) return value.richText.map((r) => r.text ?? '').join('');
  if ('formula' in value || 'sharedFormula' in value) {
    const result = value.result;
    return result === undefined ? '' : formatCellValue(result as CellValue);
  }
  if ('error' in value) return value.error;
  if ('text' in value)
    return typeof value.text === 'string' ? value.text : formatCellValue(value.text as CellValue);
  return '';
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) return '';
  if (Number.isSafeInteger(n)) return String(n);
  // Excel keeps 15 significant digits: 0.1+0.2 stored as 0.30000000000000004 is 0.3 to a person, and
  // the digits of a 20-digit integer past the 15th are noise.
  return String(Number(n.toPrecision(15)));
}

/** Excel dates carry no time zone: midnight is a date, anything else a local date-time without "Z". */
function dateText(d: Date): string {
  if (Number.isNaN(d.getTime())) return '';
  const ms = Math.round(d.getTime() / 1000) * 1000;
  const iso = new Date(ms).toISOString();
  return ms % 86_400_000 === 0 ? iso.slice(0, 10) : iso.slice(0, 19);
}
