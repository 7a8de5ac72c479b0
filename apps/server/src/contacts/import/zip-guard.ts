import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { AppError } from '../../lib/errors.ts';
import { fileError } from './file-error.ts';
import { formatBytes, formatCount, type ImportLimits } from './limits.ts';
import { createXmlScanner } from './xml-scan.ts';

/** One file inside the zip, as the central directory declares it. */
type ZipEntry = {
  name: string;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
};

type PartKind = 'small' | 'sharedStrings' | 'styles' | 'sheet';

/** A part we have inflated once and found honest, with where its compressed bytes start. */
type VerifiedPart = ZipEntry & { dataOffset: number; as: string };

export type GuardedWorkbook = {
  sheetName: string;
  sheetCount: number;
  warnings: string[];
  /**
   * A zip of only the verified parts ExcelJS needs (relationships, workbook, shared strings, styles and
   * the first visible worksheet), in that order, with fresh local headers. ExcelJS's streaming reader
   * follows local headers and inflates whatever it meets; feeding it only bytes we have already
   * inflated within the limits means a lying header or a hidden entry cannot reach it. The order also
   * lets it stream the sheet straight through instead of spooling it to a temporary file.
   */
  openStream(): Readable;
};

const EOCD_SIG = 0x06054b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const MAX_ENTRIES = 10_000;
const MAX_DIRECTORY_BYTES = 8 * 1024 * 1024;
const MAX_SMALL_PART = 4 * 1024 * 1024;
const MAX_STYLES = 16 * 1024 * 1024;
const RATIO_FLOOR = 1024 * 1024;
const MAX_XML_TOKEN = 4 * 1024 * 1024;
const MAX_ROW_BYTES = 32 * 1024 * 1024;

const WORKBOOK = 'xl/workbook.xml';
const WORKBOOK_RELS = 'xl/_rels/workbook.xml.rels';
const SHARED_STRINGS = 'xl/sharedStrings.xml';
const STYLES = 'xl/styles.xml';
const EMPTY_SST = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
);

const damaged = (why: string) => fileError('damaged_file', `The Excel file is damaged: ${why}`);

/**
 * Checks an XLSX before anything inflates it: the central directory's declared sizes and ratios
 * (zip bombs), then each part ExcelJS will read is inflated once into a counter and an XML scanner
 * (lying sizes, deep nesting, DTDs, an oversized shared strings table), all streaming.
 */
