import {
  CreateNumberBody,
  type NumberHealth,
  NumberTestResult,
  Uuid,
  type WaNumber,
} from '@openwaba/contracts';
import { ApiError } from '@openwaba/sdk';
import { z } from 'zod';
import { type RemoteDefaults, type RemoteOptions, withRemote } from '../api.ts';
import { flagName, parseFlags } from '../flags.ts';
import { CliError, formatTable, type Io } from '../output.ts';
import { ask, askSecret, processTty, type Tty } from '../prompt.ts';

/** Where `numbers add` also looks for the secrets, so they stay out of shell history. */
export const SECRET_ENV = {
  accessToken: 'WHATSAPP_ACCESS_TOKEN',
  appSecret: 'WHATSAPP_APP_SECRET',
  verifyToken: 'WHATSAPP_VERIFY_TOKEN',
} as const;

const Json = z.boolean().optional();

export const ListNumbersFlags = z.object({ json: Json });

/** The API's own body for connecting a number, plus the CLI's flags: one set of rules for both. */
export const AddNumberFlags = CreateNumberBody.extend({ json: Json });

export const TestNumberFlags = z.object({
  number: z
    .string()
    .trim()
    .refine(
      (s) => Uuid.safeParse(s).success || /^\d{5,25}$/.test(s),
      "must be the number's id (a UUID) or its phone number id (digits)",
    ),
  json: Json,
});

export interface AddNumberOptions extends RemoteOptions {
  displayName?: string;
  phoneNumberId?: string;
  wabaId?: string;
  accessToken?: string;
  appSecret?: string;
  verifyToken?: string;
  systemPrompt?: string;
  json?: boolean;
}

const MetaError = NumberTestResult.shape.error.unwrap();
type MetaError = z.infer<typeof MetaError>;

const HINTS: Record<string, string> = {
  token:
    'Check the access token: a System User token with whatsapp_business_messaging and whatsapp_business_management, for this WhatsApp Business Account.',
  throttled: 'Meta is limiting calls right now: wait a minute and try again.',
  transient: 'Meta did not answer properly: try again in a moment.',
};

/** Meta's own words first (support asks for the code), then what to do about it. */
function explainMeta(e: MetaError): string {
  const said = `Meta said: ${e.title}${e.details ? ` (${e.details})` : ''} [code ${e.code}]`;
  return HINTS[e.kind] ? `${said}\n${HINTS[e.kind]}` : said;
}

function metaErrorOf(err: unknown): MetaError | undefined {
  if (!(err instanceof ApiError)) return undefined;
  const parsed = z.object({ meta: MetaError }).safeParse(err.details);
  return parsed.success ? parsed.data.meta : undefined;
}

const or = (v: string | null | undefined) => v ?? '-';

function describeHealth(h: NumberHealth): string {
  return [
    `verified name ${or(h.verified_name)}`,
    `quality ${or(h.quality_rating)}`,
    `throughput ${or(h.throughput_level)}`,
    `messaging limit ${or(h.messaging_limit_tier)}`,
  ].join(', ');
}

/** `openwaba numbers list`: the organisation's numbers with their health; never a credential. */
export async function runNumbersList(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { json?: boolean },
  tty: Tty = processTty(),
) {
  const flags = parseFlags(ListNumbersFlags, { json: opts.json });
  const { org, list } = await withRemote(config, opts, tty, async ({ api, org }) => ({
    org,
    list: (await api.numbers.list()).data,
  }));
  if (flags.json) return io.out(JSON.stringify(list));
  if (list.length === 0)
    return io.out(`No numbers connected to "${org.name}" yet. Connect one with \`openwaba numbers add\`.`);
  io.out(
    formatTable(
      ['NAME', 'PHONE', 'PHONE NUMBER ID', 'WABA ID', 'STATUS', 'SANDBOX', 'QUALITY', 'LIMIT'],
      list.map((n: WaNumber) => [
        n.display_name,
        or(n.health.display_phone_number),
        n.phone_number_id,
        n.waba_id,
        n.status,
        n.is_sandbox ? 'yes' : 'no',
        or(n.health.quality_rating),
        or(n.health.messaging_limit_tier),
      ]),
    ),
  );
  for (const n of list.filter((n) => n.inactive_reason))
    io.out(`${n.display_name} is inactive: ${n.inactive_reason}`);
}

