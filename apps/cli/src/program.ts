import { appVersion, type Config, envExample, loadConfig, versionLabel } from '@openwaba/server';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { REMOTE_ENV, type RemoteOptions } from './api.ts';
import {
  type CreateCampaignOptions,
  runCampaignCreate,
  runCampaignList,
  runCampaignStart,
  runCampaignStatus,
  runCampaignTransition,
} from './commands/campaign.ts';
import { type ImportCliOptions, runContactsExport, runContactsImport } from './commands/contacts.ts';
import { runFlowsExport, runFlowsImport, runFlowsList } from './commands/flows.ts';
import { MCP_KEY_ENV, type McpOptions, runMcp } from './commands/mcp.ts';
import { runMigrate } from './commands/migrate.ts';
import {
  type AddNumberOptions,
  runNumbersAdd,
  runNumbersList,
  runNumbersTest,
  SECRET_ENV,
} from './commands/numbers.ts';
import { runRatesImport, runRatesShow } from './commands/rates.ts';
import { runReportsRebuild } from './commands/reports.ts';
import { runSetup } from './commands/setup.ts';
import { runSimulator, type SimulatorOptions } from './commands/simulator.ts';
import { runStart } from './commands/start.ts';
import { runTemplatesList, runTemplatesSync } from './commands/templates.ts';
import { runUsersList, runUsersResetPassword } from './commands/users.ts';
import {
  runDeliveriesList,
  runDeliveriesReplay,
  runEndpointsCreate,
  runEndpointsDelete,
  runEndpointsList,
} from './commands/webhook-endpoints.ts';
import { type ReplayOptions, runWebhooksReplay } from './commands/webhooks-replay.ts';
import { describeError, type Io } from './output.ts';

type Env = Record<string, string | undefined>;

/** openwaba's version (the root package.json's) and, in a git checkout, its commit: the server's answer too. */
const VERSION = appVersion();

function port(value: string): string {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535)');
  return value;
}

/** Repeatable flags (`--tag a --tag b`) collect into an array. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

const ORG_HELP = 'organisation id or exact name (default: the first of yours, by name)';

/** How the verbs that talk to a running server (through the sdk) reach it and sign in. */
function remote(cmd: Command, orgHelp = ORG_HELP): Command {
  return cmd
    .addOption(
      new Option('--url <url>', 'the running server (default: PUBLIC_URL or http://localhost:PORT)').env(
        REMOTE_ENV.url,
      ),
    )
    .addOption(
      new Option('--email <email>', 'the account to sign in as (default: OPENWABA_ADMIN_EMAIL)').env(
        REMOTE_ENV.email,
      ),
    )
    .addOption(
      new Option('--password <password>', 'its password (default: asked on a terminal)').env(
        REMOTE_ENV.password,
      ),
    )
    .option('--org <org>', orgHelp);
}

/** Said under each group of verbs that talk to a running server. */
const REMOTE_HELP = [
  '',
  'These verbs talk to a running server (`openwaba start`) through its API, signed in as a member',
  `of the organisation: --url, --email and --password, or ${Object.values(REMOTE_ENV).join(', ')}.`,
  'They act in the organisation --org names (an id or exact name); without it, in the one a',
  "sign-in starts in: the first of the account's organisations by name.",
].join('\n');

function role(value: string): string {
  if (!['api', 'worker', 'all'].includes(value)) throw new InvalidArgumentError('must be api, worker or all');
  return value;
}

