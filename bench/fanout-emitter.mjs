// The "worker process" of the fanout benchmark: publishes domain events at a fixed rate through the
// product's event service (store + NOTIFY), every 10 ms, as a job handler working through a batch would.
// Run by fanout.bench.mjs.
import { randomUUID } from 'node:crypto';
import { createEventService } from '../apps/server/src/events/service.ts';
import { openDatabase } from '../apps/server/src/index.ts';

const [databaseUrl, orgId, rateArg, secondsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const database = await openDatabase({ databaseUrl, dataDir: '.', poolMax: 4 });
const events = createEventService({
  database,
  log: { info() {}, warn() {}, error: (o, m) => console.error(m, o) },
});
const campaign = randomUUID();
const tickMs = 10;
let sent = 0;
const start = performance.now();
const end = start + seconds * 1000;
while (performance.now() < end) {
  const tickStart = performance.now();
  // Paced by the clock, not by ticks, so timer drift does not lower the rate.
  const n = Math.floor((rate * (tickStart - start)) / 1000) - sent;
  // What a worker does with a batch of work: one statement stores the tick's events (ids stay per-org
  // ordered), one NOTIFY tells every api process.
  if (n > 0) {
    await events.publish(
      orgId,
      Array.from({ length: n }, () => ({
        type: 'campaign.progress',
        campaign_id: campaign,
        data: { campaign_id: campaign, sent: ++sent, failed: 0, total: rate * seconds },
      })),
    );
  }
  const wait = tickMs - (performance.now() - tickStart);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
process.stdout.write(`${JSON.stringify({ sent, seconds: (performance.now() - start) / 1000 })}\n`);
await database.close();
