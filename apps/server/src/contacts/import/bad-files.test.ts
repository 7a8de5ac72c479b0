import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildXlsx,
  buildZip,
  createTempDir,
  sheetRowsXml,
  worksheetXml,
} from '../../../test/fixtures/import/make-files.ts';
import { AppError } from '../../lib/errors.ts';
import type { FileProblem } from './file-error.ts';
import type { ImportLimits } from './limits.ts';
import { inspectFile, readRows } from './read-file.ts';

/**
 * Every bad file the issue lists must be refused with one AppError whose message a person can act on —
 * by inspectFile (the preview) and by readRows (the import job) alike.
 */

let tmp: Awaited<ReturnType<typeof createTempDir>>;
beforeAll(async () => {
  tmp = await createTempDir();
});
afterAll(() => tmp.remove());

const MB = 1024 * 1024;

async function refusal(run: () => Promise<unknown>): Promise<AppError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('the file was accepted');
}

async function drain(path: string, limits?: Partial<ImportLimits>) {
  for await (const _row of readRows(path, limits)) {
    // read to the end
  }
}

/** Both entry points refuse the file the same way. */
async function expectRefused(
  path: string,
  expected: { reason: FileProblem; code: string; message: string | RegExp; row?: number },
  limits?: Partial<ImportLimits>,
) {
  for (const err of [
    await refusal(() => inspectFile(path, limits)),
    await refusal(() => drain(path, limits)),
  ]) {
    expect(err.code).toBe(expected.code);
    expect(err.details).toEqual(
      expected.row === undefined
        ? { reason: expected.reason }
        : { reason: expected.reason, row: expected.row },
    );
    if (typeof expected.message === 'string') expect(err.message).toBe(expected.message);
    else expect(err.message).toMatch(expected.message);
  }
}

const contacts = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `Person ${from + i},+4479${String(11_000_000 + from + i)}`).join('\n');

describe('empty and header-only files', () => {
  it('an empty file', async () => {
    await expectRefused(await tmp.write('empty.csv', ''), {
      reason: 'empty_file',
      code: 'VALIDATION_FAILED',
      message: 'The file is empty',
    });
  });

  it('a file of blank lines and empty cells', async () => {
    await expectRefused(await tmp.write('blank.csv', '\r\n\n , ,\n,,\n'), {
      reason: 'empty_file',
      code: 'VALIDATION_FAILED',
      message: 'The file is empty',
    });
  });

  it('a header and no data rows', async () => {
    await expectRefused(await tmp.write('header-only.csv', 'Name,Phone\n\n,\n'), {
      reason: 'no_data_rows',
      code: 'VALIDATION_FAILED',
      message: 'The file has a header row but no data rows',
    });
  });

  it('a workbook with only a header row', async () => {
    const path = await tmp.write(
      'header-only.xlsx',
      buildXlsx({ sheet: worksheetXml(sheetRowsXml([['Name', 'Phone']])) }),
    );
    await expectRefused(path, {
      reason: 'no_data_rows',
      code: 'VALIDATION_FAILED',
      message: 'The file has a header row but no data rows',
    });
  });

  it('a workbook whose first sheet is empty', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Blank');
    const path = tmp.path('empty.xlsx');
    await wb.xlsx.writeFile(path);
    await expectRefused(path, {
      reason: 'empty_file',
      code: 'VALIDATION_FAILED',
      message: 'The worksheet “Blank” is empty',
    });
  });
});

