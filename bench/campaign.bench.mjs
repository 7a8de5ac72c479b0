// `npm run bench -- campaign`: the campaign engine at Meta's full throughput, on real PostgreSQL and the
// simulator on loopback (its own process), with the sender in a separate worker process
// (`openwaba start` with ROLE=worker) exactly as deployed.
//
// (a) One number capped at 1,000 msg/s, 100k recipients: the campaign's duration (its report's: started,
//     after the pre-flight, to completed; the wall time from asking to start is printed beside it).
//     Target ≤ 105 s.
// (b) Four numbers (uncapped at the simulator), one campaign each: aggregate sends/s with every
//     send persisted (conversation, message and recipient rows), beside baselines in the same run: a
//     one-job-per-message BullMQ queue (Redis, on this machine for the benchmark only — never a
//     dependency of the product) whose jobs write the same rows in tables like openwaba's (the target's
//     baseline), the same queue writing one narrow row per send (printed), and a bare HTTP loop with no
//     database (the machine's ceiling, printed). Target ≥ 3,000 sends/s and ≥ 2× the BullMQ baseline.
// (c) The same as (a) on the embedded database, all in one process (PGlite is one process), printed.
// (d) A 100k-row audience file (CSV: phone, media link, two variables): upload and draft creation
//     times, printed.
// Every run checks exactly-once: the simulator's accepted count per number equals the recipients.
// Needs PostgreSQL (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres) and, for the
// BullMQ baseline, Redis at REDIS_URL or 127.0.0.1:6379 (skipped, and reported, when absent).
// Options: --recipients N (100000), --embedded N (20000), --file-rows N (100000), --skip-embedded,
// --skip-baseline, --skip-bullmq (the bare HTTP loop only), --only a|b (one part: (a) with (d), or (b)
// with its baselines).
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Pool } from 'undici';
import { freePort, startChild } from './lib/child.mjs';

const argN = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const flag = (name) => process.argv.includes(`--${name}`);
const only = process.argv[process.argv.indexOf('--only') + 1];
const part = (name) => !process.argv.includes('--only') || only === name;
const RECIPIENTS = argN('recipients', 100_000);
const EMBEDDED = argN('embedded', 20_000);
const FILE_ROWS = argN('file-rows', 100_000);
const root = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = 'bench-secret-bench-secret-bench-secret-00';
const WABA = '3000001';
// Number 0 (a) is capped at Meta's 1,000 msg/s; numbers 1–4 ((b), and (c) after it) are uncapped at
// the simulator (still HIGH, so the sender's own ceiling stays 1,000 msg/s each).
const numberOf = (i) => ({
  phone_number_id: String(3_000_101 + i),
  waba_id: WABA,
  display_phone_number: `+1 555 030 ${String(i).padStart(4, '0')}`,
  access_token: `campaign-bench-token-${i}`,
  throughput_mps: i === 0 ? 1000 : 1_000_000,
});
const NUMBERS = Array.from({ length: 5 }, (_, i) => numberOf(i));
const TEMPLATE = {
  waba_id: WABA,
  name: 'order_update',
  language: 'en_US',
  category: 'UTILITY',
  components: [
    { type: 'BODY', text: 'Hi {{1}}, your order is on its way.', example: { body_text: [['Ana']] } },
  ],
};
const r1 = (x) => Math.round(x * 10) / 10;
const log = (...a) => console.error(...a);

async function startSimulator(dir) {
  const seed = join(dir, 'seed.json');
  writeFileSync(seed, JSON.stringify({ numbers: NUMBERS, templates: [TEMPLATE] }));
  const sim = startChild(
    [join(root, 'apps/cli/bin/openwaba.js'), 'simulator', '--port', '0', '--seed', seed],
    {},
    (out) => out.match(/listening on (http:\/\/\S+)/)?.[1],
  );
  const url = await sim.started;
  return { url, stop: () => sim.kill() };
}

/** Errors the simulator answered between two snapshots, by code. */
const diffErrors = (a, b) =>
  Object.fromEntries(
    Object.entries(b.errors ?? {})
      .map(([k, v]) => [k, v - (a.errors?.[k] ?? 0)])
      .filter(([, v]) => v > 0),
  );

async function simStats(url) {
  const res = await fetch(`${url}/_sim/stats`);
  return res.json();
}

