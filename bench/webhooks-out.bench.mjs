// `npm run bench -- webhooks-out`: outbound webhooks at size, through a real server process
// (`openwaba start`: the fan-out and the delivery workers as deployed).
//
// Ten endpoints of one organisation, each subscribed to `contact.updated`: eight healthy receivers
// (verify every signature with the SDK's verifyWebhook, de-duplicate by webhook-id, answer 204), one
// that answers after 3 s, one that always answers 500 (it keeps retrying meanwhile). The receivers run
// in a process of their own (bench/lib/hook-receivers.mjs).
// 1. Steady: 50,000 events published at 300 events/s (2,400 deliveries/s offered to the healthy
//    endpoints) → deliveries/s reached and p50/p99 from the event's publish to its arrival, per
//    delivery; lost and duplicated deliveries per healthy endpoint.
// 2. Burst: 10,000 events at once → how fast the backlog drains (deliveries/s), the ceiling.
// Baseline in the same run: a bare HTTP loop (undici, keep-alive, the same concurrency per endpoint)
// posting the same signed payloads to the same healthy receivers: its deliveries/s is what this
// machine reaches with no database, queue or retries at all.
// Target: steady deliveries/s ≥ 2,000 and p99 ≤ 1 s to the healthy endpoints, 0 lost, 0 twice.
// Needs PostgreSQL (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres): a temporary
// database is created and dropped. Options: --events N (50000), --rate N (300 events/s),
// --burst N (10000), --baseline N (40000 posts).
import { createHmac, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@openwaba/sdk';
import { Pool } from 'undici';
import { freePort, startChild } from './lib/child.mjs';
import { argN, log, openServices, pct, r1, runBench, serverEnv, sleep } from './lib/rig.mjs';

const EVENTS = argN('events', 50_000);
const RATE = argN('rate', 300);
const BURST = argN('burst', 10_000);
const BASELINE_POSTS = argN('baseline', 40_000);
const CONCURRENCY = 10;
const KINDS = [...Array(8).fill('healthy'), 'slow', 'failing'];
const TARGET = { deliveries_per_s: 2000, p99_ms: 1000 };

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'apps/cli/bin/openwaba.js');
const APP_SECRET = 'bench-hooks-app-secret-bench-hooks-app-secret-01';