export async function guardWorkbook(
  path: string,
  size: number,
  limits: ImportLimits,
): Promise<GuardedWorkbook> {
  const fh = await open(path, 'r');
  try {
    const entries = await readCentralDirectory(fh, size);
    if (entries.some((e) => e.flags & 0x1)) {
      throw fileError(
        'unsupported_format',
        'The workbook is password-protected. Remove the password, save it and upload it again.',
      );
    }
    const byName = new Map(entries.map((e) => [e.name, e]));

    const workbookEntry = byName.get(WORKBOOK);
    const relsEntry = byName.get(WORKBOOK_RELS);
    if (!workbookEntry) throw notAWorkbook(byName);
    if (!relsEntry) throw damaged('the list of worksheets is missing');

    const verify = (entry: ZipEntry, as: string, kind: PartKind) =>
      verifyPart(fh, path, size, entry, as, limits, kind);
    const rels = await verify(relsEntry, WORKBOOK_RELS, 'small');
    const workbook = await verify(workbookEntry, WORKBOOK, 'small');
    const sheet = findFirstWorksheet(workbook.text, rels.text);
    const sheetEntry = byName.get(sheet.path);
    if (!sheetEntry) throw damaged(`the worksheet “${sheet.name}” is missing`);

    const warnings: string[] = [];
    const sst = byName.get(SHARED_STRINGS);
    if (sst && sst.uncompressedSize > limits.maxSharedStringsBytes) throw tooManySharedStrings(sst, limits);
    let styles = byName.get(STYLES);
    // Bloated style tables are common in files passed around for years; only dates depend on them.
    if (styles && (styles.uncompressedSize > MAX_STYLES || ratioOf(styles) > limits.maxCompressionRatio)) {
      warnings.push('The workbook’s formatting is too large to read, so dates may appear as numbers.');
      styles = undefined;
    }
    // Only what will be inflated counts: a large image or a second sheet is never read.
    checkDeclaredSizes(
      [relsEntry, workbookEntry, sheetEntry, ...(sst ? [sst] : []), ...(styles ? [styles] : [])],
      limits,
    );

    const parts: (VerifiedPart | { as: string; stored: Buffer })[] = [rels.part, workbook.part];
    if (sst) {
      const verified = await verify(sst, SHARED_STRINGS, 'sharedStrings');
      // Entries and their rich-text runs: each becomes an object in ExcelJS's cache.
      if (verified.counted > limits.maxSharedStrings) {
        throw fileError(
          'too_many_shared_strings',
          `The workbook's shared strings table has more than ${formatCount(limits.maxSharedStrings)} entries`,
        );
      }
      parts.push(verified.part);
    } else {
      // ExcelJS streams the sheet only once it has seen a shared strings table; without one it
      // spools the sheet to a temporary file first.
      parts.push({ as: SHARED_STRINGS, stored: EMPTY_SST });
    }
    if (styles) parts.push((await verify(styles, STYLES, 'styles')).part);

    // Renamed to the one path ExcelJS recognises as a worksheet, whatever the workbook calls it.
    parts.push((await verify(sheetEntry, 'xl/worksheets/sheet1.xml', 'sheet')).part);

    if (sheet.count > 1) {
      warnings.push(
        `Only the first worksheet, “${sheet.name}”, is read; the workbook has ${formatCount(sheet.count)} worksheets.`,
      );
    }
    return {
      sheetName: sheet.name,
      sheetCount: sheet.count,
      warnings,
      openStream: () => Readable.from(synthesiseZip(path, parts), { objectMode: false }),
    };
  } finally {
    await fh.close();
  }
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  if (bytesRead !== length) throw damaged('it ends too early');
  return buf;
}

