// `npm run bench -- simulator`: how exactly the simulator holds a number to its throughput limit
// (80 and 1000 msg/s, target: within 5%) and how many sends/s it can accept on this machine at all
// (the ceiling later benchmarks compare against). The simulator runs as its own process, as in use.
// Options: --runs N (default 3), --seconds S per measurement (default 4).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('runs', 3);
const SECONDS = arg('seconds', 4);
const WARMUP_MS = 1000;
const root = fileURLToPath(new URL('..', import.meta.url));
const NUMBERS = Array.from({ length: 10 }, (_, i) => ({
  phone_number_id: String(1_000_001 + i),
  waba_id: '2000001',
  display_phone_number: `+1 555 010 ${String(i).padStart(4, '0')}`,
  access_token: `bench-token-${i}`,
  throughput_mps: 1000,
}));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function startSimulator() {
  const dir = mkdtempSync(join(tmpdir(), 'openwaba-bench-'));
  const seed = join(dir, 'seed.json');
  writeFileSync(seed, JSON.stringify({ numbers: NUMBERS }));
  const child = spawn(
    process.execPath,
    [join(root, 'apps/cli/bin/openwaba.js'), 'simulator', '--port', '0', '--seed', seed],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`simulator did not start:\n${out}`)), 30_000);
    child.stdout.on('data', (c) => {
      out += c;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
  });
  return {
    url,
    stop: async () => {
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Closed-loop load: `concurrency` workers send back to back for warmup + SECONDS; counts answers by
 * status inside the measured window only (after the bucket's initial burst has drained).
 */
async function load(pool, { path, body, token, concurrency, seconds = SECONDS }) {
  let seq = 0;
  const counts = { ok: 0, throttled: 0, other: 0 };
  const start = performance.now();
  const from = start + WARMUP_MS;
  const end = from + seconds * 1000;
  async function worker() {
    while (performance.now() < end) {
      const n = seq++;
      const b = body?.(n);
      const res = await pool.request({
        method: b ? 'POST' : 'GET',
        path: typeof path === 'function' ? path(n) : path,
        headers: {
          authorization: `Bearer ${typeof token === 'function' ? token(n) : token}`,
          ...(b ? { 'content-type': 'application/json' } : {}),
        },
        body: b ? JSON.stringify(b) : undefined,
      });
      await res.body.dump();
      const t = performance.now();
      if (t < from || t > end) continue;
      if (res.statusCode === 200) counts.ok++;
      else if (res.statusCode === 429) counts.throttled++;
      else counts.other++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return {
    ...counts,
    perSecond: counts.ok / seconds,
    offered: (counts.ok + counts.throttled + counts.other) / seconds,
  };
}

const send = (n) => ({
  messaging_product: 'whatsapp',
  to: `4477${String(n).padStart(9, '0')}`,
  type: 'text',
  text: { body: `bench ${n}` },
});

async function control(url, method, path, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const sim = await startSimulator();
const pool = new Pool(sim.url, { connections: 64, pipelining: 1 });
const results = {
  accuracy_80: [],
  accuracy_1000: [],
  max_sends_per_s: [],
  baseline_rps: [],
  offered_1000: [],
};
try {
  for (let run = 0; run < RUNS; run++) {
    for (const target of [80, 1000]) {
      await control(sim.url, 'POST', '/_sim/reset', {});
      await control(sim.url, 'PUT', `/_sim/numbers/${NUMBERS[0].phone_number_id}`, {
        throughput_mps: target,
      });
      const r = await load(pool, {
        path: `/v23.0/${NUMBERS[0].phone_number_id}/messages`,
        token: NUMBERS[0].access_token,
        body: send,
        concurrency: target === 80 ? 8 : 48,
      });
      const error = Math.abs(r.perSecond - target) / target;
      results[`accuracy_${target}`].push(error);
      if (target === 1000) results.offered_1000.push(r.offered);
      console.log(
        `run ${run + 1}: limit ${target}/s → accepted ${r.perSecond.toFixed(1)}/s (offered ${r.offered.toFixed(0)}/s, error ${(error * 100).toFixed(2)}%)`,
      );
    }
    // Ceiling: ten numbers at 1000/s each, so the bucket is not what limits.
    await control(sim.url, 'POST', '/_sim/reset', {});
    await control(sim.url, 'PUT', `/_sim/numbers/${NUMBERS[0].phone_number_id}`, { throughput_mps: 1000 });
    const max = await load(pool, {
      path: (n) => `/v23.0/${NUMBERS[n % 10].phone_number_id}/messages`,
      token: (n) => NUMBERS[n % 10].access_token,
      body: send,
      concurrency: 64,
    });
    results.max_sends_per_s.push(max.perSecond);
    // Baseline in the same run: the cheapest route of the same server (no validation, no state).
    const base = await load(pool, { path: '/_sim', token: 'x', concurrency: 64 });
    results.baseline_rps.push(base.perSecond);
    console.log(
      `run ${run + 1}: max accepted sends ${max.perSecond.toFixed(0)}/s; baseline GET /_sim ${base.perSecond.toFixed(0)}/s`,
    );
  }
} finally {
  await pool.close();
  await sim.stop();
}

const accuracy80 = median(results.accuracy_80);
const accuracy1000 = median(results.accuracy_1000);
const maxSends = median(results.max_sends_per_s);
const baseline = median(results.baseline_rps);
console.log(
  JSON.stringify({
    bench: 'simulator',
    accuracy_80: Number(accuracy80.toFixed(4)),
    accuracy_1000: Number(accuracy1000.toFixed(4)),
    offered_1000_per_s: Math.round(median(results.offered_1000)),
    max_sends_per_s: Math.round(maxSends),
    baseline_rps: Math.round(baseline),
    sends_vs_baseline: Number((maxSends / baseline).toFixed(3)),
    runs: RUNS,
    target_met: accuracy80 <= 0.05 && accuracy1000 <= 0.05 && median(results.offered_1000) > 1000,
  }),
);