/** Standard Webhooks headers, as openwaba signs: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`. */
function sign(secret, id, body) {
  const ts = Math.floor(Date.now() / 1000);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` };
}

await runBench('webhooks-out', async ({ dir, databaseUrl, cleanup }) => {
  const env = serverEnv({
    dir,
    databaseUrl,
    appSecret: APP_SECRET,
    FETCH_ALLOW_PRIVATE: '127.0.0.1',
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_ORG_PER_MINUTE: '0',
  });
  const { database, services, orgId, ctx } = await openServices({
    env,
    dir,
    databaseUrl,
    appSecret: APP_SECRET,
    cleanup,
  });
  // A queue table lives on autovacuum: every delivery is updated twice. Where the server has it
  // off (this machine's PostgreSQL does), the bench vacuums the two tables every 10 s in its stead.
  const [{ autovacuum }] = await database.query('show autovacuum');
  if (autovacuum !== 'on') {
    const vacuum = setInterval(() => {
      void database.query('vacuum (analyze) webhook_deliveries, webhook_attempts').catch(() => {});
    }, 10_000);
    cleanup.push(() => clearInterval(vacuum));
  }
  const { key } = await services.auth.apiKeys.create(ctx, {
    name: 'bench',
    scopes: ['integrations.manage'],
    expires_at: null,
  });

  const receivers = startChild(
    ['--import', 'tsx', join(root, 'bench/lib/hook-receivers.mjs'), JSON.stringify(KINDS)],
    { SLOW_MS: '3000' },
    (out) => out.match(/ready (\[.*\])/)?.[1],
  );
  cleanup.push(() => receivers.kill());
  const ports = JSON.parse(await receivers.started);
  const hookUrl = (i) => `http://127.0.0.1:${ports[i]}/hook`;
  const receiverStats = async (arrivals = false) =>
    (await fetch(`http://127.0.0.1:${ports[0]}/stats${arrivals ? '?arrivals=1' : ''}`)).json();
  const resetReceivers = () => fetch(`http://127.0.0.1:${ports[0]}/reset`, { method: 'POST' });

  const port = await freePort();
  const server = startChild([cli, 'start'], env('all', port), (out) => out.includes('openwaba is running'));
  cleanup.push(() => server.kill());
  await server.started;
  const base = `http://127.0.0.1:${port}`;
  const api = createClient({ baseUrl: base, apiKey: key });
  const endpoints = [];
  for (const [i, kind] of KINDS.entries()) {
    const e = await api.webhooks.endpoints.create({
      url: hookUrl(i),
      description: `bench ${kind} ${i}`,
      event_types: ['contact.updated'],
      max_concurrency: CONCURRENCY,
    });
    await fetch(`http://127.0.0.1:${ports[i]}/secret`, { method: 'PUT', body: e.secret });
    endpoints.push({ ...e, kind, port: ports[i] });
  }
  const healthy = endpoints.filter((e) => e.kind === 'healthy');
  log(`server at ${base}; ${endpoints.length} endpoints (${healthy.length} healthy, 1 slow, 1 failing)`);

  // ---- Baseline: a bare HTTP loop, the same payloads and concurrency, no database ----------------
  const payload = (contactId) =>
    JSON.stringify({
      type: 'contact.updated',
      timestamp: new Date().toISOString(),
      data: { contact_id: contactId, fields: ['name'] },
    });
  const pools = healthy.map((e) => new Pool(`http://127.0.0.1:${e.port}`, { connections: CONCURRENCY }));
  cleanup.push(() => Promise.all(pools.map((p) => p.close())));
  let next = 0;
  const bt0 = performance.now();
  await Promise.all(
    healthy.flatMap((e, i) =>
      Array.from({ length: CONCURRENCY }, async () => {
        for (;;) {
          const n = next++;
          if (n >= BASELINE_POSTS) return;
          const body = payload(randomUUID());
          const res = await pools[i].request({
            method: 'POST',
            path: '/hook',
            headers: { 'content-type': 'application/json', ...sign(e.secret, `base_${n}`, body) },
            body,
          });
          await res.body.dump();
        }
      }),
    ),
  );
  const baselineSeconds = (performance.now() - bt0) / 1000;
  const baseStats = await receiverStats();
  const baseline = {
    posts: BASELINE_POSTS,
    deliveries_per_s: Math.round(BASELINE_POSTS / baselineSeconds),
    bad_signatures: baseStats.reduce((n, r) => n + r.bad_signatures, 0),
  };
  log('baseline (bare HTTP loop):', JSON.stringify(baseline));
  await resetReceivers();

  // ---- Publishing events as the domains do: stored in `events`, announced on the channel ---------
  const publishedAt = new Map();
  const publish = async (n) => {
    const batch = Array.from({ length: n }, () => {
      const contactId = randomUUID();
      return { type: 'contact.updated', data: { contact_id: contactId, fields: ['name'] } };
    });
    const at = Date.now();
    for (const e of batch) publishedAt.set(e.data.contact_id, at);
    await services.events.publish(orgId, batch);
  };
  /** Waits until every healthy receiver holds `expected` events, or nothing moves for 30 s. */
  const settle = async (expected) => {
    let last = -1;
    let still = Date.now();
    for (;;) {
      const s = await receiverStats();
      const got = s.filter((r) => r.kind === 'healthy').reduce((n, r) => n + r.unique, 0);
      if (got >= expected * healthy.length) return;
      if (got !== last) {
        last = got;
        still = Date.now();
      } else if (Date.now() - still > 30_000) return;
      await sleep(250);
    }
  };
  const measure = async (expected, t0) => {
    const s = await receiverStats(true);
    const ms = [];
    let lastAt = t0;
    const perHealthy = s
      .filter((r) => r.kind === 'healthy')
      .map((r) => {
        for (const [, at, contactId] of r.arrivals) {
          const p = publishedAt.get(contactId);
          if (p !== undefined) ms.push(at - p);
          if (at > lastAt) lastAt = at;
        }
        return { unique: r.unique, lost: expected - r.unique, duplicates: r.duplicates };
      });
    const delivered = perHealthy.reduce((n, r) => n + r.unique, 0);
    return {
      events: expected,
      healthy_deliveries: delivered,
      seconds: r1((lastAt - t0) / 1000),
      deliveries_per_s: Math.round(delivered / ((lastAt - t0) / 1000)),
      p50_ms: pct(ms, 50),
      p99_ms: pct(ms, 99),
      max_ms: pct(ms, 100),
      lost: perHealthy.reduce((n, r) => n + Math.max(0, r.lost), 0),
      delivered_twice: perHealthy.reduce((n, r) => n + r.duplicates, 0),
      bad_signatures: s.reduce((n, r) => n + r.bad_signatures, 0),
      slow_requests: s.find((r) => r.kind === 'slow').requests,
      failing_requests: s.find((r) => r.kind === 'failing').requests,
    };
  };

  // ---- 1. Steady ----------------------------------------------------------------------------------
  log(`steady: ${EVENTS} events at ${RATE}/s`);
  const tick = 100;
  const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
  const t0 = Date.now();
  for (let sent = 0; sent < EVENTS; ) {
    const n = Math.min(perTick, EVENTS - sent);
    await publish(n);
    sent += n;
    const due = t0 + (sent / RATE) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
  }
  log(`published in ${r1((Date.now() - t0) / 1000)} s`);
  await settle(EVENTS);
  const steady = await measure(EVENTS, t0);
  log('steady:', JSON.stringify(steady));
  const waiting = await database.query(
    `select e.url, d.state, count(*)::int as n from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
      where d.state <> 'succeeded' group by 1, 2 order by 1, 2`,
  );
  log('not delivered yet (slow / failing endpoints):', JSON.stringify(waiting));

  // ---- 2. Burst -----------------------------------------------------------------------------------
  await resetReceivers();
  publishedAt.clear();
  log(`burst: ${BURST} events at once`);
  const b0 = Date.now();
  for (let sent = 0; sent < BURST; sent += 1000) await publish(Math.min(1000, BURST - sent));
  await settle(BURST);
  const burst = await measure(BURST, b0);
  log('burst:', JSON.stringify(burst));

  const failing = endpoints.find((e) => e.kind === 'failing');
  const failingRows = await database.query(
    `select state, count(*)::int as n from webhook_deliveries where endpoint_id = $1 group by state`,
    [failing.id],
  );
  return {
    endpoints: { healthy: healthy.length, slow: 1, failing: 1 },
    autovacuum_stand_in: autovacuum !== 'on',
    steady,
    burst,
    baseline_bare_http_loop: baseline,
    ratio_burst_to_baseline: r1((burst.deliveries_per_s / baseline.deliveries_per_s) * 100) / 100,
    failing_endpoint_deliveries: Object.fromEntries(failingRows.map((r) => [r.state, r.n])),
    target: TARGET,
    target_met:
      steady.deliveries_per_s >= TARGET.deliveries_per_s &&
      steady.p99_ms !== null &&
      steady.p99_ms <= TARGET.p99_ms &&
      steady.lost === 0 &&
      steady.delivered_twice === 0 &&
      steady.bad_signatures === 0 &&
      burst.lost === 0 &&
      burst.delivered_twice === 0,
  };
});
