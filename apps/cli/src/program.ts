import { type Config, envExample, loadConfig } from '@openwaba/server';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { runMigrate } from './commands/migrate.ts';
import { runSetup } from './commands/setup.ts';
import { runSimulator } from './commands/simulator.ts';
import { runStart } from './commands/start.ts';
import { runWebhooksReplay } from './commands/webhooks-replay.ts';
import { describeError, type Io } from './output.ts';

type Env = Record<string, string | undefined>;

function port(value: string): string {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535)');
  return value;
}

function integer(value: string): string {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return value;
}

function role(value: string): string {
  if (!['api', 'worker', 'all'].includes(value)) throw new InvalidArgumentError('must be api, worker or all');
  return value;
}

/** The CLI as a value, so tests can run it in-process with their own env and output. */
export function buildProgram(io: Io, env?: Env) {
  const config = (overrides: Record<string, string | undefined> = {}): Config =>
    loadConfig(env, Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)));

  const program = new Command('openwaba')
    .description('Self-hosted WhatsApp Business platform on the official Cloud API')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('start')
    .description('Apply migrations and start the server (dashboard, API and workers)')
    .option('--role <role>', 'api | worker | all (default: ROLE or all)', role)
    .option('--port <port>', 'HTTP port (default: PORT or 3000)', port)
    .action(async (o: { role?: string; port?: string }) => {
      await runStart(config({ ROLE: o.role, PORT: o.port }), io);
    });

  program
    .command('migrate')
    .description('Apply pending database migrations and exit')
    .option('--json', 'print the result as JSON')
    .action(async (o: { json?: boolean }) => runMigrate(config(), io, Boolean(o.json)));

  program
    .command('setup')
    .description('Create the first owner and organisation (asks for missing values on a terminal)')
    .option('--email <email>', 'owner email')
    .option('--password <password>', 'owner password (10+ characters)')
    .option('--org <name>', 'organisation name')
    .option('--name <name>', "owner's display name")
    .option('--json', 'print the result as JSON')
    .action(async (o: { email?: string; password?: string; org?: string; name?: string; json?: boolean }) =>
      runSetup(config(), io, o),
    );

  program
    .command('simulator')
    .description("Run the WhatsApp Cloud API simulator (Meta's Graph endpoints, webhooks, customers, faults)")
    .option('--port <port>', 'HTTP port', port, '4010')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--webhook-url <url>', 'where to POST signed webhooks')
    .option('--app-secret <secret>', 'app secret that signs webhooks (X-Hub-Signature-256)')
    .option('--seed <file>', 'JSON file with numbers, templates, customers and faults to load')
    .option('--random-seed <n>', 'seed for every random decision (same seed, same run)', integer, '1')
    .action(
      async (o: {
        port: string;
        host: string;
        webhookUrl?: string;
        appSecret?: string;
        seed?: string;
        randomSeed: string;
      }) => {
        const sim = await runSimulator({ ...o, rngSeed: o.randomSeed }, io);
        const stop = () => {
          io.err('stopping the simulator');
          sim.close().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      },
    );

  program
    .command('webhooks')
    .description('Stored webhook events from Meta')
    .command('replay')
    .description('Process stored webhook events again (idempotent: nothing is duplicated)')
    .option('--id <n>', 'one event id', integer)
    .option('--from <n>', 'first event id of a range', integer)
    .option('--to <n>', 'last event id of a range', integer)
    .option('--state <state>', 'only events in this state (failed, pending, unparseable, processed)')
    .option('--json', 'print the totals as JSON')
    .action(async (o: { id?: string; from?: string; to?: string; state?: string; json?: boolean }) =>
      runWebhooksReplay(config(), io, o),
    );

  program
    .command('env-example')
    .description('Print every configuration key with its description and default (.env.example)')
    .action(() => io.out(envExample()));

  return program;
}

/** Runs the CLI and returns the exit code; never throws, never prints a stack trace. */
export async function runCli(argv: string[], io: Io, env?: Env): Promise<number> {
  try {
    await buildProgram(io, env).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    io.err(`error: ${describeError(err)}`);
    return (err as { exitCode?: number }).exitCode ?? 1;
  }
}
