import { createSimulator, type Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import { silentLog } from '../lib/log.ts';
import { RATE_RULES } from './rate.ts';
import { createSender } from './sender.ts';

// The campaign sender against the simulator, through public seams: the HTTP API, the simulator's
// control API (faults, tokens, template changes, customers) and its webhooks to the listening app.

const WABA = '8300001';
const SECRET = 'sender-secret';
const MAIN = {
  phone_number_id: '8300101',
  waba_id: WABA,
  // A phone a contact can have (a valid US number): a campaign can then send the number to itself.
  display_phone_number: '+1 202 555 0999',
  access_token: 'tok-sender-main-1',
  throughput_mps: 80,
};
const SELF = '+12025550999';
/** Retry delays (SEND_RETRY_DELAYS_SECONDS), short so a test sees every retry. */
const RETRY_S = [2, 4, 6];
const RETRY_MS = RETRY_S.map((x) => x * 1000);
const ROLLOVER = ['8300201', '8300202'];

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let mainId: string;
let orgTz = 'UTC';
const tpl: Record<string, string> = {};
/** The simulator's (Meta's) template ids, by name. */
const metaTpl: Record<string, string> = {};
let stopWorker: () => Promise<void>;

/** US numbers +1 202 555 1xxx, distinct per n. */
const phone = (n: number) => `+1202555${String(1000 + n).padStart(4, '0')}`;
const waId = (n: number) => phone(n).slice(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The simulator's control API, as a test harness or an operator would call it. */
async function control(method: 'PUT' | 'POST', path: string, body: unknown) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return res.json();
}

/** Opted-in contacts with a tag (phones phone(from)…phone(from+n-1)), or with the given phones. */
async function contactsWithTag(tag: string, from: number, n: number, phones?: string[]) {
  const tagRes = await owner.post('/api/v1/tags', { name: tag });
  expect(tagRes.statusCode, tagRes.body).toBe(201);
  const tagId = tagRes.json().id as string;
  const list = phones ?? Array.from({ length: n }, (_, i) => phone(from + i));
  for (const p of list) {
    const c = await owner.post('/api/v1/contacts', { phone: p, name: `Customer ${p}`, tag_ids: [tagId] });
    expect(c.statusCode, c.body).toBe(201);
    const r = await owner.post(`/api/v1/contacts/${c.json().id}/consent`, {
      kind: 'opt_in',
      source: 'web_form',
      proof: 'signed up at the counter',
    });
    expect(r.statusCode, r.body).toBe(201);
  }
  return tagId;
}

async function createCampaign(name: string, tagIds: string[], template = 'order_ready', numberId = mainId) {
  const res = await owner.post('/api/v1/campaigns', {
    name,
    number_id: numberId,
    audience: { kind: 'contacts', filter: { tag_ids: tagIds, tag_match: 'any' } },
    templates: [{ template_id: tpl[template], mapping: { 'body.1': { fixed: 'X-1' } } }],
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}
async function start(id: string) {
  const res = await owner.post(`/api/v1/campaigns/${id}/start`, {});
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().state).toBe('running');
}
const campaign = async (id: string) => (await owner.get(`/api/v1/campaigns/${id}`)).json();
const recipients = async (id: string) =>
  (await owner.get(`/api/v1/campaigns/${id}/recipients?limit=500`)).json().data as {
    phone: string;
    state: string;
    status: string | null;
    reason: string | null;
    error: Record<string, unknown> | null;
  }[];

/**
 * The campaign's message to a phone, as the inbox shows it: in the contact's conversation with the
 * number (none while the send waits).
 */
async function messageTo(campaignId: string, phone: string) {
  const rows = await t.database.query<{
    status: string;
    wamid: string | null;
    error: Record<string, unknown> | null;
  }>(
    `select m.status, m.wamid, m.error from messages m
     join conversations cv on cv.id = m.conversation_id
     join contacts ct on ct.id = cv.contact_id
     where m.campaign_id = $1 and ct.wa_id = $2`,
    [campaignId, phone.slice(1)],
  );
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0];
}

/** What the simulator accepted from a number (its message log, in order). */
const acceptedFrom = (phoneNumberId = MAIN.phone_number_id) =>
  sim.sentMessages().filter((m) => m.phone_number_id === phoneNumberId);
const acceptedTo = (to: string) => sim.sentMessages().filter((m) => m.to === to);
const errorsOf = (code: number) => sim.stats().errors[String(code)] ?? 0;

/** The org's calendar day, `offset` days away, as the sender computes it (org timezone). */
async function orgDay(offset: number) {
  const [r] = await t.database.query<{ d: string }>(
    `select to_char((now() at time zone $1) + make_interval(days => $2), 'YYYY-MM-DD') as d`,
    [orgTz, offset],
  );
  return r!.d;
}

async function connectNumber(phoneNumberId: string, token: string) {
  const res = await owner.post('/api/v1/numbers', {
    display_name: `Sender ${phoneNumberId}`,
    phone_number_id: phoneNumberId,
    waba_id: WABA,
    access_token: token,
    app_secret: SECRET,
    verify_token: `verify-${phoneNumberId}`,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

beforeAll(async () => {
  // Pair rate: one message per customer, then one per 6 s (Meta's is a larger burst of the same kind).
  // Customers stay quiet: no delivery/read/reply noise, nobody undeliverable unless a test says so.
  sim = await createSimulator({
    seed: 31,
    pair_rate_burst: 1,
    customers: {
      deliver_rate: 0,
      read_rate: 0,
      reply_rate: 0,
      stop_rate: 0,
      media_reply_rate: 0,
      undeliverable_rate: 0,
    },
  });
  await sim.listen(0);
  sim.addNumber(MAIN);
  for (const [i, id] of ROLLOVER.entries())
    sim.addNumber({
      phone_number_id: id,
      waba_id: WABA,
      display_phone_number: `+1 555 083 020${i + 1}`,
      access_token: `tok-sender-rollover-${i}`,
      throughput_mps: 80,
    });
  for (const [name, text] of [
    ['order_ready', 'Your order {{1}} is ready.'],
    ['notice_q', 'Notice {{1}}: your plan changes next month.'],
    ['notice_p', 'Notice {{1}}: your parcel is held at the depot.'],
  ] as const) {
    metaTpl[name] = sim.addTemplate({
      waba_id: WABA,
      name,
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text, example: { body_text: [['A-1']] } }],
    }).id;
  }
  t = await createTestApp({
    META_GRAPH_URL: sim.url,
    META_HTTP_TIMEOUT_MS: '2000',
    SEND_RECONCILE_WINDOW_SECONDS: '10',
    SEND_LEASE_SECONDS: '5',
    SEND_RETRY_DELAYS_SECONDS: RETRY_S.join(','),
  });
  owner = await t.owner();
  orgTz = (await owner.get('/api/v1/org')).json().settings.timezone;
  mainId = await connectNumber(MAIN.phone_number_id, MAIN.access_token);
  // Meta's webhooks reach the app over HTTP, signed with the number's app secret.
  const appUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  await control('PUT', `/_sim/numbers/${MAIN.phone_number_id}`, {
    webhook_url: `${appUrl}/webhooks/whatsapp`,
    app_secret: SECRET,
  });
  await t.app.services.templates.sync(t.orgId);
  for (const x of (await owner.get('/api/v1/templates')).json().data as { id: string; name: string }[])
    tpl[x.name] = x.id;
  // The main number sends at the floor rate (10 msg/s) today, so a test can act while it sends.
  await t.database.query(`update numbers set max_send_rate_per_sec = $2, rate_day = $3 where id = $1`, [
    mainId,
    RATE_RULES.floor,
    await orgDay(0),
  ]);
  // What a worker process does: the sender, and processing of the stored webhooks.
  t.app.services.sender.start();
  let running = true;
  const worker = (async () => {
    while (running) {
      await t.app.services.inbound.processPending().catch(() => {});
      await sleep(100);
    }
  })();
  stopWorker = async () => {
    running = false;
    await worker;
  };
});
afterAll(async () => {
  await t.app.services.sender.stop();
  await stopWorker();
  await t.close();
  await sim.close();
});

describe(`the campaign sender on ${settings.backend}`, () => {
  it('a template quarantined mid-run pauses the campaign with the reason; nothing more is sent', async () => {
    const tagId = await contactsWithTag('quarantine-mid-run', 0, 40);
    const c = await createCampaign('Quarantined mid-run', [tagId], 'notice_q');
    const before = acceptedFrom().length;
    await start(c.id);
    await until('some sent', async () => acceptedFrom().length - before >= 5);
    // Meta moves the template to another category: its webhook quarantines it.
    await control('PUT', `/_sim/templates/${metaTpl.notice_q}`, { category: 'MARKETING' });
    const paused = await until('paused', async () => {
      const x = await campaign(c.id);
      return x.state === 'paused' && x;
    });
    expect(paused.paused_reason).toMatch(/^A template was quarantined: .*UTILITY.*MARKETING/);
    const template = (await owner.get(`/api/v1/templates/${tpl.notice_q}`)).json();
    expect(template).toMatchObject({ quarantined: true, usable_in_campaigns: false });
    // Sends already claimed and in flight finish; then nothing more goes out.
    await sleep(1000);
    const atPause = acceptedFrom().length;
    await sleep(1500);
    expect(acceptedFrom().length).toBe(atPause);
    const sent = acceptedFrom().slice(before);
    expect(sent.length).toBeLessThan(40);
    expect(new Set(sent.map((m) => m.to)).size).toBe(sent.length);
    // Every send Meta accepted is recorded; the rest wait, none failed or was dropped.
    const x = await campaign(c.id);
    expect(x.state).toBe('paused');
    expect(x.counts.sent).toBe(sent.length);
    expect(x.counts.failed).toBe(0);
    expect(x.counts.skipped).toBe(0);
    expect(x.counts.pending + x.counts.queued).toBe(40 - sent.length);
    // Resuming is refused while the template is quarantined.
    const resumed = await owner.post(`/api/v1/campaigns/${c.id}/resume`, {});
    expect(resumed.statusCode, resumed.body).toBe(409);
    expect((await owner.post(`/api/v1/campaigns/${c.id}/stop`, {})).statusCode).toBe(200);
  });

  it('a refused token pauses the running campaigns and the number; after a new token and resume every recipient is sent once', async () => {
    const tagA = await contactsWithTag('token-a', 100, 30);
    const tagB = await contactsWithTag('token-b', 200, 10);
    const a = await createCampaign('Token A', [tagA]);
    const b = await createCampaign('Token B', [tagB]);
    const before = acceptedFrom().length;
    await start(a.id);
    await start(b.id);
    await until('some sent', async () => acceptedFrom().length - before >= 5);
    // Meta expires the token (error 190/463 on the next request).
    await control('PUT', `/_sim/numbers/${MAIN.phone_number_id}`, { token_status: 'expired' });
    for (const id of [a.id, b.id]) {
      const x = await until('paused', async () => {
        const y = await campaign(id);
        return y.state === 'paused' && y;
      });
      expect(x.paused_reason).toMatch(/^The number's access token was refused: .*Session has expired/);
    }
    const n = (await owner.get(`/api/v1/numbers/${mainId}`)).json();
    expect(n.status).toBe('inactive');
    expect(n.inactive_reason).toContain('190/463');
    await sleep(1000);
    const atPause = acceptedFrom().length;
    const sentBefore = acceptedFrom().slice(before);
    expect(sentBefore.length).toBeLessThan(40);
    // Nothing lost, nothing failed: the recipients not sent wait, and no attempt was charged to them.
    let recorded = 0;
    for (const [id, total] of [
      [a.id, 30],
      [b.id, 10],
    ] as const) {
      const x = await campaign(id);
      expect(x.counts.failed).toBe(0);
      expect(x.counts.skipped).toBe(0);
      expect(x.counts.pending + x.counts.queued + x.counts.sent).toBe(total);
      recorded += x.counts.sent;
    }
    expect(recorded).toBe(sentBefore.length);
    const [charged] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from send_queue where campaign_id = any($1::uuid[])
         and (attempts > 0 or lease_until is not null or unknown_since is not null)`,
      [[a.id, b.id]],
    );
    expect(charged!.n).toBe(0);
    // While the number is inactive the campaigns cannot resume.
    const early = await owner.post(`/api/v1/campaigns/${a.id}/resume`, {});
    expect(early.statusCode, early.body).toBe(409);
    expect(early.json().error.message).toContain('replace its token');
    // A new token, checked with Meta, reactivates the number; resuming sends the rest.
    await control('PUT', `/_sim/numbers/${MAIN.phone_number_id}`, {
      access_token: 'tok-sender-main-2',
      token_status: 'valid',
    });
    const fixed = await owner.patch(`/api/v1/numbers/${mainId}`, { access_token: 'tok-sender-main-2' });
    expect(fixed.statusCode, fixed.body).toBe(200);
    expect(fixed.json()).toMatchObject({ status: 'active', inactive_reason: null });
    await sleep(500);
    // Reactivating the number alone does not restart a paused campaign.
    expect(acceptedFrom().length).toBe(atPause);
    for (const id of [a.id, b.id]) {
      const r = await owner.post(`/api/v1/campaigns/${id}/resume`, {});
      expect(r.statusCode, r.body).toBe(200);
    }
    for (const id of [a.id, b.id])
      await until('completed', async () => (await campaign(id)).state === 'completed');
    const sent = acceptedFrom().slice(before);
    expect(sent).toHaveLength(40);
    expect(new Set(sent.map((m) => m.to)).size).toBe(40);
    expect((await campaign(a.id)).counts).toMatchObject({ sent: 30, failed: 0 });
    expect((await campaign(b.id)).counts).toMatchObject({ sent: 10, failed: 0 });
  });

  it('a transient 5xx is retried after the configured delays; the recipient is sent once', async () => {
    const tagId = await contactsWithTag('retry', 300, 1);
    const c = await createCampaign('Retry', [tagId]);
    const errorsBefore = errorsOf(2);
    const seen: { attempts: number; dueInMs: number; at: number }[] = [];
    // The pre-flight's question about the number takes the first 503 (it only warns); the send two.
    await control('PUT', '/_sim/faults', { http_5xx: { next: 1 + 2, status: 503 } });
    try {
      await start(c.id);
      // Each time the row goes back to the queue after a failure: its attempts and when it is due.
      await until(
        'completed',
        async () => {
          const [q] = await t.database.query<{ attempts: number; due_in_ms: number }>(
            `select attempts, (extract(epoch from (due_at - now())) * 1000)::float8 as due_in_ms
                 from send_queue where campaign_id = $1 and lease_until is null and attempts > 0`,
            [c.id],
          );
          if (q && !seen.some((s) => s.attempts === q.attempts))
            seen.push({ attempts: q.attempts, dueInMs: q.due_in_ms, at: Date.now() });
          return (await campaign(c.id)).state === 'completed';
        },
        60_000,
      );
    } finally {
      await control('PUT', '/_sim/faults', {});
    }
    expect(errorsOf(2) - errorsBefore).toBe(1 + 2);
    expect(seen.map((s) => s.attempts)).toEqual([1, 2]);
    // Seen (polled) a moment after it was recorded: due the delay after the failure, less that moment.
    const [first, second] = seen;
    expect(first!.dueInMs).toBeLessThanOrEqual(RETRY_MS[0]!);
    expect(first!.dueInMs).toBeGreaterThan(RETRY_MS[0]! - 1000);
    expect(second!.dueInMs).toBeLessThanOrEqual(RETRY_MS[1]!);
    expect(second!.dueInMs).toBeGreaterThan(RETRY_MS[1]! - 1000);
    // Not tried again before it was due (250 ms: the database's clock against ours).
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(first!.dueInMs - 250);
    expect(acceptedTo(waId(300))).toHaveLength(1);
    const [r] = await recipients(c.id);
    expect(r).toMatchObject({ state: 'sent', error: null });
    const [row] = await t.database.query<{ attempts: number }>(
      'select attempts from campaign_recipients where campaign_id = $1',
      [c.id],
    );
    expect(row!.attempts).toBe(3);
  }, 90_000);

  it('a pair-rate error (131056) delays only that recipient; the others go on; it is sent once', async () => {
    const first = await contactsWithTag('pair-first', 400, 1);
    const rest = await contactsWithTag('pair-rest', 401, 9);
    // One message to the customer uses up its pair allowance for 6 s.
    const warm = await createCampaign('Pair warm-up', [first]);
    await start(warm.id);
    await until('warm-up sent', async () => (await campaign(warm.id)).state === 'completed');
    const pairErrors = errorsOf(131056);
    const c = await createCampaign('Pair', [first, rest]);
    await start(c.id);
    // The other nine are sent while the first waits for its pair allowance.
    await until('others sent', async () => (await campaign(c.id)).counts.sent === 9);
    expect(errorsOf(131056) - pairErrors).toBe(1);
    const [waiting] = await t.database.query<{ to_wa_id: string; attempts: number; due_in_ms: number }>(
      `select to_wa_id, attempts, (extract(epoch from (due_at - now())) * 1000)::float8 as due_in_ms
         from send_queue where campaign_id = $1`,
      [c.id],
    );
    expect(waiting).toMatchObject({ to_wa_id: waId(400), attempts: 0 });
    expect(waiting!.due_in_ms).toBeGreaterThan(0);
    await until('completed', async () => (await campaign(c.id)).state === 'completed');
    expect(errorsOf(131056) - pairErrors).toBe(1);
    const toFirst = acceptedTo(waId(400));
    expect(toFirst).toHaveLength(2); // the warm-up, then this campaign's, once
    expect(toFirst[1]!.at - toFirst[0]!.at).toBeGreaterThanOrEqual(6000);
    for (let i = 401; i < 410; i++) {
      const m = acceptedTo(waId(i));
      expect(m).toHaveLength(1);
      expect(m[0]!.at).toBeLessThan(toFirst[1]!.at);
    }
    const rs = await recipients(c.id);
    expect(rs.map((r) => r.state)).toEqual(Array(10).fill('sent'));
    expect(rs.every((r) => r.error === null)).toBe(true);
  });

  it('sends queued by another process wake an idle sender at once (a notification, not its next poll)', async () => {
    const tagId = await contactsWithTag('wake', 360, 2);
    const c = await createCampaign('Wake', [tagId]);
    // The app's sender stands down; this one polls only every 10 minutes, after a first look now.
    await t.app.services.sender.stop();
    const { numbers, events } = t.app.services;
    const idle = createSender({
      db: t.database.db,
      numbers,
      events,
      log: silentLog,
      leaseSeconds: 5,
      reconcileWindowSeconds: 10,
      idleMs: 600_000,
      listen: (channel, onNotify) => t.database.listen(channel, onNotify),
    });
    idle.start();
    try {
      await sleep(500);
      await start(c.id);
      await until('sent', async () => (await campaign(c.id)).counts.sent === 2, 20_000);
    } finally {
      await idle.stop();
      t.app.services.sender.start();
    }
    for (const i of [360, 361]) expect(acceptedTo(waId(i))).toHaveLength(1);
  });

  it("a send refused for the number's throughput (130429) goes again shortly without spending an attempt", async () => {
    const tagId = await contactsWithTag('throttled', 350, 6);
    const c = await createCampaign('Throttled', [tagId]);
    const throttledBefore = errorsOf(130429);
    // Meta lets the number send 1 message a second: most of the sender's first sends are refused.
    await control('PUT', `/_sim/numbers/${MAIN.phone_number_id}`, { throughput_mps: 1 });
    try {
      await start(c.id);
      await until('completed', async () => (await campaign(c.id)).state === 'completed', 60_000);
    } finally {
      await control('PUT', `/_sim/numbers/${MAIN.phone_number_id}`, { throughput_mps: MAIN.throughput_mps });
    }
    // More refusals than the three retries a recipient has: had they counted, some would have failed.
    expect(errorsOf(130429) - throttledBefore).toBeGreaterThan(RETRY_S.length);
    for (let i = 350; i < 356; i++) expect(acceptedTo(waId(i))).toHaveLength(1);
    const rows = await t.database.query<{ state: string; attempts: number }>(
      'select state, attempts from campaign_recipients where campaign_id = $1',
      [c.id],
    );
    expect(rows).toEqual(Array(6).fill({ state: 'sent', attempts: 1 }));
  }, 90_000);

  it("a permanent refusal fails the recipient with Meta's code and reason, tried once", async () => {
    const tagId = await contactsWithTag('permanent', 0, 0, [phone(500), phone(501), SELF]);
    // Meta accepts the send to a customer who is not on WhatsApp, then reports it failed (131026).
    await control('PUT', `/_sim/customers/${waId(501)}`, { undeliverable: true });
    const c = await createCampaign('Permanent', [tagId]);
    const selfErrors = errorsOf(131021);
    await start(c.id);
    await until('completed', async () => (await campaign(c.id)).state === 'completed');
    // Sending a number to itself is refused at once (131021): failed, never retried.
    const byPhone = async () => new Map((await recipients(c.id)).map((r) => [r.phone, r]));
    const self = (await byPhone()).get(SELF)!;
    expect(self.state).toBe('failed');
    // Meta's "(#131021)" prefix is dropped from the title: the code is said once.
    expect(self.reason).toBe(
      '131021: Recipient cannot be sender — Sender and recipient phone number is the same.',
    );
    expect(self.error).toMatchObject({ code: 131021, kind: 'recipient', status: 400 });
    // Its conversation shows the message failed with Meta's error (written once, never accepted).
    expect(await messageTo(c.id, SELF)).toMatchObject({
      status: 'failed',
      wamid: null,
      error: { code: 131021 },
    });
    expect(errorsOf(131021) - selfErrors).toBe(1);
    expect(acceptedTo(SELF.slice(1))).toHaveLength(0);
    // The undeliverable one was accepted once; its failed status arrives by webhook.
    const undeliverable = await until('failed status', async () => {
      const r = (await byPhone()).get(phone(501))!;
      return r.status === 'failed' && r;
    });
    expect(undeliverable.state).toBe('sent');
    expect(undeliverable.error).toMatchObject({ code: 131026, title: 'Message undeliverable' });
    expect(acceptedTo(waId(501))).toHaveLength(1);
    expect(acceptedTo(waId(500))).toHaveLength(1);
    expect((await byPhone()).get(phone(500))).toMatchObject({ state: 'sent', error: null });
    expect(await messageTo(c.id, phone(501))).toMatchObject({ status: 'failed', error: { code: 131026 } });
    await sleep(1500);
    expect(acceptedTo(waId(501))).toHaveLength(1);
    expect(errorsOf(131021) - selfErrors).toBe(1);
    const [q] = await t.database.query<{ n: number }>(
      'select count(*)::int as n from send_queue where campaign_id = $1',
      [c.id],
    );
    expect(q!.n).toBe(0);
    // The report: 2 of the 3 attempted failed (one refused at once, one by its status webhook).
    const report = (await owner.get(`/api/v1/campaigns/${c.id}/report`)).json();
    expect(report.funnel).toMatchObject({ sent: 2, failed: 2 });
    expect(report.rates.failed).toBeCloseTo(2 / 3, 3);
    expect(report.failures.map((f: { code: string }) => f.code).sort()).toEqual(['131021', '131026']);
  });

  it('a send failing every time is given up after the last retry, with the reason', async () => {
    const tagId = await contactsWithTag('give-up', 320, 1);
    const c = await createCampaign('Give up', [tagId]);
    const errorsBefore = errorsOf(2);
    // One 503 for the pre-flight's question about the number, then one for every attempt.
    await control('PUT', '/_sim/faults', { http_5xx: { next: 1 + RETRY_S.length + 1, status: 503 } });
    try {
      await start(c.id);
      await until('completed', async () => (await campaign(c.id)).state === 'completed', 60_000);
    } finally {
      await control('PUT', '/_sim/faults', {});
    }
    // The first try and one per configured delay, then no more.
    expect(errorsOf(2) - errorsBefore).toBe(1 + RETRY_S.length + 1);
    expect(acceptedTo(waId(320))).toHaveLength(0);
    const [r] = await recipients(c.id);
    expect(r!.state).toBe('failed');
    expect(r!.reason).toMatch(new RegExp(`^gave up after ${RETRY_S.length + 1} attempts: 2: `));
    expect((await campaign(c.id)).counts).toMatchObject({ sent: 0, failed: 1, queued: 0 });
    expect(await messageTo(c.id, phone(320))).toMatchObject({ status: 'failed', wamid: null });
  });

  it('Meta pausing a template mid-run pauses the campaign; sends it refused wait, none failed', async () => {
    const tagId = await contactsWithTag('meta-paused', 700, 30);
    const c = await createCampaign('Meta paused', [tagId], 'notice_p');
    const before = acceptedFrom().length;
    await start(c.id);
    await until('some sent', async () => acceptedFrom().length - before >= 5);
    // Meta pauses the template (low quality): its status webhook arrives, and sends get 132015.
    await control('PUT', `/_sim/templates/${metaTpl.notice_p}`, { status: 'PAUSED' });
    const paused = await until('paused', async () => {
      const x = await campaign(c.id);
      return x.state === 'paused' && x;
    });
    expect(paused.paused_reason).toMatch(
      /Meta set template “notice_p” \(en_US\) to PAUSED|Meta refused its template/,
    );
    await sleep(1500);
    const x = await campaign(c.id);
    const sent = acceptedFrom().slice(before);
    expect(new Set(sent.map((m) => m.to)).size).toBe(sent.length);
    expect(x.counts.sent).toBe(sent.length);
    expect(x.counts.failed).toBe(0);
    expect(x.counts.pending + x.counts.queued).toBe(30 - sent.length);
    // Resuming is refused while Meta keeps it paused.
    expect((await owner.post(`/api/v1/campaigns/${c.id}/resume`, {})).statusCode).toBe(409);
    expect((await owner.post(`/api/v1/campaigns/${c.id}/stop`, {})).statusCode).toBe(200);
  });

  it("a number's first send of a new day (org timezone) starts at 90% of the previous day's rate", async () => {
    // A timezone whose date differs from UTC's now: the day must be the organisation's.
    orgTz = new Date().getUTCHours() >= 10 ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
    const org = await owner.patch('/api/v1/org', { settings: { timezone: orgTz } });
    expect(org.statusCode, org.body).toBe(200);
    const [utc] = await t.database.query<{ d: string }>(
      `select to_char(now() at time zone 'UTC', 'YYYY-MM-DD') as d`,
    );
    const today = await orgDay(0);
    const yesterday = await orgDay(-1);
    expect(today).not.toBe(utc!.d);
    const [rolled, carried] = [
      await connectNumber(ROLLOVER[0]!, 'tok-sender-rollover-0'),
      await connectNumber(ROLLOVER[1]!, 'tok-sender-rollover-1'),
    ];
    // Yesterday it ended at 50 msg/s; the other number already sent at 50 msg/s today.
    await t.database.query(
      `update numbers set max_send_rate_per_sec = 50, last_stable_rate_per_sec = 50, rate_day = $2 where id = $1`,
      [rolled, yesterday],
    );
    await t.database.query(
      `update numbers set max_send_rate_per_sec = 50, last_stable_rate_per_sec = 50, rate_day = $2 where id = $1`,
      [carried, today],
    );
    for (const [i, numberId] of [rolled, carried].entries()) {
      const tagId = await contactsWithTag(`rollover-${i}`, 600 + i * 10, 2);
      const c = await createCampaign(`Rollover ${i}`, [tagId], 'order_ready', numberId);
      await start(c.id);
      await until('completed', async () => (await campaign(c.id)).state === 'completed');
      expect(acceptedFrom(ROLLOVER[i])).toHaveLength(2);
    }
    expect(t.app.services.sender.rateOf(rolled)).toBe(45);
    expect(t.app.services.sender.rateOf(carried)).toBe(50);
    const rows = await t.database.query<{ id: string; max_send_rate_per_sec: number; rate_day: string }>(
      'select id, max_send_rate_per_sec, rate_day from numbers where id = any($1::uuid[])',
      [[rolled, carried]],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(rolled)).toMatchObject({ max_send_rate_per_sec: 45, rate_day: today });
    expect(byId.get(carried)).toMatchObject({ max_send_rate_per_sec: 50, rate_day: today });

    // The same worker process, still holding the number's live rate, when the day turns.
    await t.database.query(`update numbers set rate_day = $2 where id = $1`, [rolled, yesterday]);
    const tagId = await contactsWithTag('rollover-again', 650, 2);
    const again = await createCampaign('Rollover again', [tagId], 'order_ready', rolled);
    await start(again.id);
    await until('completed', async () => (await campaign(again.id)).state === 'completed');
    expect(t.app.services.sender.rateOf(rolled)).toBe(Math.round(45 * 0.9));
    const [r] = await t.database.query<{ rate_day: string }>('select rate_day from numbers where id = $1', [
      rolled,
    ]);
    expect(r!.rate_day).toBe(today);
  });
  it('a status parked while its send was being recorded (the two overlapped) is applied by the sweep', async () => {
    const tagId = await contactsWithTag('parked-late', 900, 1);
    const c = await createCampaign('Parked late', [tagId]);
    await start(c.id);
    const [m] = await until('sent', async () => {
      const rows = await t.database.query<{ id: string; wamid: string; number_id: string; status: string }>(
        `select id, wamid, number_id, status from messages where campaign_id = $1 and wamid is not null`,
        [c.id],
      );
      return rows.length > 0 && rows;
    });
    expect(['sent', 'delivered']).toContain(m!.status);
    // The state the race leaves: Meta's "read" stored as parked (its webhook did not see the wamid yet)
    // while the message got its wamid in the sender's statement.
    await t.database.query(
      `insert into message_status_events (number_id, wamid, status, occurred_at, payload, applied, created_at)
       values ($1, $2, 'read', now(), $3, false, now() - interval '5 seconds')`,
      [m!.number_id, m!.wamid, JSON.stringify({ id: m!.wamid, status: 'read' })],
    );
    await t.app.services.sender.sweep();
    const [after] = await t.database.query<{ status: string }>(`select status from messages where id = $1`, [
      m!.id,
    ]);
    expect(after!.status).toBe('read');
    const [left] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from message_status_events where wamid = $1 and not applied`,
      [m!.wamid],
    );
    expect(left!.n).toBe(0);
  });
});
