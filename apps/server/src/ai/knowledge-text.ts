/**
 * Knowledge documents as text (issue 23): what a business uploads (plain text, Markdown, PDF, DOCX)
 * becomes normalised text, then passages small enough to search and to quote to a model. Pure: no
 * database, no network. Why these libraries and this chunking: docs/adr/0019-knowledge-parsing.md.
 */
import mammoth from 'mammoth';
import { getDocumentProxy } from 'unpdf';
import { AppError } from '../lib/errors.ts';

export type KnowledgeFormat = 'text' | 'markdown' | 'pdf' | 'docx';

export interface KnowledgeChunk {
  ord: number;
  /** The nearest Markdown heading above the passage, without its `#`s. */
  heading: string | null;
  text: string;
}

export const KNOWLEDGE_MAX_CHARS = 2_000_000;

const ACCEPTED = 'Upload plain text (.txt), Markdown (.md), PDF or Word (.docx)';
// What a DOCX may declare it unpacks to; past this it is a zip bomb, not a document.
const DOCX_MAX_UNPACKED_BYTES = 200 * 1024 * 1024;

export async function extractText(input: {
  bytes: Buffer;
  filename: string;
  contentType?: string | null;
}): Promise<{ text: string; format: KnowledgeFormat }> {
  const { bytes } = input;
  const name = input.filename.trim() || 'The file';
  const ext = /\.([a-z0-9]+)$/i.exec(input.filename.trim())?.[1]?.toLowerCase() ?? '';
  const type = (input.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

  let format: KnowledgeFormat;
  let raw: string;
  if (isPdf(bytes, ext === 'pdf' || type === 'application/pdf')) {
    format = 'pdf';
    raw = await readPdf(bytes, name);
  } else if (isZip(bytes)) {
    const entries = zipEntries(bytes);
    if (!entries) {
      if (claimsDocx(ext, type)) throw damaged(name, 'Word document');
      throw unsupported(`${name} is a ZIP archive`);
    }
    if (!entries.has('word/document.xml'))
      throw unsupported(`${name} is a ZIP archive but not a Word document`);
    let unpacked = 0;
    for (const size of entries.values()) unpacked += size;
    if (unpacked > DOCX_MAX_UNPACKED_BYTES) throw damaged(name, 'Word document');
    format = 'docx';
    raw = await readDocx(bytes, name);
  } else if (isOle(bytes)) {
    throw unsupported(`${name} is an old Office file (.doc/.xls); save it as .docx or PDF`);
  } else if (ext === 'pdf' || type === 'application/pdf') {
    throw damaged(name, 'PDF');
  } else if (claimsDocx(ext, type)) {
    throw damaged(name, 'Word document');
  } else if (['md', 'markdown'].includes(ext) || ['text/markdown', 'text/x-markdown'].includes(type)) {
    format = 'markdown';
    raw = decodeText(bytes, name);
  } else if (['txt', 'text'].includes(ext) || type === 'text/plain') {
    format = 'text';
    raw = decodeText(bytes, name);
  } else {
    throw unsupported(`${name} is not a supported document`);
  }

  const text = normalizeText(raw);
  if (text === '') {
    throw new AppError(
      'VALIDATION_FAILED',
      format === 'pdf'
        ? `No text found in ${name}: a scanned PDF has only images of text; upload a PDF with a text layer`
        : `No text found in ${name}`,
    );
  }
  if (text.length > KNOWLEDGE_MAX_CHARS) throw tooLong(name);
  return { text, format };
}

/** One shape for every format: `\n` lines, no control characters, no trailing spaces, one blank line at most. */
export function normalizeText(text: string): string {
  return (
    text
      .replace(/^\uFEFF/, '')
      .replace(/\r\n?|[\u2028\u2029]/g, '\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
      .replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '')
      // PDFs carry typographic ligatures (ﬁ, ﬂ): as themselves, "file" would never match a search.
      .replace(/[\uFB00-\uFB06]/g, (c) => c.normalize('NFKC'))
      .normalize('NFC')
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .replace(/^\n+|\n+$/g, '')
  );
}

export function chunkText(
  text: string,
  o: { maxChars?: number; overlapChars?: number } = {},
): KnowledgeChunk[] {
  const maxChars = o.maxChars ?? 1200;
  const overlapChars = o.overlapChars ?? 150;
  if (!Number.isInteger(maxChars) || maxChars < 1)
    throw new RangeError('maxChars must be a positive integer');
  if (!Number.isInteger(overlapChars) || overlapChars < 0 || overlapChars >= maxChars) {
    throw new RangeError('overlapChars must be an integer from 0 to below maxChars');
  }
  const chunks: KnowledgeChunk[] = [];
  const emit = (heading: string | null, t: string) => chunks.push({ ord: chunks.length, heading, text: t });

  for (const section of splitSections(text.replace(/\r\n?/g, '\n'))) {
    const prefix = section.headingLines.join('\n');
    // A heading is repeated at the top of each of its chunks, so search finds every passage under it,
    // unless it would eat more than half of the room.
    const repeat = prefix !== '' && prefix.length + 2 <= maxChars / 2;
    if (prefix !== '' && (!repeat || section.paragraphs.length === 0)) {
      for (const piece of pack(toUnits([prefix], maxChars), maxChars, 0)) emit(section.heading, piece);
    }
    if (section.paragraphs.length === 0) continue;
    const budget = repeat ? maxChars - prefix.length - 2 : maxChars;
    for (const body of pack(toUnits(section.paragraphs, budget), budget, overlapChars)) {
      emit(section.heading, repeat ? `${prefix}\n\n${body}` : body);
    }
  }
  return chunks;
}

// ---- chunking ----

interface Section {
  headingLines: string[];
  heading: string | null;
  paragraphs: string[];
}

const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(```|~~~)/;

/** Paragraphs (split on blank lines) grouped under the ATX headings above them; `#` inside a code fence is code. */
function splitSections(text: string): Section[] {
  const sections: Section[] = [];
  let cur: Section = { headingLines: [], heading: null, paragraphs: [] };
  let para: string[] = [];
  let inFence = false;
  const endParagraph = () => {
    if (para.length > 0) cur.paragraphs.push(para.join('\n'));
    para = [];
  };
  for (const line of text.split('\n')) {
    if (FENCE.test(line)) inFence = !inFence;
    const m = inFence ? null : HEADING.exec(line);
    if (m?.[2]) {
      endParagraph();
      // Headings with nothing between them (a title over a subtitle) head the same passages.
      if (cur.paragraphs.length > 0) {
        sections.push(cur);
        cur = { headingLines: [], heading: null, paragraphs: [] };
      }
      cur.headingLines.push(line.trim());
      cur.heading = m[2];
    } else if (line.trim() === '') {
      endParagraph();
    } else {
      para.push(line);
    }
  }
  endParagraph();
  if (cur.paragraphs.length > 0 || cur.headingLines.length > 0) sections.push(cur);
  return sections;
}

interface Unit {
  text: string;
  /** What joins it to the unit before it in a chunk: a paragraph break, or a space inside a paragraph. */
  sep: string;
}

/** Paragraphs that fit stay whole; longer ones are cut at sentence ends, then spaces, then (a "word" longer than the room) anywhere. */
function toUnits(paragraphs: string[], room: number): Unit[] {
  const units: Unit[] = [];
  for (const p of paragraphs) {
    const pieces = p.length <= room ? [p] : splitLong(p, room);
    for (const [i, text] of pieces.entries()) units.push({ text, sep: i === 0 ? '\n\n' : ' ' });
  }
  return units;
}

const SENTENCE_END = /(?<=[.!?…][)"'’”\]]*)\s+|(?<=[。！？])/u;

function splitLong(p: string, room: number): string[] {
  const out: string[] = [];
  for (const sentence of p.split(SENTENCE_END)) {
    if (sentence === '') continue;
    if (sentence.length <= room) {
      out.push(sentence);
      continue;
    }
    for (const word of sentence.split(/\s+/)) {
      if (word === '') continue;
      if (word.length <= room) out.push(word);
      else out.push(...cutWord(word, room));
    }
  }
  return out;
}

/** A run without spaces longer than a chunk (a URL, a base64 blob, CJK text) in pieces, never between a surrogate pair. */
function cutWord(word: string, room: number): string[] {
  const out: string[] = [];
  let piece = '';
  for (const ch of word) {
    if (piece.length + ch.length > room && piece !== '') {
      out.push(piece);
      piece = '';
    }
    piece += ch;
  }
  if (piece !== '') out.push(piece);
  return out;
}

/** Greedy packing; each chunk after the first starts with the last whole words (about `overlap` chars) of the one before. */
function pack(units: Unit[], room: number, overlap: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const u of units) {
    const sep = cur === '' ? '' : u.sep;
    if (cur.length + sep.length + u.text.length <= room) {
      cur += sep + u.text;
      continue;
    }
    out.push(cur);
    const tail = lastWords(cur, Math.min(overlap, room - u.text.length - u.sep.length));
    cur = tail === '' ? u.text : tail + u.sep + u.text;
  }
  if (cur !== '') out.push(cur);
  return out;
}

function lastWords(text: string, max: number): string {
  if (max <= 0) return '';
  const words = text.split(/\s+/).filter((w) => w !== '');
  let tail = '';
  for (let i = words.length - 1; i >= 0; i--) {
    const next = tail === '' ? (words[i] as string) : `${words[i]} ${tail}`;
    if (next.length > max) break;
    tail = next;
  }
  return tail;
}

// ---- formats ----

function unsupported(what: string): AppError {
  return new AppError('UNSUPPORTED_MEDIA_TYPE', `${what}. ${ACCEPTED}.`);
}

function damaged(name: string, kind: string): AppError {
  return new AppError(
    'VALIDATION_FAILED',
    `${name} could not be read as a ${kind}: it looks damaged or incomplete`,
  );
}

function tooLong(name: string): AppError {
  return new AppError(
    'VALIDATION_FAILED',
    `${name} has more than ${KNOWLEDGE_MAX_CHARS.toLocaleString('en-US')} characters of text; split it into smaller documents`,
  );
}

function claimsDocx(ext: string, type: string): boolean {
  return ext === 'docx' || type === 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
}

function isPdf(b: Buffer, named: boolean): boolean {
  // A file said to be a PDF may carry a little junk before its header, as readers (and pdf.js) allow;
  // a text file merely mentioning "%PDF-" near its top is not one.
  return b.subarray(0, 5).toString('latin1') === '%PDF-' || (named && b.subarray(0, 1024).includes('%PDF-'));
}

function isZip(b: Buffer): boolean {
  return b.length >= 4 && b.readUInt32LE(0) === 0x04034b50;
}

function isOle(b: Buffer): boolean {
  return (
    b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))
  );
}

