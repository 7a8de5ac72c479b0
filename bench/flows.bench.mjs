// `npm run bench -- flows`: flow runs at size on real PostgreSQL, through the real server processes
// (`openwaba start`, as in production) and signed webhooks as Meta sends them.
//
// Seeding (bulk SQL, like the other benches): one organisation, one number (the simulator answers
// its setup), customers with an open 24 h window, and flows published through the service.
// (a) Replies: 10,000 runs waiting for a reply (wait_reply → send_text), then 10,000 replies POSTed as
//     signed webhooks at 500/s to a server process (ROLE=all, SEND_WORKER=off: "queued" is the end
//     point). Per reply: webhook POST start → the run's next message row exists (its created_at:
//     the transaction's start, so a few ms early). p50/p99; target p99 ≤ 300 ms.
//     Baseline in the same run, right before: the keyword-rule path alone (2,000 messages matching a
//     rule whose action replies), measured the same way.
// (b) Delays: 10,000 runs whose delay falls due in the same second; time from that second until all
//     are advanced (their message queued), by polling; target ≤ 5 s.
// (c) Crashes: a worker process (ROLE=worker) alone sweeps 10,000 delays falling due over 20 s and is
//     `kill -9`ed 5 times (restarted each time). Target: every run completed, none failed, none
//     advanced twice (its send node entered once), exactly one message per run (0 lost, 0 duplicated).
// Needs PostgreSQL (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres): a temporary
// database is created and dropped.
// Before (a), --warmup N (500) keyword messages at 100/s, not measured, warm the fresh server process up.
// Options: --runs N (10000), --rate N replies/s (500), --baseline N (2000), --delays N (10000),
// --crash-runs N (10000), --kills N (5), --without-send (the delays' next node tags a contact instead
// of sending: the engine's own cost without the send path; (c)'s message counts then do not apply).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSimulator } from '@openwaba/simulator';
import { Pool } from 'undici';
import { freePort, startChild } from './lib/child.mjs';
import { inboundText } from './lib/inbound.mjs';
import { argN, log, openServices, pct, r1, runBench, serverEnv, sleep } from './lib/rig.mjs';

const RUNS = argN('runs', 10_000);
const RATE = argN('rate', 500);
const BASELINE = argN('baseline', 2_000);
const DELAYS = argN('delays', 10_000);
const CRASH_RUNS = argN('crash-runs', 10_000);
const WARMUP = argN('warmup', 500);
const KILLS = argN('kills', 5);
/** The delays' next node tags instead of sending: the engine's own cost, without the send path. */
const WITHOUT_SEND = process.argv.includes('--without-send');
const TARGET = { reply_p99_ms: 300, delays_all_done_s: 5 };

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'apps/cli/bin/openwaba.js');
const NUM = {
  phone_number_id: '106540352299001',
  waba_id: '102290129399001',
  display_phone_number: '+1 555 099 0001',
  access_token: 'bench-flows-token',
};
const META_APP_SECRET = 'bench-flows-meta-secret';
const APP_SECRET = 'bench-flows-app-secret-bench-flows-app-secret';
const pos = { x: 0, y: 0 };
const node = (id, type, data = {}) => ({ id, type, position: pos, data });
const edge = (source, target, handle = 'next') => ({
  id: `${source}-${handle}`,
  source,
  source_handle: handle,
  target,
});

const inboundPost = (from, wamid, text) => inboundText(NUM, META_APP_SECRET, { from, wamid, text });

