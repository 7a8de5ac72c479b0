import { readFileSync } from 'node:fs';
import { createSimulator, SeedSchema, type Simulator } from '@openwaba/simulator';
import { CliError, type Io } from '../output.ts';

export interface SimulatorFlags {
  port: string;
  host: string;
  webhookUrl?: string;
  appSecret?: string;
  seed?: string;
  rngSeed?: string;
}

/** The number a bare `openwaba simulator` serves, so that it is usable without a seed file. */
export const DEFAULT_NUMBER = {
  phone_number_id: '100000000000001',
  waba_id: '200000000000001',
  display_phone_number: '+1 555 000 0001',
  verified_name: 'openwaba Sandbox',
  access_token: 'sim-access-token-0001',
};

function readSeed(path: string) {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`Cannot read the seed file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new CliError(`The seed file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = SeedSchema.safeParse(json);
  if (!parsed.success) {
    throw new CliError(
      `The seed file ${path} is not valid:\n${parsed.error.issues.map((i) => `  ${i.path.join('.') || 'file'}: ${i.message}`).join('\n')}`,
    );
  }
  return parsed.data;
}

/** Starts the Cloud API simulator and prints how to point openwaba (or anything else) at it. */
export async function runSimulator(flags: SimulatorFlags, io: Io): Promise<Simulator> {
  if (flags.appSecret !== undefined && flags.appSecret.length < 8) {
    throw new CliError('--app-secret must be at least 8 characters');
  }
  if (flags.webhookUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(flags.webhookUrl)) {
    throw new CliError('--webhook-url must be an http(s) URL');
  }
  if (flags.webhookUrl && !flags.appSecret) {
    throw new CliError('--webhook-url needs --app-secret (webhooks are always signed)');
  }
  const seed = flags.seed ? readSeed(flags.seed) : undefined;
  const sim = await createSimulator({ seed: flags.rngSeed ? Number(flags.rngSeed) : 1 });
  if (seed) sim.loadSeed(seed);
  if (!seed?.numbers.length) sim.addNumber(DEFAULT_NUMBER);
  if (flags.webhookUrl && flags.appSecret) {
    for (const n of sim.numbers()) {
      sim.updateNumber(n.phone_number_id, { webhook_url: flags.webhookUrl, app_secret: flags.appSecret });
    }
  }
  let url: string;
  try {
    url = await sim.listen(Number(flags.port), flags.host);
  } catch (err) {
    await sim.close();
    throw new CliError(`Cannot listen on ${flags.host}:${flags.port}: ${(err as Error).message}`);
  }
  const numbers = seed?.numbers.length ? seed.numbers : [DEFAULT_NUMBER];
  io.out(`WhatsApp Cloud API simulator listening on ${url}`);
  io.out(`  Graph API base URL   ${url}/v23.0   (META_GRAPH_URL=${url})`);
  io.out(`  Control API          ${url}/_sim   (see packages/simulator/README.md)`);
  for (const n of numbers) {
    io.out(
      `  Number ${n.display_phone_number}: phone_number_id=${n.phone_number_id} waba_id=${n.waba_id} token=${n.access_token}`,
    );
  }
  io.out(
    flags.webhookUrl
      ? `  Webhooks             ${flags.webhookUrl} (signed with the app secret)`
      : '  Webhooks             none (pass --webhook-url and --app-secret)',
  );
  return sim;
}
