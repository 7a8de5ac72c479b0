// `npm run bench -- campaign-crash`: exactly-once under worker crashes. A campaign runs on real
// PostgreSQL against the simulator (its own process, status webhooks signed and delivered to an
// openwaba API process), sent by a worker process that is killed with SIGKILL at random moments while
// it sends, and restarted each time. Short SEND_LEASE_SECONDS and SEND_RECONCILE_WINDOW_SECONDS keep
// the recovery (claims of the dead worker → unknown → reconciled from webhooks or retried) quick.
// At the end the simulator's message log is counted per recipient: lost = never accepted,
// duplicated = accepted more than once. Target: completed, 0 lost, 0 duplicated.
// Options: --recipients N (20000), --kills N (10), --rate msg/s (250), --lease s (5), --window s (15).
import { argN, createRig, log, r1, sleep } from './lib/campaign-rig.mjs';

const RECIPIENTS = argN('recipients', 20_000);
const KILLS = argN('kills', 10);
const RATE = argN('rate', 250);
const LEASE = argN('lease', 5);
const WINDOW = argN('window', 15);

let result;
let rig;
try {
  rig = await createRig({
    recipients: RECIPIENTS,
    rate: RATE,
    workerEnv: { SEND_LEASE_SECONDS: String(LEASE), SEND_RECONCILE_WINDOW_SECONDS: String(WINDOW) },
  });
  await rig.startWorker();
  const t0 = performance.now();
  const at = () => r1((performance.now() - t0) / 1000);
  await rig.start();
  log(`campaign started: ${RECIPIENTS} recipients at ${RATE} msg/s, ${KILLS} kills`);

  // Each round: wait until the (new) worker sends, then kill it at a random moment within its share
  // of the remaining sending time, and restart it.
  const kills = [];
  let done = false;
  const killer = (async () => {
    while (kills.length < KILLS && !done) {
      const base = (await rig.simNumber()).accepted;
      while (!done && (await rig.simNumber()).accepted <= base) await sleep(200);
      if (done) break;
      const left = Math.max(0, RECIPIENTS - base);
      const share = left / RATE / (KILLS - kills.length + 1);
      await sleep(1000 * (0.5 + Math.random() * Math.max(0.5, 2 * share - 1)));
      if (done) break;
      const accepted = (await rig.simNumber()).accepted;
      await rig.worker().kill('SIGKILL');
      kills.push({ t: at(), accepted });
      log(`kill ${kills.length} at ${at()} s (${accepted} accepted at the simulator); restarting`);
      await rig.startWorker();
      log(`worker back at ${at()} s`);
    }
  })();
  const end = await rig.waitDone(900_000, async () => {
    if (Math.round(at()) % 10 === 0) log(`${at()} s: ${JSON.stringify(await rig.view())}`);
  });
  const seconds = at();
  done = true;
  await killer;
  // Anything still in flight or reconciling lands before counting.
  await sleep(2000);
  const { figures, view, sim } = await rig.tally(end);
  result = {
    recipients: RECIPIENTS,
    kills: kills.length,
    kill_times_s: kills.map((k) => k.t),
    seconds,
    ...figures,
    rate: RATE,
    lease_s: LEASE,
    reconcile_window_s: WINDOW,
    target_met:
      end.state === 'completed' &&
      sim.lost === 0 &&
      sim.duplicated === 0 &&
      view.sent === RECIPIENTS &&
      sim.wamidMismatch === 0,
  };
  if (!result.target_met) log(JSON.stringify(rig.tails()));
} catch (err) {
  log(err);
  result = { error: err.message, target_met: false };
} finally {
  await rig?.close();
}
console.log(JSON.stringify({ bench: 'campaign-crash', ...result }));
process.exit(0);
