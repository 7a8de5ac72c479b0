const MB = 1024 * 1024;

/**
 * Bounds on what an uploaded contact file may cost us. Every one is checked while reading, so a hostile
 * file is refused with a clear message instead of exhausting memory, disk or time.
 */
export type ImportLimits = {
  /** Size of the uploaded file. */
  maxBytes: number;
  /** Data rows (not counting the header or empty rows). */
  maxRows: number;
  /** Characters in one cell. */
  maxCellChars: number;
  /** Cells in one row (trailing empty cells are not counted). */
  maxColumns: number;
  /** XLSX: bytes once unzipped, per part and for the whole workbook (zip bombs). */
  maxUncompressedBytes: number;
  /** XLSX: uncompressed/compressed ratio of any part larger than 1 MB (zip bombs). */
  maxCompressionRatio: number;
  /** XLSX: entries in the shared strings table, which is held in memory while the sheet is read. */
  maxSharedStrings: number;
  /** XLSX: bytes of the shared strings table once unzipped. */
  maxSharedStringsBytes: number;
  /** XLSX: element nesting depth of any XML part (a real sheet needs about 6). */
  maxXmlDepth: number;
};

export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxBytes: 50 * MB,
  maxRows: 100_000,
  maxCellChars: 10_000,
  maxColumns: 1_000,
  maxUncompressedBytes: 512 * MB,
  maxCompressionRatio: 100,
  maxSharedStrings: 1_500_000,
  maxSharedStringsBytes: 128 * MB,
  maxXmlDepth: 64,
};

export function resolveLimits(limits: Partial<ImportLimits> = {}): ImportLimits {
  return { ...DEFAULT_IMPORT_LIMITS, ...limits };
}

/** "1,204" — numbers as a person reads them in an error message. */
export const formatCount = (n: number) => n.toLocaleString('en-US');

/** "50 MB", "1.5 MB", "900 KB". */
export function formatBytes(n: number): string {
  if (n >= MB) return `${Number((n / MB).toFixed(1))} MB`;
  if (n >= 1024) return `${Number((n / 1024).toFixed(1))} KB`;
  return `${n} bytes`;
}
