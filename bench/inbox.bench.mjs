// `npm run bench -- inbox`: the team inbox at size, on real PostgreSQL, through the real server (its own
// process, role all, as `openwaba start` runs it) and its HTTP API and WebSocket.
//
// One organisation is seeded with 100k conversations and 1M messages (bulk SQL straight into the
// tables: varied text, in and out, images with captions, templates, statuses, tags, two agents, read
// marks), then analysed. Measured on the client (undici, one request in flight, after a warm-up):
// (a) GET /api/v1/conversations per filter (all, mine, unassigned, status, number, tag, unread, a deep
//     page by cursor) and with search (common and rare words, a name, a phone fragment, no match);
//     p50/p95 each. Baseline in the same run: GET /api/v1/me (HTTP + session check, no inbox work).
// (b) GET /api/v1/conversations/{id}/messages: the newest page and an older one, p50/p95.
// (c) End to end: signed webhook POSTs of inbound messages (as Meta sends them) to the agent's
//     `message.received` WebSocket frame, idle (probes only: the baseline) and then with 500 msg/s of
//     other inbound messages from the seeded customers; p50/p95/p99 of every message, and of the probes.
// Targets: list p95 ≤ 30 ms, search p95 ≤ 150 ms, webhook → WebSocket p99 ≤ 250 ms under load.
// Needs PostgreSQL (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres): a temporary
// database is created and dropped.
// Options: --conversations N (100000), --messages N (1000000), --requests N per filter (200),
// --rate N background msg/s (500), --seconds S of load (30), --keep (leave the database, for EXPLAIN),
// --reuse NAME (a database kept by an earlier run, as it is: no seeding; kept), --skip-api (only (c)).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signWebhookBody } from '@openwaba/simulator';
import pg from 'pg';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { startChild } from './lib/child.mjs';

const argN = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CONVERSATIONS = argN('conversations', 100_000);
const MESSAGES = Math.max(argN('messages', 1_000_000), CONVERSATIONS);
const REQUESTS = argN('requests', 200);
const RATE = argN('rate', 500);
const LOAD_SECONDS = argN('seconds', 30);
const KEEP = process.argv.includes('--keep');
const SKIP_API = process.argv.includes('--skip-api');
const REUSE = process.argv.includes('--reuse')
  ? process.argv[process.argv.indexOf('--reuse') + 1]
  : undefined;
const RUN = randomBytes(3).toString('hex');
const PROBES_PER_S = 10;
const WARMUP = 20;
const TARGET = { list_p95_ms: 30, search_p95_ms: 150, webhook_to_ws_p99_ms: 250 };

const root = fileURLToPath(new URL('..', import.meta.url));
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN = { email: 'bench@example.com', password: 'bench password 123' };
const NUM = {
  phone_number_id: '106540352242922',
  waba_id: '102290129340398',
  display_phone_number: '+1 555 025 3483',
  access_token: 'bench-access-token',
};
const META_APP_SECRET = 'bench-meta-app-secret';
const log = (...a) => console.error(...a);
const r1 = (x) => Math.round(x * 10) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = Float64Array.from(xs).sort();
  return s.length ? r1(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]) : null;
};

const FIRST =
  `Ana Bruno Carla Diego Elena Farid Grace Hugo Ines Jamal Kofi Lena Mateo Nadia Omar Priya Quentin Rosa
  Sanjay Tara Umar Vera Wei Ximena Yusuf Zoe Aarav Bea Chen Dara Emre Fatima Goran Hana Ivan Julia Kenji Lucia Mira
  Nikhil Olga Pedro Rahul Sofia Tomas Uma Victor Wanda Yara Zain`.split(/\s+/);
const LAST = `Silva Santos Kumar Sharma Okafor Mensah Garcia Lopez Novak Kowalski Muller Schmidt Rossi Bianchi
  Dubois Martin Nguyen Tran Kim Park Tanaka Sato Ali Khan Ahmed Hassan Cohen Levi Jones Smith Brown Taylor Wilson
  Evans Thomas Moore Walker Wright Hall Young King Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts
  Carter Phillips Turner Parker Collins Edwards Stewart Morris Murphy Cook`.split(/\s+/);