await runBench('flows', async ({ dir, databaseUrl, cleanup }) => {
  const sim = await createSimulator({ seed: 5 });
  await sim.listen(0, '127.0.0.1');
  sim.addNumber(NUM);
  cleanup.push(() => sim.close());

  const { FlowGraph, RuleBody } = await import('@openwaba/contracts');
  const env = serverEnv({ dir, databaseUrl, appSecret: APP_SECRET, META_GRAPH_URL: sim.url });
  const { database, services, orgId, ctx, number } = await openServices({
    env,
    dir,
    databaseUrl,
    appSecret: APP_SECRET,
    cleanup,
    number: NUM,
    metaAppSecret: META_APP_SECRET,
  });
  const q = (text, params) => database.query(text, params);

  const publish = async (name, nodes, edges) => {
    const f = await services.flows.create(ctx, {
      name,
      description: '',
      graph: FlowGraph.parse({ nodes, edges }),
    });
    await services.flows.publish(ctx, f.id);
    return f.id;
  };
  const replyFlow = await publish(
    'Replies',
    [
      node('t', 'trigger', { kind: 'api' }),
      node('w', 'wait_reply', { timeout_minutes: 120, save_as: 'said' }),
      node('s', 'send_text', { text: 'Thanks, you said {{vars.said}}' }),
      node('e', 'end'),
    ],
    [edge('t', 'w'), edge('w', 's', 'reply'), edge('w', 'e', 'timeout'), edge('s', 'e')],
  );
  const delayFlow = await publish(
    'Delays',
    [
      node('t', 'trigger', { kind: 'api' }),
      node('d', 'delay', { seconds: 60 }),
      WITHOUT_SEND ? node('s', 'set_tags', { add: ['later'] }) : node('s', 'send_text', { text: 'Later' }),
      node('e', 'end'),
    ],
    [edge('t', 'd'), edge('d', 's'), edge('s', 'e')],
  );
  await services.automationRules.create(
    ctx,
    RuleBody.parse({
      name: 'Bench keyword',
      match: { kind: 'equals', patterns: ['bench keyword'] },
      actions: [{ type: 'reply_text', text: 'Keyword reply' }],
    }),
  );

  // Customers with an open 24 h window, in groups: k (baseline), a (replies), b (delays), c (crashes).
  const groups = {
    w: [400_000, WARMUP],
    k: [1, BASELINE],
    a: [100_000, RUNS],
    b: [200_000, DELAYS],
    c: [300_000, CRASH_RUNS],
  };
  for (const [g, [base, n]] of Object.entries(groups)) {
    await q(
      `with c as (
         insert into contacts (org_id, wa_id, name)
         select $1, (15550000000 + $3::int + i)::text, $4 || i from generate_series(1, $2::int) i returning id)
       insert into conversations (org_id, number_id, contact_id, window_expires_at, last_inbound_at, last_message_at)
       select $1, $5, c.id, now() + interval '1 day', now(), now() from c`,
      [orgId, n, base, `${g}-`, number.id],
    );
  }
  await q('analyze');
  /** Group g's contacts, by their wa_id range (names change: inbound messages set the profile name). */
  const inGroup = (g, k = 'k') => {
    const [b, n] = groups[g];
    return `(${k}.wa_id between '${15550000000 + b + 1}' and '${15550000000 + b + n}' and length(${k}.wa_id) = 11)`;
  };
  /** Seeds runs of `flowId` for group `g` at node `at`, waiting for `waitingFor` until `dueSql`. */
  const seedRuns = (flowId, g, at, waitingFor, dueSql, dueParams = []) =>
    q(
      `insert into flow_runs (org_id, flow_id, version, contact_id, number_id, status, current_node, waiting_for, due_at, state, steps)
       select $1, $2, 1, k.id, $3, 'waiting', $4, $5, ${dueSql}, jsonb_build_object('conversation_id', v.id), 2
       from contacts k join conversations v on v.contact_id = k.id
       where k.org_id = $1 and ${inGroup(g)} and $6::text is not null`,
      [orgId, flowId, number.id, at, waitingFor, g, ...dueParams],
    );
  await seedRuns(replyFlow, 'a', 'w', 'reply', `now() + interval '2 hours'`);
  log(
    `seeded ${WARMUP + BASELINE + RUNS + DELAYS + CRASH_RUNS} customers and ${RUNS} runs waiting for a reply`,
  );

  // The server process that receives the webhooks, runs the chain and sweeps due runs.
  const port = await freePort();
  const running = (out) => out.includes('openwaba is running');
  const server = startChild([cli, 'start'], env('all', port), running);
  cleanup.push(() => server.kill());
  await server.started;
  const base = `http://127.0.0.1:${port}`;
  const http = new Pool(base, { connections: 64 });
  cleanup.push(() => http.close());
  log(`server (ROLE=all) at ${base}`);

  /** POSTs one signed message per `from` at `rate`/s; resolves with the POST start times by wa_id. */
  const burst = async (froms, text, rate) => {
    const startedAt = new Map();
    const t0 = performance.now();
    const inflight = [];
    let failed = 0;
    for (let i = 0; i < froms.length; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const from = froms[i];
      const p = inboundPost(from, `wamid.bench.${from}.${randomBytes(3).toString('hex')}`, text);
      startedAt.set(from, Date.now());
      inflight.push(
        http
          .request({
            method: 'POST',
            path: '/webhooks/whatsapp',
            headers: { 'content-type': 'application/json', 'x-hub-signature-256': p.signature },
            body: p.body,
          })
          .then(
            async (res) => {
              await res.body.dump();
              if (res.statusCode !== 200) failed++;
            },
            () => failed++,
          ),
      );
    }
    await Promise.all(inflight);
    return { startedAt, failed, seconds: (performance.now() - t0) / 1000 };
  };
  /** Waits until `n` outbound messages with `body` exist for the group; latencies POST → created_at. */
  const latencies = async (g, body, startedAt, timeoutMs = 120_000) => {
    const end = Date.now() + timeoutMs;
    let rows = [];
    for (;;) {
      rows = await q(
        `select k.wa_id, extract(epoch from m.created_at) * 1000 as at from messages m
           join conversations v on v.id = m.conversation_id join contacts k on k.id = v.contact_id
         where m.direction = 'out' and m.content->'text'->>'body' like $1 and ${inGroup(g)}`,
        [body],
      );
      if (rows.length >= startedAt.size || Date.now() > end) break;
      await sleep(1000);
    }
    const ms = rows.map((r) => Number(r.at) - startedAt.get(r.wa_id)).filter((x) => Number.isFinite(x));
    // Where the time goes: POST → the customer's message stored (inbound), the rest is the chain's.
    const inbound = (
      await q(
        `select k.wa_id, extract(epoch from m.created_at) * 1000 as at from messages m
           join conversations v on v.id = m.conversation_id join contacts k on k.id = v.contact_id
         where m.direction = 'in' and ${inGroup(g)}`,
      )
    )
      .map((r) => Number(r.at) - startedAt.get(r.wa_id))
      .filter((x) => Number.isFinite(x));
    return {
      queued: rows.length,
      p50_ms: pct(ms, 50),
      p99_ms: pct(ms, 99),
      max_ms: pct(ms, 100),
      stored_p50_ms: pct(inbound, 50),
      stored_p99_ms: pct(inbound, 99),
    };
  };
  const wa = (g) => {
    const [b, n] = groups[g];
    return Array.from({ length: n }, (_, i) => String(15550000000 + b + i + 1));
  };

  // Warm-up (not measured): a freshly started process compiles and loads as it first meets each
  // path; a server in production has long done so.
  if (WARMUP) {
    const wb = await burst(wa('w'), 'bench keyword', 100);
    await latencies('w', 'Keyword reply', wb.startedAt);
  }
  // Baseline: the keyword-rule path alone.
  const kb = await burst(wa('k'), 'bench keyword', RATE);
  const baseline = { ...(await latencies('k', 'Keyword reply', kb.startedAt)), failed_posts: kb.failed };
  log(`baseline (keyword rule): ${JSON.stringify(baseline)}`);
  // (a) replies resuming waiting runs.
  const ab = await burst(wa('a'), 'hello flow', RATE);
  const replies = {
    ...(await latencies('a', 'Thanks, you said %', ab.startedAt)),
    failed_posts: ab.failed,
    post_seconds: r1(ab.seconds),
  };
  const [adv] = await q(
    `select count(*) filter (where status = 'completed')::int as completed,
            count(*) filter (where status = 'waiting')::int as waiting from flow_runs where flow_id = $1`,
    [replyFlow],
  );
  Object.assign(replies, adv);
  log(`(a) replies: ${JSON.stringify(replies)}`);

  // (b) 10,000 delays falling due in the same second (3 s from now, on the database's clock).
  const [{ due }] = await q(`select date_trunc('second', now()) + interval '3 seconds' as due`);
  await seedRuns(delayFlow, 'b', 'd', 'delay', '$7::timestamptz', [due]);
  const dueMs = new Date(due).getTime();
  let doneAt = null;
  for (const end = Date.now() + 120_000; Date.now() < end; ) {
    const [{ n, now }] = await q(
      `select count(*)::int as n, extract(epoch from clock_timestamp()) * 1000 as now from flow_runs
       where flow_id = $1 and contact_id in (select id from contacts k where ${inGroup('b')}) and status = 'completed'`,
      [delayFlow],
    );
    if (n >= DELAYS) {
      doneAt = Number(now);
      break;
    }
    await sleep(100);
  }
  const delays = { runs: DELAYS, all_done_s: doneAt === null ? null : r1((doneAt - dueMs) / 1000) };
  log(`(b) delays: ${JSON.stringify(delays)}`);

  // (c) A worker alone, kill -9'ed while 10,000 delays fall due over 20 s.
  await server.kill('SIGTERM');
  const startWorker = async () => {
    const w = startChild([cli, 'start'], env('worker', await freePort()), running);
    await w.started;
    return w;
  };
  let worker = await startWorker();
  cleanup.push(() => worker.kill());
  const [{ from }] = await q(`select now() + interval '2 seconds' as from`);
  await seedRuns(delayFlow, 'c', 'd', 'delay', `$7::timestamptz + (random() * interval '20 seconds')`, [
    from,
  ]);
  const kills = [];
  for (let i = 0; i < KILLS; i++) {
    await sleep(2500 + Math.random() * 1500);
    const [{ n }] = await q(
      `select count(*)::int as n from flow_runs where status = 'completed' and contact_id in (select id from contacts k where ${inGroup('c')})`,
    );
    await worker.kill('SIGKILL');
    kills.push(n);
    log(`kill -9 ${i + 1} with ${n} runs done; restarting`);
    worker = await startWorker();
  }
  for (const end = Date.now() + 180_000; Date.now() < end; ) {
    const [{ n }] = await q(
      `select count(*)::int as n from flow_runs where status not in ('waiting', 'active') and contact_id in (select id from contacts k where ${inGroup('c')})`,
    );
    if (n >= CRASH_RUNS) break;
    await sleep(500);
  }
  const [crash] = await q(
    `with r as (select r.id, r.status, r.contact_id from flow_runs r join contacts k on k.id = r.contact_id where ${inGroup('c')}),
          m as (select v.contact_id, count(*)::int as n from messages m join conversations v on v.id = m.conversation_id
                where m.direction = 'out' and v.contact_id in (select contact_id from r) group by v.contact_id),
          s as (select run_id, count(*)::int as n from flow_run_steps where node_id = 's' and outcome = 'entered'
                and run_id in (select id from r) group by run_id)
     select (select count(*)::int from r where status = 'completed') as completed,
            (select count(*)::int from r where status = 'failed') as failed,
            (select count(*)::int from r where status in ('waiting', 'active')) as not_done,
            (select count(*)::int from r where contact_id not in (select contact_id from m)) as lost_messages,
            (select coalesce(sum(n - 1), 0)::int from m where n > 1) as duplicated_messages,
            (select count(*)::int from s where n > 1) as advanced_twice`,
  );
  const crashes = { runs: CRASH_RUNS, kills: kills.length, done_at_kills: kills, ...crash };
  log(`(c) crashes: ${JSON.stringify(crashes)}`);

  return {
    baseline_keyword_rule: baseline,
    replies,
    delays,
    crashes,
    target: TARGET,
    target_met:
      replies.queued === RUNS &&
      replies.p99_ms !== null &&
      replies.p99_ms <= TARGET.reply_p99_ms &&
      delays.all_done_s !== null &&
      delays.all_done_s <= TARGET.delays_all_done_s &&
      crashes.completed === CRASH_RUNS &&
      crashes.failed === 0 &&
      crashes.lost_messages === 0 &&
      crashes.duplicated_messages === 0 &&
      crashes.advanced_twice === 0,
  };
});
