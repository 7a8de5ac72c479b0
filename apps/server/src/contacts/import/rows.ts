import { fileError } from './file-error.ts';
import { formatCount, type ImportLimits } from './limits.ts';

/** One row of the sheet. `rowNumber` is the row a person sees in Excel (the header is usually 1). */
export type SheetRow = { rowNumber: number; cells: string[] };

/**
 * Every row from either reader passes through here: NUL characters (which PostgreSQL text refuses) are
 * dropped, trailing empty cells are trimmed, and the cell and column limits are enforced.
 */
export function normaliseRow(rowNumber: number, raw: string[], limits: ImportLimits): SheetRow {
  let end = raw.length;
  while (end > 0 && raw[end - 1] === '') end--;
  if (end > limits.maxColumns) {
    throw fileError(
      'too_many_columns',
      `Row ${formatCount(rowNumber)} has more than ${formatCount(limits.maxColumns)} columns`,
      rowNumber,
    );
  }
  const cells = new Array<string>(end);
  for (let i = 0; i < end; i++) {
    let cell = raw[i] ?? '';
    if (cell.length > limits.maxCellChars) {
      throw fileError(
        'cell_too_long',
        `Row ${formatCount(rowNumber)}: a cell is longer than ${formatCount(limits.maxCellChars)} characters`,
        rowNumber,
      );
    }
    if (cell.includes('\u0000')) cell = cell.replaceAll('\u0000', '');
    cells[i] = cell;
  }
  return { rowNumber, cells };
}

export const isBlankRow = (row: SheetRow) => row.cells.every((c) => c.trim() === '');

/** "A", "B", … "Z", "AA" — how Excel names the nth column (0-based). */
export function columnLetter(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}