const GREETINGS = ['Hi', 'Hello', 'Hey', 'Good morning', 'Good evening', 'Hola', 'Thanks!', 'Ok'];
const PHRASES = [
  'where is my order',
  'can I change the delivery address',
  'the parcel arrived damaged',
  'do you have this in blue',
  'I would like a refund please',
  'what time do you open tomorrow',
  'is the discount still valid',
  'my payment failed twice',
  'can I pick it up at the store',
  'the tracking link does not work',
  'please cancel my subscription',
  'how much is shipping to Lisbon',
  'I need an invoice for my company',
  'the size is too small, can I exchange it',
  'your order has been shipped',
  'we are sorry for the delay',
  'your appointment is confirmed',
  'thank you for your patience',
  'can you send me a photo of the label',
  'I was charged twice for the same item',
  'when will the new collection arrive',
  'is there a warranty on this model',
  'the app keeps logging me out',
  'I forgot my password',
  'do you deliver on weekends',
  'can I pay cash on delivery',
  'the voucher code is not accepted',
  'please call me back after five',
  'my account was blocked',
  'what is your return policy',
];
const WORDS = `today tomorrow asap urgent please again still already really maybe yesterday morning evening
  weekend monday friday package courier warehouse receipt voucher coupon loyalty points account password email
  phone address street apartment building floor door neighbour gift birthday wedding present colour size medium
  large small black white red green yellow leather cotton wool shoes jacket dress shirt trousers bag wallet watch
  laptop charger cable headphones speaker camera printer sofa table chair lamp mattress pillow blanket kitchen
  fridge oven kettle blender coffee tea chocolate cake bread cheese wine beer juice water pizza burger salad sushi
  noodles rice chicken fish vegan glutenfree allergy pharmacy prescription doctor dentist clinic hotel booking
  flight ticket luggage passport visa insurance claim repair technician installation manual battery screen
  keyboard mouse router modem signal outage bill tariff upgrade downgrade contract cancellation renewal`.split(
  /\s+/,
);

// ---- processes ------------------------------------------------------------------------------------------

async function startSimulator(dir) {
  const seed = join(dir, 'seed.json');
  writeFileSync(seed, JSON.stringify({ numbers: [NUM] }));
  const sim = startChild(
    [join(root, 'apps/cli/bin/openwaba.js'), 'simulator', '--port', '0', '--seed', seed],
    {},
    (out) => out.match(/listening on (http:\/\/\S+)/)?.[1],
  );
  return { url: await sim.started, stop: () => sim.kill() };
}

async function startServer(databaseUrl, simUrl, dataDir) {
  const server = startChild(
    [join(root, 'apps/cli/bin/openwaba.js'), 'start', '--role', 'all', '--port', '0'],
    {
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      SANDBOX: 'off',
      // The bench is one client making thousands of requests a minute: no API rate limits.
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_ORG_PER_MINUTE: '0',
      APP_SECRET: 'bench-secret-bench-secret-bench-secret-00',
      OPENWABA_ADMIN_EMAIL: ADMIN.email,
      OPENWABA_ADMIN_PASSWORD: ADMIN.password,
      META_GRAPH_URL: simUrl,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
    },
    (out) => out.match(/Dashboard:\s+(http:\/\/\S+?)\/?\s/)?.[1],
  );
  const url = (await server.started).replace('localhost', '127.0.0.1');
  return { url, output: server.output, stop: () => server.kill() };
}

// ---- HTTP -----------------------------------------------------------------------------------------------

/** Signs in (again when the 15-minute access token is near its end) and keeps the cookies. */
function session(base) {
  let cookie;
  let at = 0;
  return async () => {
    if (cookie && Date.now() - at < 10 * 60_000) return cookie;
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
    cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    at = Date.now();
    return cookie;
  };
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
      app_secret: META_APP_SECRET,
      verify_token: 'bench-verify-token',
    }),
  });
  if (res.status !== 201) throw new Error(`connect number: ${res.status} ${await res.text()}`);
  return (await res.json()).id;
}

/**
 * GETs `paths` one at a time (after a warm-up) and returns the client-side latencies; stops early (with
 * at least 10) once `budgetMs` is spent, so that a slow query cannot hold the run for an hour.
 */
