import { createInterface } from 'node:readline/promises';
import { Email, OrgName, Password } from '@openwaba/contracts';
import {
  type Config,
  createServices,
  openConfiguredDatabase,
  resolveAppSecret,
  runMigrations,
} from '@openwaba/server';
import { z } from 'zod';
import { CliError, type Io } from '../output.ts';

export const SetupOptions = z.object({
  email: Email,
  password: Password,
  org: OrgName,
  name: z.string().trim().max(100).optional(),
});

async function ask(question: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream) {
  const rl = createInterface({ input, output });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** Creates the first owner and organisation. Asks for missing values only on a terminal. */
export async function runSetup(
  config: Config,
  io: Io,
  opts: { email?: string; password?: string; org?: string; name?: string; json?: boolean },
  tty = {
    input: process.stdin as NodeJS.ReadableStream,
    output: process.stderr as NodeJS.WritableStream,
    interactive: Boolean(process.stdin.isTTY),
  },
) {
  const values = { ...opts };
  const missing = (['email', 'password', 'org'] as const).filter((k) => !values[k]);
  if (missing.length > 0 && !tty.interactive) {
    throw new CliError(
      `Missing ${missing.map((m) => `--${m}`).join(', ')} (or run on a terminal to be asked)`,
      2,
    );
  }
  if (!values.email) values.email = await ask('Owner email: ', tty.input, tty.output);
  if (!values.password) values.password = await ask('Password (10+ characters): ', tty.input, tty.output);
  if (!values.org) values.org = await ask('Organisation name: ', tty.input, tty.output);
  const parsed = SetupOptions.safeParse(values);
  if (!parsed.success) {
    throw new CliError(parsed.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('\n'), 2);
  }
  const database = await openConfiguredDatabase(config);
  try {
    await runMigrations(database);
    const services = createServices({ config, database, appSecret: resolveAppSecret(config) });
    const result = await services.orgs.setupOwner({
      email: parsed.data.email,
      password: parsed.data.password,
      orgName: parsed.data.org,
      name: parsed.data.name,
    });
    if (opts.json)
      io.out(JSON.stringify({ user_id: result.userId, org_id: result.orgId, email: parsed.data.email }));
    else
      io.out(`Created owner ${parsed.data.email} of "${parsed.data.org}". Sign in at ${config.publicUrl}/`);
  } finally {
    await database.close();
  }
}
