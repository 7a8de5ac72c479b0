import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildXlsx,
  createTempDir,
  sheetRowsXml,
  worksheetXml,
} from '../../../test/fixtures/import/make-files.ts';
import { inspectFile, readRows, type SheetRow } from './read-file.ts';
import { formatCellValue } from './xlsx-rows.ts';

let tmp: Awaited<ReturnType<typeof createTempDir>>;
beforeAll(async () => {
  tmp = await createTempDir();
});
afterAll(() => tmp.remove());

async function collect(path: string) {
  const rows: SheetRow[] = [];
  for await (const row of readRows(path)) rows.push(row);
  return rows;
}

describe('XLSX written by ExcelJS', () => {
  it('reads every kind of cell as the text a person sees', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Contacts');
    ws.addRow(['Name', 'Phone', 'Born', 'Last seen', 'Score', 'VIP', 'Note', 'Site', 'Total', 'Err']);
    ws.addRow([
      'Ann',
      447911123456,
      new Date(Date.UTC(1990, 4, 17)),
      new Date(Date.UTC(2024, 2, 15, 10, 30)),
      0.1 + 0.2,
      true,
      { richText: [{ text: 'bold ', font: { bold: true } }, { text: 'plain' }] },
      { text: 'example.com', hyperlink: 'https://example.com' },
      { formula: 'E2*2', result: 0.6 },
      { error: '#N/A' },
    ]);
    ws.getCell('C2').numFmt = 'yyyy-mm-dd';
    ws.getCell('D2').numFmt = 'yyyy-mm-dd hh:mm';
    ws.addRow(['Bob', 14155550123, null, null, 1234.5, false]);
    ws.getRow(6).values = ['Cid', 5511912345678];
    const path = tmp.path('kinds.xlsx');
    await wb.xlsx.writeFile(path);

    const info = await inspectFile(path);
    expect(info).toMatchObject({
      format: 'xlsx',
      sheetName: 'Contacts',
      headerRowNumber: 1,
      headers: ['Name', 'Phone', 'Born', 'Last seen', 'Score', 'VIP', 'Note', 'Site', 'Total', 'Err'],
      looksLikeHeader: true,
      totalRows: 3,
    });
    expect(info.warnings).toContain('1 cell holds a formula; the value Excel last calculated is used.');
    expect(await collect(path)).toEqual([
      {
        rowNumber: 2,
        cells: [
          'Ann',
          '447911123456',
          '1990-05-17',
          '2024-03-15T10:30:00',
          '0.3',
          'TRUE',
          'bold plain',
          'example.com',
          '0.6',
          '#N/A',
        ],
      },
      { rowNumber: 3, cells: ['Bob', '14155550123', '', '', '1234.5', 'FALSE'] },
      { rowNumber: 6, cells: ['Cid', '5511912345678'] },
    ]);
  });

  it('reads the first visible worksheet and names it', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Old', { state: 'hidden' }).addRow(['Nope']);
    const ws = wb.addWorksheet('Current');
    ws.addRow(['Name', 'Phone']);
    ws.addRow(['Ann', '+447911123456']);
    wb.addWorksheet('Notes').addRow(['Ignored']);
    const path = tmp.path('sheets.xlsx');
    await wb.xlsx.writeFile(path);

    const info = await inspectFile(path);
    expect(info.sheetName).toBe('Current');
    expect(info.warnings).toContain(
      'Only the first worksheet, “Current”, is read; the workbook has 3 worksheets.',
    );
    expect(await collect(path)).toEqual([{ rowNumber: 2, cells: ['Ann', '+447911123456'] }]);
  });

  it.each([
    ['shared strings', true],
    ['inline strings', false],
  ])('reads a workbook from the streaming writer (%s)', async (_name, useSharedStrings) => {
    const path = tmp.path('streamed.xlsx');
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings, useStyles: true });
    const ws = wb.addWorksheet('Export');
    ws.addRow(['Name', 'Phone', 'Joined']).commit();
    for (let i = 0; i < 500; i++) {
      const row = ws.addRow([`Person ${i}`, 447911100000 + i, new Date(Date.UTC(2023, 0, 1 + i))]);
      row.getCell(3).numFmt = 'dd/mm/yyyy';
      row.commit();
    }
    ws.commit();
    await wb.commit();

    const rows = await collect(path);
    expect(rows).toHaveLength(500);
    expect(rows[0]).toEqual({ rowNumber: 2, cells: ['Person 0', '447911100000', '2023-01-01'] });
    expect(rows[499]).toEqual({ rowNumber: 501, cells: ['Person 499', '447911100499', '2024-05-14'] });
  });
});