/** An organisation with the numbers connected, templates synced and `n` opted-in contacts per audience tag. */
async function setUp(services, database, simUrl, audiences) {
  const { orgId, userId } = await services.orgs.setupOwner({
    email: 'bench@example.com',
    password: 'bench password 123',
    orgName: 'Bench',
  });
  const ctx = { orgId, userId, role: 'owner', sessionId: 'bench' };
  const numberIds = [];
  for (const n of NUMBERS) {
    const created = await services.numbers.create(ctx, {
      display_name: `Bench ${n.phone_number_id}`,
      phone_number_id: n.phone_number_id,
      waba_id: n.waba_id,
      access_token: n.access_token,
      app_secret: 'bench-app-secret',
      verify_token: 'bench-verify',
    });
    numberIds.push(created.id);
  }
  await services.templates.sync(orgId);
  const [tpl] = (await services.templates.list(ctx, {})).filter((t) => t.name === TEMPLATE.name);
  let offset = 0;
  const tags = [];
  for (const [i, size] of audiences.entries()) {
    const [tag] = await database.query(`insert into tags (org_id, name) values ($1, $2) returning id`, [
      orgId,
      `aud${i}`,
    ]);
    await database.query(
      `with c as (
         insert into contacts (org_id, wa_id, name)
         select $1, (15550000000 + g)::text, 'Customer ' || g from generate_series($2::int, $3::int) g
         returning id, wa_id),
       t as (insert into contact_tags (org_id, contact_id, tag_id) select $1, c.id, $4 from c)
       insert into opt_in_events (org_id, contact_id, wa_id, kind, source, proof)
       select $1, c.id, c.wa_id, 'opt_in', 'import', 'bench list' from c`,
      [orgId, offset + 1, offset + size, tag.id],
    );
    offset += size;
    tags.push(tag.id);
  }
  await database.query('analyze');
  return { ctx, numberIds, templateId: tpl.id, tags };
}

const campaignBody = (name, numberId, templateId, tagId) => ({
  name,
  number_id: numberId,
  audience: { kind: 'contacts', filter: { tag_ids: [tagId] } },
  templates: [{ template_id: templateId, mapping: { 'body.1': { contact: 'name' } } }],
  split: 'sequential',
});

