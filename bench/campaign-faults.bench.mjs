// `npm run bench -- campaign-faults`: exactly-once and completion under Meta's failure modes, on the
// campaign-crash rig (real PostgreSQL, simulator process with signed status webhooks to an openwaba
// API process, sender in a worker process). While the campaign runs, the simulator injects, one phase
// after another: HTTP 5xx, timeouts (held longer than the sender's META_HTTP_TIMEOUT_MS), connection
// resets, lost answers (accepted, then the connection drops), and a throttling burst (the number's
// throughput cut so that Meta answers 130429); every connection to the drill's database is killed
// (pg_terminate_backend) several times. At the end the simulator's message log is counted per
// recipient (lost / duplicated) and the rate curve printed: every 5 s, the number's saved
// max_send_rate_per_sec and the sends/s accepted at the simulator.
// Options: --recipients N (20000), --rate msg/s (250), --phase s (10), --throttle msg/s (100),
// --pg-kills N (4), --window s (15).
import { argN, createRig, log, r1, sleep } from './lib/campaign-rig.mjs';

const RECIPIENTS = argN('recipients', 20_000);
const RATE = argN('rate', 250);
const P = argN('phase', 10);
const THROTTLE = argN('throttle', 100);
const PG_KILLS = argN('pg-kills', 4);
const WINDOW = argN('window', 15);
const HTTP_TIMEOUT_MS = 2000;

// What happens when (seconds after the start). Phases are apart so that one send's retries (5, 20 and
// 45 s after a failure) rarely meet a fault four times: that would fail it, by design (docs/sending.md).
const PHASES = [
  { at: 1 * P, name: 'http_5xx 10%', faults: { http_5xx: { rate: 0.1, status: 503 } } },
  { at: 2 * P, name: 'timeouts 3%', faults: { timeout: { rate: 0.03, ms: 2 * HTTP_TIMEOUT_MS } } },
  { at: 3 * P, name: 'resets 3%', faults: { reset: { rate: 0.03 } } },
  { at: 4 * P, name: 'lost answers 10%', faults: { lost_answer: { rate: 0.1 } } },
  { at: 5 * P, name: `throttled to ${THROTTLE} msg/s`, faults: {}, throughput: THROTTLE },
  { at: 6 * P, name: 'clean', faults: {}, throughput: 1000 },
];
const PG_KILL_AT = Array.from({ length: PG_KILLS }, (_, i) => r1(1.5 * P + i * 1.3 * P));

let result;
let rig;
try {
  rig = await createRig({
    recipients: RECIPIENTS,
    rate: RATE,
    workerEnv: {
      SEND_LEASE_SECONDS: '5',
      SEND_RECONCILE_WINDOW_SECONDS: String(WINDOW),
      META_HTTP_TIMEOUT_MS: String(HTTP_TIMEOUT_MS),
    },
  });
  await rig.startWorker();
  const t0 = performance.now();
  const at = () => (performance.now() - t0) / 1000;
  await rig.start();
  log(`campaign started: ${RECIPIENTS} recipients at ${RATE} msg/s`);

  let done = false;
  const events = [
    ...PHASES.map((p) => ({ ...p, kind: 'phase' })),
    ...PG_KILL_AT.map((a) => ({ at: a, kind: 'pg' })),
  ].sort((a, b) => a.at - b.at);
  const pgKills = [];
  const driver = (async () => {
    for (const e of events) {
      while (!done && at() < e.at) await sleep(100);
      if (done) return;
      if (e.kind === 'pg') {
        const n = await rig.killConnections();
        pgKills.push({ t: r1(at()), connections: n });
        log(`${r1(at())} s: PostgreSQL connections killed: ${n}`);
      } else {
        await rig.setFaults(e.faults);
        if (e.throughput) await rig.setThroughput(e.throughput);
        log(`${r1(at())} s: phase ${e.name}`);
      }
    }
  })();

  // Every second: accepted at the simulator and the number's saved rate.
  const samples = [];
  const sampler = (async () => {
    while (!done) {
      const s = await rig.simNumber().catch(() => null);
      const rate = await rig.database
        .query('select max_send_rate_per_sec as r from numbers where id = $1', [rig.numberId])
        .then((r) => r[0].r)
        .catch(() => null);
      samples.push({ t: at(), accepted: s?.accepted ?? null, rate });
      await sleep(1000 - ((at() * 1000) % 1000));
    }
  })();

  const end = await rig.waitDone(900_000, async () => {
    if (Math.round(at()) % 10 === 0) log(`${r1(at())} s: ${JSON.stringify(await rig.view())}`);
  });
  const seconds = r1(at());
  done = true;
  await Promise.all([driver, sampler]);
  await rig.setFaults({});
  await sleep(2000);
  const { figures, sim } = await rig.tally(end);
  const stats = await rig.simNumber();

  // Per 5 s: [second, saved rate (msg/s), sends/s accepted at the simulator].
  const curve = [];
  for (let i = 0; i < samples.length; i += 5) {
    const a = samples[i];
    const b = samples[Math.min(i + 5, samples.length - 1)];
    const sends =
      a.accepted !== null && b.accepted !== null && b.t > a.t
        ? (b.accepted - a.accepted) / (b.t - a.t)
        : null;
    curve.push([Math.round(a.t), a.rate, sends === null ? null : Math.round(sends)]);
  }
  result = {
    recipients: RECIPIENTS,
    seconds,
    ...figures,
    simulator_errors: stats.errors,
    phases: PHASES.map((p) => `${p.at}s ${p.name}`),
    postgres_connections_killed: pgKills,
    rate_curve_columns: ['s', 'max_send_rate_per_sec', 'sends_per_s'],
    rate_curve: curve,
    target_met: end.state === 'completed' && sim.lost === 0 && sim.duplicated === 0,
  };
  if (!result.target_met) log(JSON.stringify(rig.tails()));
} catch (err) {
  log(err);
  result = { error: err.message, target_met: false };
} finally {
  await rig?.close();
}
console.log(JSON.stringify({ bench: 'campaign-faults', ...result }));
process.exit(0);