describe('files that are not spreadsheets', () => {
  const notASpreadsheet = {
    reason: 'not_a_spreadsheet' as const,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'This is not a CSV or Excel file. Export the contacts as .xlsx or CSV and upload that file.',
  };

  it('binary garbage named .csv', async () => {
    await expectRefused(await tmp.write('garbage.csv', randomBytes(200_000)), notASpreadsheet);
  });

  it('binary garbage behind a UTF-16 byte order mark', async () => {
    const path = await tmp.write(
      'garbage-bom.csv',
      Buffer.concat([Buffer.from([0xff, 0xfe]), randomBytes(100_000)]),
    );
    await expectRefused(path, notASpreadsheet);
  });

  it('an image named .csv', async () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(5000)]);
    await expectRefused(await tmp.write('photo.csv', png), notASpreadsheet);
  });

  it('a zip that holds no workbook', async () => {
    const path = await tmp.write('archive.xlsx', buildZip([{ name: 'readme.txt', data: 'hello' }]));
    await expectRefused(path, { ...notASpreadsheet, message: /zip file, not an Excel workbook/ });
  });

  it('an OpenDocument spreadsheet', async () => {
    const ods = buildZip([
      { name: 'mimetype', data: 'application/vnd.oasis.opendocument.spreadsheet', method: 'store' },
      { name: 'content.xml', data: '<office:document-content/>' },
    ]);
    await expectRefused(await tmp.write('sheet.xlsx', ods), {
      reason: 'unsupported_format',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: /OpenDocument spreadsheets \(\.ods\) are not supported/,
    });
  });

  it('an old .xls (or password-protected) workbook', async () => {
    const ole = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(4096)]);
    await expectRefused(await tmp.write('old.xls', ole), {
      reason: 'unsupported_format',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: /old Excel \(\.xls\) file or a password-protected workbook/,
    });
  });

  it('a truncated workbook', async () => {
    const whole = buildXlsx();
    const path = await tmp.write('cut.xlsx', whole.subarray(0, whole.length - 30));
    await expectRefused(path, {
      reason: 'damaged_file',
      code: 'VALIDATION_FAILED',
      message: /The Excel file is damaged/,
    });
  });
});

describe('size limits', () => {
  it('a file over the size limit is refused before it is read', async () => {
    const path = tmp.path('huge.csv');
    const fh = await open(path, 'w');
    await fh.truncate(60 * MB); // sparse: costs no disk
    await fh.close();
    await expectRefused(path, {
      reason: 'file_too_large',
      code: 'PAYLOAD_TOO_LARGE',
      message: 'The file is 60 MB; the limit is 50 MB',
    });
  });

  it('more than 100,000 data rows', async () => {
    const path = await tmp.write('rows.csv', `Name,Phone\n${contacts(100_001)}\n`);
    await expectRefused(path, {
      reason: 'too_many_rows',
      code: 'PAYLOAD_TOO_LARGE',
      message: 'The file has more than 100,000 rows, the most one import takes. Split it into smaller files.',
      row: 100_002,
    });
  });

  it('exactly the row limit is fine; one more is not (CSV and XLSX)', async () => {
    const csv = await tmp.write('ten.csv', `Name,Phone\n${contacts(10)}\n\n`);
    expect((await inspectFile(csv, { maxRows: 10 })).totalRows).toBe(10);
    const over = await tmp.write('eleven.csv', `Name,Phone\n${contacts(11)}\n`);
    await expectRefused(
      over,
      { reason: 'too_many_rows', code: 'PAYLOAD_TOO_LARGE', message: /more than 10 rows/, row: 12 },
      { maxRows: 10 },
    );

    const rows: (string | number)[][] = [['Name', 'Phone']];
    for (let i = 0; i < 11; i++) rows.push([`P${i}`, 447911000000 + i]);
    const xlsx = await tmp.write('eleven.xlsx', buildXlsx({ sheet: worksheetXml(sheetRowsXml(rows)) }));
    await expectRefused(
      xlsx,
      { reason: 'too_many_rows', code: 'PAYLOAD_TOO_LARGE', message: /more than 10 rows/, row: 12 },
      { maxRows: 10 },
    );
  });

  it('a file of nothing but line breaks is refused quickly too', async () => {
    const path = await tmp.write('newlines.csv', `Name,Phone\n${'\n'.repeat(200)}Ann,+447911123456\n`);
    await expectRefused(
      path,
      { reason: 'too_many_rows', code: 'PAYLOAD_TOO_LARGE', message: /more than 100 empty rows/, row: 102 },
      { maxRows: 100 },
    );
  });

  it('a row with too many columns', async () => {
    const path = await tmp.write('wide.csv', `Name,Phone\nAnn,${'x,'.repeat(1000)}x\n`);
    await expectRefused(path, {
      reason: 'too_many_columns',
      code: 'VALIDATION_FAILED',
      message: 'Row 2 has more than 1,000 columns',
      row: 2,
    });
  });
});

