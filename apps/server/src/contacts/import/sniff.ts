import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { fileError } from './file-error.ts';
import { formatBytes, type ImportLimits } from './limits.ts';

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** What a CSV file looks like before it is parsed. */
export type CsvLayout = {
  encoding: TextEncodingName;
  bom: boolean;
  delimiter: string;
  /** Excel's `sep=;` first line: a hint, not a row. */
  skipSepLine: boolean;
  warnings: string[];
};

export type SniffedFile = { size: number } & ({ format: 'xlsx' } | ({ format: 'csv' } & CsvLayout));

const HEAD_BYTES = 64 * 1024;
const DELIMITERS = [',', ';', '\t', '|'];

/**
 * Looks at the first bytes (and, when the encoding is not declared by a BOM, checks the whole file is
 * UTF-8) to decide what kind of file this is. The extension is never trusted: people rename files.
 */
export async function sniffFile(path: string, limits: ImportLimits): Promise<SniffedFile> {
  const { size } = await stat(path);
  if (size === 0) throw fileError('empty_file', 'The file is empty');
  if (size > limits.maxBytes) {
    throw fileError(
      'file_too_large',
      `The file is ${formatBytes(size)}; the limit is ${formatBytes(limits.maxBytes)}`,
    );
  }
  const head = await readHead(path, Math.min(size, HEAD_BYTES));

  // Local file header, or the end record of an empty zip: "PK" alone could start a CSV header.
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) {
    return { size, format: 'xlsx' };
  }
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    // The OLE container holds both legacy .xls files and password-protected .xlsx files.
    throw fileError(
      'unsupported_format',
      'This is an old Excel (.xls) file or a password-protected workbook. Save it as .xlsx or CSV (UTF-8) without a password and upload it again.',
    );
  }

  const declared = encodingFromBom(head) ?? utf16WithoutBom(head);
  const warnings: string[] = [];
  let encoding: TextEncodingName;
  if (declared) {
    encoding = declared.encoding;
  } else {
    // Read byte for byte first, so garbage is turned away before the whole-file pass below.
    if (looksBinary(head.toString('latin1'))) throw notASpreadsheet();
    encoding = (await isUtf8File(path)) ? 'utf-8' : 'windows-1252';
    if (encoding === 'windows-1252') {
      warnings.push(
        'The file is not UTF-8, so it was read as Windows-1252 (Western European). If names look wrong, save it as “CSV UTF-8” and upload it again.',
      );
    }
  }
  const bom = declared?.bom ?? false;

  const text = decodeHead(head, encoding, size > head.length);
  if (looksBinary(text)) throw notASpreadsheet();

  const sep = /^sep=(.)\r?\n/i.exec(text);
  const delimiter = sep?.[1] ?? detectDelimiter(sep ? text.slice(sep[0].length) : text);
  return { size, format: 'csv', encoding, bom, delimiter, skipSepLine: sep !== null, warnings };
}

const notASpreadsheet = () =>
  fileError(
    'not_a_spreadsheet',
    'This is not a CSV or Excel file. Export the contacts as .xlsx or CSV and upload that file.',
  );

async function readHead(path: string, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

const startsWith = (buf: Buffer, bytes: number[]) => bytes.every((b, i) => buf[i] === b);

function encodingFromBom(head: Buffer): { encoding: TextEncodingName; bom: true } | undefined {
  if (startsWith(head, [0xef, 0xbb, 0xbf])) return { encoding: 'utf-8', bom: true };
  if (startsWith(head, [0xff, 0xfe])) return { encoding: 'utf-16le', bom: true };
  if (startsWith(head, [0xfe, 0xff])) return { encoding: 'utf-16be', bom: true };
  return undefined;
}

/** UTF-16 saved without a BOM: mostly-ASCII text has a zero in every other byte. */
function utf16WithoutBom(head: Buffer): { encoding: TextEncodingName; bom: false } | undefined {
  const n = Math.min(head.length, 4096) & ~1;
  if (n < 4) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) evenZeros++;
    if (head[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros / pairs > 0.4 && evenZeros / pairs < 0.05) return { encoding: 'utf-16le', bom: false };
  if (evenZeros / pairs > 0.4 && oddZeros / pairs < 0.05) return { encoding: 'utf-16be', bom: false };
  return undefined;
}

/** Streams the whole file through a strict decoder: an é on row 90,000 decides the encoding too. */
async function isUtf8File(path: string): Promise<boolean> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of createReadStream(path)) decoder.decode(chunk as Buffer, { stream: true });
    decoder.decode();
    return true;
  } catch (err) {
    if (err instanceof TypeError) return false;
    throw err;
  }
}

function decodeHead(head: Buffer, encoding: TextEncodingName, truncated: boolean): string {
  const text = new TextDecoder(encoding).decode(head, { stream: truncated });
  if (!truncated) return text;
  // Drop the last, probably cut, line so it does not skew the delimiter count.
  const lastBreak = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
  return lastBreak > 0 ? text.slice(0, lastBreak + 1) : text;
}

/**
 * Text has almost no control characters (a stray NUL happens, and is dropped later); binary files
 * (images, PDFs, executables) are full of them.
 */
function looksBinary(text: string): boolean {
  if (text.length === 0) return false;
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) || c === 0x7f) controls++;
    // Bytes that do not decode: random data behind a UTF-16 BOM is mostly unpaired surrogates.
    else if (c === 0xfffd) controls++;
  }
  return controls > 8 && controls / text.length > 0.01;
}

/**
 * The delimiter that splits the first records into the same number (at least two) of fields most
 * consistently; ties go to the one giving more fields, then to the comma. A file with one column
 * (just phone numbers) has no delimiter to find and gets the comma.
 */
export function detectDelimiter(text: string): string {
  let best = { delimiter: ',', consistency: 0, fields: 1 };
  for (const delimiter of DELIMITERS) {
    const counts = countFields(text, delimiter, 50);
    if (counts.length === 0) continue;
    const freq = new Map<number, number>();
    for (const c of counts) freq.set(c, (freq.get(c) ?? 0) + 1);
    let fields = 1;
    let hits = 0;
    for (const [c, f] of freq) {
      if (f > hits || (f === hits && c > fields)) {
        fields = c;
        hits = f;
      }
    }
    if (fields < 2) continue;
    const consistency = hits / counts.length;
    if (consistency > best.consistency || (consistency === best.consistency && fields > best.fields)) {
      best = { delimiter, consistency, fields };
    }
  }
  return best.delimiter;
}

/** Fields per non-empty record, honouring quotes (a quoted field may hold delimiters and newlines). */
function countFields(text: string, delimiter: string, maxRecords: number): number[] {
  const counts: number[] = [];
  let fields = 1;
  let inQuotes = false;
  let fieldStart = true;
  let content = false;
  for (let i = 0; i < text.length && counts.length < maxRecords; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') i++;
        else inQuotes = false;
      }
      continue;
    }
    if (ch === '"' && fieldStart) {
      inQuotes = true;
      content = true;
      fieldStart = false;
    } else if (ch === delimiter) {
      fields++;
      content = true;
      fieldStart = true;
    } else if (ch === '\n' || ch === '\r') {
      if (content) counts.push(fields);
      fields = 1;
      content = false;
      fieldStart = true;
    } else {
      if (ch !== ' ') content = true;
      fieldStart = false;
    }
  }
  if (content && counts.length < maxRecords) counts.push(fields);
  return counts;
}