async function readCentralDirectory(fh: FileHandle, size: number): Promise<ZipEntry[]> {
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = await readAt(fh, size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG && i + 22 + tail.readUInt16LE(i + 20) <= tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw damaged('it is not a complete zip archive');
  if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === ZIP64_LOCATOR_SIG) throw tooBigForZip32();
  const disk = tail.readUInt16LE(eocd + 4);
  const cdDisk = tail.readUInt16LE(eocd + 6);
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw tooBigForZip32();
  if (disk !== 0 || cdDisk !== 0) throw damaged('it is one part of a split archive');
  if (count === 0) throw notAWorkbook(new Map());
  if (count > MAX_ENTRIES || cdSize > MAX_DIRECTORY_BYTES) {
    throw fileError('expands_too_large', `The workbook has too many parts (${formatCount(count)})`);
  }
  if (cdOffset + cdSize > size - tailLength + eocd) throw damaged('its table of contents is out of place');

  const cd = await readAt(fh, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CDH_SIG)
      throw damaged('its table of contents is broken');
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    if (p + 46 + nameLength > cd.length) throw damaged('its table of contents is broken');
    const entry: ZipEntry = {
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
      crc32: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      uncompressedSize: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
      name: cd.toString('utf8', p + 46, p + 46 + nameLength),
    };
    if (
      entry.compressedSize === 0xffffffff ||
      entry.uncompressedSize === 0xffffffff ||
      entry.localHeaderOffset === 0xffffffff
    ) {
      throw tooBigForZip32();
    }
    entries.push(entry);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

const ratioOf = (e: ZipEntry) => e.uncompressedSize / Math.max(e.compressedSize, 1);

function checkDeclaredSizes(parts: ZipEntry[], limits: ImportLimits) {
  let total = 0;
  for (const e of parts) {
    total += e.uncompressedSize;
    const ratio = ratioOf(e);
    if (e.uncompressedSize > RATIO_FLOOR && ratio > limits.maxCompressionRatio) {
      throw fileError(
        'expands_too_large',
        `The workbook cannot be read safely: ${e.name} would unpack ${formatCount(Math.round(ratio))} times larger than it is stored (the limit is ${formatCount(limits.maxCompressionRatio)}). It looks like a zip bomb.`,
      );
    }
  }
  if (total > limits.maxUncompressedBytes) throw expandsTooLarge(total, limits);
}

const expandsTooLarge = (bytes: number, limits: ImportLimits) =>
  fileError(
    'expands_too_large',
    `The workbook would unpack to ${bytes > limits.maxUncompressedBytes * 4 ? 'more than ' : ''}${formatBytes(Math.min(bytes, limits.maxUncompressedBytes * 4))}; the limit is ${formatBytes(limits.maxUncompressedBytes)}`,
  );

const tooBigForZip32 = () =>
  fileError('expands_too_large', 'The workbook is too large to import (it needs the ZIP64 format)');

const tooManySharedStrings = (e: ZipEntry, limits: ImportLimits) =>
  fileError(
    'too_many_shared_strings',
    `The workbook's shared strings table is ${formatBytes(e.uncompressedSize)} unpacked; the limit is ${formatBytes(limits.maxSharedStringsBytes)}`,
  );

function notAWorkbook(byName: Map<string, ZipEntry>) {
  if (byName.has('xl/workbook.bin')) {
    return fileError(
      'unsupported_format',
      'Binary Excel workbooks (.xlsb) are not supported. Save it as .xlsx or CSV and upload it again.',
    );
  }
  if (byName.has('mimetype') || byName.has('content.xml')) {
    return fileError(
      'unsupported_format',
      'OpenDocument spreadsheets (.ods) are not supported. Save it as .xlsx or CSV and upload it again.',
    );
  }
  return fileError(
    'not_a_spreadsheet',
    'This is a zip file, not an Excel workbook. Export the contacts as .xlsx or CSV and upload that file.',
  );
}

/**
 * Inflates one part into a byte counter (and the XML scanner), never holding more than a chunk unless
 * the caller needs the text of a small part. The part must unpack to exactly its declared size.
 */
async function verifyPart(
  fh: FileHandle,
  path: string,
  fileSize: number,
  entry: ZipEntry,
  as: string,
  limits: ImportLimits,
  kind: PartKind,
): Promise<{ part: VerifiedPart; text: string; counted: number }> {
  const collect = kind === 'small';
  if (entry.method !== 0 && entry.method !== 8) {
    throw fileError(
      'unsupported_format',
      `The workbook uses a compression method we cannot read (${entry.method}). Save it again from Excel.`,
    );
  }
  if (collect && entry.uncompressedSize > MAX_SMALL_PART) {
    throw fileError('expands_too_large', `The workbook cannot be read safely: ${entry.name} is too large`);
  }

  const local = await readAt(fh, entry.localHeaderOffset, 30).catch(() => {
    throw damaged(`${entry.name} is missing`);
  });
  if (local.readUInt32LE(0) !== LFH_SIG) throw damaged(`${entry.name} is missing`);
  const dataOffset = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  if (dataOffset + entry.compressedSize > fileSize) throw damaged(`${entry.name} is cut short`);
  const part: VerifiedPart = { ...entry, dataOffset, as };

  const scanner = createXmlScanner(entry.name, {
    maxDepth: limits.maxXmlDepth,
    // Never below what a cell of the maximum length may take once escaped (`&#x1F600;` is 9 bytes).
    maxTokenBytes: Math.max(MAX_XML_TOKEN, limits.maxCellChars * 10),
    count: kind === 'sharedStrings' ? ['si', 'r'] : [],
    maxRowBytes: kind === 'sheet' ? Math.max(MAX_ROW_BYTES, limits.maxCellChars * 100) : undefined,
  });
  const chunks: Buffer[] = [];
  let produced = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      produced += chunk.length;
      if (produced > entry.uncompressedSize) {
        done(damaged(`${entry.name} unpacks to more than its declared size`));
        return;
      }
      try {
        scanner.write(chunk);
      } catch (err) {
        done(err as Error);
        return;
      }
      if (collect) chunks.push(chunk);
      done();
    },
  });
  if (entry.compressedSize === 0) {
    if (entry.method !== 0 || entry.uncompressedSize !== 0) throw damaged(`${entry.name} is empty`);
  } else {
    const raw = createReadStream(path, { start: dataOffset, end: dataOffset + entry.compressedSize - 1 });
    try {
      if (entry.method === 8) await pipeline(raw, createInflateRaw({ chunkSize: 64 * 1024 }), sink);
      else await pipeline(raw, sink);
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (
        typeof (err as { code?: unknown }).code === 'string' &&
        (err as { code: string }).code.startsWith('Z_')
      ) {
        throw damaged(`${entry.name} is not valid compressed data`);
      }
      throw err;
    }
  }
  if (produced !== entry.uncompressedSize) throw damaged(`${entry.name} is not the size it declares`);
  return { part, text: collect ? Buffer.concat(chunks).toString('utf8') : '', counted: scanner.counted };
}