describe('XLSX laid out by other tools', () => {
  it('finds a worksheet at any path, without styles or shared strings, and decodes its name', async () => {
    const path = await tmp.write(
      'custom-path.xlsx',
      buildXlsx({
        sheetPath: 'worksheets/contacts.xml',
        sheet: worksheetXml(
          sheetRowsXml([
            ['Name', 'Phone'],
            ['Zoë &amp; Ann', 447911123456],
          ]),
        ),
      }),
    );
    const info = await inspectFile(path);
    expect(info).toMatchObject({ sheetName: 'People & Co', headers: ['Name', 'Phone'], totalRows: 1 });
    expect(await collect(path)).toEqual([{ rowNumber: 2, cells: ['Zoë & Ann', '447911123456'] }]);
  });

  it('reads shared strings (rich text included) stored after the sheet, as Excel orders them', async () => {
    const sheet = worksheetXml(
      '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>' +
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>447911123456</v></c></row>',
    );
    const sst =
      '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">' +
      '<si><t>Name</t></si><si><t>Phone</t></si><si><r><rPr><b/></rPr><t>Ann </t></r><r><t>Smith</t></r></si></sst>';
    const path = await tmp.write(
      'sst-last.xlsx',
      buildXlsx({ sheet, parts: [{ name: 'xl/sharedStrings.xml', data: sst }] }),
    );
    expect(await collect(path)).toEqual([{ rowNumber: 2, cells: ['Ann Smith', '447911123456'] }]);
  });
});

describe('XLSX parts that are never read', () => {
  it('a zip bomb in another part (an image, a second sheet) does no harm: it is never inflated', async () => {
    const path = await tmp.write(
      'bomb-elsewhere.xlsx',
      buildXlsx({ parts: [{ name: 'xl/media/image1.png', data: Buffer.alloc(16 * 1024 * 1024) }] }),
    );
    expect(await collect(path)).toEqual([{ rowNumber: 2, cells: ['Ann', '447911123456'] }]);
  });

  it('a bloated style table is skipped with a warning (dates may then read as numbers)', async () => {
    const styles = `<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${' '.repeat(4 * 1024 * 1024)}</styleSheet>`;
    const path = await tmp.write(
      'bloated.xlsx',
      buildXlsx({ parts: [{ name: 'xl/styles.xml', data: styles }] }),
    );
    const info = await inspectFile(path);
    expect(info.warnings).toContain(
      'The workbook’s formatting is too large to read, so dates may appear as numbers.',
    );
    expect(info.sampleRows).toEqual([['Ann', '447911123456']]);
  });
});

describe('XLSX that ExcelJS cannot parse', () => {
  it.each([
    ['mismatched tags', '<row r="1"><c r="A1"><v>1</v></x></row>'],
    ['a cell beyond the last column', '<row r="1"><c r="ZZZZ1"><v>1</v></c></row>'],
  ])('%s is a damaged file, not a crash', async (_name, rows) => {
    const path = await tmp.write('broken.xlsx', buildXlsx({ sheet: worksheetXml(rows) }));
    await expect(collect(path)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'damaged_file' },
      message: expect.stringMatching(/^The Excel file is damaged and could not be read \(.+\)$/),
    });
  });

  it('stops reading when the caller breaks early, and can read again', async () => {
    const rows: (string | number)[][] = [['Name', 'Phone']];
    for (let i = 0; i < 1000; i++) rows.push([`P${i}`, 447911000000 + i]);
    const path = await tmp.write('early.xlsx', buildXlsx({ sheet: worksheetXml(sheetRowsXml(rows)) }));
    let n = 0;
    for await (const _row of readRows(path)) if (++n === 3) break;
    expect(n).toBe(3);
    expect(await collect(path)).toHaveLength(1000);
  });
});

describe('formatCellValue', () => {
  it.each([
    [447911123456, '447911123456'],
    [4.47911123456e11, '447911123456'],
    [12345678901234567000, '12345678901234600000'],
    [999999999999999, '999999999999999'],
    [0.1 + 0.2, '0.3'],
    [-1.5, '-1.5'],
    [1e-7, '1e-7'],
    [Number.NaN, ''],
    [null, ''],
    [new Date(Date.UTC(2024, 1, 29)), '2024-02-29'],
    [new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 999)), '2024-03-01'],
    [new Date(Date.UTC(2024, 1, 29, 8, 5, 3)), '2024-02-29T08:05:03'],
    [{ formula: 'A1', result: { error: '#REF!' } }, '#REF!'],
    [{ sharedFormula: 'A1', result: 447911123456 }, '447911123456'],
  ] as [ExcelJS.CellValue, string][])('%j → %s', (value, text) => {
    expect(formatCellValue(value)).toBe(text);
  });
});
