import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, encodeUtf16be, encodeWindows1252 } from '../../../test/fixtures/import/make-files.ts';
import { inspectFile, readRows, type SheetRow } from './read-file.ts';

let tmp: Awaited<ReturnType<typeof createTempDir>>;
beforeAll(async () => {
  tmp = await createTempDir();
});
afterAll(() => tmp.remove());

async function collect(
  path: string,
  ...rest: Parameters<typeof readRows> extends [string, ...infer R] ? R : never
) {
  const rows: SheetRow[] = [];
  for await (const row of readRows(path, ...rest)) rows.push(row);
  return rows;
}

const TEXT = 'Name,Phone,Note\r\nJosé Ñúñez,+34 600 000 001,€5 off\r\nZoë,+44 7911 123456,señor\r\n';
const ROWS = [
  { rowNumber: 2, cells: ['José Ñúñez', '+34 600 000 001', '€5 off'] },
  { rowNumber: 3, cells: ['Zoë', '+44 7911 123456', 'señor'] },
];

describe('CSV encodings', () => {
  const cases: [string, () => Buffer, string, boolean][] = [
    ['UTF-8', () => Buffer.from(TEXT), 'utf-8', false],
    [
      'UTF-8 with BOM',
      () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)]),
      'utf-8',
      true,
    ],
    [
      'UTF-16 LE with BOM',
      () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]),
      'utf-16le',
      true,
    ],
    [
      'UTF-16 BE with BOM',
      () => Buffer.concat([Buffer.from([0xfe, 0xff]), encodeUtf16be(TEXT)]),
      'utf-16be',
      true,
    ],
    ['UTF-16 LE without BOM', () => Buffer.from(TEXT, 'utf16le'), 'utf-16le', false],
    ['Windows-1252', () => encodeWindows1252(TEXT), 'windows-1252', false],
  ];
  it.each(cases)('%s', async (_name, bytes, encoding, bom) => {
    const path = await tmp.write('contacts.csv', bytes());
    const info = await inspectFile(path);
    expect(info).toMatchObject({
      format: 'csv',
      encoding,
      bom,
      delimiter: ',',
      headers: ['Name', 'Phone', 'Note'],
    });
    expect(info.sampleRows).toEqual(ROWS.map((r) => r.cells));
    expect(await collect(path)).toEqual(ROWS);
  });

  it('says when it fell back to Windows-1252, and decides on the whole file, not the first rows', async () => {
    const ascii = Array.from({ length: 5000 }, (_, i) => `Person ${i},+4479110${String(i).padStart(5, '0')}`);
    const path = await tmp.write(
      'late-accent.csv',
      encodeWindows1252(`Name,Phone\n${ascii.join('\n')}\nJosé,+34600000001\n`),
    );
    const info = await inspectFile(path);
    expect(info.encoding).toBe('windows-1252');
    expect(info.warnings.join(' ')).toMatch(/not UTF-8.*Windows-1252/);
    const rows = await collect(path);
    expect(rows.at(-1)).toEqual({ rowNumber: 5002, cells: ['José', '+34600000001'] });
  });

  it('keeps a multi-byte character that straddles two read chunks', async () => {
    const filler = 'x'.repeat(65_535);
    const path = await tmp.write('straddle.csv', `Name,Note\nAnn,${filler}é\n`);
    const [row] = await collect(path, { maxCellChars: 100_000 });
    expect(row?.cells[1]?.endsWith('xé')).toBe(true);
  });
});

describe('CSV delimiters and quoting', () => {
  it.each([
    ['comma', 'Name,Phone,City\nAnn,+447911123456,Leeds\n', ','],
    [
      'semicolon (with decimal commas)',
      'Name;Phone;Score\nAnn;+447911123456;1,5\nBob;+447911123457;2,25\n',
      ';',
    ],
    ['tab', 'Name\tPhone\tCity\nAnn\t+447911123456\tLeeds\n', '\t'],
    ['pipe', 'Name|Phone|City\nAnn|+447911123456|Leeds\n', '|'],
    [
      'commas inside quotes of a semicolon file',
      'Name;Phone\n"Smith, Ann";+447911123456\n"Jones, Bob";+447911123457\n',
      ';',
    ],
  ])('%s', async (_name, text, delimiter) => {
    const path = await tmp.write('d.csv', text);
    const info = await inspectFile(path);
    expect(info.delimiter).toBe(delimiter);
    expect((await collect(path))[0]?.cells[1]).toBe('+447911123456');
  });

  it('reads a one-column file of phone numbers', async () => {
    const path = await tmp.write('one-column.csv', 'Phone\n+447911123456\n+447911123457\n');
    expect(await inspectFile(path)).toMatchObject({ headers: ['Phone'], totalRows: 2 });
  });

  it("follows Excel's sep= hint line, which is not a row", async () => {
    const path = await tmp.write('sep.csv', 'sep=;\nName;Phone\nAnn, Jr;+447911123456\n');
    const info = await inspectFile(path);
    expect(info).toMatchObject({ delimiter: ';', headerRowNumber: 1, headers: ['Name', 'Phone'] });
    expect(await collect(path)).toEqual([{ rowNumber: 2, cells: ['Ann, Jr', '+447911123456'] }]);
  });

  it('reads quoted cells with delimiters, line breaks and doubled quotes; a multi-line cell is one row', async () => {
    const text =
      'Name,Phone,Note\n"Smith, Ann",+447911123456,"line one\nline two"\n"Bob ""The Builder""",+447911123457,"5"" screen"\nCid,+447911123458,plain\n';
    const path = await tmp.write('quoted.csv', text);
    expect(await collect(path)).toEqual([
      { rowNumber: 2, cells: ['Smith, Ann', '+447911123456', 'line one\nline two'] },
      { rowNumber: 3, cells: ['Bob "The Builder"', '+447911123457', '5" screen'] },
      { rowNumber: 4, cells: ['Cid', '+447911123458', 'plain'] },
    ]);
  });

  it('reads a stray quote inside an unquoted cell as text, as Excel does', async () => {
    const path = await tmp.write('stray.csv', 'Name,Note\nAnn,5" screen\n');
    expect((await collect(path))[0]?.cells).toEqual(['Ann', '5" screen']);
  });

  it('handles CRLF, CR-less last lines and ragged rows', async () => {
    const path = await tmp.write(
      'ragged.csv',
      'Name,Phone,City\r\nAnn,+447911123456\r\nBob,+447911123457,Leeds,extra',
    );
    expect(await collect(path)).toEqual([
      { rowNumber: 2, cells: ['Ann', '+447911123456'] },
      { rowNumber: 3, cells: ['Bob', '+447911123457', 'Leeds', 'extra'] },
    ]);
  });
});

