import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { CliError } from './output.ts';

/** Where a verb may ask for missing values: only on a terminal, so scripts fail fast instead of hanging. */
export interface Tty {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  interactive: boolean;
}

export const processTty = (): Tty => ({
  input: process.stdin,
  output: process.stderr,
  interactive: Boolean(process.stdin.isTTY),
});

async function question(rl: ReturnType<typeof createInterface>, text: string) {
  try {
    return (await rl.question(text)).trim();
  } catch (err) {
    // Ctrl-C at a prompt: the person changed their mind, which is not a failure worth a stack of text.
    if ((err as { code?: string }).code === 'ABORT_ERR') throw new CliError('Cancelled', 130);
    throw err;
  } finally {
    rl.close();
  }
}

export function ask(text: string, tty: Pick<Tty, 'input' | 'output'>) {
  return question(createInterface({ input: tty.input, output: tty.output }), text);
}

/** Like `ask`, without echoing what is typed: a token on screen ends up in screenshots and recordings. */
export async function askSecret(text: string, tty: Pick<Tty, 'input' | 'output'>) {
  tty.output.write(text);
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  try {
    return await question(
      createInterface({
        input: tty.input,
        output: silent,
        terminal: Boolean((tty.input as { isTTY?: boolean }).isTTY),
      }),
      '',
    );
  } finally {
    tty.output.write('\n');
  }
}
