import { createSimulator, type Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';

// Messaging limits per business portfolio and marketing opt-outs / the Marketing Messages API,
// end to end: the HTTP API, the sender and webhook processing against the simulator (Meta).

const WABA = '8400001';
const SECRET = 'portfolio-secret';
const A = {
  phone_number_id: '8400101',
  waba_id: WABA,
  display_phone_number: '+1 202 555 0901',
  access_token: 'tok-portfolio-a',
  throughput_mps: 80,
  messaging_limit_tier: 'TIER_50' as const,
};
const B = {
  ...A,
  phone_number_id: '8400102',
  display_phone_number: '+1 202 555 0902',
  access_token: 'tok-portfolio-b',
};

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let aId: string;
let bId: string;
const tpl: Record<string, string> = {};
let stopWorker: () => Promise<void>;

const phone = (n: number) => `+1202556${String(1000 + n).padStart(4, '0')}`;
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

async function connect(n: typeof A) {
  const res = await owner.post('/api/v1/numbers', {
    display_name: `Portfolio ${n.phone_number_id}`,
    phone_number_id: n.phone_number_id,
    waba_id: n.waba_id,
    access_token: n.access_token,
    app_secret: SECRET,
    verify_token: `verify-${n.phone_number_id}`,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Opted-in contacts with a tag; their ids. */
async function contactsWithTag(tag: string, from: number, n: number) {
  const tagRes = await owner.post('/api/v1/tags', { name: tag });
  expect(tagRes.statusCode, tagRes.body).toBe(201);
  const tagId = tagRes.json().id as string;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = await owner.post('/api/v1/contacts', {
      phone: phone(from + i),
      tag_ids: [tagId],
      opt_in: { source: 'web_form', proof: 'signed up at the counter' },
    });
    expect(c.statusCode, c.body).toBe(201);
    ids.push(c.json().id);
  }
  return { tagId, ids };
}

async function createCampaign(
  name: string,
  tagId: string,
  template: string,
  numberId: string,
  extra: Record<string, unknown> = {},
) {
  const res = await owner.post('/api/v1/campaigns', {
    name,
    number_id: numberId,
    audience: { kind: 'contacts', filter: { tag_ids: [tagId], tag_match: 'any' } },
    templates: [{ template_id: tpl[template], mapping: {} }],
    ...extra,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}
const startCampaign = async (id: string) => {
  const res = await owner.post(`/api/v1/campaigns/${id}/start`, {});
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};
const campaign = async (id: string) => (await owner.get(`/api/v1/campaigns/${id}`)).json();

/** The conversation of a customer who wrote to a number (the webhook processed). */
async function conversationAfterInbound(phoneNumberId: string, p: string) {
  sim.customerSend(phoneNumberId, p.slice(1), 'text', { text: 'Hi there' });
  return until('the conversation', async () => {
    const rows = await t.database.query<{ id: string }>(
      `select v.id from conversations v join contacts c on c.id = v.contact_id join numbers n on n.id = v.number_id
       where c.wa_id = $1 and n.phone_number_id = $2`,
      [p.slice(1), phoneNumberId],
    );
    return rows[0]?.id;
  });
}

const template = (name: string) => ({
  type: 'template',
  template: { name, language: { code: 'en_US' }, components: [] },
});

beforeAll(async () => {
  sim = await createSimulator({
    seed: 41,
    webhook_batch_ms: 0,
    customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
  });
  await sim.listen(0);
  sim.addNumber(A);
  sim.addNumber(B);
  for (const [name, category] of [
    ['spring_sale', 'MARKETING'],
    ['order_note', 'UTILITY'],
  ] as const) {
    sim.addTemplate({
      waba_id: WABA,
      name,
      language: 'en_US',
      category,
      components: [{ type: 'BODY', text: `Hello from ${name}.` }],
    });
  }
  t = await createTestApp({
    META_GRAPH_URL: sim.url,
    META_HTTP_TIMEOUT_MS: '2000',
    SEND_RECONCILE_WINDOW_SECONDS: '10',
    SEND_LEASE_SECONDS: '5',
  });
  owner = await t.owner();
  aId = (await connect(A)).id;
  bId = (await connect(B)).id;
  const appUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  sim.updateNumber(A.phone_number_id, { webhook_url: `${appUrl}/webhooks/whatsapp`, app_secret: SECRET });
  await t.app.services.templates.sync(t.orgId);
  for (const x of (await owner.get('/api/v1/templates')).json().data as { id: string; name: string }[])
    tpl[x.name] = x.id;
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

describe(`business portfolios and marketing messages on ${settings.backend}`, () => {
  it('reads the portfolio from the WABA and its limit from whatsapp_business_manager_messaging_limit', async () => {
    const a = (await owner.get(`/api/v1/numbers/${aId}`)).json();
    const b = (await owner.get(`/api/v1/numbers/${bId}`)).json();
    expect(a.business).toMatchObject({ source: 'meta' });
    expect(a.business.id).toMatch(/^\d+$/);
    expect(b.business.id).toBe(a.business.id);
    expect(a.health.messaging_limit_tier).toBe('TIER_50');
    // Meta raises the portfolio's limit: the new field wins over the deprecated per-number one.
    sim.updateNumber(B.phone_number_id, { messaging_limit_tier: 'TIER_250' });
    const tested = await owner.post(`/api/v1/numbers/${aId}/test`, {});
    expect(tested.json().health.messaging_limit_tier).toBe('TIER_250');
    sim.updateNumber(B.phone_number_id, { messaging_limit_tier: 'TIER_50' });
    await owner.post(`/api/v1/numbers/${aId}/test`, {});
    const portfolio = (await owner.get(`/api/v1/numbers/${aId}/portfolio`)).json();
    expect(portfolio).toMatchObject({ messaging_limit_tier: 'TIER_50', limit: 50, used: 0 });
    expect(portfolio.numbers.map((n: { id: string }) => n.id).sort()).toEqual([aId, bId].sort());
  });

  it('a portfolio set by hand stays, and null reads it from Meta again; bad input is a 400', async () => {
    const manual = await owner.patch(`/api/v1/numbers/${bId}`, { business_id: '5550001112' });
    expect(manual.statusCode, manual.body).toBe(200);
    expect(manual.json().business).toEqual({ id: '5550001112', name: null, source: 'manual' });
    await owner.post(`/api/v1/numbers/${bId}/test`, {});
    expect((await owner.get(`/api/v1/numbers/${bId}`)).json().business.source).toBe('manual');
    const a = (await owner.get(`/api/v1/numbers/${aId}/portfolio`)).json();
    expect(a.numbers).toHaveLength(1);
    const back = await owner.patch(`/api/v1/numbers/${bId}`, { business_id: null });
    expect(back.json().business.source).toBe('meta');
    const bad = await owner.patch(`/api/v1/numbers/${bId}`, { business_id: 'acme' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/business_id/);
  });

  it('pre-flight and sender count the shared budget of the portfolio, not the number', async () => {
    const first = await contactsWithTag('portfolio-first', 0, 40);
    const second = await contactsWithTag('portfolio-second', 100, 20);
    const c1 = await createCampaign('First on A', first.tagId, 'order_note', aId);
    const started = await startCampaign(c1.id);
    expect(started.state, JSON.stringify(started.preflight)).toBe('running');
    expect(started.preflight.messaging_limit).toMatchObject({ tier: 'TIER_50', limit: 50, numbers: 2 });
    // The second campaign is on the other number of the portfolio: 40 of its 50 are taken.
    const c2 = await createCampaign('Second on B', second.tagId, 'order_note', bId);
    const refused = await startCampaign(c2.id);
    expect(refused.state).toBe('failed');
    expect(refused.preflight.budget).toBe(10);
    expect(refused.preflight.problems.join(' ')).toMatch(
      /business portfolio .*2 numbers share its limit.* 10 more/,
    );
    await until('the first campaign sent', async () => (await campaign(c1.id)).counts.sent === 40);
    // Direct sends from B: 10 more users fit in the portfolio's day, the rest wait (never 131048).
    const sent: string[] = [];
    for (const id of second.ids.slice(0, 15)) {
      const conv = await conversationAfterInbound(B.phone_number_id, phone(100 + second.ids.indexOf(id)));
      const r = await owner.post(`/api/v1/conversations/${conv}/reply`, { content: template('order_note') });
      expect(r.statusCode, r.body).toBe(202);
      sent.push(r.json().message_id);
    }
    await until('10 sent from B', async () => {
      const rows = await t.database.query<{ n: number }>(
        `select count(*)::int as n from messages where id = any($1::uuid[]) and wamid is not null`,
        [sent],
      );
      return rows[0]!.n >= 10;
    });
    await sleep(1000);
    const rows = await t.database.query<{ status: string; n: number }>(
      `select status, count(*)::int as n from messages where id = any($1::uuid[]) group by status order by status`,
      [sent],
    );
    expect(rows.find((r) => r.status === 'pending')?.n).toBe(5);
    expect(sim.stats().errors['131048'] ?? 0).toBe(0);
    const portfolio = (await owner.get(`/api/v1/numbers/${bId}/portfolio`)).json();
    expect(portfolio.used).toBe(55);
    // Leave the rest of the suite an unlimited portfolio (and the waiting sends none of its business).
    await t.database.query(`delete from send_queue where message_id = any($1::uuid[])`, [sent]);
  });

  it('a phone_number_quality_update with the portfolio limit updates every number of the portfolio', async () => {
    sim.emitEvent(
      'phone_number_quality_update',
      { phone_number_id: A.phone_number_id },
      {
        event: 'UPGRADE',
        old_limit: 'TIER_50',
        current_limit: 'TIER_1K',
        max_daily_conversations_per_business: 'TIER_UNLIMITED',
      },
    );
    await until('both numbers unlimited', async () => {
      const a = (await owner.get(`/api/v1/numbers/${aId}`)).json();
      const b = (await owner.get(`/api/v1/numbers/${bId}`)).json();
      return (
        a.health.messaging_limit_tier === 'TIER_UNLIMITED' &&
        b.health.messaging_limit_tier === 'TIER_UNLIMITED'
      );
    });
  });

  it('a business_capability_update sets the portfolio limit on its numbers (-1: unlimited)', async () => {
    sim.emitEvent(
      'business_capability_update',
      { waba_id: WABA },
      { max_daily_conversations_per_business: 2000 },
    );
    await until('both numbers TIER_2K', async () => {
      const all = (await owner.get('/api/v1/numbers')).json().data as {
        health: { messaging_limit_tier: string };
      }[];
      return all.every((n) => n.health.messaging_limit_tier === 'TIER_2K');
    });
    sim.emitEvent(
      'business_capability_update',
      { waba_id: WABA },
      { max_daily_conversations_per_business: -1 },
    );
    await until('both numbers unlimited', async () => {
      const all = (await owner.get('/api/v1/numbers')).json().data as {
        health: { messaging_limit_tier: string };
      }[];
      return all.every((n) => n.health.messaging_limit_tier === 'TIER_UNLIMITED');
    });
  });

  it('user_preferences stop/resume: recorded per number, MARKETING refused (409, campaign skip), utility still sent', async () => {
    const p = phone(300);
    const created = await owner.post('/api/v1/contacts', {
      phone: p,
      opt_in: { source: 'web_form', proof: 'form 12' },
    });
    const contactId = created.json().id as string;
    const conv = await conversationAfterInbound(A.phone_number_id, p);
    sim.emitEvent(
      'user_preferences',
      { phone_number_id: A.phone_number_id, wa_id: p.slice(1) },
      { value: 'stop' },
    );
    const ledger = await until('the stop recorded', async () => {
      const l = (await owner.get(`/api/v1/contacts/${contactId}/consent`)).json();
      return l.marketing?.stopped_number_ids.length === 1 && l;
    });
    expect(ledger.marketing.stopped_number_ids).toEqual([aId]);
    expect(ledger.marketing.events[0]).toMatchObject({
      number_id: aId,
      value: 'stop',
      detail: 'User requested to stop marketing messages',
    });
    expect(ledger.state).toBe('opted_in');
    const refused = await owner.post(`/api/v1/conversations/${conv}/reply`, {
      content: template('spring_sale'),
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('MARKETING_STOPPED');
    expect(refused.json().error.message).toMatch(/stopped marketing messages from this number/);
    const utility = await owner.post(`/api/v1/conversations/${conv}/reply`, {
      content: template('order_note'),
    });
    expect(utility.statusCode, utility.body).toBe(202);
    // Per number: B may still send it marketing.
    const convB = await conversationAfterInbound(B.phone_number_id, p);
    const fromB = await owner.post(`/api/v1/conversations/${convB}/reply`, {
      content: template('spring_sale'),
    });
    expect(fromB.statusCode, fromB.body).toBe(202);
    // A marketing campaign from A skips the customer, with the reason.
    const tag = await owner.post('/api/v1/tags', { name: 'stopped-marketing' });
    await owner.patch(`/api/v1/contacts/${contactId}`, { tag_ids: [tag.json().id] });
    const c = await createCampaign('Spring sale', tag.json().id, 'spring_sale', aId);
    const run = await startCampaign(c.id);
    expect(run.preflight.skipped).toEqual({ 'stopped marketing messages from this number': 1 });
    // Resume: allowed again.
    sim.emitEvent(
      'user_preferences',
      { phone_number_id: A.phone_number_id, wa_id: p.slice(1) },
      { value: 'resume' },
    );
    await until('the resume recorded', async () => {
      const l = (await owner.get(`/api/v1/contacts/${contactId}/consent`)).json();
      return l.marketing?.stopped_number_ids.length === 0;
    });
    const again = await owner.post(`/api/v1/conversations/${conv}/reply`, {
      content: template('spring_sale'),
    });
    expect(again.statusCode, again.body).toBe(202);
  });

  it('Marketing Messages API: checked with Meta, MARKETING goes to /marketing_messages with the TTL, utility to /messages', async () => {
    const notYet = await owner.patch(`/api/v1/numbers/${aId}`, { marketing_messages_api: true });
    expect(notYet.statusCode).toBe(409);
    expect(notYet.json().error.message).toMatch(/not onboarded to the Marketing Messages API/);
    sim.updateNumber(A.phone_number_id, { marketing_messages_onboarded: true });
    const on = await owner.patch(`/api/v1/numbers/${aId}`, { marketing_messages_api: true });
    expect(on.statusCode, on.body).toBe(200);
    expect(on.json().marketing_messages).toEqual({ enabled: true, onboarding_status: 'ONBOARDED' });
    const badTtl = await owner.post('/api/v1/campaigns', {
      name: 'x',
      number_id: aId,
      audience: { kind: 'contacts', filter: {} },
      templates: [{ template_id: tpl.spring_sale, mapping: {} }],
      marketing_ttl_seconds: 60,
    });
    expect(badTtl.statusCode).toBe(400);
    expect(badTtl.json().error.message).toMatch(/marketing_ttl_seconds/);
    const { tagId } = await contactsWithTag('mm-api', 400, 3);
    const c = await createCampaign('MM API', tagId, 'spring_sale', aId, { marketing_ttl_seconds: 86_400 });
    expect((await startCampaign(c.id)).state).toBe('running');
    await until('sent', async () => (await campaign(c.id)).counts.sent === 3);
    const viaMm = sim.sentMessages().filter((m) => m.to.startsWith('120255614'));
    expect(viaMm).toHaveLength(3);
    for (const m of viaMm) expect(m).toMatchObject({ via: 'marketing_messages', ttl_seconds: 86_400 });
    // Statuses come back as for any send.
    await until('delivered', async () => (await campaign(c.id)).counts.delivered === 3);
    const u = await contactsWithTag('mm-utility', 410, 1);
    const cu = await createCampaign('Utility on MM number', u.tagId, 'order_note', aId);
    await startCampaign(cu.id);
    await until('sent', async () => (await campaign(cu.id)).counts.sent === 1);
    const utility = sim.sentMessages().find((m) => m.to === phone(410).slice(1));
    expect(utility?.via).toBeUndefined();
  });

  it('a WABA no longer onboarded: the organisation policy falls back to /messages, or fails the send', async () => {
    sim.updateNumber(A.phone_number_id, { marketing_messages_onboarded: false });
    const fb = await contactsWithTag('mm-fallback', 500, 1);
    const c1 = await createCampaign('Fallback', fb.tagId, 'spring_sale', aId);
    await startCampaign(c1.id);
    await until('sent', async () => (await campaign(c1.id)).counts.sent === 1);
    const fell = sim.sentMessages().find((m) => m.to === phone(500).slice(1));
    expect(fell).toBeDefined();
    expect(fell?.via).toBeUndefined();
    const policy = await owner.patch('/api/v1/org', { settings: { marketing_messages_fallback: 'fail' } });
    expect(policy.statusCode, policy.body).toBe(200);
    expect(policy.json().settings.marketing_messages_fallback).toBe('fail');
    const badPolicy = await owner.patch('/api/v1/org', {
      settings: { marketing_messages_fallback: 'maybe' },
    });
    expect(badPolicy.statusCode).toBe(400);
    const ff = await contactsWithTag('mm-fail', 510, 1);
    const c2 = await createCampaign('Fail', ff.tagId, 'spring_sale', aId);
    await startCampaign(c2.id);
    await until('failed', async () => (await campaign(c2.id)).counts.failed === 1);
    expect(sim.sentMessages().find((m) => m.to === phone(510).slice(1))).toBeUndefined();
    const r = (await owner.get(`/api/v1/campaigns/${c2.id}/recipients`)).json().data[0];
    expect(JSON.stringify(r)).toMatch(/not onboarded/);
  }, 60_000);
});
