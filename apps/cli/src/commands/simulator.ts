import { readFileSync } from 'node:fs';
import { createSimulator, SeedSchema, type Simulator } from '@openwaba/simulator';
import { z } from 'zod';
import { parseFlags } from '../flags.ts';
import { CliError, type Io } from '../output.ts';

const Port = z
  .string()
  .regex(/^\d{1,5}$/, 'must be a port number (0-65535)')
  .transform(Number)
  .pipe(z.number().max(65535, 'must be a port number (0-65535)'));

export const SimulatorFlags = z
  .object({
    port: Port,
    host: z.string().trim().min(1, 'must be an interface to listen on, like 127.0.0.1'),
    webhookUrl: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL')
      .optional(),
    appSecret: z.string().min(8, 'must be at least 8 characters').optional(),
    seed: z.string().min(1, 'must be a file name').optional(),
    randomSeed: z
      .string()
      .regex(/^\d{1,9}$/, 'must be a whole number')
      .transform(Number)
      .default(1),
    webhookBatchMs: z
      .string()
      .regex(/^\d{1,5}$/, 'must be milliseconds, 0 to 10000 (0: one change per POST)')
      .transform(Number)
      .pipe(z.number().max(10_000, 'must be milliseconds, 0 to 10000 (0: one change per POST)'))
      .optional(),
  })
  .refine((f) => !f.webhookUrl || f.appSecret, {
    path: ['webhookUrl'],
    message: 'needs --app-secret (webhooks are always signed)',
  });

/** The flags as commander hands them over: strings, checked by `SimulatorFlags`. */
export interface SimulatorOptions {
  port: string;
  host: string;
  webhookUrl?: string;
  appSecret?: string;
  seed?: string;
  randomSeed?: string;
  webhookBatchMs?: string;
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
export async function runSimulator(opts: SimulatorOptions, io: Io): Promise<Simulator> {
  const flags = parseFlags(SimulatorFlags, opts);
  const seed = flags.seed ? readSeed(flags.seed) : undefined;
  // Meta batches changes into one POST; many client libraries read only the first change of a POST:
  // a window of 0 sends every change in a POST of its own.
  const batching =
    flags.webhookBatchMs === undefined
      ? {}
      : flags.webhookBatchMs === 0
        ? { webhook_batch_ms: 0, webhook_max_batch: 1 }
        : { webhook_batch_ms: flags.webhookBatchMs };
  const sim = await createSimulator({ seed: flags.randomSeed, ...batching });
  if (seed) sim.loadSeed(seed);
  if (!seed?.numbers.length) sim.addNumber(DEFAULT_NUMBER);
  if (flags.webhookUrl && flags.appSecret) {
    for (const n of sim.numbers()) {
      sim.updateNumber(n.phone_number_id, { webhook_url: flags.webhookUrl, app_secret: flags.appSecret });
    }
  }
  let url: string;
  try {
    url = await sim.listen(flags.port, flags.host);
  } catch (err) {
    await sim.close();
    throw new CliError(`Cannot listen on ${flags.host}:${flags.port}: ${(err as Error).message}`);
  }
  const numbers = seed?.numbers.length ? seed.numbers : [DEFAULT_NUMBER];
  io.out(`WhatsApp Cloud API simulator listening on ${url}`);
  io.out(`  Graph API base URL   ${url}/v25.0   (META_GRAPH_URL=${url})`);
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
  if (flags.webhookBatchMs !== undefined)
    io.out(
      flags.webhookBatchMs === 0
        ? '  Webhook batching     off: one change per POST'
        : `  Webhook batching     changes within ${flags.webhookBatchMs} ms share a POST`,
    );
  return sim;
}
