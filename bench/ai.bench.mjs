// `npm run bench -- ai`: AI auto replies at size, through a real server process (`openwaba start`),
// signed webhooks as Meta sends them, and the fake LLM server (`@openwaba/fake-llm`) as the model.
//
// One organisation, one number in auto mode (OpenAI-compatible provider → the fake model, 1 s
// latency), a small knowledge base, 300 customers with an open 24 h window. All 300 write at once,
// each a burst of 3 messages within about a second; the debounce is 2 s.
// Measured per conversation: from the end of its debounce window (its last message stored + the
// debounce) to its AI reply queued (the message row's created_at); also printed from the last
// message's POST (+ the debounce), which adds the webhook's intake under the burst. Target: every conversation answered exactly once (bursts debounced into
// one reply), p99 ≤ model latency + 500 ms. Tokens and cost from the call log.
// Baseline in the same run: the same prompts (as the fake model recorded them) sent straight to the
// fake model, all at once, with the official OpenAI SDK: its p99 is the model's own time here.
// Needs PostgreSQL (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres): a temporary
// database is created and dropped. Options: --conversations N (300), --burst N (3), --latency MS (1000),
// --debounce S (2).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeLlm } from '@openwaba/fake-llm';
import { createSimulator } from '@openwaba/simulator';
import OpenAI from 'openai';
import { Pool } from 'undici';
import { freePort, startChild } from './lib/child.mjs';
import { inboundText } from './lib/inbound.mjs';
import { argN, log, openServices, pct, r1, runBench, serverEnv, sleep } from './lib/rig.mjs';

const CONVERSATIONS = argN('conversations', 300);
const BURST = argN('burst', 3);
const LATENCY_MS = argN('latency', 1000);
const DEBOUNCE_S = argN('debounce', 2);
const TARGET = { over_model_p99_ms: 500 };

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'apps/cli/bin/openwaba.js');
const NUM = {
  phone_number_id: '106540352299101',
  waba_id: '102290129399101',
  display_phone_number: '+1 555 099 1001',
  access_token: 'bench-ai-token',
};
const META_APP_SECRET = 'bench-ai-meta-secret';
const APP_SECRET = 'bench-ai-app-secret-bench-ai-app-secret-0123';
const QUESTIONS = [
  ['Hi', 'I ordered last week', 'when will my delivery arrive?'],
  ['Hello', 'how much is the tea gift box?', 'any discount if I buy 10?'],
  ['Hey', 'can I pay by card?', 'or bank transfer?'],
  ['Hi there', 'is the shop open on Saturday?', 'what time do you close?'],
];

const inboundPost = (from, wamid, text) => inboundText(NUM, META_APP_SECRET, { from, wamid, text });

