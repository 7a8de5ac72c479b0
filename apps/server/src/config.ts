import { z } from 'zod';

/**
 * The only reader of process.env. Each key documents itself: `.env.example` is generated from here
 * (`npx openwaba env-example`).
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development').describe('Runtime mode.'),
  ROLE: z
    .enum(['api', 'worker', 'all'])
    .default('all')
    .describe('Process role: api serves HTTP, worker runs jobs, all does both.'),
  HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe(
      'Interface the HTTP server binds to: 127.0.0.1 serves this machine only; 0.0.0.0 (or an address) serves other machines too.',
    ),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('HTTP port.'),
  PUBLIC_URL: z
    .url()
    .optional()
    .describe('Public base URL of the dashboard and API (used in links); defaults to http://localhost:PORT.'),
  DATABASE_URL: z
    .url()
    .refine((u) => /^postgres(ql)?:\/\//.test(u), 'must be a postgres:// or postgresql:// URL')
    .optional()
    .describe('PostgreSQL connection URL. Unset: the embedded PostgreSQL (PGlite) in DATA_DIR is used.'),
  DATABASE_POOL_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(10)
    .describe('Max PostgreSQL connections.'),
  DATA_DIR: z
    .string()
    .min(1)
    .default('./data')
    .describe('Directory for the embedded database and local files.'),
  APP_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .describe(
      'Secret for signing sessions and encrypting secrets at rest. Required in production; in development one is generated into DATA_DIR.',
    ),
  APP_SECRET_PREVIOUS: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
        : [],
    )
    .describe('Comma-separated previous APP_SECRETs, while rotating: secrets sealed with them still open.'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(30)
    .max(3600)
    .default(900)
    .describe('Access token lifetime.'),
  SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30).describe('Refresh session lifetime.'),
  COOKIE_SECURE: bool.optional().describe('Mark cookies Secure (default: true when PUBLIC_URL is https).'),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(1024 * 1024)
    .describe('Largest JSON request body accepted.'),
  RATE_LIMIT_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(100)
    .describe(
      'API requests a minute per person (session) or per API key, counted in PostgreSQL across processes; 0 turns it off.',
    ),
  RATE_LIMIT_ORG_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000_000)
    .default(1000)
    .describe('API requests a minute per organisation (all its people and keys); 0 turns it off.'),
  LOGIN_MAX_FAILURES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(10)
    .describe(
      'Failed password checks per account or client before each further one must wait (1 s, doubling).',
    ),
  LOGIN_LOCKOUT_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1440)
    .default(15)
    .describe('Longest wait between password checks of a throttled account or client, in minutes.'),
  TRUST_PROXY: z
    .string()
    .regex(
      /^(false|true|\d{1,2}|[0-9a-fA-F:./]+(\s*,\s*[0-9a-fA-F:./]+)*)$/,
      'must be false, a number of proxy hops, or a comma-separated list of proxy addresses/CIDRs',
    )
    .default('false')
    .describe(
      "Whom to believe about the client address in X-Forwarded-For: false (nobody; the socket address), a number of proxy hops in front of openwaba, or the proxies' addresses/CIDRs (e.g. 10.0.0.0/8,127.0.0.1). true trusts every hop (only behind a proxy that overwrites the header).",
    ),
  ALLOW_ORG_CREATION: bool
    .default(false)
    .describe('Let any signed-in user create organisations (otherwise only instance administrators can).'),
  WS_MAX_CONNECTIONS_PER_USER: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(20)
    .describe('Open WebSocket connections one user may hold in one api process.'),
  FETCH_ALLOW_PRIVATE: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
        : [],
    )
    .describe(
      'Comma-separated hosts or CIDRs on private networks that the server may still fetch from or send to (media links, outbound webhooks). Unset: every private, loopback and link-local address is refused.',
    ),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Log level.'),
  LOG_FORMAT: z
    .enum(['auto', 'json', 'pretty'])
    .default('auto')
    .describe(
      'auto: readable lines when stdout is a terminal, JSON (one object a line) otherwise; json or pretty forces one.',
    ),
  OPENWABA_ADMIN_EMAIL: z
    .email()
    .optional()
    .describe('First owner email, created at first start when no user exists.'),
  OPENWABA_ADMIN_PASSWORD: z
    .string()
    .min(10)
    .optional()
    .describe('First owner password; when unset a password is generated and printed once.'),
  OPENWABA_ADMIN_ORG: z
    .string()
    .min(1)
    .max(100)
    .default('My business')
    .describe('Name of the first organisation.'),
  META_GRAPH_URL: z
    .url({ protocol: /^https?$/ })
    .default('https://graph.facebook.com')
    .describe("Base URL of Meta's Graph API (point it at the simulator to try things offline)."),
  META_GRAPH_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, 'must look like v25.0')
    .default('v25.0')
    .describe(
      'Graph API version used for every call (/healthz warns within 90 days of its end: whatsapp/graph-versions.ts).',
    ),
  AI_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(120_000)
    .default(25_000)
    .describe('Timeout of one attempt of a language-model call (AI replies; at most one retry).'),
  META_HTTP_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(15_000)
    .describe('Timeout of one Graph API call.'),
  META_HTTP_CONNECTIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(256)
    .describe('Keep-alive connections to the Graph API per origin.'),
  SANDBOX: z
    .enum(['auto', 'off'])
    .default('auto')
    .describe(
      'auto: while no real number is connected, a process in role all runs the WhatsApp simulator with a sandbox number and simulated customers.',
    ),
  SANDBOX_PACE: z
    .union([z.enum(['slow', 'normal', 'fast']), z.coerce.number().min(0).max(86_400)])
    .default('normal')
    .describe(
      'How lively the sandbox customers are: slow (a new conversation about every 10 minutes, answers in 30-90 s), normal (every 3 minutes, answers in 8-25 s), fast (every 20 s, answers in 1-4 s), or the seconds between new conversations (answers take a twentieth to an eighth of it); 0: only the two conversations at start, answered at the fast pace.',
    ),
  WEBHOOK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(500)
    .max(60_000)
    .default(10_000)
    .describe('Outbound webhooks: how long one delivery attempt may take (connect, answer and body).'),
  WEBHOOK_RETRY_SCHEDULE_SECONDS: z
    .string()
    .default('5,300,1800,7200,18000,36000,36000,86400')
    .transform((v) => v.split(',').map((x) => Number(x.trim())))
    .pipe(
      z
        .array(
          z
            .number()
            .min(0)
            .max(7 * 86_400),
        )
        .min(1),
    )
    .describe(
      'Outbound webhooks: the waits before each retry of a failed delivery (±10 % jitter); after the last one the delivery is dead.',
    ),
  WEBHOOK_DISABLE_AFTER_HOURS: z.coerce
    .number()
    .min(1)
    .max(24 * 30)
    .default(72)
    .describe(
      'Outbound webhooks: an endpoint whose every delivery has failed this long is disabled (admins are told).',
    ),
  WEBHOOK_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(365)
    .default(30)
    .describe('Outbound webhooks: how long deliveries and their attempts are kept in the log.'),
  WEBHOOK_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(5000)
    .default(500)
    .describe(
      'Outbound webhooks: deliveries one worker leases per statement (and events fanned out per statement).',
    ),
  WEBHOOK_MAX_IN_FLIGHT: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(1000)
    .describe(
      'Outbound webhooks: requests one worker process keeps in flight at most, over every endpoint (each endpoint also has its own max_concurrency).',
    ),
  REPORTS_FOLD_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(250)
    .describe(
      'How often workers fold new messages and statuses into the report rollups (ms, after the previous fold ends); 0 turns the fold off (reports then change only on `openwaba reports rebuild`).',
    ),
  REPORTS_FOLD_BATCH: z.coerce
    .number()
    .int()
    .min(100)
    .max(100_000)
    .default(5000)
    .describe(
      'Most messages (and most status events) one fold step reads; a fold takes steps until it has caught up.',
    ),
  EVENTS_RETENTION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(72)
    .describe('How long domain events are kept for clients to catch up after a reconnect.'),
  JOB_POLL_SECONDS: z.coerce
    .number()
    .min(0.5)
    .max(60)
    .default(1)
    .describe('How often a worker polls each job queue.'),
  WS_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(16 * 1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024)
    .describe(
      'A WebSocket client with more unsent data than this is disconnected (it reconnects and catches up).',
    ),
  WS_HEARTBEAT_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(300)
    .default(25)
    .describe('WebSocket ping interval; a client that misses one is disconnected.'),
  MEDIA_STORE: z
    .enum(['dir', 's3'])
    .default('dir')
    .describe(
      'Where received media files are kept: a directory (MEDIA_DIR) or S3-compatible storage (S3_*).',
    ),
  MEDIA_DIR: z.string().optional().describe('Directory of the media store (default: DATA_DIR/media).'),
  MEDIA_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(100 * 1024 * 1024)
    .describe('Largest received media file kept (Meta allows documents up to 100 MB).'),
  IMPORT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(50 * 1024 * 1024)
    .describe(
      'Largest contact file or campaign audience file (CSV or XLSX) accepted; a bigger upload is refused with 413.',
    ),
  IMPORT_MAX_ROWS: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(100_000)
    .describe('Most data rows one contact import or campaign audience file takes.'),
  SEND_RECONCILE_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .max(86_400)
    .default(600)
    .describe(
      'How long a send whose answer was lost (timeout, reset, dead worker) waits for a status webhook carrying its attempt id before it is tried again.',
    ),
  SEND_LEASE_SECONDS: z.coerce
    .number()
    .int()
    .min(5)
    .max(600)
    .default(60)
    .describe('How long a worker holds a claimed send; after that the claim is treated as abandoned.'),
  SEND_RETRY_DELAYS_SECONDS: z
    .string()
    .default('5,20,45')
    .transform((v) => v.split(',').map((x) => Number(x.trim())))
    .pipe(
      z
        .array(z.number().int('must be whole seconds').min(1).max(3600))
        .min(1, 'needs at least one delay')
        .max(10, 'takes at most 10 delays'),
    )
    .describe(
      'Comma-separated waits before each retry of a send that failed transiently (5xx, throttled); one retry per entry.',
    ),
  SEND_WORKER: z
    .enum(['on', 'off'])
    .default('on')
    .describe('Whether worker processes (role worker or all) run the send queue.'),
  S3_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('S3-compatible endpoint, e.g. https://s3.eu-west-1.amazonaws.com or a MinIO URL.'),
  S3_BUCKET: z.string().min(3).max(63).optional().describe('Bucket for media files.'),
  S3_REGION: z.string().min(1).default('us-east-1').describe('Region used to sign S3 requests.'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional().describe('S3 access key id.'),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional().describe('S3 secret access key.'),
  METRICS_TOKEN: z
    .string()
    .min(16)
    .optional()
    .describe('Bearer token for GET /metrics. Unset: /metrics answers only requests from this machine.'),
  WEB_DIST_DIR: z.string().optional().describe('Directory of the built dashboard (default: apps/web/dist).'),
});

export type Config = z.infer<typeof schema> & { publicUrl: string; cookieSecure: boolean };
export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses configuration; throws ConfigError listing every bad key at once. */
export function loadConfig(
  env: Env = process.env,
  overrides: Partial<Record<keyof z.infer<typeof schema>, string>> = {},
): Config {
  const input: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const v = overrides[key as keyof typeof overrides] ?? env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const parsed = schema.safeParse(input);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      problems.push(`${key}: ${issue.message} (got ${JSON.stringify(input[key] ?? null)})`);
    }
  }
  if (parsed.success && parsed.data.NODE_ENV === 'production' && !parsed.data.APP_SECRET) {
    problems.push('APP_SECRET: required when NODE_ENV=production');
  }
  if (parsed.success && parsed.data.MEDIA_STORE === 's3') {
    for (const key of ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) {
      if (!parsed.data[key]) problems.push(`${key}: required when MEDIA_STORE=s3`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const c = parsed.data;
  const publicUrl = (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, '');
  return { ...c, publicUrl, cookieSecure: c.COOKIE_SECURE ?? publicUrl.startsWith('https:') };
}

/** Lines of `.env.example`, generated from the schema so the two never drift. */
export function envExample(): string {
  const lines = [
    '# openwaba configuration. Generated by `npx openwaba env-example`; do not edit by hand.',
    '',
  ];
  for (const [key, field] of Object.entries(schema.shape)) {
    const description = (field as z.ZodType).description ?? '';
    lines.push(`# ${description}`);
    const parsed = (field as z.ZodType).safeParse(undefined);
    const def = parsed.success && parsed.data !== undefined ? String(parsed.data) : '';
    lines.push(def === '' ? `# ${key}=` : `${key}=${def}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Test-only knobs (which database backend the tests run on). Kept here so env stays in one file. */
export function testSettings(env: Env = process.env) {
  return {
    backend: env.TEST_DB === 'pg' ? ('pg' as const) : ('pglite' as const),
    adminUrl: env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    requirePg: env.REQUIRE_PG === '1',
    requireBrowser: env.REQUIRE_BROWSER === '1',
    chromiumPath: env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  };
}