/** A verb that keeps serving (simulator, MCP over HTTP) stops cleanly on Ctrl-C or SIGTERM. */
function closeOnSignal(io: Io, what: string, served: { close(): Promise<void> }) {
  const stop = () => {
    io.err(`stopping ${what}`);
    served.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The CLI as a value, so tests can run it in-process with their own env and output. */
export function buildProgram(io: Io, env?: Env) {
  const config = (overrides: Record<string, string | undefined> = {}): Config =>
    loadConfig(env, Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)));

  const program = new Command('openwaba')
    .description('Self-hosted WhatsApp Business platform on the official Cloud API')
    .version(versionLabel(VERSION), '-V, --version', 'print the version (and the git commit when known)')
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

  const users = program
    .command('users')
    .description(
      "Accounts of this install, on its database: run on the server's machine (embedded database: stop the server first)",
    );
  users
    .command('list')
    .description('Every account: email, name, role in each organisation, last sign-in')
    .option('--json', 'print the accounts as a JSON array')
    .action(async (o: { json?: boolean }) => runUsersList(config(), io, o));
  users
    .command('reset-password')
    .description(
      'Set a new password for an account (a lost one): its sessions end, lockouts from failed attempts lift',
    )
    .requiredOption('--email <email>', "the account's email")
    .option(
      '--password <password>',
      'the new password (10+ characters; default: a generated one, printed once)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (o: { email?: string; password?: string; json?: boolean }) =>
      runUsersResetPassword(config(), io, o),
    );

  program
    .command('reports')
    .description("Report rollups of this install, on its database: run on the server's machine")
    .command('rebuild')
    .description(
      'Recompute the report rollups from the messages still kept (what purged messages counted stays); a second rebuild while one runs is refused',
    )
    .option('--org <id>', 'only this organisation (default: all)')
    .option('--from <day>', 'only days from this one on (YYYY-MM-DD, organisation timezone; default: all)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { org?: string; from?: string; json?: boolean }) => runReportsRebuild(config(), io, o));

  program
    .command('simulator')
    .description("Run the WhatsApp Cloud API simulator (Meta's Graph endpoints, webhooks, customers, faults)")
    .option('--port <port>', 'HTTP port', '4010')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--webhook-url <url>', 'where to POST signed webhooks')
    .option('--app-secret <secret>', 'app secret that signs webhooks (X-Hub-Signature-256)')
    .option('--seed <file>', 'JSON file with numbers, templates, customers and faults to load')
    .option('--random-seed <n>', 'seed for every random decision (same seed, same run)', '1')
    .option(
      '--webhook-batch-ms <ms>',
      'how long changes wait to share one webhook POST, like Meta (default 20; 0: one change per POST)',
    )
    .action(async (o: SimulatorOptions) => {
      const sim = await runSimulator(o, io);
      closeOnSignal(io, 'the simulator', sim);
    });

  const webhooks = program
    .command('webhooks')
    .description(
      "Webhooks: Meta's stored events (replay), and your outbound endpoints (endpoints, deliveries)",
    )
    .addHelpText('after', REMOTE_HELP);
  remote(
    webhooks
      .command('replay')
      .description(
        "Process your organisation's stored webhook events again (idempotent: nothing is duplicated)",
      )
      .option('--id <n>', 'one event id')
      .option('--from <n>', 'first event id of a range')
      .option('--to <n>', 'last event id of a range')
      .option('--state <state>', 'only events in this state (failed, pending, unparseable, processed)')
      .option('--json', 'print the totals as JSON')
      .addHelpText(
        'after',
        [
          '',
          'Like Replay under Settings → Webhook events, this replays the events that name a number of',
          'the organisation, once the server has processed them. An event not processed yet (pending,',
          'or failed at its first try) or unreadable (unparseable) names no organisation: the server',
          'retries those itself.',
        ].join('\n'),
      ),
  ).action(async (o: ReplayOptions) => runWebhooksReplay(config(), io, o));

  // Outbound webhooks (docs/webhooks.md): where openwaba posts your organisation's events.
  const endpoints = webhooks
    .command('endpoints')
    .description('Outbound webhook endpoints: list, create, delete');
  remote(
    endpoints.command('list').description('List endpoints').option('--json', 'print them as a JSON array'),
  ).action(async (o: RemoteOptions & { json?: boolean }) => runEndpointsList(config(), io, o));
  remote(
    endpoints
      .command('create')
      .description('Add an endpoint; prints its signing secret (whsec_…)')
      .argument(
        '<endpoint-url>',
        'where to POST events (https; private hosts only if FETCH_ALLOW_PRIVATE names them)',
      )
      .option('--events <types>', 'comma-separated event types, e.g. message.received,contact.opted_out')
      .option('--description <text>', 'what it is for')
      .option('--ordered', "deliver one conversation's events one at a time, in order")
      .option('--max-concurrency <n>', 'requests in flight to it at most (1-50, default 10)')
      .option('--json', 'print the endpoint (with its secret) as JSON'),
  ).action(async (endpointUrl: string, o: RemoteOptions & Record<string, string | boolean | undefined>) =>
    runEndpointsCreate(config(), io, { ...(o as Parameters<typeof runEndpointsCreate>[2]), endpointUrl }),
  );
  remote(
    endpoints
      .command('delete')
      .description('Delete an endpoint and its log')
      .argument('<id>', 'the endpoint id'),
  ).action(async (id: string, o: RemoteOptions) => runEndpointsDelete(config(), io, { ...o, id }));
  const deliveries = webhooks
    .command('deliveries')
    .description("Outbound webhook deliveries: an endpoint's log, and replay");
  remote(
    deliveries
      .command('list')
      .description("An endpoint's newest deliveries")
      .argument('<endpoint>', 'the endpoint id')
      .option('--state <state>', 'only pending, delivering, succeeded, retrying or dead ones')
      .option('--limit <n>', 'how many (1-200, default 50)')
      .option('--json', 'print them as a JSON array'),
  ).action(async (endpoint: string, o: RemoteOptions & { state?: string; limit?: string; json?: boolean }) =>
    runDeliveriesList(config(), io, { ...o, id: endpoint }),
  );
  remote(
    deliveries
      .command('replay')
      .description("Send again (the same webhook-id): one delivery, or an endpoint's range")
      .argument('[delivery-id]', 'one delivery')
      .option('--endpoint <id>', 'replay a range of this endpoint')
      .option('--since <date>', 'deliveries created since (ISO 8601)')
      .option('--until <date>', 'and before (ISO 8601)')
      .option('--all', 'every delivery of the range, not only the dead ones')
      .option('--json', 'print the result as JSON'),
  ).action(
    async (
      id: string | undefined,
      o: RemoteOptions & { endpoint?: string; since?: string; until?: string; all?: boolean; json?: boolean },
    ) => runDeliveriesReplay(config(), io, { ...o, ...(id ? { id } : {}) }),
  );

  const numbers = program
    .command('numbers')
    .description("WhatsApp numbers connected to an organisation (Meta's Cloud API)")
    .addHelpText('after', REMOTE_HELP);

  const contacts = program
    .command('contacts')
    .description('Contacts: import a CSV or XLSX file, export as CSV')
    .addHelpText('after', REMOTE_HELP);
  remote(
    contacts
      .command('import')
      .description(
        'Import contacts from a CSV or XLSX file, all or nothing (the dashboard import, from here)',
      )
      .argument('<file>', 'the CSV or XLSX file')
      .option('--map <mapping>', 'columns to use: phone=Mobile,name=Name,tags=Labels,field.city=City')
      .option(
        '--on-duplicate <mode>',
        'update | skip: what to do with phones already in the organisation',
        'update',
      )
      .option('--add-tags <tags>', 'comma-separated tags added to every imported contact')
      .option(
        '--opt-in-proof <text>',
        'record an opt-in (source import) with this proof for the imported contacts',
      )
      .option('--dry-run', 'only show the counts and the rows that would be left out')
      .option('--json', 'print the result as JSON'),
  ).action(async (file: string, o: ImportCliOptions) => runContactsImport(config(), io, file, o));
  remote(
    contacts
      .command('export')
      .description('Export every contact as CSV (formula-safe; phones in E.164)')
      .option('--out <file>', 'write to this file instead of stdout'),
  ).action(async (o: RemoteOptions & { out?: string }) => runContactsExport(config(), io, o));

  remote(
    numbers
      .command('list')
      .description('List the numbers with their status and health (never their token or secrets)')
      .option('--json', 'print the numbers as a JSON array'),
  ).action(async (o: RemoteOptions & { json?: boolean }) => runNumbersList(config(), io, o));

  const add = numbers
    .command('add')
    .description('Connect a number: Meta is asked first (test connection); it is saved only if Meta accepts')
    .option('--display-name <name>', 'how openwaba shows the number')
    .option('--phone-number-id <id>', 'Phone number ID (WhatsApp Manager, API setup)')
    .option('--waba-id <id>', 'WhatsApp Business Account ID')
    .addOption(
      new Option('--access-token <token>', 'permanent System User access token').env(SECRET_ENV.accessToken),
    )
    .addOption(
      new Option('--app-secret <secret>', "the Meta app's secret (checks webhook signatures)").env(
        SECRET_ENV.appSecret,
      ),
    )
    .addOption(
      new Option('--verify-token <token>', 'a token you choose, entered again in the Meta webhook setup').env(
        SECRET_ENV.verifyToken,
      ),
    )
    .option('--system-prompt <text>', 'instructions for the AI assistant on this number')
    .option('--json', 'print the connected number as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Secrets given as flags stay in your shell history. Set them in the environment',
        `instead (${Object.values(SECRET_ENV).join(', ')}),`,
        'or leave them out on a terminal to be asked (what you type is not shown).',
        '',
        'Example:',
        `  read -rs ${SECRET_ENV.accessToken} && export ${SECRET_ENV.accessToken}   # paste, then Enter`,
        `  (the same for ${SECRET_ENV.appSecret} and ${SECRET_ENV.verifyToken})`,
        '  openwaba numbers add --display-name "Main line" \\',
        '    --phone-number-id 106540352242922 --waba-id 102290129340398',
      ].join('\n'),
    );
  remote(add).action(async (o: AddNumberOptions) => runNumbersAdd(config(), io, o));

  remote(
    numbers
      .command('test')
      .description('Ask Meta about a stored number now (like "Test connection" in the dashboard)')
      .argument('<number>', "the number's id or its phone number id (see `numbers list`)")
      .option('--json', 'print what Meta answered as JSON'),
    'organisation id or exact name (default: search all of yours)',
  ).action(async (number: string, o: RemoteOptions & { json?: boolean }) =>
    runNumbersTest(config(), io, { ...o, number }),
  );

  const templates = program
    .command('templates')
    .description('The WhatsApp template catalogue, synced from Meta')
    .addHelpText('after', REMOTE_HELP);
  remote(
    templates
      .command('sync')
      .description('Sync every WhatsApp Business Account of the organisation from Meta now')
      .option('--waba <id>', 'only this WhatsApp Business Account')
      .option('--json', 'print the sync result as JSON'),
  ).action(async (o: RemoteOptions & { waba?: string; json?: boolean }) => runTemplatesSync(config(), io, o));
  remote(
    templates
      .command('list')
      .description('List templates with status, category and whether campaigns may use them')
      .option('--quarantined', 'only quarantined templates')
      .option('--usable', 'only templates campaigns may use')
      .option('--all', 'include templates Meta no longer has')
      .option('--json', 'print the templates as a JSON array'),
  ).action(
    async (o: RemoteOptions & { quarantined?: boolean; usable?: boolean; all?: boolean; json?: boolean }) =>
      runTemplatesList(config(), io, o),
  );

  const flows = program
    .command('flows')
    .description('Automation flows: list, export and import as JSON')
    .addHelpText('after', REMOTE_HELP);
  remote(
    flows.command('list').description('List flows').option('--json', 'print the flows as a JSON array'),
  ).action(async (o: RemoteOptions & { json?: boolean }) => runFlowsList(config(), io, o));
  remote(
    flows
      .command('export')
      .description("Print a flow's draft as JSON (or write it to --out)")
      .argument('<id>', 'the flow id (openwaba flows list)')
      .option('--out <file>', 'write the JSON to this file'),
  ).action(async (id: string, o: RemoteOptions & { out?: string }) =>
    runFlowsExport(config(), io, { ...o, id }),
  );
  remote(
    flows
      .command('import')
      .description('Create a flow (a draft) from exported JSON')
      .argument('<file>', 'the JSON file (openwaba flows export)')
      .option('--json', 'print the created flow as JSON'),
  ).action(async (file: string, o: RemoteOptions & { json?: boolean }) =>
    runFlowsImport(config(), io, { ...o, file }),
  );

  const rates = program
    .command('rates')
    .description("Meta's rate card: what each outbound message is expected to cost")
    .addHelpText('after', REMOTE_HELP);
  remote(
    rates
      .command('import <file>')
      .description(
        'Replace the rate card for the effective days a CSV gives (effective_from,market,category,rate,currency); all or nothing',
      )
      .option('--source <url>', 'where the rates come from (default: the file’s "# source:" line)')
      .option('--json', 'print the result as JSON'),
  ).action(async (file: string, o: RemoteOptions & { source?: string; json?: boolean }) =>
    runRatesImport(config(), io, { ...o, file }),
  );
  remote(
    rates
      .command('show')
      .description('The rate card in force today (or on --at YYYY-MM-DD)')
      .option('--at <day>', 'a day (YYYY-MM-DD)')
      .option('--json', 'print the card as JSON'),
  ).action(async (o: RemoteOptions & { at?: string; json?: boolean }) => runRatesShow(config(), io, o));

  const campaign = program
    .command('campaign')
    .description('Campaigns on a running server: create, start, pause, resume, stop, follow')
    .addHelpText('after', REMOTE_HELP);
  remote(
    campaign
      .command('create')
      .description('Create a draft: the audience is checked and rendered now, nothing is sent')
      .option('--name <name>', 'campaign name')
      .option('--number <number>', 'number id or display name that sends (default: the only one)')
      .option('--template <template>', 'template name or name:language (repeat for several)', collect)
      .option(
        '--map <mapping>',
        'variables: body.1=contact.name,body.2=fixed:Hello,body.3=field.city,body.4=column:1 (repeatable)',
        collect,
      )
      .option('--tag <tag>', 'contacts with this tag (repeat: any of them)', collect)
      .option('--segment <segment>', 'contacts of this saved segment (id or name)')
      .option('--phones <file>', 'one phone a line, or CSV phone,v1,v2 (values: column:1, column:2…)')
      .option(
        '--file <csv|xlsx>',
        'a file with a phone column and columns for the variables (Phone,{{Media}},{{1}}: map body.1=column:{{1}})',
      )
      .option(
        '--phone-column <name>',
        'with --file: the column holding phones (default: guessed from the header)',
      )
      .option('--all-contacts', 'every contact of the organisation')
      .option('--split <split>', 'sequential | ab: how recipients are shared between templates', 'sequential')
      .option('--share <percent>', 'with --split ab: a share per --template, adding up to 100', collect)
      .option('--json', 'print the campaign as JSON'),
  ).action(async (o: CreateCampaignOptions) => runCampaignCreate(config(), io, o));
  remote(
    campaign
      .command('start')
      .description('Run the pre-flight and start now, or schedule with --at')
      .argument('<id>', 'campaign id (or exact name)')
      .option('--at <datetime>', 'start later: ISO date and time, e.g. 2026-12-01T09:00:00Z')
      .option('--json', 'print the campaign as JSON'),
  ).action(async (id: string, o: { at?: string; json?: boolean }) => runCampaignStart(config(), io, id, o));
  for (const [action, description] of [
    ['pause', 'Pause sending; what is not yet sent waits'],
    ['resume', 'Resume a paused campaign'],
    ['stop', 'Stop for good: recipients not yet sent are not sent (asks first on a terminal)'],
  ] as const) {
    const cmd = remote(
      campaign
        .command(action)
        .description(description)
        .argument('<id>', 'campaign id (or exact name)')
        .option('--json', 'print the campaign as JSON'),
    );
    if (action === 'stop') cmd.option('--yes', 'do not ask for confirmation');
    cmd.action(async (id: string, o: { json?: boolean; yes?: boolean }) =>
      runCampaignTransition(config(), io, action, id, o),
    );
  }
  remote(
    campaign
      .command('status')
      .description('State and counts; --watch follows it with a live progress bar')
      .argument('<id>', 'campaign id (or exact name)')
      .option('--watch', 'follow until it completes, stops, fails or is paused')
      .addOption(new Option('--interval <ms>', 'how often --watch asks the server').default('500').hideHelp())
      .option('--json', 'print the campaign as JSON'),
  ).action(async (id: string, o: { watch?: boolean; json?: boolean; interval?: string }) =>
    runCampaignStatus(config(), io, id, o),
  );
  remote(
    campaign
      .command('list')
      .description('Campaigns, newest first, with their counts')
      .option('--json', 'print as JSON'),
  ).action(async (o: { json?: boolean }) => runCampaignList(config(), io, o));

  program
    .command('mcp')
    .description(
      'A Model Context Protocol server for AI assistants (Claude Desktop, any MCP client): contacts, conversations, sending, campaigns, reports, as an API key',
    )
    .addOption(
      new Option('--url <url>', 'the openwaba server (default: PUBLIC_URL or http://localhost:PORT)').env(
        REMOTE_ENV.url,
      ),
    )
    .addOption(
      new Option('--api-key <key>', 'the API key (owk_…) the tools act as, on stdio').env(MCP_KEY_ENV),
    )
    .option('--http', 'serve streamable HTTP instead of stdio; each client sends its own key')
    .option('--port <port>', 'with --http: the port (default 8788)', port)
    .option('--host <host>', 'with --http: the interface to listen on (default 127.0.0.1)')
    .addHelpText(
      'after',
      [
        '',
        'On stdio an MCP client starts it and it acts as one API key:',
        `  openwaba mcp --url https://wa.example.com   (with ${MCP_KEY_ENV}=owk_… in the environment)`,
        'Over HTTP one process serves many keys; each client sends Authorization: Bearer owk_… to',
        '  http://127.0.0.1:8788/mcp',
        '  openwaba mcp --http --url https://wa.example.com --port 8788',
        '',
        "The key's scopes limit the tools exactly: openwaba checks them on every call, and a tool the",
        'key is not scoped for answers an error naming the scope. Create keys in Settings → API keys.',
        'Tools and the scopes each needs: docs/mcp.md.',
      ].join('\n'),
    )
    .action(async (o: McpOptions, cmd: Command) => {
      const run = await runMcp(config(), io, o, VERSION.version, cmd.getOptionValueSource('apiKey'));
      if (run.transport === 'http') closeOnSignal(io, 'the MCP server', run);
    });

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
    // Commander's own refusals (unknown verb or flag, missing argument) are bad usage, like zod's.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    io.err(`error: ${describeError(err)}`);
    return (err as { exitCode?: number }).exitCode ?? 1;
  }
}