async function waitDone(database, ids, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const rows = await database.query(
      `select id, state, started_at, finished_at from campaigns where id = any($1::uuid[])`,
      [ids],
    );
    if (rows.every((r) => ['completed', 'failed', 'stopped'].includes(r.state))) return rows;
    if (Date.now() > end) return rows;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function sentCounts(database, ids) {
  const rows = await database.query(
    `select campaign_id, count(*) filter (where state = 'sent')::int as sent, count(*)::int as total
     from campaign_recipients where campaign_id = any($1::uuid[]) group by campaign_id`,
    [ids],
  );
  return Object.fromEntries(rows.map((r) => [r.campaign_id, r]));
}

// ---- (c) embedded, in one child process --------------------------------------------------------------
if (process.argv[2] === '--embedded-child') {
  const [, , , simUrl, dataDir, n] = process.argv;
  const { createServices, loadConfig, openDatabase, runMigrations } = await import(
    '../apps/server/src/index.ts'
  );
  const config = loadConfig(
    {
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      APP_SECRET: SECRET,
      META_GRAPH_URL: simUrl,
    },
    {},
  );
  const database = await openDatabase({ dataDir });
  await runMigrations(database);
  const services = createServices({ config, database, appSecret: SECRET });
  const before = await simStats(simUrl);
  const s = await setUp(services, database, simUrl, [Number(n)]);
  // The embedded database's number is the last one: the PostgreSQL runs used the others.
  const numberId = s.numberIds[4];
  let t = performance.now();
  const c = await services.campaigns.create(
    s.ctx,
    campaignBody('embedded', numberId, s.templateId, s.tags[0]),
  );
  const createS = (performance.now() - t) / 1000;
  services.sender.start();
  t = performance.now();
  await services.campaigns.start(s.ctx, c.id);
  const [done] = await waitDone(database, [c.id], 600_000);
  const wall = (performance.now() - t) / 1000;
  const counts = await sentCounts(database, [c.id]);
  const after = await simStats(simUrl);
  const pid = NUMBERS[4].phone_number_id;
  const accepted = (after.numbers[pid]?.accepted ?? 0) - (before.numbers[pid]?.accepted ?? 0);
  await services.sender.stop();
  await services.whatsapp.close();
  await database.close();
  console.log(
    JSON.stringify({
      recipients: Number(n),
      state: done.state,
      create_s: r1(createS),
      seconds: r1(wall),
      sends_per_s: Math.round(counts[c.id].sent / wall),
      sent: counts[c.id].sent,
      accepted_at_simulator: accepted,
    }),
  );
  process.exit(0);
}

/**
 * What a BullMQ job persists. `oneRow`: the least a sender can record, the wamid on one narrow row (a
 * single HOT update). `sameRows`: the rows openwaba writes for a send, in tables made LIKE openwaba's
 * (same columns, indexes and defaults; no foreign keys): before the request the conversation (created,
 * or its activity moved) and the pending message; after it the message's wamid and status and the
 * recipient sent (openwaba leaves a recipient pending until its outcome: its campaign's feed cursor
 * says it is queued). The job queue itself is Redis's part.
 */
async function oneRow(db, n) {
  const t = `bench_sends_${randomBytes(4).toString('hex')}`;
  await db.query(`create table ${t} (id int primary key, wamid text, status text)`);
  await db.query(`insert into ${t} (id) select g from generate_series(0, $1::int - 1) g`, [n]);
  return {
    before: async () => {},
    after: (i, wamid) => db.query(`update ${t} set wamid = $2, status = 'sent' where id = $1`, [i, wamid]),
    drop: () => db.query(`drop table ${t}`),
  };
}

async function sameRows(db, n) {
  const x = randomBytes(4).toString('hex');
  const [conv, msgs, recs] = [`bench_conversations_${x}`, `bench_messages_${x}`, `bench_recipients_${x}`];
  await db.query(`create table ${conv} (like conversations including all)`);
  await db.query(`create table ${msgs} (like messages including all)`);
  await db.query(`create table ${recs} (like campaign_recipients including all)`);
  const org = randomUUID();
  const number = randomUUID();
  const campaign = randomUUID();
  // The campaign's recipients exist before it starts, as openwaba's do (made when it is created).
  await db.query(
    `insert into ${recs} (id, campaign_id, org_id, contact_id, wa_id, input, row_number, template_index, params, state)
     select g, $1, $2, gen_random_uuid(), (16660000000 + g)::text, (16660000000 + g)::text, g, 0,
            jsonb_build_array(jsonb_build_object('type', 'body', 'parameters',
              jsonb_build_array(jsonb_build_object('type', 'text', 'text', 'Customer ' || g)))), 'pending'
     from generate_series(0, $3::int - 1) g`,
    [campaign, org, n],
  );
  await db.query(`analyze ${recs}`);
  const ids = new Map();
  return {
    async before(i) {
      const id = randomUUID();
      ids.set(i, id);
      await db.query(
        `with r as (select contact_id, params from ${recs} where id = $1),
         c as (insert into ${conv} (org_id, number_id, contact_id, last_message_at)
               select $2, $3, r.contact_id, now() from r
               on conflict (number_id, contact_id) do update set last_message_at = now(), updated_at = now()
               returning id)
         insert into ${msgs} (id, org_id, number_id, conversation_id, direction, type, content, status, sent_at, source, campaign_id)
         select $4, $2, $3, c.id, 'out', 'template',
                jsonb_build_object('type', 'template', 'template', jsonb_build_object('name', $6::text,
                  'language', jsonb_build_object('code', 'en_US'), 'components', r.params)),
                'pending', now(), 'campaign', $5
         from c, r`,
        [i, org, number, id, campaign, TEMPLATE.name],
      );
    },
    async after(i, wamid) {
      await db.query(
        `with m as (update ${msgs} set wamid = $2, status = 'sent', sent_at = now() where id = $3)
         update ${recs} set state = 'sent', message_id = $3, wamid = $2, attempts = attempts + 1, sent_at = now(), updated_at = now()
         where id = $1`,
        [i, wamid, ids.get(i)],
      );
      ids.delete(i);
    },
    drop: () => db.query(`drop table ${conv}, ${msgs}, ${recs}`),
  };
}

// ---- baselines, in a child process ----------------------------------------------------------------------
if (process.argv[2] === '--baseline-child') {
  const [, , , kind, simUrl, databaseUrl, total] = process.argv;
  const N = Number(total);
  const pool = new Pool(simUrl, { connections: 128, pipelining: 1 });
  const numbers = NUMBERS.slice(1, 5);
  const send = async (i) => {
    const n = numbers[i % numbers.length];
    const res = await pool.request({
      method: 'POST',
      path: `/v23.0/${n.phone_number_id}/messages`,
      headers: { authorization: `Bearer ${n.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        messaging_product: 'whatsapp',
        to: String(16660000000 + i),
        type: 'template',
        template: {
          name: TEMPLATE.name,
          language: { code: 'en_US' },
          components: [{ type: 'body', parameters: [{ type: 'text', text: `Customer ${i}` }] }],
        },
      }),
    });
    const json = await res.body.json();
    return { status: res.statusCode, wamid: json?.messages?.[0]?.id };
  };
  let result;
  if (kind === 'http') {
    let next = 0;
    let ok = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < N) {
          const r = await send(next++);
          if (r.status === 200) ok++;
        }
      }),
    );
    result = { sends_per_s: Math.round(ok / ((performance.now() - t) / 1000)), ok };
  } else {
    const { Queue, Worker } = await import('bullmq');
    const connection = { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', maxRetriesPerRequest: null };
    const name = `openwaba-bench-${randomBytes(4).toString('hex')}`;
    const db = new pg.Pool({ connectionString: databaseUrl, max: 16 });
    const store = kind === 'bullmq-same' ? await sameRows(db, N) : await oneRow(db, N);
    const queue = new Queue(name, { connection });
    for (let i = 0; i < N; i += 1000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({
          name: 'send',
          data: { i: i + k },
          opts: { attempts: 4, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: true },
        })),
      );
    }
    let ok = 0;
    let first = 0;
    let last = 0;
    const worker = new Worker(
      name,
      async (job) => {
        first ||= performance.now();
        await store.before(job.data.i);
        const r = await send(job.data.i);
        if (r.status !== 200) throw new Error(`status ${r.status}`);
        await store.after(job.data.i, r.wamid);
        ok++;
        last = performance.now();
      },
      { connection, concurrency: 64 },
    );
    const end = Date.now() + 600_000;
    while (ok < N && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await store.drop();
    await db.end();
    result = { sends_per_s: Math.round(ok / ((last - first) / 1000)), ok };
  }
  await pool.close();
  console.log(JSON.stringify(result));
  process.exit(0);
}

async function runChild(args) {
  const c = startChild(args, {}, () => false);
  const code = await c.exited;
  const lines = c.output().trim().split('\n');
  const last = lines.reverse().find((l) => l.startsWith('{'));
  if (code !== 0 || !last) throw new Error(`child failed (${code}):\n${c.output().slice(-2000)}`);
  return JSON.parse(last);
}

// ---- parent ---------------------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'openwaba-campaign-bench-'));
const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
let result;
let sim;
let worker;
const dbName = `openwaba_bench_${randomBytes(4).toString('hex')}`;
try {
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  sim = await startSimulator(dir);
  log(`simulator at ${sim.url}`);

  const { createServices, loadConfig, openDatabase, runMigrations } = await import(
    '../apps/server/src/index.ts'
  );
  const config = loadConfig(
    {
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      DATABASE_URL: databaseUrl,
      DATA_DIR: join(dir, 'data'),
      APP_SECRET: SECRET,
      META_GRAPH_URL: sim.url,
    },
    {},
  );
  const database = await openDatabase({ databaseUrl, dataDir: join(dir, 'data') });
  await runMigrations(database);
  const services = createServices({ config, database, appSecret: SECRET });
  const QUARTER = Math.floor(RECIPIENTS / 4);
  let t = performance.now();
  const s = await setUp(services, database, sim.url, [
    part('a') ? RECIPIENTS : 1,
    QUARTER,
    QUARTER,
    QUARTER,
    QUARTER,
  ]);
  log(`set up ${RECIPIENTS * 2} opted-in contacts in ${r1((performance.now() - t) / 1000)} s`);

  // The sender runs in its own worker process, as deployed.
  const port = await freePort();
  worker = startChild(
    [
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []),
      join(root, 'apps/cli/bin/openwaba.js'),
      'start',
    ],
    {
      ROLE: 'worker',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      APP_SECRET: SECRET,
      META_GRAPH_URL: sim.url,
      SANDBOX: 'off',
      LOG_LEVEL: 'warn',
      DATA_DIR: join(dir, 'worker'),
      NODE_ENV: 'production',
    },
    (out) => out.includes('openwaba is running'),
  );
  await worker.started;

  // (a) one number, 100k recipients.
  let runA = null;
  let runD = null;
  if (part('a')) {
    const before = await simStats(sim.url);
    t = performance.now();
    const a = await services.campaigns.create(
      s.ctx,
      campaignBody('bench a', s.numberIds[0], s.templateId, s.tags[0]),
    );
    const createA = (performance.now() - t) / 1000;
    log(`(a) created ${a.counts.total} recipients in ${r1(createA)} s`);
    t = performance.now();
    await services.campaigns.start(s.ctx, a.id);
    const startA = (performance.now() - t) / 1000;
    const [doneA] = await waitDone(database, [a.id], 900_000);
    const wallA = (performance.now() - t) / 1000;
    const countsA = (await sentCounts(database, [a.id]))[a.id];
    const afterA = await simStats(sim.url);
    const pidA = NUMBERS[0].phone_number_id;
    const acceptedA = afterA.numbers[pidA].accepted - (before.numbers[pidA]?.accepted ?? 0);
    runA = {
      recipients: RECIPIENTS,
      state: doneA.state,
      create_s: r1(createA),
      start_s: r1(startA),
      // The campaign's duration as its report gives it: started (after the pre-flight) to completed.
      duration_s: r1((new Date(doneA.finished_at) - new Date(doneA.started_at)) / 1000),
      // From asking to start (pre-flight included) until the bench saw it completed (polled every 200 ms).
      seconds: r1(wallA),
      sends_per_s: Math.round(countsA.sent / wallA),
      sent: countsA.sent,
      accepted_at_simulator: acceptedA,
      lost: RECIPIENTS - countsA.sent,
      duplicated: Math.max(0, acceptedA - countsA.sent),
      simulator_errors: diffErrors(before, afterA),
      final_rate: (
        await database.query('select max_send_rate_per_sec as r from numbers where id = $1', [s.numberIds[0]])
      )[0]?.r,
    };
    log(`(a) ${JSON.stringify(runA)}`);

    // (d) an audience file: 100k rows (phone, media link, two variables) uploaded and made a draft.
    const csvPath = join(dir, 'audience.csv');
    const lines = ['Phone,{{Media}},{{1}},{{2}}'];
    for (let i = 1; i <= FILE_ROWS; i++)
      lines.push(
        `+447400${String(i).padStart(6, '0')},https://cdn.example.com/spring/${i}.jpg,Customer ${i},CODE-${i}`,
      );
    writeFileSync(csvPath, `${lines.join('\n')}\n`);
    const csvBytes = statSync(csvPath).size;
    t = performance.now();
    const upload = await services.contactImports.upload(
      s.ctx,
      { body: createReadStream(csvPath), filename: 'audience.csv' },
      'campaign',
    );
    const uploadS = (performance.now() - t) / 1000;
    t = performance.now();
    const fromFile = await services.campaigns.create(s.ctx, {
      name: 'bench file',
      number_id: s.numberIds[0],
      audience: { kind: 'file', file_id: upload.id, phone_column: 'Phone' },
      templates: [{ template_id: s.templateId, mapping: { 'body.1': { column: '{{1}}' } } }],
      split: 'sequential',
    });
    runD = {
      rows: FILE_ROWS,
      mb: r1(csvBytes / 1024 / 1024),
      upload_s: r1(uploadS),
      create_s: r1((performance.now() - t) / 1000),
      pending: fromFile.counts.pending,
      invalid: fromFile.counts.invalid,
    };
    await services.campaigns.remove(s.ctx, fromFile.id);
    log(`(d) audience file: ${JSON.stringify(runD)}`);
  }

  // (b) four numbers at once.
  let runB = null;
  if (part('b')) {
    const b4 = [];
    for (let i = 1; i <= 4; i++) {
      b4.push(
        await services.campaigns.create(
          s.ctx,
          campaignBody(`bench b${i}`, s.numberIds[i], s.templateId, s.tags[i]),
        ),
      );
    }
    const beforeB = await simStats(sim.url);
    t = performance.now();
    await Promise.all(b4.map((c) => services.campaigns.start(s.ctx, c.id)));
    const doneB = await waitDone(
      database,
      b4.map((c) => c.id),
      900_000,
    );
    const wallB = (performance.now() - t) / 1000;
    const countsB = await sentCounts(
      database,
      b4.map((c) => c.id),
    );
    const sentB = Object.values(countsB).reduce((x, c) => x + c.sent, 0);
    const afterB = await simStats(sim.url);
    const acceptedB = NUMBERS.slice(1, 5).reduce(
      (x, n) =>
        x + afterB.numbers[n.phone_number_id].accepted - (beforeB.numbers[n.phone_number_id]?.accepted ?? 0),
      0,
    );
    runB = {
      recipients: QUARTER * 4,
      states: doneB.map((d) => d.state),
      seconds: r1(wallB),
      sends_per_s: Math.round(sentB / wallB),
      sent: sentB,
      accepted_at_simulator: acceptedB,
      lost: QUARTER * 4 - sentB,
      duplicated: Math.max(0, acceptedB - sentB),
      simulator_errors: diffErrors(beforeB, afterB),
      final_rates: (
        await database.query(
          'select max_send_rate_per_sec as r from numbers where id = any($1::uuid[]) order by display_name',
          [s.numberIds.slice(1, 5)],
        )
      ).map((x) => x.r),
    };
    log(`(b) ${JSON.stringify(runB)}`);
  }
  await worker.kill();
  await services.whatsapp.close();
  await database.close();

  // Baselines: the same four numbers, the same number of sends.
  let bull = null;
  let bullMin = null;
  let http = null;
  if (runB && !flag('skip-baseline')) {
    http = await runChild([
      '--import',
      'tsx',
      self,
      '--baseline-child',
      'http',
      sim.url,
      databaseUrl,
      String(QUARTER * 4),
    ]);
    log(`bare HTTP loop (no database): ${JSON.stringify(http)}`);
  }
  if (runB && !flag('skip-baseline') && !flag('skip-bullmq')) {
    const baseline = (kind) =>
      runChild([
        '--import',
        'tsx',
        self,
        '--baseline-child',
        kind,
        sim.url,
        databaseUrl,
        String(QUARTER * 4),
      ]).catch((err) => ({ error: err.message.split('\n')[0] }));
    bull = await baseline('bullmq-same');
    log(`BullMQ one job per message, writing the rows openwaba writes: ${JSON.stringify(bull)}`);
    bullMin = await baseline('bullmq');
    log(`BullMQ one job per message, writing one narrow row: ${JSON.stringify(bullMin)}`);
  }

  // (c) embedded.
  let embedded = null;
  if (!flag('skip-embedded')) {
    embedded = await runChild([
      '--import',
      'tsx',
      self,
      '--embedded-child',
      sim.url,
      join(dir, 'embedded'),
      String(EMBEDDED),
    ]);
    log(`(c) embedded: ${JSON.stringify(embedded)}`);
  }

  const ratioTo = (x) => (x?.sends_per_s && runB ? r1(runB.sends_per_s / x.sends_per_s) : null);
  const ratio = ratioTo(bull);
  result = {
    a: runA,
    b: runB && {
      ...runB,
      baseline_bullmq: bull,
      baseline_bullmq_one_row: bullMin,
      baseline_http_no_db: http,
      vs_bullmq: ratio,
      vs_bullmq_one_row: ratioTo(bullMin),
      vs_http_no_db: ratioTo(http),
    },
    audience_file: runD,
    embedded,
    target: { a_duration_s: 105, b_sends_per_s: 3000, b_vs_bullmq: 2, lost: 0, duplicated: 0 },
    target_met:
      runA !== null &&
      runB !== null &&
      runA.state === 'completed' &&
      runA.duration_s <= 105 &&
      runA.lost === 0 &&
      runA.duplicated === 0 &&
      runB.sends_per_s >= 3000 &&
      runB.lost === 0 &&
      runB.duplicated === 0 &&
      ratio !== null &&
      ratio >= 2,
  };
} catch (err) {
  result = { error: err.message, target_met: false };
} finally {
  await worker?.kill().catch(() => {});
  await sim?.stop().catch(() => {});
  await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
  await admin.end().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ bench: 'campaign', ...result }));
process.exit(0);
