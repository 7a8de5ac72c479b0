import { ZodError } from 'zod';

/** The CLI's only way to fail: a clear message on stderr and a non-zero exit, never a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export const stdio: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** The message to print for what a verb threw (the server's own errors are told by their message). */
export function describeError(err: unknown): string {
  if (err instanceof CliError) return err.message;
  if (err instanceof ZodError)
    return err.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('\n');
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ECONNREFUSED') return `Cannot connect to the database: ${(err as Error).message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Plain columns for a terminal: a header row, then one row per item, padded to the widest cell. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
