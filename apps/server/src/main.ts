import type { FastifyInstance } from 'fastify';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { buildApp } from './app.ts';
import type { Config } from './config.ts';
import { type Database, openDatabase } from './db/client.ts';
import { runMigrations } from './db/migrate.ts';
import { healthRoutes } from './health/routes.ts';
import { appVersion, versionLabel } from './health/version.ts';
import { generatePassword } from './lib/crypto.ts';
import { httpLogging } from './lib/log.ts';
import { resolveAppSecret } from './lib/secret.ts';
import { startSandbox } from './sandbox/start-sandbox.ts';
import { createServices, type Services } from './services.ts';
import { graphVersionWarning } from './whatsapp/graph-versions.ts';

export const DEFAULT_ADMIN_EMAIL = 'admin@openwaba.local';
const BOOTSTRAP_LOCK_KEY = 0x0be_a7bb;

export function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolMax: config.DATABASE_POOL_MAX,
  });
}

/** Creates the first owner when the install has no user yet. Returns what to tell the operator. */
export async function bootstrapFirstOwner(config: Config, database: Database) {
  const services = createServices({ config, database, appSecret: resolveAppSecret(config) });
  // Several processes may start at once on one PostgreSQL: only one of them creates the owner.
  return database.withAdvisoryLock(BOOTSTRAP_LOCK_KEY, async () => {
    if ((await services.auth.countUsers()) > 0) return null;
    const email = (config.OPENWABA_ADMIN_EMAIL ?? DEFAULT_ADMIN_EMAIL).toLowerCase();
    const password = config.OPENWABA_ADMIN_PASSWORD ?? generatePassword();
    await services.orgs.setupOwner({ email, password, orgName: config.OPENWABA_ADMIN_ORG });
    return { email, password: config.OPENWABA_ADMIN_PASSWORD ? null : password };
  });
}

/** Loopback addresses: a server bound to one is reachable from this machine only. */
const LOOPBACK = /^(127(\.\d{1,3}){3}|localhost|::1|\[::1\])$/i;

/** Where the banner says the server can be reached from (HOST). */
export function listeningNote(host: string): string {
  if (LOOPBACK.test(host)) {
    return `Listening on ${host} only; set HOST=0.0.0.0 to reach it from other machines.`;
  }
  return host === '0.0.0.0' || host === '::'
    ? `Listening on every interface (HOST=${host}): other machines can reach it.`
    : `Listening on ${host} (HOST).`;
}

export interface Running {
  url: string;
  app: FastifyInstance;
  database: Database;
  stop(): Promise<void>;
}

/** Starts a process in its role: migrate, (api) serve HTTP, (worker) run jobs. */
export async function startServer(
  config: Config,
  out: (line: string) => void = console.log,
): Promise<Running> {
  const database = await openConfiguredDatabase(config);
  let app: FastifyInstance | undefined;
  try {
    await runMigrations(database);
    const appSecret = resolveAppSecret(config);
    const firstOwner = await bootstrapFirstOwner(config, database);
    let services: Services;
    if (config.ROLE === 'worker') {
      // Workers run jobs and cron; HTTP only for health checks and metrics.
      app = Fastify(httpLogging(config));
      app.setValidatorCompiler(validatorCompiler);
      app.setSerializerCompiler(serializerCompiler);
      services = createServices({ config, database, appSecret, log: app.log });
      await app.register(healthRoutes({ database, jobs: services.jobs, metrics: services.metrics, config }));
    } else {
      app = await buildApp({ config, database, appSecret });
      services = app.services;
    }
    const graphWarning = graphVersionWarning(config.META_GRAPH_VERSION);
    if (graphWarning) app.log.warn({ version: config.META_GRAPH_VERSION }, graphWarning);
    await services.billing.seedShippedCard();
    if (config.ROLE !== 'api') {
      await services.jobs.start({ work: true });
      // Customers' messages left unhandled by a process that died are handled now, not at the next minute.
      void services.automationChain
        .sweep()
        .catch((err) => app?.log.error({ err }, 'automation sweep at start failed'));
    }
    if (config.ROLE !== 'api' && config.SEND_WORKER === 'on') services.sender.start();
    // Flow runs' waits and delays: the due sweep (SKIP LOCKED) in every worker process.
    if (config.ROLE !== 'api') services.flowEngine.start();
    // AI auto replies due after their debounce: the pending rows are the truth, swept by every worker.
    if (config.ROLE !== 'api') services.aiReplies.start();
    // Outbound webhooks: fan-out from the events outbox and the delivery loop, in every worker.
    if (config.ROLE !== 'api') await services.webhooks.start();
    // Report rollups: the fold, every REPORTS_FOLD_INTERVAL_MS in every worker (they skip each other).
    if (config.ROLE !== 'api') services.reportFolder.start();
    await app.listen({ host: config.HOST, port: config.PORT });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    const url = config.PUBLIC_URL ?? `http://localhost:${port}`;
    const dbLabel =
      database.kind === 'pg' ? 'PostgreSQL (DATABASE_URL)' : `embedded PostgreSQL in ${config.DATA_DIR}`;
    const sandbox = config.ROLE === 'all' ? await startSandbox(services, url) : undefined;
    const embedded = database.kind !== 'pg';
    out('');
    out(`  openwaba is running (role ${config.ROLE}, ${dbLabel})`);
    out(`  Version:    ${versionLabel(appVersion())}`);
    out(`  Dashboard:  ${url}/`);
    out(`  API docs:   ${url}/docs`);
    out(`  ${listeningNote(config.HOST)}`);
    if (firstOwner) {
      out(`  Sign in as: ${firstOwner.email}`);
      out(
        firstOwner.password
          ? `  Password:   ${firstOwner.password}   (shown once; change it under Settings → Account)`
          : '  Password:   the OPENWABA_ADMIN_PASSWORD you set',
      );
    } else {
      out('  Sign in with your account.');
    }
    out(
      `  Lost a password? npx openwaba users reset-password --email ${firstOwner?.email ?? 'you@…'}` +
        (embedded ? ' (stop the server first)' : ''),
    );
    if (sandbox) {
      out(
        `  Sandbox:    number ${sandbox.display} on the built-in WhatsApp simulator (${sandbox.simulatorUrl});`,
      );
      out(
        `              simulated customers write in and answer your replies (SANDBOX_PACE=${config.SANDBOX_PACE});`,
      );
      out('              connect a real number under Settings to turn it off.');
    }
    out('');
    const running = app;
    let stopping: Promise<void> | undefined;
    return {
      url,
      app: running,
      database,
      stop: () => {
        stopping ??= (async () => {
          // AI replies first: the sandbox's fake model they may be calling goes with the sandbox.
          await services.aiReplies.stop();
          await sandbox?.stop();
          await running.close();
          await services.automationChain.idle();
          await services.sender.stop();
          await services.flowEngine.stop();
          await services.webhooks.stop();
          await services.reportFolder.stop();
          await services.jobs.stop();
          await database.close();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await app?.close().catch(() => {});
    await database.close().catch(() => {});
    throw err;
  }
}
