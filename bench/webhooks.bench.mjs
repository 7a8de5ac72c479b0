// `npm run bench -- webhooks`: signed webhook POSTs (distinct inbound text messages in Meta's envelope)
// on loopback against a real server process (role all), on PostgreSQL and on the embedded database.
// Measures acknowledged/s, p50/p99 ack latency, and the time from the last ack until every message
// row exists. Baseline in the same run: the same load against a trivial Fastify server that only
// answers 200, so the ratio shows our overhead. Targets (PostgreSQL): ≥ 5,000 acks/s, p99 ≤ 50 ms,
// all applied ≤ 2 s after the last ack.
// Needs PostgreSQL: TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres.
// Options: --n N POSTs per round (20000), --embedded-n N (same as --n), --concurrency C (64),
// --runs R measured rounds per backend (3; medians), --senders S distinct customers (1000),
// --backends pg,embedded.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSimulator, signWebhookBody } from '@openwaba/simulator';
import pg from 'pg';
import { Pool } from 'undici';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const N = Number(arg('n', 20_000));
const EMBEDDED_N = Number(arg('embedded-n', N));
const CONCURRENCY = Number(arg('concurrency', 64));
const RUNS = Number(arg('runs', 3));
const SENDERS = Number(arg('senders', 1000));
const BACKENDS = String(arg('backends', 'pg,embedded')).split(',');
const APPLY_TIMEOUT_MS = Number(arg('apply-timeout-s', 120)) * 1000;
const TARGET = { acks_per_s: 5000, p99_ms: 50, applied_after_last_ms: 2000 };

const root = fileURLToPath(new URL('..', import.meta.url));
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN = { email: 'bench@example.com', password: 'bench password 123' };
const NUM = {
  phone_number_id: '106540352242922',
  waba_id: '102290129340398',
  display_phone_number: '+1 555 025 3483',
  access_token: 'bench-access-token',
};
const APP_SECRET = 'bench-meta-app-secret';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => {
  const s = Float64Array.from(xs).sort();
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : Number.NaN;
};
const round1 = (x) => Math.round(x * 10) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const children = new Set();
const cleanups = [];

function spawnNode(args, env) {
  const merged = { ...process.env, ...env };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: merged,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function waitForLine(child, re, what) {
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not start:\n${out}`)), 120_000);
    child.on('exit', (code) => reject(new Error(`${what} exited (${code}):\n${out}`)));
    child.stdout.on('data', (c) => {
      out += c;
      const m = out.match(re);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
  });
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
}

/** The real server, role all, on PostgreSQL (databaseUrl) or the embedded database (dataDir). */
async function startServer({ databaseUrl, dataDir, simulatorUrl }) {
  const env = {
    ROLE: 'all',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SANDBOX: 'off',
    APP_SECRET: 'bench-secret-bench-secret-bench-secret-00',
    OPENWABA_ADMIN_EMAIL: ADMIN.email,
    OPENWABA_ADMIN_PASSWORD: ADMIN.password,
    META_GRAPH_URL: simulatorUrl,
    // Unset (not inherited) for the embedded run: no DATABASE_URL means PGlite in DATA_DIR.
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir ?? join(tmpdir(), 'openwaba-bench-unused'),
  };
  const child = spawnNode(['apps/cli/bin/openwaba.js', 'start', '--role', 'all', '--port', '0'], env);
  const url = await waitForLine(child, /Dashboard:\s+(http:\/\/\S+?)\/?\s/, 'server');
  return { url: url.replace('localhost', '127.0.0.1'), child };
}

/** The baseline: a Fastify server in its own process that reads the body and answers 200. */
async function startBaseline() {
  const code = `
    import Fastify from 'fastify';
    const app = Fastify({ logger: false });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
    app.post('/webhooks/whatsapp', async (_req, reply) => reply.code(200).send({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    console.log('listening on http://127.0.0.1:' + app.server.address().port);
  `;
  const child = spawnNode(['--input-type=module', '-e', code], {});
  const url = await waitForLine(child, /listening on (http:\/\/\S+)/, 'baseline server');
  return { url, child };
}

async function signIn(base) {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  return login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

async function registerNumber(base, cookie) {
  const res = await fetch(`${base}/api/v1/numbers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({
      display_name: 'Bench',
      phone_number_id: NUM.phone_number_id,
      waba_id: NUM.waba_id,
      access_token: NUM.access_token,
      app_secret: APP_SECRET,
      verify_token: 'bench-verify-token',
    }),
  });
  if (res.status !== 201) throw new Error(`register number: ${res.status} ${await res.text()}`);
}

/** What Meta POSTs for one inbound text message, signed as Meta signs it. */
function buildPosts(tag, n) {
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: n }, (_, i) => {
    const from = String(447700900000 + (i % SENDERS));
    return signWebhookBody(
      {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: NUM.waba_id,
            changes: [
              {
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550253483', phone_number_id: NUM.phone_number_id },
                  contacts: [{ profile: { name: `Customer ${i % SENDERS}` }, wa_id: from }],
                  messages: [
                    {
                      from,
                      id: `wamid.HBgL${tag}${String(i).padStart(7, '0')}`,
                      timestamp: String(now),
                      text: { body: `Hi, is order #${tag}-${i} on its way? 🙂` },
                      type: 'text',
                    },
                  ],
                },
                field: 'messages',
              },
            ],
          },
        ],
      },
      APP_SECRET,
    );
  });
}

