import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { fileError } from './file-error.ts';
import { formatCount, type ImportLimits } from './limits.ts';
import { normaliseRow, type SheetRow } from './rows.ts';
import type { CsvLayout, TextEncodingName } from './sniff.ts';

/**
 * Every record of a CSV file, blank ones included, numbered as Excel would (a quoted cell spanning lines
 * is still one row). Streams: memory is bounded by the longest record, which csv-parse caps.
 */
export async function* readCsvRows(
  path: string,
  layout: CsvLayout,
  limits: ImportLimits,
): AsyncGenerator<SheetRow> {
  // Generous next to the cell limit so a long cell is reported as such, yet a quote that is never
  // closed (which swallows the rest of the file into one cell) stops here rather than at the end.
  const maxRecordChars = Math.max(limits.maxCellChars * 20, 2_000_000);
  const input = createReadStream(path);
  const parser = parse({
    delimiter: layout.delimiter,
    bom: false,
    from_line: layout.skipSepLine ? 2 : 1,
    relax_column_count: true,
    // Excel reads a stray quote inside an unquoted cell (5" screen) as text; so do we.
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: maxRecordChars,
  });
  const feeding = pipeline(input, createDecodeStream(layout.encoding), parser);
  // Errors reach the loop below through the parser; this only keeps an early stop from being unhandled.
  feeding.catch(() => {});
  let rowNumber = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      rowNumber++;
      yield normaliseRow(rowNumber, record, limits);
    }
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    // csv-parse counts the records it finished; the bad one is the next (ours may lag behind its buffer).
    const row = (typeof err.records === 'number' ? err.records : rowNumber) + 1;
    throw csvProblem(err, row, maxRecordChars);
  } finally {
    input.destroy();
    parser.destroy();
  }
}

function csvProblem(err: CsvError, row: number, maxRecordChars: number) {
  const at = `Row ${formatCount(row)}`;
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return fileError('quote_not_closed', `${at}: a quote (") is not closed`, row);
    case 'CSV_MAX_RECORD_SIZE':
      return fileError(
        'row_too_long',
        `${at} is longer than ${formatCount(maxRecordChars)} characters. Is a quote (") not closed?`,
        row,
      );
    default:
      return fileError('damaged_file', `${at} could not be read: ${err.message}`, row);
  }
}

/** Bytes in the file's encoding → UTF-8 text for the parser; multi-byte characters may straddle chunks. */
function createDecodeStream(encoding: TextEncodingName): Transform {
  const decoder = new TextDecoder(encoding);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      done(null, decoder.decode(chunk, { stream: true }));
    },
    flush(done) {
      done(null, decoder.decode());
    },
  });
}