/**
 * The entry names of a ZIP and the sizes they declare they unpack to, from its central directory;
 * null when there is none (truncated, corrupt). ZIP64 is not read (Word does not write it): such a
 * file reads as damaged, or its oversized entries count as 0.
 */
function zipEntries(b: Buffer): Map<string, number> | null {
  const from = Math.max(0, b.length - 22 - 0xffff);
  for (let eocd = b.length - 22; eocd >= from; eocd--) {
    if (b.readUInt32LE(eocd) !== 0x06054b50) continue;
    const count = b.readUInt16LE(eocd + 10);
    let at = b.readUInt32LE(eocd + 16);
    const entries = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      if (at + 46 > b.length || b.readUInt32LE(at) !== 0x02014b50) return null;
      const size = b.readUInt32LE(at + 24);
      const nameLen = b.readUInt16LE(at + 28);
      const skip = nameLen + b.readUInt16LE(at + 30) + b.readUInt16LE(at + 32);
      if (at + 46 + nameLen > b.length) return null;
      entries.set(b.toString('utf8', at + 46, at + 46 + nameLen), size === 0xffffffff ? 0 : size);
      at += 46 + skip;
    }
    return entries;
  }
  return null;
}

function decodeText(bytes: Buffer, name: string): string {
  let text: string;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) text = new TextDecoder('utf-16le').decode(bytes.subarray(2));
  else if (bytes[0] === 0xfe && bytes[1] === 0xff)
    text = new TextDecoder('utf-16be').decode(bytes.subarray(2));
  else text = new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
  if (text.includes('\u0000')) throw unsupported(`${name} contains binary data, not text`);
  // A stray bad byte is tolerated (shown as �); text that is mostly not UTF-8 is another encoding or binary.
  const bad = text.match(/\uFFFD/g)?.length ?? 0;
  if (bad > 8 && bad > text.length / 100) {
    throw unsupported(`${name} is not UTF-8 text (save it as UTF-8)`);
  }
  return text;
}