async function timeGets(http, cookieOf, paths, budgetMs = 60_000) {
  const get = async (path) => {
    const res = await http.request({ method: 'GET', path, headers: { cookie: await cookieOf() } });
    const body = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode} ${body.slice(0, 300)}`);
    return body;
  };
  const start = performance.now();
  for (let i = 0; i < Math.min(WARMUP, paths.length); i++) {
    await get(paths[i]);
    if (performance.now() - start > budgetMs / 4) break;
  }
  const ms = [];
  const from = performance.now();
  for (const path of paths) {
    const t = performance.now();
    await get(path);
    ms.push(performance.now() - t);
    if (ms.length >= 10 && performance.now() - from > budgetMs) break;
  }
  return ms;
}
const stats = (ms) => ({ n: ms.length, p50_ms: pct(ms, 50), p95_ms: pct(ms, 95) });
const cycle = (xs, n) => Array.from({ length: n }, (_, i) => xs[i % xs.length]);

// ---- seeding --------------------------------------------------------------------------------------------

/** A version-4-shaped uuid derived from an ordinal (the API checks the shape). */
const uid = (expr) => `overlay(overlay(md5(${expr}) placing '4' from 13) placing '8' from 17)::uuid`;

async function seed(db, { orgId, ownerId, numberId }) {
  const q = (text, params) => db.query(text, params);
  const tagNames = ['vip', 'billing', 'delivery', 'returns', 'complaint', 'wholesale', 'new', 'follow-up'];
  await q(`insert into tags (org_id, name) select $1, t from unnest($2::text[]) t`, [orgId, tagNames]);
  const tagIds = (await q(`select id from tags where org_id = $1 order by name`, [orgId])).rows.map(
    (r) => r.id,
  );
  const {
    rows: [agent],
  } = await q(
    `insert into users (email, name, password_hash) values ('agent2@example.com', 'Second Agent', 'x') returning id`,
  );
  await q(`insert into memberships (org_id, user_id, role) values ($1, $2, 'agent')`, [orgId, agent.id]);
  await q('select setseed(0.42)');
  let t = performance.now();
  // Ids derive from the ordinal, so the following statements address rows without a lookup table.
  await q(
    `insert into contacts (id, org_id, wa_id, name, created_at)
     select ${uid(`'contact' || g`)}, $1, (447000000000 + g)::text,
            case when g % 20 = 0 then null else ($3::text[])[1 + g % 50] || ' ' || ($4::text[])[1 + (g / 50) % 60] end,
            now() - interval '120 days'
     from generate_series(1, $2::int) g`,
    [orgId, CONVERSATIONS, FIRST, LAST],
  );
  await q(
    `insert into conversations (id, org_id, number_id, contact_id, status, snoozed_until, assignee_id, created_at)
     select ${uid(`'conv' || g`)}, $1, $2, ${uid(`'contact' || g`)}, s.status,
            case when s.status = 'snoozed' then now() + case when g % 3 = 0 then interval '2 days' else interval '-1 hour' end end,
            case when g % 20 < 8 then $4::uuid when g % 20 < 13 then $5::uuid end,
            now() - interval '120 days'
     from generate_series(1, $3::int) g,
          lateral (select case when (g * 7) % 20 < 12 then 'open' when (g * 7) % 20 < 15 then 'pending'
                               when (g * 7) % 20 < 19 then 'resolved' else 'snoozed' end as status) s`,
    [orgId, numberId, CONVERSATIONS, ownerId, agent.id],
  );
  log(`seeded ${CONVERSATIONS} contacts and conversations in ${r1((performance.now() - t) / 1000)} s`);
  t = performance.now();
  // Every conversation gets one message, the rest go mostly to a few long conversations; sent over the
  // last 90 days; 55% inbound; text (greeting, phrase, words, sometimes an order number), images and
  // documents with captions, templates.
  const CHUNK = 250_000;
  for (let from = 1; from <= MESSAGES; from += CHUNK) {
    const to = Math.min(MESSAGES, from + CHUNK - 1);
    await q(
      `insert into messages (org_id, number_id, conversation_id, direction, wamid, type, content, status, sent_at, source)
       select $1, $2, ${uid(`'conv' || x.ci`)}, x.dir, 'wamid.seed' || x.g, x.type,
              case x.type
                when 'text' then jsonb_build_object('text', jsonb_build_object('body', x.body))
                when 'image' then jsonb_build_object('image', jsonb_build_object('id', 'media-' || x.g, 'mime_type', 'image/jpeg', 'caption', x.body))
                when 'document' then jsonb_build_object('document', jsonb_build_object('id', 'media-' || x.g, 'filename', 'invoice-' || x.g || '.pdf', 'caption', x.body))
                else jsonb_build_object('template', jsonb_build_object('name', 'order_update', 'language', jsonb_build_object('code', 'en_US')))
              end,
              case when x.dir = 'out' then (array['sent', 'delivered', 'read', 'read'])[1 + x.g % 4] end,
              now() - make_interval(secs => floor(random() * 90 * 86400)),
              case when x.dir = 'out' then 'inbox' end
       from (
         select g, case when g <= $4 then g else 1 + floor($4 * power(random(), 2))::int end as ci,
                case when random() < 0.55 then 'in' else 'out' end as dir,
                case when r < 0.88 then 'text' when r < 0.95 then 'image' when r < 0.97 then 'document' else 'template' end as type,
                ($5::text[])[1 + floor(random() * array_length($5::text[], 1))::int] || ', '
                  || ($6::text[])[1 + floor(power(random(), 1.5) * array_length($6::text[], 1))::int] || ' '
                  || ($7::text[])[1 + floor(random() * array_length($7::text[], 1))::int] || ' '
                  || ($7::text[])[1 + floor(power(random(), 2) * array_length($7::text[], 1))::int]
                  || case when random() < 0.3 then ' order #' || (100000 + floor(random() * 900000))::int else '' end as body
         from generate_series($3::int, $8::int) g, lateral (select random() as r) rr
       ) x`,
      [orgId, numberId, from, CONVERSATIONS, GREETINGS, PHRASES, WORDS, to],
    );
    log(`  messages ${to}/${MESSAGES}`);
  }
  log(`seeded ${MESSAGES} messages in ${r1((performance.now() - t) / 1000)} s`);
  t = performance.now();
  await q(
    `with a as (
       select conversation_id, max(sent_at) as last_at, max(sent_at) filter (where direction = 'in') as in_at,
              max(seq) filter (where direction = 'in') as in_seq
       from messages where org_id = $1 group by conversation_id)
     update conversations c set last_message_at = a.last_at, last_inbound_at = a.in_at, last_inbound_seq = a.in_seq,
            window_expires_at = a.in_at + interval '24 hours', unread_count = case when c.id::text < '4' then 1 else 0 end
     from a where c.id = a.conversation_id`,
    [orgId],
  );
  // Read marks: the owner has read 60% up to the newest inbound message and 10% up to just before it;
  // the second agent half. Tags on a third of the conversations.
  await q(
    `insert into conversation_reads (org_id, conversation_id, user_id, last_read_seq)
     select $1, c.id, u.id, greatest(coalesce(c.last_inbound_seq, 0) - case when g % 10 >= u.read_all then 1 else 0 end, 0)
     from generate_series(1, $2::int) g
     join conversations c on c.id = ${uid(`'conv' || g`)}
     cross join (values ($3::uuid, 6, 7), ($4::uuid, 4, 5)) as u(id, read_all, upto)
     where g % 10 < u.upto`,
    [orgId, CONVERSATIONS, ownerId, agent.id],
  );
  await q(
    `insert into conversation_tags (org_id, conversation_id, tag_id)
     select $1, ${uid(`'conv' || g`)}, t from generate_series(1, $2::int) g,
            lateral unnest(case when g % 10 = 0 then array[($3::uuid[])[1 + (g * 31) % 8], ($3::uuid[])[1 + (g * 31 + 3) % 8]]
                                when g % 10 < 3 then array[($3::uuid[])[1 + (g * 31) % 8]] else '{}'::uuid[] end) t`,
    [orgId, CONVERSATIONS, tagIds],
  );
  await q('analyze');
  log(`seeded read marks and tags, analysed in ${r1((performance.now() - t) / 1000)} s`);
  return { agentId: agent.id, tagIds };
}

// ---- (a), (b) -------------------------------------------------------------------------------------------

async function measureApi(base, cookieOf, db, ids) {
  const http = new Pool(base, { connections: 1, pipelining: 1 });
  try {
    const L = '/api/v1/conversations?limit=30';
    const me = stats(await timeGets(http, cookieOf, cycle(['/api/v1/me'], REQUESTS)));
    log(`baseline GET /api/v1/me: ${JSON.stringify(me)}`);
    // Cursors of pages 2–21 of the whole list: a deep page is as fast as the first.
    const cursors = [];
    let before = '';
    for (let i = 0; i < 20; i++) {
      const res = await http.request({
        method: 'GET',
        path: `${L}${before}`,
        headers: { cookie: await cookieOf() },
      });
      const page = JSON.parse(await res.body.text());
      if (!page.next_cursor) break;
      cursors.push(page.next_cursor);
      before = `&before=${encodeURIComponent(page.next_cursor)}`;
    }
    const filters = {
      all: [L],
      mine: [`${L}&assigned=me`],
      unassigned: [`${L}&assigned=unassigned`],
      status_pending: [`${L}&status=pending`],
      status_snoozed: [`${L}&status=snoozed`],
      number: [`${L}&number_id=${ids.numberId}`],
      tag: ids.tagIds.map((t) => `${L}&tag_id=${t}`),
      unread: [`${L}&unread=true`],
      mine_unread_open: [`${L}&assigned=me&unread=true&status=open`],
      paged: cursors.map((c) => `${L}&before=${encodeURIComponent(c)}`),
    };
    const list = {};
    for (const [name, paths] of Object.entries(filters)) {
      list[name] = stats(await timeGets(http, cookieOf, cycle(paths, REQUESTS)));
      log(`list ${name}: ${JSON.stringify(list[name])}`);
    }
    // Search: a word in many messages, a rarer one, a name, a phone fragment, an order number in about
    // one message, and a word in none (the whole history looked at).
    const {
      rows: [rare],
    } = await db.query(
      `select substring(content->'text'->>'body' from '#([0-9]{6})') as n from messages
       where content->'text'->>'body' like '%order #%' order by seq desc limit 1`,
    );
    const terms = {
      common_word: 'order',
      rarer_word: 'mattress',
      name: 'Nadia Cohen',
      phone: '4470000123',
      order_number: rare?.n ?? '123456',
      no_match: 'xylophone',
    };
    const search = {};
    const all = [];
    const per = Math.max(10, Math.round(REQUESTS / Object.keys(terms).length));
    for (const [name, term] of Object.entries(terms)) {
      const ms = await timeGets(
        http,
        cookieOf,
        cycle([`${L}&search=${encodeURIComponent(term)}`], per),
        30_000,
      );
      all.push(...ms);
      search[name] = { term, ...stats(ms) };
      log(`search ${name}: ${JSON.stringify(search[name])}`);
    }
    // (b) the newest page of conversations of every length, and an older page of long ones.
    const { rows: convs } = await db.query(
      `select conversation_id as id, count(*)::int as n from messages where org_id = $1
       group by conversation_id order by n desc limit 50`,
      [ids.orgId],
    );
    const { rows: some } = await db.query(
      `select id from conversations where org_id = $1 order by md5(id::text) limit 150`,
      [ids.orgId],
    );
    const newest = stats(
      await timeGets(
        http,
        cookieOf,
        cycle(
          [...convs, ...some].map((c) => `/api/v1/conversations/${c.id}/messages?limit=50`),
          REQUESTS,
        ),
      ),
    );
    const older = [];
    for (const c of convs.slice(0, 20)) {
      const res = await http.request({
        method: 'GET',
        path: `/api/v1/conversations/${c.id}/messages?limit=50`,
        headers: { cookie: await cookieOf() },
      });
      const page = JSON.parse(await res.body.text());
      if (page.next_cursor)
        older.push(
          `/api/v1/conversations/${c.id}/messages?limit=50&before=${encodeURIComponent(page.next_cursor)}`,
        );
    }
    const olderPage = stats(await timeGets(http, cookieOf, cycle(older, REQUESTS)));
    const conversationPage = {
      newest_page: newest,
      older_page: olderPage,
      longest_conversation_messages: convs[0]?.n ?? 0,
    };
    log(`conversation page: ${JSON.stringify(conversationPage)}`);
    const listP95 = Math.max(...Object.values(list).map((s) => s.p95_ms));
    return {
      baseline_me: me,
      list,
      list_p95_max_ms: listP95,
      search,
      search_all: stats(all),
      conversation_page: conversationPage,
    };
  } finally {
    await http.close();
  }
}

// ---- (c) ------------------------------------------------------------------------------------------------

function inboundPost(from, name, wamid, body) {
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
                contacts: [{ profile: { name }, wa_id: from }],
                messages: [
                  {
                    from,
                    id: wamid,
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    text: { body },
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
    META_APP_SECRET,
  );
}

/** The agent's WebSocket: the arrival time of every message.received frame, by message id. */
async function connectAgent(base, cookie) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`, { headers: { cookie } });
  const seen = new Map();
  ws.on('message', (raw) => {
    const now = performance.now();
    const f = JSON.parse(String(raw));
    const events = f.type === 'event' ? [f] : f.type === 'events' ? f.events : [];
    for (const e of events) if (e.event.type === 'message.received') seen.set(e.event.data.message_id, now);
  });
  await new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe' }));
      ws.once('message', (raw) => {
        const f = JSON.parse(String(raw));
        if (f.type === 'ready') resolve();
        else reject(new Error(`WebSocket: expected ready, got ${String(raw).slice(0, 200)}`));
      });
    });
  });
  return { seen, close: () => ws.close() };
}