describe('cells and quotes', () => {
  const bigCell = 'x'.repeat(MB);

  it.each([
    ['unquoted', bigCell],
    ['quoted', `"${bigCell}"`],
  ])('a 1 MB cell (%s) on row 1,204', async (_name, cell) => {
    const path = await tmp.write('big-cell.csv', `Name,Phone\n${contacts(1202)}\n${cell},+447911123456\n`);
    await expectRefused(path, {
      reason: 'cell_too_long',
      code: 'VALIDATION_FAILED',
      message: 'Row 1,204: a cell is longer than 10,000 characters',
      row: 1204,
    });
  });

  it('a 1 MB cell in a workbook', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Contacts');
    ws.addRow(['Name', 'Phone']);
    ws.addRow(['Ann', 447911123456]);
    // Random, so it does not compress like a zip bomb.
    ws.addRow([randomBytes(MB / 2).toString('hex'), 447911123457]);
    const path = tmp.path('big-cell.xlsx');
    await wb.xlsx.writeFile(path);
    await expectRefused(path, {
      reason: 'cell_too_long',
      code: 'VALIDATION_FAILED',
      message: 'Row 3: a cell is longer than 10,000 characters',
      row: 3,
    });
  });

  it('an unbalanced quote', async () => {
    const path = await tmp.write(
      'quote.csv',
      'Name,Phone\nAnn,+447911123456\n"Bob,+447911123457\nCid,+447911123458\n',
    );
    await expectRefused(path, {
      reason: 'quote_not_closed',
      code: 'VALIDATION_FAILED',
      message: 'Row 3: a quote (") is not closed',
      row: 3,
    });
  });

  it('an unbalanced quote early in a large file stops at the record limit, not the end of the file', async () => {
    const path = await tmp.write('runaway.csv', `Name,Phone\n"Ann,+447911123456\n${contacts(120_000)}\n`);
    await expectRefused(
      path,
      {
        reason: 'row_too_long',
        code: 'VALIDATION_FAILED',
        message: 'Row 2 is longer than 2,000,000 characters. Is a quote (") not closed?',
        row: 2,
      },
      { maxRows: 200_000 },
    );
  });
});

