import { fileError } from './file-error.ts';
import { formatBytes, formatCount } from './limits.ts';

export type XmlScanOptions = {
  maxDepth: number;
  /** Longest text node, tag (attributes included), comment or CDATA section, in bytes. */
  maxTokenBytes: number;
  /** Elements to count (by local name, unprefixed), e.g. the `si` entries of a shared strings table. */
  count?: string[];
  /** Worksheets: most bytes from one `<row>` to the next (or to `</sheetData>`). */
  maxRowBytes?: number;
};

export type XmlScanner = {
  write(chunk: Buffer): void;
  /** Elements named in `count` seen so far. */
  readonly counted: number;
};

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const NAME_CHARS = 12;

enum S {
  Text,
  Lt,
  OpenName,
  OpenTag,
  Quoted,
  CloseTag,
  Bang,
  Comment,
  Cdata,
  Pi,
  Skip,
}

/**
 * A byte-level pass over an XML part before ExcelJS parses it. The parser behind ExcelJS keeps a stack
 * entry per open element and accumulates each text node, attribute and row whole, so deep nesting or
 * one enormous token is a memory bomb; and Excel never writes a DTD, the door to entity expansion.
 * This tracks only what it needs to refuse those, in constant memory, across any chunk boundaries.
 */
export function createXmlScanner(part: string, options: XmlScanOptions): XmlScanner {
  const counted = new Set(options.count ?? []);
  let state = S.Text;
  let depth = 0;
  let quote = 0;
  let prev = 0;
  let name = '';
  let bang = '';
  let tail = 0;
  let count = 0;
  /** Absolute offset of the first byte of `buf`. */
  let base = 0;
  /** Where the current token (text node, or a tag from its `<`) began. */
  let tokenStart = 0;
  let rowStart = -1;

  const hostile = (what: string) =>
    fileError('xml_too_large', `The workbook is damaged or hostile: ${part} ${what}`);

  const checkToken = (end: number) => {
    if (end - tokenStart > options.maxTokenBytes) {
      throw hostile(`holds a single piece of text or tag larger than ${formatBytes(options.maxTokenBytes)}`);
    }
  };

  /** The current token ends at `at` (exclusive) and the next begins there. */
  const nextToken = (at: number) => {
    checkToken(at);
    tokenStart = at;
  };

  const checkRow = (at: number) => {
    if (options.maxRowBytes !== undefined && rowStart >= 0 && at - rowStart > options.maxRowBytes) {
      throw hostile(`has a row larger than ${formatBytes(options.maxRowBytes)}`);
    }
  };

  const openElement = (at: number) => {
    if (counted.has(name)) count++;
    if (name === 'row') {
      checkRow(at);
      rowStart = at;
    }
    depth++;
    if (depth > options.maxDepth) {
      throw fileError(
        'xml_too_deep',
        `The workbook is damaged or hostile: ${part} nests elements more than ${formatCount(options.maxDepth)} deep`,
      );
    }
  };

  const closeElement = (at: number) => {
    depth = Math.max(0, depth - 1);
    if (name === 'sheetData') {
      checkRow(at);
      rowStart = -1;
    }
  };

  return {
    get counted() {
      return count;
    },
    write(buf) {
      const n = buf.length;
      let i = 0;
      while (i < n) {
        switch (state) {
          case S.Text: {
            const at = buf.indexOf(LT, i);
            if (at < 0) {
              i = n;
              break;
            }
            state = S.Lt;
            nextToken(base + at);
            i = at + 1;
            break;
          }
          case S.Lt: {
            const c = buf[i]!;
            prev = c;
            name = '';
            if (c === SLASH) state = S.CloseTag;
            else if (c === BANG) {
              state = S.Bang;
              bang = '';
            } else if (c === QUESTION) state = S.Pi;
            else {
              state = S.OpenName;
              name = String.fromCharCode(c);
            }
            i++;
            break;
          }
          case S.OpenName:
          case S.OpenTag: {
            const c = buf[i]!;
            if (state === S.OpenName) {
              if (c === GT || c === SLASH || c <= 0x20) {
                state = S.OpenTag;
                openElement(tokenStart);
              } else if (name.length < NAME_CHARS) {
                name += String.fromCharCode(c);
              }
            }
            if (state === S.OpenTag) {
              if (c === GT) {
                if (prev === SLASH) closeElement(base + i);
                state = S.Text;
                nextToken(base + i + 1);
              } else if (c === DQUOTE || c === SQUOTE) {
                quote = c;
                state = S.Quoted;
              }
            }
            prev = c;
            i++;
            break;
          }
          case S.Quoted: {
            const at = buf.indexOf(quote, i);
            if (at < 0) {
              i = n;
              break;
            }
            state = S.OpenTag;
            prev = quote;
            i = at + 1;
            break;
          }
          case S.CloseTag: {
            const c = buf[i]!;
            if (c === GT) {
              closeElement(base + i);
              state = S.Text;
              nextToken(base + i + 1);
            } else if (c > 0x20 && name.length < NAME_CHARS) {
              name += String.fromCharCode(c);
            }
            i++;
            break;
          }
          case S.Bang: {
            bang += String.fromCharCode(buf[i]!);
            i++;
            if (bang === '--') {
              state = S.Comment;
              tail = 0;
            } else if (bang === '[CDATA[') {
              state = S.Cdata;
              tail = 0;
            } else if (/^(DOCTYPE|ENTITY)$/i.test(bang)) {
              throw fileError(
                'xml_not_allowed',
                `The workbook is damaged or hostile: ${part} declares a DTD, which Excel never writes`,
              );
            } else if (
              !['--', '[CDATA[', 'DOCTYPE', 'ENTITY'].some((w) => w.startsWith(bang.toUpperCase()))
            ) {
              state = S.Skip;
            }
            break;
          }
          case S.Comment:
          case S.Cdata: {
            // Ends at "-->" or "]]>": count the closing characters seen in a row.
            const end = state === S.Comment ? 0x2d : 0x5d;
            const c = buf[i]!;
            if (c === GT && tail >= 2) {
              state = S.Text;
              nextToken(base + i + 1);
            } else tail = c === end ? tail + 1 : 0;
            i++;
            break;
          }
          case S.Pi: {
            const c = buf[i]!;
            if (c === GT && prev === QUESTION) {
              state = S.Text;
              nextToken(base + i + 1);
            }
            prev = c;
            i++;
            break;
          }
          case S.Skip: {
            const at = buf.indexOf(GT, i);
            if (at < 0) {
              i = n;
              break;
            }
            state = S.Text;
            nextToken(base + at + 1);
            i = at + 1;
            break;
          }
        }
      }
      base += n;
      // Also mid-token: one spanning many chunks is refused within a chunk of crossing the limit.
      checkToken(base);
      checkRow(base);
    },
  };
}