/**
 * Open loop for `seconds`: `rate` background POSTs per second from seeded customers, plus probes from
 * their own customers, each POST timed from the moment it was due (a slow server cannot slow the
 * load). Returns when every POST is answered and its frame has arrived (or 15 s after).
 */
async function runLoad(base, db, agent, { seconds, rate, tag }) {
  const http = new Pool(base, { connections: 64, pipelining: 1 });
  const sent = new Map();
  const probes = new Set();
  const acks = [];
  let failed = 0;
  let firstError;
  const inflight = [];
  const post = (wamid, from, name, text, dueAt) => {
    const p = inboundPost(from, name, wamid, text);
    sent.set(wamid, dueAt);
    inflight.push(
      http
        .request({
          method: 'POST',
          path: '/webhooks/whatsapp',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': p.signature },
          body: p.body,
        })
        .then(async (res) => {
          await res.body.dump();
          acks.push(performance.now() - dueAt);
          if (res.statusCode !== 200) {
            failed++;
            firstError ??= `HTTP ${res.statusCode}`;
          }
        })
        .catch((err) => {
          failed++;
          firstError ??= String(err);
        }),
    );
  };
  const start = performance.now();
  let bg = 0;
  let pr = 0;
  while (performance.now() - start < seconds * 1000) {
    const elapsed = performance.now() - start;
    while (bg < (rate * elapsed) / 1000) {
      const k = 1 + ((bg * 7919) % Math.min(CONVERSATIONS, 20_000));
      post(
        `wamid.${tag}.bg.${bg}`,
        String(447000000000 + k),
        `Customer ${k}`,
        `Hi, any news on order #${tag}-${bg}? ${WORDS[bg % WORDS.length]}`,
        start + (bg * 1000) / rate,
      );
      bg++;
    }
    while (pr < (PROBES_PER_S * elapsed) / 1000) {
      const wamid = `wamid.${tag}.probe.${pr}`;
      probes.add(wamid);
      post(
        wamid,
        String(448000000000 + (pr % 20)),
        `Probe ${pr % 20}`,
        `Probe ${pr}`,
        start + (pr * 1000) / PROBES_PER_S,
      );
      pr++;
    }
    await sleep(2);
  }
  const loadSeconds = (performance.now() - start) / 1000;
  await Promise.all(inflight);
  await http.close();
  // Every message row, then every frame (or give up after 15 s).
  const wamids = [...sent.keys()];
  const deadline = performance.now() + 15_000;
  let rows = [];
  for (;;) {
    ({ rows } = await db.query(
      `select id, wamid, extract(epoch from created_at) * 1000 as row_at from messages where wamid = any($1::text[])`,
      [wamids],
    ));
    const framed = rows.filter((r) => agent.seen.has(r.id)).length;
    if ((rows.length === wamids.length && framed === rows.length) || performance.now() > deadline) break;
    await sleep(200);
  }
  const lat = [];
  const probeLat = [];
  // The row's created_at is the start of the transaction that processed the webhook (same clock).
  const toRow = [];
  let missing = wamids.length - rows.length;
  for (const r of rows) {
    const at = agent.seen.get(r.id);
    if (at === undefined) {
      missing++;
      continue;
    }
    const ms = at - sent.get(r.wamid);
    lat.push(ms);
    if (probes.has(r.wamid)) probeLat.push(ms);
    toRow.push(Number(r.row_at) - (performance.timeOrigin + sent.get(r.wamid)));
  }
  const summary = (xs) => ({
    n: xs.length,
    p50_ms: pct(xs, 50),
    p95_ms: pct(xs, 95),
    p99_ms: pct(xs, 99),
    max_ms: pct(xs, 100),
  });
  return {
    background_msg_per_s: rate ? Math.round(bg / loadSeconds) : 0,
    seconds: r1(loadSeconds),
    posts: wamids.length,
    failed,
    ...(firstError ? { first_error: firstError } : {}),
    missing,
    all: summary(lat),
    // Where the time goes: the POST's answer (stored), the start of its processing, the frame.
    webhook_ack: summary(acks),
    processing_started: summary(toRow),
    probes: summary(probeLat),
  };
}

