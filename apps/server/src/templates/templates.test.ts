import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { metaEnvelope } from '../../test/helpers/meta-fixtures.ts';
import { storeWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';

const WABA = '8100001';
const NUM = {
  phone_number_id: '8000001',
  waba_id: WABA,
  display_phone_number: '+1 555 080 0001',
  access_token: 'tok-templates-1',
};
const SECRET = 'templates-secret';
const body = (text: string) => [{ type: 'BODY', text }];

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let numberId: string;
const simIds: Record<string, string> = {};

beforeAll(async () => {
  sim = await startSimulator({ seed: 17, template_review_ms: 50 }, [NUM]);
  // Eight templates: three pages at a page size of 3.
  const seeds = [
    ['order_update', 'UTILITY', 'Your order {{1}} ships {{2}}.'],
    ['delivery_window', 'UTILITY', 'Delivery between {{1}} and {{2}}.'],
    ['fall_sale', 'MARKETING', 'Hi {{1}}, use {{2}} for 20% off.'],
    ['welcome', 'MARKETING', 'Welcome to Kettle & Co!'],
    ['otp_code', 'AUTHENTICATION', '{{1}} is your code.'],
    ['receipt', 'UTILITY', 'Receipt {{1}} for {{2}}.'],
    ['feedback', 'MARKETING', 'How did we do, {{1}}?'],
    ['appointment', 'UTILITY', 'See you on {{1}}.'],
  ] as const;
  for (const [name, category, text] of seeds) {
    const tpl = sim.addTemplate({ waba_id: WABA, name, language: 'en_US', category, components: body(text) });
    simIds[name] = tpl.id;
  }
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  owner = await t.owner();
  numberId = await connectNumber(owner, NUM, {
    appSecret: SECRET,
    displayName: 'Templates',
    verifyToken: 'templates-verify',
  });
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

const byName = async (name: string, q = '') =>
  (await owner.get(`/api/v1/templates?include_inactive=true${q}`))
    .json()
    .data.find((x: { name: string }) => x.name === name);

/** A template notice for our WABA, stored as if signed by Meta and processed. */
const deliver = (field: string, value: Record<string, unknown>) =>
  storeWebhook(t, metaEnvelope(WABA, [{ field, value }], Math.floor(Date.now() / 1000)), SECRET);

const notifications = async () =>
  (await owner.get('/api/v1/notifications')).json().data.map((n: { title: string }) => n.title);

describe(`template catalogue on ${settings.backend}`, () => {
  it('syncs every page from Meta; AUTHENTICATION is never usable in campaigns', async () => {
    const r = await t.app.services.templates.sync(t.orgId, { pageSize: 3 });
    expect(r).toMatchObject({ wabas: 1, templates: 8, created: 8, updated: 0, deactivated: 0, errors: [] });
    const list = (await owner.get('/api/v1/templates')).json().data;
    expect(list).toHaveLength(8);
    const otp = list.find((x: { name: string }) => x.name === 'otp_code');
    expect(otp).toMatchObject({ category: 'AUTHENTICATION', quarantined: true, usable_in_campaigns: false });
    expect(otp.quarantine_reason).toMatch(/not allowed in campaigns/);
    // First seen already unusable: nothing changed for anyone, so no admin is notified.
    expect(await notifications()).not.toContain('Template “otp_code” (en_US) quarantined');
    const usable = (await owner.get('/api/v1/templates?usable=true')).json().data;
    expect(usable.map((x: { name: string }) => x.name).sort()).toEqual(
      [
        'appointment',
        'delivery_window',
        'fall_sale',
        'feedback',
        'order_update',
        'receipt',
        'welcome',
      ].sort(),
    );
    // A second sync changes nothing and quarantines nothing new.
    const again = await t.app.services.templates.sync(t.orgId, { pageSize: 3 });
    expect(again).toMatchObject({ created: 0, updated: 8, deactivated: 0, quarantined: 0 });
  });

  it('a category change seen by sync quarantines the template, notifies admins and is recorded', async () => {
    sim.setTemplateCategory(simIds.order_update!, 'MARKETING');
    const r = await t.app.services.templates.sync(t.orgId);
    expect(r.quarantined).toBe(1);
    const tpl = await byName('order_update');
    expect(tpl).toMatchObject({ category: 'MARKETING', quarantined: true, usable_in_campaigns: false });
    expect(tpl.quarantine_reason).toBe('Meta changed its category from UTILITY to MARKETING');
    const history = (await owner.get(`/api/v1/templates/${tpl.id}/history`)).json().data;
    expect(history).toMatchObject([{ from_category: 'UTILITY', to_category: 'MARKETING', source: 'sync' }]);
    expect(await notifications()).toContain('Template “order_update” (en_US) quarantined');
  });

  it('a category change by webhook quarantines at once; an announced change too, with its date', async () => {
    await deliver('template_category_update', {
      message_template_id: Number(simIds.receipt),
      message_template_name: 'receipt',
      message_template_language: 'en_US',
      previous_category: 'UTILITY',
      new_category: 'MARKETING',
    });
    const receipt = await byName('receipt');
    expect(receipt).toMatchObject({ category: 'MARKETING', quarantined: true });
    expect((await owner.get(`/api/v1/templates/${receipt.id}/history`)).json().data).toMatchObject([
      { from_category: 'UTILITY', to_category: 'MARKETING', source: 'webhook' },
    ]);

    await deliver('template_category_update', {
      message_template_id: Number(simIds.appointment),
      message_template_name: 'appointment',
      message_template_language: 'en_US',
      correct_category: 'MARKETING',
      new_category: 'MARKETING',
      category_update_timestamp: 1_900_000_000,
    });
    const appt = await byName('appointment');
    // Still UTILITY today, but campaigns stop now rather than when Meta flips it.
    expect(appt).toMatchObject({ category: 'UTILITY', quarantined: true });
    expect(appt.quarantine_reason).toMatch(/announced/);
    expect((await owner.get(`/api/v1/templates/${appt.id}/history`)).json().data).toMatchObject([
      {
        to_category: 'MARKETING',
        source: 'announcement',
        effective_at: new Date(1_900_000_000_000).toISOString(),
      },
    ]);
  });

  it('status webhooks update the template; a template the catalogue lacks asks for a sync', async () => {
    await deliver('message_template_status_update', {
      event: 'PAUSED',
      message_template_id: Number(simIds.feedback),
      message_template_name: 'feedback',
      message_template_language: 'en_US',
      reason: 'NONE',
    });
    expect(await byName('feedback')).toMatchObject({ status: 'PAUSED', usable_in_campaigns: false });
    const before = await t.database
      .query(`select 1 from pgboss.job where name = 'templates.sync'`)
      .catch(() => []);
    await deliver('message_template_status_update', {
      event: 'APPROVED',
      message_template_id: 424242,
      message_template_name: 'made_elsewhere',
      message_template_language: 'en',
      reason: 'NONE',
    });
    const after = await t.database.query(`select 1 from pgboss.job where name = 'templates.sync'`);
    expect(after.length).toBe(before.length + 1);
  });

  it('un-quarantine is an audited admin action, refused while the category is not allowed', async () => {
    const otp = await byName('otp_code');
    const refused = await owner.post(`/api/v1/templates/${otp.id}/unquarantine`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toMatch(/AUTHENTICATION is not allowed/);
    const agent = await t.member('agent');
    const receipt = await byName('receipt');
    expect((await agent.post(`/api/v1/templates/${receipt.id}/unquarantine`, {})).statusCode).toBe(403);
    const ok = await owner.post(`/api/v1/templates/${receipt.id}/unquarantine`, {});
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ quarantined: false, usable_in_campaigns: true });
    const [audit] = await t.database.query<{ action: string }>(
      `select action from audit_log where entity_id = $1 and action = 'template.unquarantine'`,
      [receipt.id],
    );
    expect(audit).toBeTruthy();
  });

  it('changing the campaign policy re-evaluates the catalogue', async () => {
    const res = await owner.patch('/api/v1/org', { settings: { campaign_categories: ['UTILITY'] } });
    expect(res.statusCode, res.body).toBe(200);
    // The policy hook runs after commit.
    const welcome = await byName('welcome');
    expect(welcome).toMatchObject({ quarantined: true, usable_in_campaigns: false });
    expect(welcome.quarantine_reason).toBe('Category MARKETING is no longer allowed in campaigns');
    expect(await byName('delivery_window')).toMatchObject({ quarantined: false, usable_in_campaigns: true });
  });

  it('a template deleted at Meta becomes inactive, never deleted', async () => {
    await t.app.services.whatsapp.deleteTemplate(
      { wabaId: WABA, accessToken: NUM.access_token },
      { name: 'delivery_window', id: simIds.delivery_window! },
    );
    const r = await t.app.services.templates.sync(t.orgId);
    expect(r.deactivated).toBe(1);
    expect(
      (await owner.get('/api/v1/templates')).json().data.map((x: { name: string }) => x.name),
    ).not.toContain('delivery_window');
    expect(await byName('delivery_window')).toMatchObject({ active: false, usable_in_campaigns: false });
  });

  it('previews a template for a contact and says which values the contact lacks', async () => {
    const sale = await byName('fall_sale');
    const fixed = await owner.post(`/api/v1/templates/${sale.id}/render`, {
      params: { body: { '1': 'Ana', '2': 'FALL25' } },
    });
    expect(fixed.json()).toMatchObject({
      ok: true,
      rendered: { body: 'Hi Ana, use FALL25 for 20% off.' },
      missing: [],
    });
    const contact = await owner.post('/api/v1/contacts', { phone: '+14155550123', name: 'Bea' });
    expect(contact.statusCode, contact.body).toBe(201);
    const res = await owner.post(`/api/v1/templates/${sale.id}/render`, {
      contact_id: contact.json().id,
      mapping: { 'body.1': { contact: 'name' }, 'body.2': { contact: 'field.coupon' } },
    });
    expect(res.json()).toMatchObject({
      ok: false,
      missing: [{ key: 'body.2', source: 'contact field.coupon' }],
      problems: [{ path: 'body.2', message: 'needs a value for {{2}}' }],
    });
  });

  it('authoring: Meta’s rules are checked first; a submitted template arrives PENDING and is approved by webhook', async () => {
    const bad = await owner.post('/api/v1/templates', {
      number_id: numberId,
      name: 'Bad Name',
      language: 'en',
      category: 'UTILITY',
      body: { text: '{{1}} starts with a variable {{3}}' },
    });
    expect(bad.statusCode).toBe(400);
    const messages = JSON.stringify(bad.json().error.details);
    expect(messages).toMatch(/lowercase letters/);
    expect(messages).toMatch(/in sequence/);
    expect(messages).toMatch(/cannot start or end with a variable/);

    const res = await owner.post('/api/v1/templates', {
      number_id: numberId,
      name: 'shipping_notice',
      language: 'en_US',
      category: 'UTILITY',
      body: { text: 'Hello {{1}}, your parcel {{2}} is on its way.', examples: ['Ana', 'P-1'] },
      footer: 'Kettle & Co',
      buttons: [{ type: 'URL', text: 'Track', url: 'https://track.example/{{1}}', example: ['P-1'] }],
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      name: 'shipping_notice',
      status: 'PENDING',
      usable_in_campaigns: false,
    });
    const created = sim.templates().find((x) => x.name === 'shipping_notice')!;
    expect(created.components.map((c) => c.type)).toEqual(['BODY', 'FOOTER', 'BUTTONS']);
    await deliver('message_template_status_update', {
      event: 'APPROVED',
      message_template_id: Number(created.id),
      message_template_name: 'shipping_notice',
      message_template_language: 'en_US',
      reason: 'NONE',
      message_template_category: 'UTILITY',
    });
    expect(await byName('shipping_notice')).toMatchObject({ status: 'APPROVED', usable_in_campaigns: true });

    const del = await owner.delete(`/api/v1/templates/${res.json().id}`);
    expect(del.statusCode).toBe(200);
    expect(sim.templates().some((x) => x.name === 'shipping_notice')).toBe(false);
    expect(await byName('shipping_notice')).toMatchObject({ status: 'DELETED', active: false });
  });

  it('another organisation sees none of it', async () => {
    await t.app.services.orgs.setupOwner({
      email: 'tpl-other@example.com',
      password: 'other password 12',
      orgName: 'Other',
    });
    const other = t.client();
    await other.login('tpl-other@example.com', 'other password 12');
    expect((await other.get('/api/v1/templates')).json().data).toEqual([]);
    const sale = await byName('fall_sale');
    expect((await other.get(`/api/v1/templates/${sale.id}`)).statusCode).toBe(404);
  });
});
