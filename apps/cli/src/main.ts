import { CommanderError } from 'commander';
import { describeError, stdio } from './output.ts';
import { buildProgram } from './program.ts';

// The CLI entry point: the one place that touches process.argv/env/exit.
const program = buildProgram(stdio);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  stdio.err(`error: ${describeError(err)}`);
  process.exit((err as { exitCode?: number }).exitCode ?? 1);
}