await runBench('ai', async ({ dir, databaseUrl, cleanup }) => {
  const sim = await createSimulator({ seed: 23 });
  await sim.listen(0, '127.0.0.1');
  sim.addNumber(NUM);
  cleanup.push(() => sim.close());
  const llm = await startFakeLlm({ host: '127.0.0.1', latencyMs: LATENCY_MS });
  cleanup.push(() => llm.close());

  const env = serverEnv({
    dir,
    databaseUrl,
    appSecret: APP_SECRET,
    META_GRAPH_URL: sim.url,
    FETCH_ALLOW_PRIVATE: '127.0.0.1',
  });
  const { database, services, orgId, ctx, number } = await openServices({
    env,
    dir,
    databaseUrl,
    appSecret: APP_SECRET,
    cleanup,
    number: NUM,
    metaAppSecret: META_APP_SECRET,
  });
  await services.ai.update(ctx, {
    provider: 'openai_compatible',
    base_url: `${llm.url}/v1`,
    model: 'bench-model',
    debounce_seconds: DEBOUNCE_S,
    labels_enabled: false,
    price_input_per_mtok: 0.15,
    price_output_per_mtok: 0.6,
  });
  await services.ai.updateNumber(ctx, number.id, {
    mode: 'auto',
    system_prompt: 'You answer for the bench tea shop.',
  });
  await services.knowledge.seedSandbox(orgId);
  const q = (text, params) => database.query(text, params);
  await q(
    `with c as (
       insert into contacts (org_id, wa_id, name)
       select $1, (15551000000 + i)::text, 'C' || i from generate_series(1, $2::int) i returning id)
     insert into conversations (org_id, number_id, contact_id, window_expires_at, last_inbound_at, last_message_at)
     select $1, $3, c.id, now() + interval '1 day', now(), now() from c`,
    [orgId, CONVERSATIONS, number.id],
  );
  await q('analyze');

  const port = await freePort();
  const server = startChild([cli, 'start'], env('all', port), (out) => out.includes('openwaba is running'));
  cleanup.push(() => server.kill());
  await server.started;
  const base = `http://127.0.0.1:${port}`;
  const http = new Pool(base, { connections: 64 });
  cleanup.push(() => http.close());
  log(
    `server at ${base}; fake model at ${llm.url} (${LATENCY_MS} ms); ${CONVERSATIONS} conversations × ${BURST} messages`,
  );

  const post = async (from, text) => {
    const p = inboundPost(from, `wamid.ai.${from}.${randomBytes(4).toString('hex')}`, text);
    const res = await http.request({
      method: 'POST',
      path: '/webhooks/whatsapp',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': p.signature },
      body: p.body,
    });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}`);
  };
  // All conversations at once, each a burst of messages spread over about a second.
  const lastPostAt = new Map();
  const froms = Array.from({ length: CONVERSATIONS }, (_, i) => String(15551000000 + i + 1));
  let failedPosts = 0;
  const t0 = performance.now();
  await Promise.all(
    froms.map(async (from, i) => {
      const lines = QUESTIONS[i % QUESTIONS.length];
      for (let k = 0; k < BURST; k++) {
        if (k) await sleep(300 + Math.random() * 200);
        const started = Date.now();
        await post(from, lines[k % lines.length]).catch(() => failedPosts++);
        lastPostAt.set(from, started);
      }
    }),
  );
  log(`${CONVERSATIONS * BURST} messages posted in ${r1((performance.now() - t0) / 1000)} s`);

  // Wait until every conversation has its reply (or nothing moves for 20 s).
  const replies = async () =>
    q(
      `select k.wa_id, count(*)::int as n, extract(epoch from min(m.created_at)) * 1000 as at
         from messages m join conversations v on v.id = m.conversation_id join contacts k on k.id = v.contact_id
        where m.direction = 'out' and m.source = 'ai' and k.org_id = $1 group by k.wa_id`,
      [orgId],
    );
  let rows = [];
  let seen = -1;
  let still = Date.now();
  for (;;) {
    rows = await replies();
    if (rows.length >= CONVERSATIONS) break;
    if (rows.length !== seen) {
      seen = rows.length;
      still = Date.now();
    } else if (Date.now() - still > 20_000) break;
    await sleep(500);
  }
  await sleep(3000); // late duplicates, if any, would show now
  rows = await replies();
  // The end of each conversation's debounce window: its last message stored + the debounce.
  const stored = new Map(
    (
      await q(
        `select k.wa_id, extract(epoch from max(m.created_at)) * 1000 as at
           from messages m join conversations v on v.id = m.conversation_id join contacts k on k.id = v.contact_id
          where m.direction = 'in' and k.org_id = $1 group by k.wa_id`,
        [orgId],
      )
    ).map((r) => [r.wa_id, Number(r.at)]),
  );
  const ms = rows.map((r) => Number(r.at) - (stored.get(r.wa_id) + DEBOUNCE_S * 1000));
  // The same from the last message's POST (its intake and the chain inside too).
  const fromPost = rows.map((r) => Number(r.at) - (lastPostAt.get(r.wa_id) + DEBOUNCE_S * 1000));
  const calls = (
    await q(
      `select outcome, count(*)::int as n, sum(input_tokens)::int as input, sum(output_tokens)::int as output,
              sum(cost)::float8 as cost
         from ai_calls where org_id = $1 and purpose = 'reply' group by outcome`,
      [orgId],
    )
  ).reduce((o, r) => Object.assign(o, { [r.outcome]: r }), {});
  const auto = {
    conversations: CONVERSATIONS,
    messages: CONVERSATIONS * BURST,
    answered: rows.length,
    answered_twice: rows.filter((r) => r.n > 1).length,
    failed_posts: failedPosts,
    p50_ms: pct(ms, 50),
    p99_ms: pct(ms, 99),
    max_ms: pct(ms, 100),
    from_post_p50_ms: pct(fromPost, 50),
    from_post_p99_ms: pct(fromPost, 99),
    model_calls_ok: calls.ok?.n ?? 0,
    model_calls_error: calls.error?.n ?? 0,
    handed_over: calls.handover?.n ?? 0,
    input_tokens: calls.ok?.input ?? 0,
    output_tokens: calls.ok?.output ?? 0,
    cost_usd: r1((calls.ok?.cost ?? 0) * 1e4) / 1e4,
  };
  log('auto replies:', JSON.stringify(auto));

  // Baseline: the same prompts straight to the fake model, all at once.
  const recorded = llm.calls().filter((c) => c.system.includes('<knowledge>'));
  const client = new OpenAI({ apiKey: 'none', baseURL: `${llm.url}/v1`, maxRetries: 0, timeout: 30_000 });
  const direct = await Promise.all(
    recorded.map(async (c) => {
      const s = performance.now();
      await client.chat.completions.create({
        model: c.model,
        messages: [{ role: 'system', content: c.system }, ...c.messages],
        max_tokens: 350,
      });
      return performance.now() - s;
    }),
  );
  const baseline = { calls: direct.length, p50_ms: pct(direct, 50), p99_ms: pct(direct, 99) };
  log('baseline (the model called directly):', JSON.stringify(baseline));

  return {
    auto_replies: auto,
    baseline_model_direct: baseline,
    overhead_p99_ms:
      auto.p99_ms !== null && baseline.p99_ms !== null ? r1(auto.p99_ms - baseline.p99_ms) : null,
    scale_note:
      'tokens and cost are the fake model’s counts (about 4 characters a token) at the configured prices',
    within_configured_latency_plus_500: auto.p99_ms !== null && auto.p99_ms <= LATENCY_MS + 500,
    target: {
      reply_p99_ms: baseline.p99_ms === null ? null : r1(baseline.p99_ms + TARGET.over_model_p99_ms),
    },
    target_met:
      auto.answered === CONVERSATIONS &&
      auto.answered_twice === 0 &&
      auto.failed_posts === 0 &&
      auto.p99_ms !== null &&
      baseline.p99_ms !== null &&
      auto.p99_ms <= baseline.p99_ms + TARGET.over_model_p99_ms,
  };
});