describe('hostile workbooks', () => {
  const zeros = Buffer.alloc(16 * MB);

  it('a zip bomb is refused from its declared sizes, before anything is inflated', async () => {
    const path = await tmp.write('bomb.xlsx', buildXlsx({ sheet: { data: zeros } }));
    await expectRefused(path, {
      reason: 'expands_too_large',
      code: 'PAYLOAD_TOO_LARGE',
      message:
        /xl\/worksheets\/sheet1\.xml would unpack [\d,]+ times larger than it is stored \(the limit is 100\)\. It looks like a zip bomb\./,
    });
  });

  it('a zip bomb that lies about its size is stopped as soon as it inflates past it', async () => {
    const path = await tmp.write('liar.xlsx', buildXlsx({ sheet: { data: zeros, declaredSize: 1000 } }));
    await expectRefused(path, {
      reason: 'damaged_file',
      code: 'VALIDATION_FAILED',
      message: 'The Excel file is damaged: xl/worksheets/sheet1.xml unpacks to more than its declared size',
    });
  });

  it('a workbook that unpacks to more than the limit', async () => {
    const rows: (string | number)[][] = [['Name', 'Phone']];
    for (let i = 0; i < 20_000; i++) rows.push([randomBytes(8).toString('hex'), 447911000000 + i]);
    const path = await tmp.write('large.xlsx', buildXlsx({ sheet: worksheetXml(sheetRowsXml(rows)) }));
    await expectRefused(
      path,
      {
        reason: 'expands_too_large',
        code: 'PAYLOAD_TOO_LARGE',
        message: /^The workbook would unpack to [\d.]+ MB; the limit is 1 MB$/,
      },
      { maxUncompressedBytes: MB },
    );
  });

  it('deeply nested XML', async () => {
    const deep = worksheetXml(`${'<x>'.repeat(100_000)}${'</x>'.repeat(100_000)}`);
    await expectRefused(await tmp.write('deep.xlsx', buildXlsx({ sheet: deep })), {
      reason: 'xml_too_deep',
      code: 'VALIDATION_FAILED',
      message:
        'The workbook is damaged or hostile: xl/worksheets/sheet1.xml nests elements more than 64 deep',
    });
  });

  it('deep nesting hidden behind self-closing look-alikes in attribute values', async () => {
    const deep = worksheetXml('<x a="/>">'.repeat(1000));
    await expectRefused(await tmp.write('sneaky.xlsx', buildXlsx({ sheet: deep })), {
      reason: 'xml_too_deep',
      code: 'VALIDATION_FAILED',
      message: /nests elements more than 64 deep/,
    });
  });

  it('one enormous text node, which the XML parser would hold whole', async () => {
    const sheet = worksheetXml(
      `<row r="1"><c r="A1" t="inlineStr"><is><t>${randomBytes(3 * MB).toString('hex')}</t></is></c></row>`,
    );
    await expectRefused(await tmp.write('huge-text.xlsx', buildXlsx({ sheet })), {
      reason: 'xml_too_large',
      code: 'VALIDATION_FAILED',
      message:
        'The workbook is damaged or hostile: xl/worksheets/sheet1.xml holds a single piece of text or tag larger than 4 MB',
    });
  });

  it('entity expansion (billion laughs)', async () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>' +
      '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>';
    await expectRefused(await tmp.write('laughs.xlsx', buildXlsx({ sheet: laughs })), {
      reason: 'xml_not_allowed',
      code: 'VALIDATION_FAILED',
      message:
        'The workbook is damaged or hostile: xl/worksheets/sheet1.xml declares a DTD, which Excel never writes',
    });
  });

  const sharedStrings = (n: number) =>
    `<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${Array.from({ length: n }, (_, i) => `<si><t>${i}</t></si>`).join('')}</sst>`;

  it('a shared strings table with too many entries', async () => {
    const path = await tmp.write(
      'sst-count.xlsx',
      buildXlsx({ parts: [{ name: 'xl/sharedStrings.xml', data: sharedStrings(1001) }] }),
    );
    await expectRefused(
      path,
      {
        reason: 'too_many_shared_strings',
        code: 'PAYLOAD_TOO_LARGE',
        message: "The workbook's shared strings table has more than 1,000 entries",
      },
      { maxSharedStrings: 1000 },
    );
  });

  it('a shared strings table too large to hold', async () => {
    const path = await tmp.write(
      'sst-bytes.xlsx',
      buildXlsx({ parts: [{ name: 'xl/sharedStrings.xml', data: sharedStrings(20_000) }] }),
    );
    await expectRefused(
      path,
      {
        reason: 'too_many_shared_strings',
        code: 'PAYLOAD_TOO_LARGE',
        message: /^The workbook's shared strings table is [\d.]+ KB unpacked; the limit is 64 KB$/,
      },
      { maxSharedStringsBytes: 64 * 1024 },
    );
  });

  it('a password-protected zip entry', async () => {
    const zip = buildXlsx();
    // Set the "encrypted" flag on the first central directory entry.
    const cd = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt16LE(1, cd + 8);
    await expectRefused(await tmp.write('locked.xlsx', zip), {
      reason: 'unsupported_format',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: /password-protected/,
    });
  });
});
