import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { until } from '../../test/helpers/until.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';

/** What the campaign page and the contacts list read: the budget, recipients' names, last messages. */
const WABA = '8300001';
const SECRET = 'campaign-page-secret';
const LIMITED = {
  phone_number_id: '8300101',
  waba_id: WABA,
  display_phone_number: '+1 555 083 0101',
  access_token: 'tok-campaign-page-1',
  messaging_limit_tier: 'TIER_250' as const,
};
// Another WABA, so another business portfolio: the messaging limit is one per portfolio.
const UNLIMITED_WABA = '8300002';
const UNLIMITED = {
  phone_number_id: '8300102',
  waba_id: UNLIMITED_WABA,
  display_phone_number: '+1 555 083 0102',
  access_token: 'tok-campaign-page-2',
};

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let limitedId: string;
let unlimitedId: string;
let templateId: string;
let unlimitedTemplateId: string;
let tagId: string;
const contacts: { id: string; name: string }[] = [];

const phone = (n: number) => `+1202555${String(3000 + n).padStart(4, '0')}`;

beforeAll(async () => {
  sim = await startSimulator({ seed: 31 }, [LIMITED, UNLIMITED]);
  for (const waba_id of [WABA, UNLIMITED_WABA]) {
    sim.addTemplate({
      waba_id,
      name: 'hello_name',
      language: 'en_US',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'Hi {{1}}!', example: { body_text: [['Ana']] } }],
    });
  }
  t = await createTestApp({ META_GRAPH_URL: sim.url, META_HTTP_TIMEOUT_MS: '1000' });
  owner = await t.owner();
  limitedId = await connectNumber(owner, LIMITED, { appSecret: SECRET, displayName: 'Limited' });
  unlimitedId = await connectNumber(owner, UNLIMITED, { appSecret: SECRET, displayName: 'Unlimited' });
  await t.app.services.templates.sync(t.orgId);
  const templates = (await owner.get('/api/v1/templates')).json().data as { id: string; waba_id: string }[];
  templateId = templates.find((x) => x.waba_id === WABA)!.id;
  unlimitedTemplateId = templates.find((x) => x.waba_id === UNLIMITED_WABA)!.id;
  tagId = (await owner.post('/api/v1/tags', { name: 'Regulars' })).json().id;
  for (const [i, name] of ['Asha One', 'Bruno Two', 'Chloe Three'].entries()) {
    const c = await owner.post('/api/v1/contacts', {
      phone: phone(i),
      name,
      tag_ids: [tagId],
      opt_in: { source: 'web_form', proof: 'ticked the box' },
    });
    expect(c.statusCode, c.body).toBe(201);
    contacts.push({ id: c.json().id, name });
  }
  // Named, tagged, never opted in: skipped at the start, still listed by name.
  const skipped = await owner.post('/api/v1/contacts', {
    phone: phone(9),
    name: 'Dev Noconsent',
    tag_ids: [tagId],
  });
  expect(skipped.statusCode, skipped.body).toBe(201);
  contacts.push({ id: skipped.json().id, name: 'Dev Noconsent' });
  t.app.services.sender.start();
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

/** Creates and starts a campaign to the tag from `numberId`; the started campaign and, once done, it again. */
async function run(name: string, numberId: string, template = templateId) {
  const created = await owner.post('/api/v1/campaigns', {
    name,
    number_id: numberId,
    audience: { kind: 'contacts', filter: { tag_ids: [tagId] } },
    templates: [{ template_id: template, mapping: { 'body.1': { contact: 'name' } } }],
  });
  expect(created.statusCode, created.body).toBe(201);
  const started = await owner.post(`/api/v1/campaigns/${created.json().id}/start`, {});
  expect(started.statusCode, started.body).toBe(200);
  await until(`${name} completed`, async () => {
    const c = (await owner.get(`/api/v1/campaigns/${created.json().id}`)).json();
    return c.state === 'completed';
  });
  return started.json();
}