// ---- main -----------------------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'openwaba-inbox-bench-'));
const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
const dbName = REUSE ?? `openwaba_bench_${randomBytes(4).toString('hex')}`;
let result;
let sim;
let server;
let db;
let agent;
let cleaning;
/** Stops the processes and drops the database, once (also on Ctrl-C). */
const cleanUp = () =>
  (cleaning ??= (async () => {
    agent?.close();
    await db?.end().catch(() => {});
    await server?.stop().catch(() => {});
    await sim?.stop().catch(() => {});
    if (KEEP || REUSE) log(`kept database ${dbName}`);
    else await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
    await admin.end().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  })());
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
try {
  await admin.connect();
  if (!REUSE) await admin.query(`create database ${dbName}`);
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  const databaseUrl = u.toString();
  log(`database ${dbName}`);
  sim = await startSimulator(dir);
  server = await startServer(databaseUrl, sim.url, join(dir, 'data'));
  log(`server at ${server.url}, simulator at ${sim.url}`);
  const cookieOf = session(server.url);
  db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const numberId = REUSE
    ? (await db.query('select id from numbers where phone_number_id = $1', [NUM.phone_number_id])).rows[0].id
    : await registerNumber(server.url, await cookieOf());
  const {
    rows: [owner],
  } = await db.query(
    `select u.id as user_id, m.org_id from users u join memberships m on m.user_id = u.id where u.email = $1`,
    [ADMIN.email],
  );
  const t = performance.now();
  const seeded = REUSE
    ? { tagIds: (await db.query('select id from tags order by name')).rows.map((r) => r.id) }
    : await seed(db, { orgId: owner.org_id, ownerId: owner.user_id, numberId });
  const seedSeconds = REUSE ? null : r1((performance.now() - t) / 1000);
  const api = SKIP_API
    ? null
    : await measureApi(server.url, cookieOf, db, {
        orgId: owner.org_id,
        numberId,
        tagIds: seeded.tagIds,
      });

  agent = await connectAgent(server.url, await cookieOf());
  await runLoad(server.url, db, agent, { seconds: 3, rate: 0, tag: `${RUN}.warm` });
  const idle = await runLoad(server.url, db, agent, { seconds: 10, rate: 0, tag: `${RUN}.idle` });
  log(`webhook → WebSocket, idle (probes only): ${JSON.stringify(idle)}`);
  const loaded = await runLoad(server.url, db, agent, {
    seconds: LOAD_SECONDS,
    rate: RATE,
    tag: `${RUN}.load`,
  });
  log(`webhook → WebSocket, ${RATE} msg/s background: ${JSON.stringify(loaded)}`);

  result = {
    conversations: CONVERSATIONS,
    messages: MESSAGES,
    seed_s: seedSeconds,
    ...api,
    ...(api ? { list_p95_vs_baseline: r1(api.list_p95_max_ms / Math.max(0.1, api.baseline_me.p95_ms)) } : {}),
    webhook_to_ws: { idle, loaded, p99_vs_idle: r1(loaded.all.p99_ms / Math.max(0.1, idle.all.p99_ms)) },
    target: TARGET,
    target_met:
      api !== null &&
      api.list_p95_max_ms <= TARGET.list_p95_ms &&
      api.search_all.p95_ms <= TARGET.search_p95_ms &&
      loaded.failed === 0 &&
      loaded.missing === 0 &&
      loaded.all.p99_ms !== null &&
      loaded.all.p99_ms <= TARGET.webhook_to_ws_p99_ms,
  };
} catch (err) {
  if (server) log(`server output (tail):\n${server.output().slice(-3000)}`);
  result = { error: String(err?.stack ?? err), target_met: false };
} finally {
  await cleanUp();
}
console.log(JSON.stringify({ bench: 'inbox', ...result }));
process.exit(0);
