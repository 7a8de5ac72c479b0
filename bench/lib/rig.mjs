// What the benches that drive a real server process share: their small helpers, a temporary
// PostgreSQL database and data folder that are always removed, the server's environment, the
// services opened in the bench's own process (for seeding and reading back), and the one JSON line
// printed last.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** `--name N` from the command line, else `fallback`. */
export const argN = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
export const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
export const r1 = (x) => Math.round(x * 10) / 10;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** The p-th percentile (nearest rank), rounded to 0.1; null when there is nothing. */
export const pct = (xs, p) => {
  const s = Float64Array.from(xs).sort();
  return s.length ? r1(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]) : null;
};

/**
 * Runs `body({ dir, databaseUrl, cleanup })` on a temporary database and folder, then runs the
 * `cleanup` functions pushed (last first), drops both, prints `{"bench": name, …result}` as the
 * last line and exits. A throw becomes `{ error, target_met: false }`.
 */
export async function runBench(name, body) {
  const prefix = name.replace(/[^a-z0-9]/g, '_');
  const dir = mkdtempSync(join(tmpdir(), `openwaba-${prefix}-bench-`));
  const dbName = `openwaba_${prefix}_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  const cleanup = [];
  let result;
  try {
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    const url = new URL(adminUrl);
    url.pathname = `/${dbName}`;
    result = await body({ dir, databaseUrl: url.toString(), cleanup });
  } catch (err) {
    log(err);
    result = { error: err.message, target_met: false };
  } finally {
    for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => {});
    await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
    await admin.end().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ bench: name, ...result }));
  process.exit(0);
}

/** The environment of a server process of `role` on `port` (production, warn logs, no sandbox). */
export const serverEnv =
  ({ dir, databaseUrl, appSecret, ...extra }) =>
  (role, port) => ({
    ROLE: role,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    APP_SECRET: appSecret,
    SANDBOX: 'off',
    SEND_WORKER: 'off',
    LOG_LEVEL: 'warn',
    DATA_DIR: join(dir, role),
    NODE_ENV: 'production',
    ...extra,
  });

/**
 * The services in this process on the bench's database (migrated), an owner and their organisation
 * and, when `number` is given, that number connected with `metaAppSecret`.
 */
export async function openServices({ env, dir, databaseUrl, appSecret, cleanup, number, metaAppSecret }) {
  const { createServices, loadConfig, openDatabase, runMigrations } = await import(
    '../../apps/server/src/index.ts'
  );
  const config = loadConfig({ ...env('all', 0), LOG_LEVEL: 'silent' }, {});
  const database = await openDatabase({ databaseUrl, dataDir: join(dir, 'data') });
  cleanup.push(() => database.close());
  await runMigrations(database);
  const services = createServices({ config, database, appSecret });
  cleanup.push(() => services.whatsapp.close());
  const { orgId, userId } = await services.orgs.setupOwner({
    email: 'bench@example.com',
    password: 'bench password 123',
    orgName: 'Bench',
  });
  const ctx = { orgId, userId, role: 'owner', sessionId: 'bench' };
  const created = number
    ? await services.numbers.create(ctx, {
        display_name: 'Bench',
        phone_number_id: number.phone_number_id,
        waba_id: number.waba_id,
        access_token: number.access_token,
        app_secret: metaAppSecret,
        verify_token: 'bench-verify',
      })
    : null;
  return { config, database, services, orgId, userId, ctx, number: created };
}
