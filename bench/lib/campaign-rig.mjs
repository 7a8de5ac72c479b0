// The rig of the campaign drills (campaign-crash, campaign-faults), deployed as in production: a fresh
// PostgreSQL database, the simulator in its own process delivering signed status webhooks to an
// openwaba API process (ROLE=api), and the sender in a worker process (ROLE=worker) that a drill may
// kill and restart. The drill process sets the org up and starts the campaign in-process (services).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, startChild } from './child.mjs';

export const argN = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
export const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const r1 = (x) => Math.round(x * 10) / 10;

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'apps/cli/bin/openwaba.js');
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = 'drill-secret-drill-secret-drill-secret-00';
const APP_SECRET = 'drill-app-secret';
const NUMBER = {
  phone_number_id: '3100101',
  waba_id: '3100001',
  display_phone_number: '+1 555 031 0001',
  access_token: 'campaign-drill-token-0',
  throughput_mps: 1000,
  // One status webhook per send ("sent"): enough to reconcile, and light on a small machine.
  customers: { deliver_rate: 0, undeliverable_rate: 0, reply_rate: 0 },
};
export const PHONE_NUMBER_ID = NUMBER.phone_number_id;
const TEMPLATE = {
  waba_id: NUMBER.waba_id,
  name: 'order_update',
  language: 'en_US',
  category: 'UTILITY',
  components: [
    { type: 'BODY', text: 'Hi {{1}}, your order is on its way.', example: { body_text: [['Ana']] } },
  ],
};

/**
 * Builds the rig: database, simulator, API process, org, number, template, `recipients` opted-in
 * contacts and a draft campaign to all of them. The number's saved rate is set to `rate` msg/s (the
 * sender's starting rate; the simulator's cap stays 1,000 msg/s unless a drill lowers it).
 */
