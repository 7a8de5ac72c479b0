// `npm run bench -- fanout`: 500 WebSocket clients on an api process; a separate worker process
// emits events at 500/s; how long from an event being stored to each client receiving it (p50/p99).
// Baseline in the same run: the same clients at 50 events/s. Needs PostgreSQL (several processes):
// TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres.
// Options: --clients N (500), --rate R (500), --seconds S (6) per measurement, --runs N (3; medians).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { WebSocket } from 'ws';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CLIENTS = arg('clients', 500);
const RATE = arg('rate', 500);
const SECONDS = arg('seconds', 6);
const RUNS = arg('runs', 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN = { email: 'bench@example.com', password: 'bench password 123' };

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : Number.NaN;
};
const finish = (o) => {
  console.log(JSON.stringify({ bench: 'fanout', ...o }));
  process.exit(0);
};

const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
try {
  await admin.connect();
} catch (err) {
  finish({ error: `PostgreSQL not reachable at ${adminUrl}: ${err.message}`, target_met: false });
}
const dbName = `openwaba_bench_${randomBytes(4).toString('hex')}`;
await admin.query(`create database ${dbName}`);
const url = new URL(adminUrl);
url.pathname = `/${dbName}`;
const databaseUrl = url.toString();
const children = [];

function run(args, env = {}) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return child;
}

async function startApi() {
  const child = run(['apps/cli/bin/openwaba.js', 'start', '--role', 'api', '--port', '0'], {
    APP_SECRET: 'bench-secret-bench-secret-bench-secret-00',
    // One client making thousands of requests a minute: no API rate limits.
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_ORG_PER_MINUTE: '0',
    OPENWABA_ADMIN_EMAIL: ADMIN.email,
    OPENWABA_ADMIN_PASSWORD: ADMIN.password,
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`api did not start:\n${out}`)), 60_000);
    child.stdout.on('data', (c) => {
      out += c;
      const m = out.match(/Dashboard:\s+(http:\/\/\S+?)\/?\s/);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
  });
}

async function emit(orgId, rate, seconds) {
  const child = run([
    '--import',
    'tsx',
    'bench/fanout-emitter.mjs',
    databaseUrl,
    orgId,
    String(rate),
    String(seconds),
  ]);
  let out = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  await new Promise((r) => child.on('exit', r));
  return JSON.parse(out.trim().split('\n').pop());
}

try {
  const base = await startApi();
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const { org } = await (await fetch(`${base}/api/v1/me`, { headers: { cookie } })).json();

  let latencies = null; // collecting when an array
  let received = 0;
  const sockets = [];
  for (let i = 0; i < CLIENTS; i++) {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`, {
      headers: { cookie },
      perMessageDeflate: false,
    });
    const timed = i % 10 === 0;
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.on('message', (data) => {
      const now = Date.now();
      const text = data.toString();
      // created_at is when the worker's statement stored the event.
      if (!text.startsWith('{"type":"event')) return;
      // Every client counts what it receives; every 10th also times each event (parsing every frame
      // of 500 clients would make this process, not the server, the bottleneck).
      let i = text.indexOf('"created_at":"');
      while (i >= 0) {
        received++;
        if (latencies && timed) latencies.push(now - Date.parse(text.slice(i + 14, i + 38)));
        i = text.indexOf('"created_at":"', i + 38);
      }
    });
    ws.send(JSON.stringify({ type: 'subscribe' }));
    sockets.push(ws);
  }
  await new Promise((r) => setTimeout(r, 500));
  const measure = async (rate) => {
    latencies = [];
    received = 0;
    const emitted = await emit(org.id, rate, SECONDS);
    await new Promise((r) => setTimeout(r, 1000));
    const lat = latencies;
    latencies = null;
    return { emitted, lat, expected: emitted.sent * CLIENTS, received };
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const low = await measure(Math.max(1, Math.round(RATE / 10)));
    const full = await measure(RATE);
    runs.push({
      p50: pct(full.lat, 50),
      p99: pct(full.lat, 99),
      max: pct(full.lat, 100),
      rate: full.emitted.sent / full.emitted.seconds,
      ratio: full.received / full.expected,
      sent: full.emitted.sent,
      deliveries: full.received,
      b50: pct(low.lat, 50),
      b99: pct(low.lat, 99),
    });
    console.log(`run ${r + 1}: ${JSON.stringify(runs.at(-1))}`);
  }
  const m = (k) => median(runs.map((x) => x[k]));
  const result = {
    clients: CLIENTS,
    rate: RATE,
    runs: RUNS,
    events_emitted: m('sent'),
    achieved_rate: Math.round(m('rate')),
    deliveries: m('deliveries'),
    delivery_ratio: Number(Math.min(...runs.map((x) => x.ratio)).toFixed(4)),
    p50_ms: m('p50'),
    p99_ms: m('p99'),
    max_ms: Math.max(...runs.map((x) => x.max)),
    baseline_rate: Math.round(RATE / 10),
    baseline_p50_ms: m('b50'),
    baseline_p99_ms: m('b99'),
    p99_vs_baseline: Number((m('p99') / Math.max(1, m('b99'))).toFixed(2)),
  };
  console.log(
    `${CLIENTS} clients, ${result.achieved_rate} events/s from a worker process: p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, max ${result.max_ms} ms; delivered ${(result.delivery_ratio * 100).toFixed(2)}%`,
  );
  console.log(
    `baseline at ${result.baseline_rate} events/s: p50 ${result.baseline_p50_ms} ms, p99 ${result.baseline_p99_ms} ms`,
  );
  for (const ws of sockets) ws.terminate();
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.end();
  finish({
    ...result,
    target_met: result.p99_ms <= 100 && result.delivery_ratio >= 0.999 && result.achieved_rate >= RATE * 0.95,
  });
} catch (err) {
  for (const c of children) c.kill('SIGKILL');
  await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
  finish({ error: String(err?.stack ?? err), target_met: false });
}