describe(`the campaign page and the contacts list on ${settings.backend}`, () => {
  it('the pre-flight budget is the tier limit less the unique recipients messaged in 24 hours', async () => {
    const first = await run('First', limitedId);
    expect(first.preflight).toMatchObject({
      ok: true,
      ready: 3,
      budget: 250,
      messaging_limit: { tier: 'TIER_250', limit: 250, used: 0 },
    });
    // The same three again: still three unique recipients used, whatever the number of messages.
    const second = await run('Second', limitedId);
    expect(second.preflight).toMatchObject({
      budget: 247,
      messaging_limit: { tier: 'TIER_250', limit: 250, used: 3 },
    });
    expect((await run('Third', limitedId)).preflight.budget).toBe(247);
  });

  it('an unlimited tier has no budget to count down', async () => {
    // The pre-flight reads the number's health from Meta first: the tier is the one Meta says now.
    const unlimited = await run('Unlimited', unlimitedId, unlimitedTemplateId);
    expect(unlimited.preflight).toMatchObject({
      ok: true,
      budget: null,
      messaging_limit: { tier: 'TIER_UNLIMITED', limit: null, used: 0 },
    });
  });

  it('lists recipients with their contact names', async () => {
    const list = (await owner.get('/api/v1/campaigns')).json().data as { id: string; name: string }[];
    const first = list.find((c) => c.name === 'First')!;
    const res = await owner.get(`/api/v1/campaigns/${first.id}/recipients`);
    expect(res.statusCode, res.body).toBe(200);
    const rows = res.json().data as { name: string | null; phone: string; state: string }[];
    expect(rows.map((r) => [r.name, r.phone, r.state])).toEqual([
      ['Asha One', phone(0), 'sent'],
      ['Bruno Two', phone(1), 'sent'],
      ['Chloe Three', phone(2), 'sent'],
      ['Dev Noconsent', phone(9), 'skipped'],
    ]);
    const csv = await owner.get(`/api/v1/campaigns/${first.id}/export.csv`);
    expect(csv.body.split('\r\n')[0]).toMatch(/^row,name,phone,/);
    expect(csv.body).toContain('Asha One');
  });

  it('contacts show their last message either way, from their conversations', async () => {
    const [asha, , , dev] = contacts;
    const one = (await owner.get(`/api/v1/contacts/${asha!.id}`)).json();
    // Messaged by the campaigns only: no inbound, but a last message.
    expect(one.last_inbound_at).toBeNull();
    expect(Date.now() - Date.parse(one.last_message_at)).toBeLessThan(60_000);
    const [conv] = await t.database.query<{ at: Date }>(
      'select max(last_message_at) as at from conversations where contact_id = $1',
      [asha!.id],
    );
    expect(one.last_message_at).toBe(conv!.at.toISOString());
    // Our last message to them: stamped when the campaign queued it.
    expect(Date.now() - Date.parse(one.last_outbound_at)).toBeLessThan(60_000);
    // Never messaged (skipped for want of consent): none.
    const never = (await owner.get(`/api/v1/contacts/${dev!.id}`)).json();
    expect(never.last_message_at).toBeNull();
    expect(never.last_outbound_at).toBeNull();
    // Contacts can be filtered by it (Dev was never messaged).
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const fields = JSON.stringify([{ key: 'last_outbound_at', op: 'gte', value: since }]);
    const recent = await owner.get(`/api/v1/contacts?tag_ids=${tagId}&fields=${encodeURIComponent(fields)}`);
    expect(recent.statusCode, recent.body).toBe(200);
    expect((recent.json().data as { name: string }[]).map((c) => c.name).sort()).toEqual([
      'Asha One',
      'Bruno Two',
      'Chloe Three',
    ]);
    const page = (await owner.get(`/api/v1/contacts?tag_ids=${tagId}`)).json().data as {
      name: string;
      last_message_at: string | null;
    }[];
    expect(Object.fromEntries(page.map((c) => [c.name, c.last_message_at !== null]))).toEqual({
      'Asha One': true,
      'Bruno Two': true,
      'Chloe Three': true,
      'Dev Noconsent': false,
    });
  });
});