export async function createRig({ recipients, rate, workerEnv = {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'openwaba-drill-'));
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  const dbName = `openwaba_drill_${randomBytes(4).toString('hex')}`;
  const cleanup = [];
  let closing;
  const close = () => {
    closing ??= closeAll();
    return closing;
  };
  for (const sig of ['SIGINT', 'SIGTERM'])
    process.once(sig, () => {
      log(`${sig}: cleaning up`);
      close().finally(() => process.exit(1));
    });
  const closeAll = async () => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
    await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
    await admin.end().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    const url = new URL(adminUrl);
    url.pathname = `/${dbName}`;
    const databaseUrl = url.toString();

    const apiPort = await freePort();
    const seed = join(dir, 'seed.json');
    writeFileSync(
      seed,
      JSON.stringify({
        numbers: [
          { ...NUMBER, webhook_url: `http://127.0.0.1:${apiPort}/webhooks/whatsapp`, app_secret: APP_SECRET },
        ],
        templates: [TEMPLATE],
      }),
    );
    const sim = startChild(
      [cli, 'simulator', '--port', '0', '--seed', seed],
      {},
      (out) => out.match(/listening on (http:\/\/\S+)/)?.[1],
    );
    cleanup.push(() => sim.kill());
    const simUrl = await sim.started;
    log(`simulator at ${simUrl}`);

    const env = (role, port) => ({
      ROLE: role,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      APP_SECRET: SECRET,
      META_GRAPH_URL: simUrl,
      SANDBOX: 'off',
      LOG_LEVEL: 'warn',
      DATA_DIR: join(dir, role),
      NODE_ENV: 'production',
    });
    const running = (out) => out.includes('openwaba is running');

    const { createServices, loadConfig, openDatabase, runMigrations } = await import(
      '../../apps/server/src/index.ts'
    );
    const config = loadConfig({ ...env('all', 0), LOG_LEVEL: 'silent' }, {});
    const database = await openDatabase({ databaseUrl, dataDir: join(dir, 'data') });
    cleanup.push(() => database.close());
    await runMigrations(database);
    const services = createServices({ config, database, appSecret: SECRET });
    cleanup.push(() => services.whatsapp.close());

    // The org, the number (its app secret verifies the simulator's webhooks), the template, contacts.
    const { orgId, userId } = await services.orgs.setupOwner({
      email: 'drill@example.com',
      password: 'drill password 123',
      orgName: 'Drill',
    });
    const ctx = { orgId, userId, role: 'owner', sessionId: 'drill' };
    const number = await services.numbers.create(ctx, {
      display_name: 'Drill',
      phone_number_id: NUMBER.phone_number_id,
      waba_id: NUMBER.waba_id,
      access_token: NUMBER.access_token,
      app_secret: APP_SECRET,
      verify_token: 'drill-verify',
    });
    await services.templates.sync(orgId);
    const [tpl] = (await services.templates.list(ctx, {})).filter((t) => t.name === TEMPLATE.name);
    const [tag] = await database.query(`insert into tags (org_id, name) values ($1, 'drill') returning id`, [
      orgId,
    ]);
    await database.query(
      `with c as (
         insert into contacts (org_id, wa_id, name)
         select $1, (15550000000 + g)::text, 'Customer ' || g from generate_series(1, $2::int) g
         returning id, wa_id),
       t as (insert into contact_tags (org_id, contact_id, tag_id) select $1, c.id, $3 from c)
       insert into opt_in_events (org_id, contact_id, wa_id, kind, source, proof)
       select $1, c.id, c.wa_id, 'opt_in', 'import', 'drill list' from c`,
      [orgId, recipients, tag.id],
    );
    await database.query('analyze');
    const campaign = await services.campaigns.create(ctx, {
      name: 'drill',
      number_id: number.id,
      audience: { kind: 'contacts', filter: { tag_ids: [tag.id] } },
      templates: [{ template_id: tpl.id, mapping: { 'body.1': { contact: 'name' } } }],
      split: 'sequential',
    });
    // The sender's starting rate: a rate saved today carries over (messages/rate.ts).
    await database.query(
      `update numbers set max_send_rate_per_sec = $2, rate_day = to_char(now() at time zone 'UTC', 'YYYY-MM-DD')
       where id = $1`,
      [number.id, rate],
    );
    log(`set up ${recipients} opted-in contacts and campaign ${campaign.id}`);

    // The API process receives the simulator's webhooks (started after the org: no bootstrap owner).
    const api = startChild([cli, 'start'], env('api', apiPort), running);
    cleanup.push(() => api.kill());
    await api.started;
    log(`API process (ROLE=api) at http://127.0.0.1:${apiPort}`);

    // The simulator's accepted sends, read as they happen (see countAtSimulator).
    const collector = (() => {
      const seen = new Map();
      let covered = 0;
      let stopped = false;
      const snapshot = async () => {
        const s = await (await fetch(`${simUrl}/_sim/stats`)).json();
        const accepted = s.numbers[PHONE_NUMBER_ID].accepted;
        if (accepted === covered) return;
        // Every send since the last snapshot, and a margin for those accepted meanwhile.
        const limit = Math.min(10_000, accepted - covered + 1000);
        const res = await fetch(`${simUrl}/_sim/messages?phone_number_id=${PHONE_NUMBER_ID}&limit=${limit}`);
        for (const m of await res.json()) seen.set(m.wamid, m);
        covered = accepted;
      };
      const loop = (async () => {
        while (!stopped) {
          await snapshot().catch((err) => log(`reading the simulator's sends failed: ${err.message}`));
          await sleep(2000);
        }
      })();
      return {
        seen,
        stop: async () => {
          stopped = true;
          await loop;
          await snapshot();
        },
      };
    })();
    cleanup.push(() => collector.stop());

    let worker;
    const rig = {
      simUrl,
      databaseUrl,
      dbName,
      admin,
      database,
      numberId: number.id,
      campaignId: campaign.id,
      /** Starts the worker process (ROLE=worker); resolves once it is running. */
      async startWorker() {
        const port = await freePort();
        const w = startChild([cli, 'start'], { ...env('worker', port), ...workerEnv }, running);
        worker = w;
        // A worker that exits by itself is restarted, as a supervisor (systemd, Docker) would do, and
        // counted: the drills report it.
        w.exited.then((code) => {
          if (w.killed() || closing) return;
          const error = w
            .output()
            .match(/\n(\w*Error|error): [^\n]+/g)
            ?.at(-1)
            ?.trim();
          rig.workerCrashes.push(error ?? `exit ${code}`);
          log(`the worker process exited by itself (${code}); restarting it:\n${w.output().slice(-3000)}`);
          rig.startWorker().catch((err) => log(`restarting the worker failed: ${err.message}`));
        });
        await w.started;
        return worker;
      },
      worker: () => worker,
      /** The last error each worker process that exited by itself printed. */
      workerCrashes: [],
      start: () => services.campaigns.start(ctx, campaign.id),
      /** Accepted sends and the current rate at the simulator. */
      async simNumber() {
        const s = await (await fetch(`${simUrl}/_sim/stats`)).json();
        return { ...s.numbers[PHONE_NUMBER_ID], errors: s.errors };
      },
      setFaults: (faults) => simPut(simUrl, '/_sim/faults', faults),
      setThroughput: (mps) => simPut(simUrl, `/_sim/numbers/${PHONE_NUMBER_ID}`, { throughput_mps: mps }),
      /** The campaign's state and openwaba's counts; null while the database is unreachable. */
      async view() {
        try {
          const [c] = await database.query(
            `select k.state,
                    count(*) filter (where r.state = 'sent')::int as sent,
                    count(*) filter (where r.state = 'failed')::int as failed,
                    count(*) filter (where r.state in ('pending', 'queued'))::int as waiting,
                    (select max_send_rate_per_sec from numbers where id = k.number_id) as rate
             from campaigns k join campaign_recipients r on r.campaign_id = k.id
             where k.id = $1 group by k.id`,
            [campaign.id],
          );
          return c;
        } catch {
          return null;
        }
      },
      /** Waits for the campaign to end (completed, failed, stopped); `onTick` runs every second. */
      async waitDone(timeoutMs, onTick = async () => {}) {
        const end = Date.now() + timeoutMs;
        for (;;) {
          await onTick();
          const v = await rig.view();
          if (v && ['completed', 'failed', 'stopped'].includes(v.state)) return v;
          if (Date.now() > end) return v ?? { state: 'timeout' };
          await sleep(1000);
        }
      },
      /**
       * Counts at the simulator, per recipient, the sends it accepted, and compares them with the
       * wamids openwaba recorded. The simulator's message log answers at most 10,000 sends per query
       * (newest first) and filtering it by recipient scans the whole log per query, so `collect` reads
       * the newest sends every 2 s while the campaign runs and keeps them by wamid; the count checks
       * that what it kept is every send the simulator accepted.
       */
      async countAtSimulator() {
        await collector.stop();
        const [s] = await database.query(`select count(*)::int as n from campaign_recipients`);
        if (s.n !== recipients) throw new Error(`expected ${recipients} recipients, found ${s.n}`);
        const { accepted } = await rig.simNumber();
        if (collector.seen.size !== accepted)
          throw new Error(`kept ${collector.seen.size} sends of the ${accepted} the simulator accepted`);
        const byTo = new Map();
        for (const m of collector.seen.values()) byTo.set(m.to, [...(byTo.get(m.to) ?? []), m]);
        const recorded = await database.query(
          `select wa_id, wamid from campaign_recipients where campaign_id = $1`,
          [campaign.id],
        );
        let lost = 0;
        let duplicated = 0;
        let wamidMismatch = 0;
        const duplicates = [];
        for (const r of recorded) {
          const sends = byTo.get(r.wa_id) ?? [];
          if (!sends.length) lost++;
          if (sends.length > 1) {
            duplicated += sends.length - 1;
            if (duplicates.length < 5)
              duplicates.push({
                to: r.wa_id,
                sends: sends.map((m) => [
                  new Date(m.at).toISOString().slice(11, 23),
                  m.biz_opaque_callback_data,
                ]),
              });
          }
          if (r.wamid && !sends.some((m) => m.wamid === r.wamid)) wamidMismatch++;
        }
        // Each send followed by another to the same recipient: was its status webhook (carrying its
        // attempt id) still unprocessed when the send was made again — held in a webhook_events claim
        // of a worker that died, or turned into a status event only after the resend? Then the
        // reconciliation could not have seen it in time.
        const resent = [...byTo.values()].flatMap((sends) =>
          sends
            .sort((a, b) => a.at - b.at)
            .slice(0, -1)
            .map((m, i) => ({ cb: m.biz_opaque_callback_data, resend: sends[i + 1].at })),
        );
        const [late] = await database.query(
          `select count(*)::int as n from json_to_recordset($1::json) as x(cb text, resend float8)
           where exists (select 1 from webhook_events w where w.state = 'pending'
                           and w.processed_at is not null and strpos(w.raw, x.cb) > 0)
              or exists (select 1 from message_status_events e
                           where e.payload->>'biz_opaque_callback_data' = x.cb
                             and e.created_at > to_timestamp(x.resend / 1000.0))`,
          [JSON.stringify(resent)],
        );
        const inCampaign = new Set(recorded.map((r) => r.wa_id));
        const strangers = [...byTo.keys()].filter((to) => !inCampaign.has(to)).length;
        if (strangers) throw new Error(`${strangers} sends to numbers outside the campaign`);
        return { lost, duplicated, accepted, wamidMismatch, duplicates, lateWebhooks: late.n };
      },
      /** What both drills report once the campaign has ended: openwaba's counts beside the simulator's. */
      async tally(end) {
        const view = await rig.view();
        const sim = await rig.countAtSimulator();
        log(`duplicates (first 5): ${JSON.stringify(sim.duplicates)}`);
        const figures = {
          state: end.state,
          lost: sim.lost,
          duplicated: sim.duplicated,
          sent: view.sent,
          failed: view.failed,
          accepted_at_simulator: sim.accepted,
          wamid_mismatch: sim.wamidMismatch,
          worker_crashes: rig.workerCrashes,
          duplicates_status_webhook_processed_late: sim.lateWebhooks,
        };
        return { figures, view, sim };
      },
      /** Terminates every connection to the drill's database (workers, API, this process). */
      async killConnections() {
        const r = await admin.query(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
           where datname = $1 and pid <> pg_backend_pid()`,
          [dbName],
        );
        return r.rows[0].n;
      },
      /** The last lines the API and worker processes wrote (warnings and errors). */
      tails: () => ({ api: api.output().slice(-1500), worker: worker?.output().slice(-1500) }),
      close,
    };
    cleanup.push(() => worker?.kill() ?? Promise.resolve());
    return rig;
  } catch (err) {
    await close();
    throw err;
  }
}

async function simPut(simUrl, path, body) {
  const res = await fetch(`${simUrl}${path}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}
