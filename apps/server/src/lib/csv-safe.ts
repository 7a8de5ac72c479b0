/**
 * CSV cells that a spreadsheet will not run. Excel, LibreOffice and Google Sheets read a cell that
 * starts with = + - @ (or a tab or carriage return before one) as a formula, so a contact named
 * `=HYPERLINK("http://evil", "click")` would become a live link in whoever opens the export. Such a
 * cell gets a leading single quote, which spreadsheets show as "text". An E.164 phone (`+15551234567`)
 * is left alone: it cannot be a formula and must stay usable as a number to dial or re-import.
 *
 * @example neutraliseCell('=1+1') // "'=1+1"
 * @example neutraliseCell('+15551234567') // "+15551234567"
 */
export function neutraliseCell(value: string): string {
  if (value === '') return value;
  const first = value.charCodeAt(0);
  // = + - @ \t \r
  if (first !== 61 && first !== 43 && first !== 45 && first !== 64 && first !== 9 && first !== 13)
    return value;
  if (/^\+\d{1,20}$/.test(value)) return value;
  return `'${value}`;
}

/** One CSV field (RFC 4180 quoting), neutralised first. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? neutraliseCell(value) : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV line, CRLF-terminated as RFC 4180 and Excel expect. */
export function csvLine(values: readonly (string | number | boolean | null | undefined)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