/** The first visible worksheet, found the way Excel does: workbook order, through the relationships. */
function findFirstWorksheet(
  workbookXml: string,
  relsXml: string,
): { path: string; name: string; count: number } {
  const targets = new Map<string, { target: string; type: string }>();
  for (const m of relsXml.matchAll(/<(?:[\w.-]+:)?Relationship\b([^>]*)>/g)) {
    const attrs = m[1] ?? '';
    const id = attr(attrs, 'Id');
    const target = attr(attrs, 'Target');
    if (id && target) targets.set(id, { target, type: attr(attrs, 'Type') ?? '' });
  }
  const sheets = [...workbookXml.matchAll(/<(?:[\w.-]+:)?sheet\b([^>]*)>/g)].map((m) => {
    const attrs = m[1] ?? '';
    const rel = targets.get(attr(attrs, '[\\w.-]+:id') ?? '');
    return {
      name: decodeXmlText(attr(attrs, 'name') ?? ''),
      hidden: /^(hidden|veryHidden)$/.test(attr(attrs, 'state') ?? ''),
      rel,
    };
  });
  const first = sheets.find((s) => !s.hidden && s.rel?.type.endsWith('/worksheet'));
  if (!first?.rel) {
    throw fileError('empty_file', 'The workbook has no worksheet to read (only charts or hidden sheets)');
  }
  const target = first.rel.target;
  const path = target.startsWith('/') ? target.slice(1) : posix.normalize(`xl/${target}`);
  return { path, name: first.name || 'Sheet1', count: sheets.length };
}

function attr(attrs: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attrs);
  return m ? (m[1] ?? m[2]) : undefined;
}

function decodeXmlText(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (e[0] !== '#') return named[e.toLowerCase()] ?? '';
    const code =
      e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

async function* synthesiseZip(path: string, parts: (VerifiedPart | { as: string; stored: Buffer })[]) {
  for (const part of parts) {
    if ('stored' in part) {
      yield localHeader(part.as, 0, part.stored.length, part.stored.length);
      yield part.stored;
      continue;
    }
    yield localHeader(part.as, part.method, part.compressedSize, part.uncompressedSize, part.crc32);
    if (part.compressedSize > 0) {
      yield* createReadStream(path, {
        start: part.dataOffset,
        end: part.dataOffset + part.compressedSize - 1,
      });
    }
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(EOCD_SIG, 0);
  yield eocd;
}

/** Sizes in the header and no data descriptor: the reader takes exactly the bytes we verified. */
function localHeader(name: string, method: number, compressed: number, uncompressed: number, crc32 = 0) {
  const nameBytes = Buffer.from(name, 'utf8');
  const h = Buffer.alloc(30 + nameBytes.length);
  h.writeUInt32LE(LFH_SIG, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(0x0800, 6);
  h.writeUInt16LE(method, 8);
  h.writeUInt32LE(crc32, 14);
  h.writeUInt32LE(compressed, 18);
  h.writeUInt32LE(uncompressed, 22);
  h.writeUInt16LE(nameBytes.length, 26);
  nameBytes.copy(h, 30);
  return h;
}