const QUESTIONS = [
  ['displayName', 'Display name (how openwaba shows the number): '],
  ['phoneNumberId', 'Phone number ID (WhatsApp Manager, API setup): '],
  ['wabaId', 'WhatsApp Business Account ID: '],
  ['accessToken', 'Access token (not shown): '],
  ['appSecret', 'App secret (not shown): '],
  ['verifyToken', 'Webhook verify token (not shown): '],
] as const;

/**
 * `openwaba numbers add`: Meta is asked about the number with these credentials first; only what
 * Meta accepts is saved, with the secrets sealed. Asks for missing values only on a terminal.
 */
export async function runNumbersAdd(
  config: RemoteDefaults,
  io: Io,
  opts: AddNumberOptions,
  tty: Tty = processTty(),
) {
  const values = { ...opts };
  const missing = QUESTIONS.filter(([key]) => !values[key]);
  if (missing.length > 0 && !tty.interactive) {
    const envs = missing.flatMap(([key]) =>
      key in SECRET_ENV ? [SECRET_ENV[key as keyof typeof SECRET_ENV]] : [],
    );
    const fromEnv = envs.length > 0 ? ` (secrets may also come from ${envs.join(', ')})` : '';
    throw new CliError(
      `Missing ${missing.map(([key]) => flagName(key)).join(', ')}${fromEnv}; or run on a terminal to be asked`,
      2,
    );
  }
  for (const [key, question] of missing)
    values[key] = key in SECRET_ENV ? await askSecret(question, tty) : await ask(question, tty);
  const flags = parseFlags(AddNumberFlags, {
    display_name: values.displayName,
    phone_number_id: values.phoneNumberId,
    waba_id: values.wabaId,
    access_token: values.accessToken,
    app_secret: values.appSecret,
    verify_token: values.verifyToken,
    system_prompt: values.systemPrompt,
    json: values.json,
  });
  const { json, ...body } = flags;
  const { org, number, url } = await withRemote(config, opts, tty, async ({ api, org, url }) => {
    try {
      return { org, url, number: await api.numbers.create(body) };
    } catch (err) {
      const meta = metaErrorOf(err);
      if (meta) throw new CliError(`${(err as Error).message}\n${explainMeta(meta)}\nNothing was saved.`);
      throw err;
    }
  });
  if (json) return io.out(JSON.stringify(number));
  const phone = number.health.display_phone_number ? ` (${number.health.display_phone_number})` : '';
  io.out(`Connected "${number.display_name}"${phone} to "${org.name}".`);
  io.out(`Meta says: ${describeHealth(number.health)}.`);
  io.out(
    `Next, in the Meta App Dashboard set the webhook callback URL to ${url}/webhooks/whatsapp with the same verify token, and subscribe to "messages".`,
  );
}

/**
 * `openwaba numbers test`: asks Meta about a stored number now, like "Test connection" in the
 * dashboard (a token Meta rejects pauses the number, as it would there). Without --org, every
 * organisation of the account is searched, the current one first.
 */
export async function runNumbersTest(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { number?: string; json?: boolean },
  tty: Tty = processTty(),
) {
  const flags = parseFlags(TestNumberFlags, { number: opts.number, json: opts.json }, ['number']);
  const { number, result } = await withRemote(config, opts, tty, async ({ api, org, orgs }) => {
    // The number's id and its phone number id are unique on the install: one organisation has it.
    const search = opts.org ? [org] : [org, ...orgs.filter((o) => o.id !== org.id)];
    for (const o of search) {
      if (o.id !== org.id) await api.me.switchOrg(o.id);
      const number = (await api.numbers.list()).data.find(
        (n) => n.id === flags.number.toLowerCase() || n.phone_number_id === flags.number,
      );
      if (number) return { number, result: await api.numbers.test(number.id) };
    }
    throw new CliError(
      `No number has the id or phone number id ${flags.number}${opts.org ? ` in that organisation` : ''}. See \`openwaba numbers list\`.`,
    );
  });
  if (flags.json) io.out(JSON.stringify({ id: number.id, ...result }));
  if (result.ok && result.health) {
    if (!flags.json)
      io.out(
        `Meta answered for "${number.display_name}" (${number.phone_number_id}): ${describeHealth(result.health)}.`,
      );
    return;
  }
  const paused =
    result.error?.kind === 'token'
      ? '\nSending from this number is paused until a new access token is set (dashboard: Settings, Numbers).'
      : '';
  throw new CliError(
    `Meta refused "${number.display_name}" (${number.phone_number_id})\n${result.error ? explainMeta(result.error) : 'Meta gave no answer'}${paused}`,
  );
}
