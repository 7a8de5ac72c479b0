import { Email, OrgName, Password } from '@openwaba/contracts';
import type { Config } from '@openwaba/server';
import { z } from 'zod';
import { parseFlags } from '../flags.ts';
import { CliError, type Io } from '../output.ts';
import { ask, processTty, type Tty } from '../prompt.ts';
import { withLocalServices } from './local.ts';

export const SetupOptions = z.object({
  email: Email,
  password: Password,
  org: OrgName,
  name: z.string().trim().max(100).optional(),
  json: z.boolean().optional(),
});

/** Creates the first owner and organisation. Asks for missing values only on a terminal. */
export async function runSetup(
  config: Config,
  io: Io,
  opts: { email?: string; password?: string; org?: string; name?: string; json?: boolean },
  tty: Tty = processTty(),
) {
  const values = { ...opts };
  const missing = (['email', 'password', 'org'] as const).filter((k) => !values[k]);
  if (missing.length > 0 && !tty.interactive) {
    throw new CliError(
      `Missing ${missing.map((m) => `--${m}`).join(', ')} (or run on a terminal to be asked)`,
      2,
    );
  }
  if (!values.email) values.email = await ask('Owner email: ', tty);
  if (!values.password) values.password = await ask('Password (10+ characters): ', tty);
  if (!values.org) values.org = await ask('Organisation name: ', tty);
  const flags = parseFlags(SetupOptions, values);
  // A process-level verb: it works on the database itself, before any server runs.
  const result = await withLocalServices(config, (services) =>
    services.orgs.setupOwner({
      email: flags.email,
      password: flags.password,
      orgName: flags.org,
      name: flags.name,
    }),
  );
  if (flags.json)
    io.out(JSON.stringify({ user_id: result.userId, org_id: result.orgId, email: flags.email }));
  else io.out(`Created owner ${flags.email} of "${flags.org}". Sign in at ${config.publicUrl}/`);
}