describe('header row', () => {
  it('takes the first non-empty row as the header and numbers rows as Excel does', async () => {
    const path = await tmp.write(
      'leading-blank.csv',
      '\n,,\nName,Phone\n\nAnn,+447911123456\n,\nBob,+447911123457\n',
    );
    const info = await inspectFile(path);
    expect(info).toMatchObject({
      headerRowNumber: 3,
      headers: ['Name', 'Phone'],
      looksLikeHeader: true,
      totalRows: 2,
      emptyRows: 4,
    });
    expect(await collect(path)).toEqual([
      { rowNumber: 5, cells: ['Ann', '+447911123456'] },
      { rowNumber: 7, cells: ['Bob', '+447911123457'] },
    ]);
  });

  it('says when the first row looks like a contact, and reads it as data when asked', async () => {
    const path = await tmp.write('no-header.csv', 'Ann,+447911123456\nBob,+447911123457\n');
    const info = await inspectFile(path);
    expect(info.looksLikeHeader).toBe(false);
    expect(info.warnings.join(' ')).toMatch(/looks like a contact/);

    const asData = await inspectFile(path, {}, { firstRowIsHeader: false });
    expect(asData).toMatchObject({ headers: ['Column A', 'Column B'], totalRows: 2, looksLikeHeader: false });
    expect(asData.headerRowNumber).toBeUndefined();
    expect((await collect(path, {}, { firstRowIsHeader: false }))[0]).toEqual({
      rowNumber: 1,
      cells: ['Ann', '+447911123456'],
    });
  });

  it.each([
    [['Name', 'Phone number', 'E-mail', 'Tags'], true],
    [['First name', 'Mobile (+44)'], true],
    [['Ann', '+447911123456'], false],
    [['ann@example.com', 'Ann'], false],
    [['Ann', '07911 123456'], false],
    [['2024-01-31', 'Ann'], false],
    [['12', 'Ann'], false],
    // A campaign audience's layout: placeholders name the template's variables.
    [['Phone', '{{Media}}', '{{1}}', '{{2}}'], true],
  ])('%j looks like a header: %s', async (cells, expected) => {
    const path = await tmp.write('h.csv', `${cells.join(',')}\nAnn,+447911123456\n`);
    expect((await inspectFile(path)).looksLikeHeader).toBe(expected);
  });

  it('names unnamed columns and warns about them and about duplicate names', async () => {
    const path = await tmp.write('names.csv', 'Name,,Phone,phone\nAnn,x,+447911123456,+447911123457,extra\n');
    const info = await inspectFile(path);
    expect(info.headers).toEqual(['Name', 'Column B', 'Phone', 'phone', 'Column E']);
    expect(info.warnings).toContain('Columns B, E have no name in the header row.');
    expect(info.warnings).toContain('More than one column is called “Phone” (C, D).');
  });

  it('shows the first 20 data rows and counts them all', async () => {
    const lines = Array.from({ length: 250 }, (_, i) => `P${i},+4479111${String(i).padStart(5, '0')}`);
    const path = await tmp.write('many.csv', `Name,Phone\n${lines.join('\n')}\n`);
    const info = await inspectFile(path);
    expect(info.totalRows).toBe(250);
    expect(info.sampleRows).toHaveLength(20);
    expect(info.sampleRows[19]).toEqual(['P19', '+447911100019']);
  });

  it('drops NUL characters, which PostgreSQL text cannot hold', async () => {
    const bytes = Buffer.concat([Buffer.from('Name,Phone\n'), Buffer.from('A\u0000nn,+447911123456\n')]);
    const path = await tmp.write('nul.csv', bytes);
    expect((await collect(path))[0]?.cells).toEqual(['Ann', '+447911123456']);
  });

  it('stops reading and closes the file when the caller breaks early', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `P${i},+4479111${String(i).padStart(5, '0')}`);
    const path = await tmp.write('early.csv', `Name,Phone\n${lines.join('\n')}\n`);
    let n = 0;
    for await (const _row of readRows(path)) if (++n === 3) break;
    expect(n).toBe(3);
  });
});