async function readPdf(bytes: Buffer, name: string): Promise<string> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>> | undefined;
  try {
    // A copy: pdf.js may take ownership of (detach) the buffer it is given.
    pdf = await getDocumentProxy(new Uint8Array(bytes), {
      verbosity: 0,
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
    });
    const pages: string[] = [];
    let length = 0;
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if ('str' in item) text += item.str + (item.hasEOL ? '\n' : '');
      }
      page.cleanup();
      pages.push(text);
      length += text.length;
      // Stop reading once past the limit rather than holding a whole huge book in memory.
      if (length > KNOWLEDGE_MAX_CHARS * 2) break;
    }
    return pages.join('\n\n');
  } catch (e) {
    if (e instanceof AppError) throw e;
    if (e instanceof Error && e.name === 'PasswordException') {
      throw new AppError('VALIDATION_FAILED', `${name} is password-protected; upload it without a password`);
    }
    throw damaged(name, 'PDF');
  } finally {
    await pdf?.destroy().catch(() => {});
  }
}

async function readDocx(bytes: Buffer, name: string): Promise<string> {
  try {
    const result = await mammoth.convertToHtml(
      { buffer: bytes },
      // Images are not text; never inline them (mammoth's default makes base64 data URIs).
      { convertImage: mammoth.images.imgElement(async () => ({ src: '' })), externalFileAccess: false },
    );
    return htmlToText(result.value);
  } catch {
    throw damaged(name, 'Word document');
  }
}

/**
 * Mammoth's HTML (headings, paragraphs, lists, tables, inline formatting; well-formed, escaped) to
 * Markdown-ish text: headings keep their `#`s so the chunker can use them.
 */
function htmlToText(html: string): string {
  return html
    .replace(/<h([1-6])[^>]*>/g, (_, n: string) => `\n\n${'#'.repeat(Number(n))} `)
    .replace(/<\/(h[1-6]|p|ul|ol|table)>/g, '\n\n')
    .replace(/<li[^>]*>/g, '\n- ')
    .replace(/<br\s*\/?>|<\/tr>/g, '\n')
    .replace(/<\/t[dh]>/g, '\t')
    .replace(/<[^>]*>/g, '')
    .replace(
      /&(?:#(\d+)|#x([0-9a-f]+)|(amp|lt|gt|quot|apos|nbsp));/gi,
      (_, dec, hex, named: string | undefined) => {
        if (dec) return String.fromCodePoint(Number(dec));
        if (hex) return String.fromCodePoint(Number.parseInt(hex, 16));
        return (
          { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00A0' } as Record<string, string>
        )[(named as string).toLowerCase()] as string;
      },
    )
    .replace(/^[ \t]+/gm, '');
}