/** Closed loop: CONCURRENCY requests in flight until every POST is answered. Ack latency per POST. */
async function fire(url, posts) {
  const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies = new Float64Array(posts.length);
  let next = 0;
  let failed = 0;
  let firstError;
  const start = performance.now();
  let lastAck = start;
  async function worker() {
    while (next < posts.length) {
      const i = next++;
      const p = posts[i];
      const t0 = performance.now();
      try {
        const res = await pool.request({
          method: 'POST',
          path: '/webhooks/whatsapp',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': p.signature },
          body: p.body,
        });
        await res.body.dump();
        if (res.statusCode !== 200) {
          failed++;
          firstError ??= `HTTP ${res.statusCode}`;
        }
      } catch (err) {
        failed++;
        firstError ??= String(err);
      }
      const t1 = performance.now();
      latencies[i] = t1 - t0;
      if (t1 > lastAck) lastAck = t1;
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await pool.close();
  const seconds = (lastAck - start) / 1000;
  return {
    acked: posts.length - failed,
    failed,
    firstError,
    ackPerSecond: (posts.length - failed) / seconds,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
  };
}

/** Counts the round's message rows until all exist; returns ms after `since` (performance.now()). */
async function waitApplied(count, expected, since) {
  const deadline = performance.now() + APPLY_TIMEOUT_MS;
  let seen = 0;
  while (performance.now() < deadline) {
    seen = await count();
    if (seen >= expected) return { ms: performance.now() - since, seen };
    await sleep(20);
  }
  return { ms: Number.POSITIVE_INFINITY, seen };
}

/** PostgreSQL: count rows directly. */
function pgCounter(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  const ready = client.connect();
  return {
    count: async (tag) => {
      await ready;
      const r = await client.query(`select count(*)::int as n from messages where wamid like $1`, [
        `wamid.HBgL${tag}%`,
      ]);
      return r.rows[0].n;
    },
    close: () => client.end(),
  };
}

/**
 * The embedded database belongs to the server process: count through the API. Each stored inbound
 * message publishes message.received after its transaction commits, so the feed can only lag the rows.
 */
function apiCounter(base, cookie) {
  let since;
  const received = new Set();
  return {
    async mark() {
      // A `since` past the end answers with the newest id.
      const r = await (
        await fetch(`${base}/api/v1/events?since=${Number.MAX_SAFE_INTEGER}&limit=1`, { headers: { cookie } })
      ).json();
      since = r.last_id;
      received.clear();
    },
    count: async () => {
      for (;;) {
        const r = await (
          await fetch(`${base}/api/v1/events?since=${since}&limit=1000`, { headers: { cookie } })
        ).json();
        for (const e of r.data) if (e.event.type === 'message.received') received.add(e.event.data.message_id);
        since = r.last_id;
        if (r.data.length < 1000) return received.size;
      }
    },
    close: async () => {},
  };
}

async function measureBackend(label, server, counter, n) {
  const rounds = [];
  const warm = `W${randomBytes(2).toString('hex')}`;
  await counter.mark?.();
  const w = await fire(server.url, buildPosts(warm, Math.min(2000, n)));
  if (w.failed) throw new Error(`${label} warmup: ${w.failed} failed (${w.firstError})`);
  await waitApplied(() => counter.count(warm), Math.min(2000, n), performance.now());
  for (let r = 0; r < RUNS; r++) {
    const tag = `R${r}${randomBytes(2).toString('hex')}`;
    const posts = buildPosts(tag, n);
    await counter.mark?.();
    const f = await fire(server.url, posts);
    const applied = await waitApplied(() => counter.count(tag), f.acked, performance.now());
    rounds.push({ ...f, appliedMs: applied.ms, appliedSeen: applied.seen });
    console.log(
      `${label} run ${r + 1}: ${Math.round(f.ackPerSecond)} acks/s, p50 ${round1(f.p50)} ms, p99 ${round1(f.p99)} ms, ` +
        `all ${applied.seen}/${f.acked} applied ${Number.isFinite(applied.ms) ? `${Math.round(applied.ms)} ms` : 'NOT within timeout'} after the last ack` +
        (f.failed ? `; ${f.failed} failed (${f.firstError})` : ''),
    );
  }
  return {
    n,
    acks_per_s: Math.round(median(rounds.map((x) => x.ackPerSecond))),
    p50_ms: round1(median(rounds.map((x) => x.p50))),
    p99_ms: round1(median(rounds.map((x) => x.p99))),
    applied_after_last_ms: median(rounds.map((x) => x.appliedMs)),
    failed: rounds.reduce((a, x) => a + x.failed, 0),
  };
}

async function measureBaseline(n) {
  const base = await startBaseline();
  const rounds = [];
  try {
    await fire(base.url, buildPosts('B', Math.min(2000, n)));
    for (let r = 0; r < RUNS; r++) rounds.push(await fire(base.url, buildPosts(`B${r}`, n)));
  } finally {
    await stop(base.child);
  }
  return {
    acks_per_s: Math.round(median(rounds.map((x) => x.ackPerSecond))),
    p50_ms: round1(median(rounds.map((x) => x.p50))),
    p99_ms: round1(median(rounds.map((x) => x.p99))),
  };
}

const finish = (o) => {
  console.log(JSON.stringify({ bench: 'webhooks', ...o }));
  process.exit(0);
};

const result = { n: N, concurrency: CONCURRENCY, runs: RUNS, senders: SENDERS };
const sim = await createSimulator({ seed: 7 });
await sim.listen(0, '127.0.0.1');
sim.addNumber({ ...NUM, verified_name: 'Bench' });
try {
  const baseline = await measureBaseline(N);
  console.log(
    `baseline (Fastify answering 200): ${baseline.acks_per_s} acks/s, p50 ${baseline.p50_ms} ms, p99 ${baseline.p99_ms} ms`,
  );
  result.baseline = baseline;

  if (BACKENDS.includes('pg')) {
    const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
    try {
      await admin.connect();
    } catch (err) {
      finish({ error: `PostgreSQL not reachable at ${adminUrl}: ${err.message}`, target_met: false });
    }
    const dbName = `openwaba_bench_${randomBytes(4).toString('hex')}`;
    await admin.query(`create database ${dbName}`);
    cleanups.push(async () => {
      await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
      await admin.end();
    });
    const u = new URL(adminUrl);
    u.pathname = `/${dbName}`;
    const databaseUrl = u.toString();
    const server = await startServer({ databaseUrl, simulatorUrl: sim.url });
    const cookie = await signIn(server.url);
    await registerNumber(server.url, cookie);
    const counter = pgCounter(databaseUrl);
    try {
      result.pg = await measureBackend('PostgreSQL', server, counter, N);
    } finally {
      await counter.close();
      await stop(server.child);
    }
  }

  if (BACKENDS.includes('embedded')) {
    const dataDir = mkdtempSync(join(tmpdir(), 'openwaba-bench-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const server = await startServer({ dataDir, simulatorUrl: sim.url });
    const cookie = await signIn(server.url);
    await registerNumber(server.url, cookie);
    const counter = apiCounter(server.url, cookie);
    try {
      result.embedded = await measureBackend('embedded', server, counter, EMBEDDED_N);
    } finally {
      await stop(server.child);
    }
  }
} catch (err) {
  for (const c of children) c.kill('SIGKILL');
  for (const c of cleanups) await c().catch(() => {});
  await sim.close();
  finish({ ...result, error: String(err?.stack ?? err), target_met: false });
}
for (const c of cleanups) await c().catch(() => {});
await sim.close();

for (const [k, label] of [
  ['pg', 'PostgreSQL'],
  ['embedded', 'embedded'],
]) {
  const r = result[k];
  if (!r) continue;
  r.acks_vs_baseline = Number((r.acks_per_s / result.baseline.acks_per_s).toFixed(3));
  r.p99_vs_baseline = Number((r.p99_ms / Math.max(0.1, result.baseline.p99_ms)).toFixed(2));
  console.log(
    `${label}: ${r.acks_per_s} acks/s (${(r.acks_vs_baseline * 100).toFixed(0)}% of baseline), p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, all applied ${Number.isFinite(r.applied_after_last_ms) ? `${Math.round(r.applied_after_last_ms)} ms` : 'NOT within timeout'} after the last ack (medians of ${RUNS} × ${r.n})`,
  );
  if (!Number.isFinite(r.applied_after_last_ms)) r.applied_after_last_ms = null;
}
const p = result.pg;
finish({
  ...result,
  target: TARGET,
  target_met: Boolean(
    p &&
      !p.failed &&
      p.acks_per_s >= TARGET.acks_per_s &&
      p.p99_ms <= TARGET.p99_ms &&
      p.applied_after_last_ms !== null &&
      p.applied_after_last_ms <= TARGET.applied_after_last_ms,
  ),
});
