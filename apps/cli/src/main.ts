import { stdio } from './output.ts';
import { runCli } from './program.ts';

// The CLI entry point. `start` keeps the process alive; every other verb ends with its exit code.
const code = await runCli(process.argv.slice(2), stdio);
if (code !== 0) process.exit(code);
