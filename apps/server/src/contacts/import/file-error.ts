import type { ErrorCode } from '@openwaba/contracts';
import { AppError } from '../../lib/errors.ts';

/** Why a file was refused; kept in `details.reason` so the wizard and tests can tell cases apart. */
export type FileProblem =
  | 'file_too_large'
  | 'empty_file'
  | 'no_data_rows'
  | 'not_a_spreadsheet'
  | 'unsupported_format'
  | 'damaged_file'
  | 'too_many_rows'
  | 'too_many_columns'
  | 'cell_too_long'
  | 'row_too_long'
  | 'quote_not_closed'
  | 'expands_too_large'
  | 'too_many_shared_strings'
  | 'xml_too_deep'
  | 'xml_too_large'
  | 'xml_not_allowed';

const CODE: Record<FileProblem, ErrorCode> = {
  file_too_large: 'PAYLOAD_TOO_LARGE',
  empty_file: 'VALIDATION_FAILED',
  no_data_rows: 'VALIDATION_FAILED',
  not_a_spreadsheet: 'UNSUPPORTED_MEDIA_TYPE',
  unsupported_format: 'UNSUPPORTED_MEDIA_TYPE',
  damaged_file: 'VALIDATION_FAILED',
  too_many_rows: 'PAYLOAD_TOO_LARGE',
  too_many_columns: 'VALIDATION_FAILED',
  cell_too_long: 'VALIDATION_FAILED',
  row_too_long: 'VALIDATION_FAILED',
  quote_not_closed: 'VALIDATION_FAILED',
  expands_too_large: 'PAYLOAD_TOO_LARGE',
  too_many_shared_strings: 'PAYLOAD_TOO_LARGE',
  xml_too_deep: 'VALIDATION_FAILED',
  xml_too_large: 'VALIDATION_FAILED',
  xml_not_allowed: 'VALIDATION_FAILED',
};

/** The one error type, with the reason (and the row, when there is one) in `details`. */
export function fileError(reason: FileProblem, message: string, row?: number): AppError {
  return new AppError(CODE[reason], message, { details: row === undefined ? { reason } : { reason, row } });
}
