import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { metaFixture } from '../../test/helpers/meta-fixtures.ts';
import { until } from '../../test/helpers/until.ts';
import { deliverWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import { billedCategory, priceOf, SERVICE_CHARGED_FROM } from './cost.ts';

// Issue 21 §2: the rate card, the expected cost of every outbound message, Meta's billing facts
// from statuses, the caps and spend — through the API, the one send path and the webhook.
const WABA = '8210001';
const NUM = {
  phone_number_id: '8210101',
  waba_id: WABA,
  display_phone_number: '+1 555 082 1101',
  access_token: 'tok-billing',
  throughput_mps: 80,
};
const SECRET = 'billing-secret';
const us = (n: number) => `1202555${String(2100 + n).padStart(4, '0')}`;
const gb = (n: number) => `447400${String(123400 + n)}`;

const CARD = [
  '# source: https://example.test/meta-rates',
  'effective_from,market,category,rate,currency',
  '2025-07-01,US,marketing,0.02,USD',
  '2025-07-01,US,utility,0.003,USD',
  '2025-07-01,*,marketing,0.05,USD',
  '2025-07-01,*,utility,0.007,USD',
  '2025-07-01,*,authentication,0.007,USD',
  // Newer rates for the US: in force today.
  '2026-11-01,US,marketing,0.025,USD',
  '2026-11-01,US,utility,0.004,USD',
  '2026-11-01,US,authentication,0.0135,USD',
  '2026-11-01,GB,marketing,0.0529,USD',
  '2026-11-01,GB,utility,0.022,USD',
].join('\n');

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let numberId: string;
const tpl: Record<string, string> = {};

const cost = async (messageId: string) =>
  (
    await t.database.query<{
      cost_expected: string | null;
      cost_currency: string | null;
      cost_category: string | null;
      pricing_billable: boolean | null;
      pricing_type: string | null;
      pricing_category: string | null;
      pricing_model: string | null;
      wamid: string | null;
      source: string;
    }>(
      `select cost_expected::text as cost_expected, cost_currency, cost_category, pricing_billable, pricing_type,
              pricing_category, pricing_model, wamid, source from messages where id = $1`,
      [messageId],
    )
  )[0]!;

/** A customer writes (the 24 h window opens); their conversation. */
async function customerWrites(phone: string) {
  const body = metaFixture('message-text', {
    wabaId: WABA,
    phoneNumberId: NUM.phone_number_id,
    waId: phone,
    wamid: `wamid.in.${phone}.${Date.now()}`,
    name: `Customer ${phone.slice(-3)}`,
  });
  await deliverWebhook(t, body, SECRET);
  const page = (await owner.get(`/api/v1/conversations?search=${phone}`)).json();
  expect(page.data).toHaveLength(1);
  return page.data[0] as { id: string; contact: { id: string } };
}

async function reply(conversationId: string, content: Record<string, unknown>) {
  return owner.post(`/api/v1/conversations/${conversationId}/reply`, { content });
}

async function optedIn(phone: string, tagId: string) {
  const c = await owner.post('/api/v1/contacts', { phone, name: `C ${phone.slice(-3)}`, tag_ids: [tagId] });
  expect(c.statusCode, c.body).toBe(201);
  const r = await owner.post(`/api/v1/contacts/${c.json().id}/consent`, {
    kind: 'opt_in',
    source: 'web_form',
    proof: 'signed up',
  });
  expect(r.statusCode, r.body).toBe(201);
  return c.json().id as string;
}

async function newTag(name: string) {
  const res = await owner.post('/api/v1/tags', { name });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const template = (name: string) => ({ type: 'template', template: { name, language: { code: 'en_US' } } });

async function setCaps(body: Record<string, unknown>) {
  const res = await owner.patch('/api/v1/billing/caps', body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const today = () => new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  sim = await startSimulator(
    {
      seed: 21,
      customers: { deliver_rate: 0, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
    },
    [NUM],
  );
  for (const [name, category] of [
    ['promo', 'MARKETING'],
    ['order_update', 'UTILITY'],
    ['login_code', 'AUTHENTICATION'],
  ] as const) {
    sim.addTemplate({
      waba_id: WABA,
      name,
      language: 'en_US',
      category,
      components: [{ type: 'BODY', text: `${name} for you.` }],
    });
  }
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  owner = await t.owner();
  numberId = await connectNumber(owner, NUM, { appSecret: SECRET });
  await t.app.services.templates.sync(t.orgId);
  for (const x of (await owner.get('/api/v1/templates')).json().data as { id: string; name: string }[]) {
    tpl[x.name] = x.id;
  }
  const res = await owner.post('/api/v1/rates/import', { csv: CARD });
  expect(res.statusCode, res.body).toBe(200);
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

describe(`the cost model (pure), on ${settings.backend}`, () => {
  const card = {
    currency: 'USD',
    rates: new Map([
      ['US|utility', 0.004],
      ['US|marketing', 0.025],
      ['*|utility', 0.007],
    ]),
  };
  const before = new Date('2026-09-30T23:59:59Z');
  const after = new Date(`${SERVICE_CHARGED_FROM}T00:00:00Z`);

  it('service messages and utility templates in the window are free before 2026-10-01, charged at the utility rate from then', () => {
    expect(priceOf(card, 'US', { kind: 'service', inWindow: true, at: before })).toMatchObject({
      amount: 0,
      category: 'free',
    });
    expect(priceOf(card, 'US', { kind: 'service', inWindow: true, at: after })).toMatchObject({
      amount: 0.004,
      category: 'service',
    });
    const utilityInWindow = { kind: 'template' as const, templateCategory: 'UTILITY', inWindow: true };
    expect(priceOf(card, 'US', { ...utilityInWindow, at: before }).amount).toBe(0);
    expect(priceOf(card, 'US', { ...utilityInWindow, at: after })).toMatchObject({
      amount: 0.004,
      category: 'utility',
    });
    // Outside the window a utility template was always charged; an unlisted market pays `*`.
    expect(priceOf(card, 'FR', { ...utilityInWindow, inWindow: false, at: before }).amount).toBe(0.007);
  });

  it('a free entry-point conversation is free, whatever the category or date', () => {
    for (const at of [before, after]) {
      expect(
        billedCategory({
          kind: 'template',
          templateCategory: 'MARKETING',
          inWindow: true,
          freeEntryPoint: true,
          at,
        }),
      ).toBe('free');
      expect(billedCategory({ kind: 'service', inWindow: true, freeEntryPoint: true, at })).toBe('free');
    }
  });
});

describe(`the rate card, on ${settings.backend}`, () => {
  it('the card in force follows the effective dates; an older day shows the older rates', async () => {
    const now = (await owner.get('/api/v1/rates')).json();
    expect(now.currency).toBe('USD');
    expect(now.effective_dates).toEqual(['2026-11-01', '2025-07-01']);
    const rate = (
      card: { rates: { market: string; category: string; rate: number }[] },
      m: string,
      c: string,
    ) => card.rates.find((r) => r.market === m && r.category === c)?.rate;
    expect(rate(now, 'US', 'marketing')).toBe(0.025);
    expect(rate(now, '*', 'marketing')).toBe(0.05);
    expect(now.rates.find((r: { market: string }) => r.market === 'US').source).toBe(
      'https://example.test/meta-rates',
    );
    const old = (await owner.get('/api/v1/rates?at=2026-01-15')).json();
    expect(rate(old, 'US', 'marketing')).toBe(0.02);
    expect(rate(old, 'GB', 'marketing')).toBeUndefined();
  });

  it('a bad file is refused whole with every bad line named, and changes nothing', async () => {
    const res = await owner.post('/api/v1/rates/import', {
      csv: [
        'effective_from,market,category,rate,currency',
        '2026-12-01,US,marketing,0.03,USD',
        '2026-13-01,US,utility,0.004,USD',
        '2026-12-01,USA,utility,0.004,USD',
        '2026-12-01,US,promo,0.004,USD',
        '2026-12-01,GB,marketing,-1,USD',
        '2026-12-01,US,marketing,0.03,USD',
        '2026-12-01,FR,marketing,abc,USD',
      ].join('\n'),
    });
    expect(res.statusCode, res.body).toBe(400);
    const body = res.json().error;
    expect(body.code).toBe('VALIDATION_FAILED');
    const lines = (body.details as { line: number; message: string }[]).map((d) => d.line);
    expect(lines).toEqual([3, 4, 5, 6, 7, 8]);
    expect(body.details[1].message).toMatch(/market: must be a two-letter country code/);
    expect(body.details[4].message).toMatch(/repeats line 2/);
    expect((await owner.get('/api/v1/rates')).json().effective_dates).toEqual(['2026-11-01', '2025-07-01']);

    const noHeader = await owner.post('/api/v1/rates/import', { csv: '2026-12-01,US,marketing,0.03,USD' });
    expect(noHeader.statusCode).toBe(400);
    expect(noHeader.json().error.message).toMatch(/header lacks/);
    const mixed = await owner.post('/api/v1/rates/import', {
      csv: 'effective_from,market,category,rate,currency\n2026-12-01,US,marketing,0.03,USD\n2026-12-01,GB,marketing,0.03,EUR',
    });
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().error.message).toMatch(/one currency a file/);
  });

  it('only an instance administrator replaces the card; any member reads it', async () => {
    const admin = await t.member('admin', 'admin-rates@example.com');
    const res = await admin.post('/api/v1/rates/import', { csv: CARD });
    expect(res.statusCode, res.body).toBe(403);
    expect((await admin.get('/api/v1/rates')).statusCode).toBe(200);
  });

  it('the card shipped with the release is valid and seeds an empty install', async () => {
    const { readFile } = await import('node:fs/promises');
    const { parseRateCard } = await import('@openwaba/contracts');
    const { SHIPPED_RATE_CARD } = await import('./service.ts');
    const parsed = parseRateCard(await readFile(SHIPPED_RATE_CARD, 'utf8'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.source).toMatch(/^https:\/\/developers\.facebook\.com\//);
    expect(new Set(parsed.lines.map((l) => l.currency))).toEqual(new Set(['USD']));
    expect(parsed.lines.some((l) => l.market === '*' && l.category === 'marketing')).toBe(true);
    // This install has a card: seeding leaves it alone.
    expect(await t.app.services.billing.seedShippedCard()).toBeNull();
  });
});

describe(`the expected cost of every outbound message, on ${settings.backend}`, () => {
  it('an agent reply (service, in the window) is charged at the utility rate today (after 2026-10-01)', async () => {
    const c = await customerWrites(us(1));
    const res = await reply(c.id, { type: 'text', text: { body: 'Hello!' } });
    expect(res.statusCode, res.body).toBe(202);
    expect(await cost(res.json().message_id)).toMatchObject({
      cost_expected: '0.004000',
      cost_currency: 'USD',
      cost_category: 'service',
      source: 'inbox',
    });
    // A utility template inside the window: the utility rate too; marketing at its own.
    const u = await reply(c.id, template('order_update'));
    expect(await cost(u.json().message_id)).toMatchObject({
      cost_expected: '0.004000',
      cost_category: 'utility',
    });
    const m = await reply(c.id, template('promo'));
    expect(await cost(m.json().message_id)).toMatchObject({
      cost_expected: '0.025000',
      cost_category: 'marketing',
    });
  });

  it('API and automated sends through the one send path; a free entry point costs nothing', async () => {
    const c = await customerWrites(gb(2));
    const api = await t.app.services.outbound.send(t.orgId, {
      numberId,
      to: { contactId: c.contact.id },
      content: template('promo'),
      source: 'api',
    });
    expect(await cost(api.message_id)).toMatchObject({
      cost_expected: '0.052900',
      cost_category: 'marketing',
      source: 'api',
    });
    const auto = await t.app.services.outbound.send(t.orgId, {
      numberId,
      to: { contactId: c.contact.id },
      content: { type: 'text', text: { body: 'Automatic answer' } },
      source: 'automation',
    });
    expect(await cost(auto.message_id)).toMatchObject({
      cost_expected: '0.022000',
      cost_category: 'service',
    });
    const free = await t.app.services.outbound.send(t.orgId, {
      numberId,
      to: { contactId: c.contact.id },
      content: template('promo'),
      source: 'automation',
      freeEntryPoint: true,
    });
    expect(await cost(free.message_id)).toMatchObject({ cost_expected: '0.000000', cost_category: 'free' });
  });

  it('a reply inside the free window a Click-to-WhatsApp ad opened costs nothing', async () => {
    const phone = gb(7);
    const body = metaFixture('message-text', {
      wabaId: WABA,
      phoneNumberId: NUM.phone_number_id,
      waId: phone,
      wamid: `wamid.in.ad.${phone}.${Date.now()}`,
      name: 'From the ad',
    }) as unknown as { entry: { changes: { value: { messages: Record<string, unknown>[] } }[] }[] };
    body.entry[0]!.changes[0]!.value.messages[0]!.referral = {
      source_url: 'https://fb.me/ad',
      source_id: '120210000000000',
      source_type: 'ad',
      headline: 'Spring sale',
      ctwa_clid: 'ARAkLkA8rmlFeiCktEJQ',
    };
    await deliverWebhook(t, body, SECRET);
    const page = (await owner.get(`/api/v1/conversations?search=${phone}`)).json();
    const conv = page.data[0] as { id: string; free_entry_until: string | null };
    expect(Date.parse(conv.free_entry_until!)).toBeGreaterThan(Date.now() + 71 * 3_600_000);
    const m = await reply(conv.id, { type: 'text', text: { body: 'Thanks for your interest!' } });
    expect(m.statusCode, m.body).toBe(202);
    expect(await cost(m.json().message_id)).toMatchObject({
      cost_expected: '0.000000',
      cost_category: 'free',
    });
    // The reply moved the contact's last outbound time.
    const [contact] = await t.database.query<{ last_outbound_at: Date | null }>(
      'select last_outbound_at from contacts where org_id = $1 and wa_id = $2',
      [t.orgId, phone],
    );
    expect(Date.now() - new Date(contact!.last_outbound_at!).getTime()).toBeLessThan(60_000);
    // A customer who did not come from an ad pays the service rate for the same reply.
    const other = await customerWrites(gb(8));
    const paid = await reply(other.id, { type: 'text', text: { body: 'Thanks for your interest!' } });
    expect(await cost(paid.json().message_id)).toMatchObject({ cost_category: 'service' });
  });

  it("a campaign's pre-flight estimates from the card, and each message carries its cost", async () => {
    const tag = await newTag('billing-campaign');
    await optedIn(`+${us(10)}`, tag);
    await optedIn(`+${us(11)}`, tag);
    await optedIn(`+33612${String(345010)}`, tag); // France: not on the card → `*`
    const res = await owner.post('/api/v1/campaigns', {
      name: 'Priced',
      number_id: numberId,
      audience: { kind: 'contacts', filter: { tag_ids: [tag] } },
      templates: [{ template_id: tpl.promo, mapping: {} }],
      spend_cap: 1,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().spend_cap).toBe(1);
    const started = await owner.post(`/api/v1/campaigns/${res.json().id}/start`);
    expect(started.statusCode, started.body).toBe(200);
    expect(started.json().preflight.estimated_cost).toEqual({
      currency: 'USD',
      total: 0.1,
      by_category: { MARKETING: 0.1 },
    });
    const rows = await t.database.query<{ cost_expected: string; cost_category: string }>(
      `select cost_expected::text as cost_expected, cost_category from messages where campaign_id = $1 order by cost_expected`,
      [res.json().id],
    );
    expect(rows).toEqual([
      { cost_expected: '0.025000', cost_category: 'marketing' },
      { cost_expected: '0.025000', cost_category: 'marketing' },
      { cost_expected: '0.050000', cost_category: 'marketing' },
    ]);
  });

  it('a campaign whose estimate is over its spend cap does not start, and says why', async () => {
    const tag = await newTag('billing-capped');
    await optedIn(`+${us(20)}`, tag);
    await optedIn(`+${us(21)}`, tag);
    const res = await owner.post('/api/v1/campaigns', {
      name: 'Capped',
      number_id: numberId,
      audience: { kind: 'contacts', filter: { tag_ids: [tag] } },
      templates: [{ template_id: tpl.promo, mapping: {} }],
      spend_cap: 0.03,
    });
    expect(res.statusCode, res.body).toBe(201);
    const started = (await owner.post(`/api/v1/campaigns/${res.json().id}/start`)).json();
    expect(started.state).toBe('failed');
    expect(started.preflight.problems.join(' ')).toMatch(
      /estimated cost \(0\.05 USD\) is over the campaign's spend cap \(0\.03 USD\)/,
    );
  });
});

describe(`Meta's billing facts from status webhooks, on ${settings.backend}`, () => {
  it("a status's pricing is recorded on the message (billable, model, category, type)", async () => {
    t.app.services.sender.start();
    const c = await customerWrites(us(30));
    /** A promo sent, then Meta's `delivered` status for it with `status` merged in; the message after. */
    const sentWith = async (status: Record<string, unknown>) => {
      const id = (await reply(c.id, template('promo'))).json().message_id as string;
      const wamid = (await until('sent', async () => (await cost(id)).wamid)) as string;
      const body = metaFixture('status-delivered', {
        wabaId: WABA,
        phoneNumberId: NUM.phone_number_id,
        waId: us(30),
        wamid,
        status,
      });
      await deliverWebhook(t, body, SECRET);
      return cost(id);
    };
    expect(
      await sentWith({
        conversation: { id: 'c1', origin: { type: 'marketing' } },
        pricing: { billable: true, pricing_model: 'PMP', category: 'marketing', type: 'regular' },
      }),
    ).toMatchObject({
      pricing_billable: true,
      pricing_model: 'PMP',
      pricing_category: 'marketing',
      pricing_type: 'regular',
    });
    // A free entry point (no `billable`, as Meta's newer payloads): not billable.
    expect(
      await sentWith({
        pricing: { pricing_model: 'PMP', category: 'referral_conversion', type: 'free_entry_point' },
      }),
    ).toMatchObject({ pricing_billable: false, pricing_type: 'free_entry_point' });
    await t.app.services.sender.stop();
  });
});

describe(`spend and caps, on ${settings.backend}`, () => {
  it('spend by category, number and day; another organisation reads none of it', async () => {
    const byCategory = (
      await owner.get(`/api/v1/spend?from=${today()}&to=${today()}&group_by=category`)
    ).json();
    expect(byCategory.currency).toBe('USD');
    const marketing = byCategory.rows.find((r: { key: string }) => r.key === 'marketing');
    expect(marketing.messages).toBeGreaterThan(3);
    expect(byCategory.total).toBeGreaterThan(0);
    const byNumber = (await owner.get(`/api/v1/spend?from=${today()}&to=${today()}&group_by=number`)).json();
    expect(byNumber.rows.map((r: { key: string }) => r.key)).toEqual([numberId]);
    expect(byNumber.total).toBe(byCategory.total);
    const byDay = (await owner.get(`/api/v1/spend?from=2026-01-01&to=${today()}&group_by=day`)).json();
    expect(byDay.rows.map((r: { key: string }) => r.key)).toEqual([today()]);

    const bad = await owner.get(`/api/v1/spend?from=${today()}&to=2020-01-01`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/from must be on or before to/);

    const other = await t.owner();
    const org = await other.post('/api/v1/orgs', { name: 'Other spender' });
    expect(org.statusCode, org.body).toBe(201);
    expect((await other.post('/api/v1/me/org', { org_id: org.json().id })).statusCode).toBe(200);
    const theirs = (
      await other.get(`/api/v1/spend?from=${today()}&to=${today()}&group_by=number&number_id=${numberId}`)
    ).json();
    expect(theirs).toMatchObject({ total: 0, rows: [] });
    expect((await other.get('/api/v1/billing')).json().month).toMatchObject({ spend: 0, messages: 0 });
  });

  it('the daily message cap refuses the send that would cross it (409 CAP_REACHED), admins warned once at 80 %', async () => {
    const c = await customerWrites(us(40));
    const used = (await owner.get('/api/v1/billing')).json().today.messages as number;
    // Room for 5 more: the 4th is 80 %.
    await setCaps({ daily_message_cap: used + 5 });
    for (let i = 0; i < 5; i++) {
      const ok = await reply(c.id, { type: 'text', text: { body: `n${i}` } });
      expect(ok.statusCode, ok.body).toBe(202);
    }
    const refused = await reply(c.id, { type: 'text', text: { body: 'one too many' } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({
      code: 'CAP_REACHED',
      details: { reason: 'daily_message_cap', cap: used + 5 },
    });
    expect(refused.json().error.message).toMatch(/daily message cap/);
    // Refused: nothing recorded.
    expect((await owner.get('/api/v1/billing')).json().today.messages).toBe(used + 5);
    const notes = (await owner.get('/api/v1/notifications?limit=50')).json().data as {
      type: string;
      message: string;
    }[];
    const warned = notes.filter((n) => n.type === 'billing.cap_near');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.message).toMatch(/daily message cap/);
    await setCaps({ daily_message_cap: null });
  });

  it('the monthly spend cap refuses what would cross it, campaigns included', async () => {
    const c = await customerWrites(us(50));
    const spent = (await owner.get('/api/v1/billing')).json().month.spend as number;
    await setCaps({ monthly_spend_cap: Math.round((spent + 0.03) * 1e6) / 1e6 });
    const first = await reply(c.id, template('promo'));
    expect(first.statusCode, first.body).toBe(202);
    const second = await reply(c.id, template('promo'));
    expect(second.statusCode).toBe(409);
    expect(second.json().error).toMatchObject({
      code: 'CAP_REACHED',
      details: { reason: 'monthly_spend_cap' },
    });
    const notes = (await owner.get('/api/v1/notifications?limit=50')).json().data as {
      message: string;
      type: string;
    }[];
    expect(
      notes.filter((n) => n.type === 'billing.cap_near' && /monthly spend cap/.test(n.message)),
    ).toHaveLength(1);

    // A campaign's pre-flight sees the month's room too.
    const tag = await newTag('billing-monthly');
    await optedIn(`+${us(51)}`, tag);
    const camp = await owner.post('/api/v1/campaigns', {
      name: 'Over the month',
      number_id: numberId,
      audience: { kind: 'contacts', filter: { tag_ids: [tag] } },
      templates: [{ template_id: tpl.promo, mapping: {} }],
    });
    const started = (await owner.post(`/api/v1/campaigns/${camp.json().id}/start`)).json();
    expect(started.state).toBe('failed');
    expect(started.preflight.problems.join(' ')).toMatch(/monthly spend cap/);

    const overview = (await owner.get('/api/v1/billing')).json();
    expect(overview.caps.monthly_spend_cap).toBeCloseTo(spent + 0.03, 6);
    await setCaps({ monthly_spend_cap: null });
  });

  it('a campaign whose messages would cross the daily cap is refused at start (409 CAP_REACHED), nothing queued', async () => {
    const tag = await newTag('billing-daily');
    await optedIn(`+${us(60)}`, tag);
    await optedIn(`+${us(61)}`, tag);
    const used = (await owner.get('/api/v1/billing')).json().today.messages as number;
    await setCaps({ daily_message_cap: used + 1 });
    const camp = await owner.post('/api/v1/campaigns', {
      name: 'Over the day',
      number_id: numberId,
      audience: { kind: 'contacts', filter: { tag_ids: [tag] } },
      templates: [{ template_id: tpl.promo, mapping: {} }],
    });
    const started = await owner.post(`/api/v1/campaigns/${camp.json().id}/start`);
    expect(started.statusCode).toBe(409);
    expect(started.json().error).toMatchObject({
      code: 'CAP_REACHED',
      details: { reason: 'daily_message_cap', campaign_id: camp.json().id },
    });
    expect((await owner.get(`/api/v1/campaigns/${camp.json().id}`)).json().state).toBe('draft');
    expect((await owner.get('/api/v1/billing')).json().today.messages).toBe(used);
    await setCaps({ daily_message_cap: null });
  });

  it('caps are set by admins only, validated', async () => {
    const agent = await t.member('agent', 'agent-billing@example.com');
    expect((await agent.patch('/api/v1/billing/caps', { daily_message_cap: 1 })).statusCode).toBe(403);
    const bad = await owner.patch('/api/v1/billing/caps', { daily_message_cap: -1 });
    expect(bad.statusCode).toBe(400);
  });
});

// Last: it replaces the test card's 2025-07-01 day with the shipped one.
describe(`the card shipped with the release, imported, on ${settings.backend}`, () => {
  it('a market without a newer row keeps its own older rate, not the newer day’s *', async () => {
    const { readFile } = await import('node:fs/promises');
    const { SHIPPED_RATE_CARD } = await import('./service.ts');
    const res = await owner.post('/api/v1/rates/import', { csv: await readFile(SHIPPED_RATE_CARD, 'utf8') });
    expect(res.statusCode, res.body).toBe(200);
    const at = async (day: string) =>
      (await owner.get(`/api/v1/rates?at=${day}`)).json().rates as {
        market: string;
        category: string;
        rate: number;
        effective_from: string;
      }[];
    const rateOf = (rows: Awaited<ReturnType<typeof at>>, m: string, c: string) =>
      rows.find((r) => r.market === m && r.category === c);

    const june = await at('2026-06-01');
    expect(rateOf(june, 'US', 'utility')).toMatchObject({ rate: 0.0034, effective_from: '2026-01-01' });
    expect(rateOf(june, 'US', 'marketing')).toMatchObject({ rate: 0.025, effective_from: '2025-07-01' });
    expect(rateOf(june, 'CO', 'utility')).toMatchObject({ rate: 0.0008, effective_from: '2026-04-01' });
    // Mexico has no 2026 row: its own 2025-07-01 rate, not Other's.
    expect(rateOf(june, 'MX', 'utility')).toMatchObject({ rate: 0.0085, effective_from: '2025-07-01' });
    expect(rateOf(june, '*', 'utility')?.rate).toBe(0.0077);

    const february = await at('2026-02-01');
    expect(rateOf(february, 'CO', 'utility')?.rate).toBe(0.0002);
    expect(rateOf(february, 'US', 'utility')?.rate).toBe(0.0034);
    expect(rateOf(await at('2025-12-31'), 'US', 'utility')?.rate).toBe(0.004);
  });
});
