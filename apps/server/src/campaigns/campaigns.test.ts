import { createSimulator, type Simulator, signWebhookBody } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import { splitTemplates } from './audience.ts';

const WABA = '8200001';
const NUM = {
  phone_number_id: '8200101',
  waba_id: WABA,
  display_phone_number: '+1 555 082 0101',
  access_token: 'tok-campaigns-1',
  // STANDARD throughput: the number sends at 80 msg/s, slow enough to pause mid-way.
  throughput_mps: 80,
};
const SECRET = 'campaigns-secret';

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let numberId: string;
const tpl: Record<string, string> = {};

/** US numbers +1 202 555 01xx.. distinct per n. */
const phone = (n: number) => `+1202555${String(1000 + n).padStart(4, '0')}`;

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Contacts with a tag, opted in (or not) with proof, through the API. */
async function contactsWithTag(
  tag: string,
  from: number,
  n: number,
  opts: { optIn?: boolean; names?: boolean } = {},
) {
  const tagRes = await owner.post('/api/v1/tags', { name: tag });
  expect(tagRes.statusCode, tagRes.body).toBe(201);
  const tagId = tagRes.json().id;
  const ids: string[] = [];
  for (let i = from; i < from + n; i++) {
    const c = await owner.post('/api/v1/contacts', {
      phone: phone(i),
      ...(opts.names === false ? {} : { name: `Customer ${i}` }),
      tag_ids: [tagId],
    });
    expect(c.statusCode, c.body).toBe(201);
    ids.push(c.json().id);
    if (opts.optIn !== false) {
      const r = await owner.post(`/api/v1/contacts/${c.json().id}/consent`, {
        kind: 'opt_in',
        source: 'web_form',
        proof: 'signed up at the counter',
      });
      expect(r.statusCode, r.body).toBe(201);
    }
  }
  return { tagId, ids };
}

/** A status webhook for the number, signed and processed as Meta's would be. */
async function deliverStatus(status: Record<string, unknown>) {
  const payload = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: WABA,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550820101', phone_number_id: NUM.phone_number_id },
              statuses: [{ timestamp: String(Math.floor(Date.now() / 1000)), ...status }],
            },
          },
        ],
      },
    ],
  };
  const { body } = signWebhookBody(payload, SECRET);
  await t.app.services.inbound.processEvent(
    await t.app.services.inbound.store(Buffer.from(body), { appSecret: SECRET }),
  );
}

const sentTo = () => sim.sentMessages().filter((m) => m.phone_number_id === NUM.phone_number_id);

beforeAll(async () => {
  sim = await createSimulator({ seed: 23 });
  await sim.listen(0);
  sim.addNumber(NUM);
  for (const [name, category, text] of [
    ['spring_sale', 'MARKETING', 'Hi {{1}}, the spring sale starts now.'],
    ['spring_sale_b', 'MARKETING', 'Hello {{1}}! Spring sale: 20% off today.'],
    ['order_ready', 'UTILITY', 'Your order {{1}} is ready.'],
  ] as const) {
    tpl[name] = sim.addTemplate({
      waba_id: WABA,
      name,
      language: 'en_US',
      category,
      components: [{ type: 'BODY', text, example: { body_text: [['Ana']] } }],
    }).id;
  }
  tpl.new_arrivals = sim.addTemplate({
    waba_id: WABA,
    name: 'new_arrivals',
    language: 'en_US',
    category: 'MARKETING',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://cdn.example.com/x.jpg'] } },
      { type: 'BODY', text: 'Hi {{1}}, use code {{2}}.', example: { body_text: [['Ana', 'NEW10']] } },
    ],
  }).id;
  t = await createTestApp({
    META_GRAPH_URL: sim.url,
    META_HTTP_TIMEOUT_MS: '1000',
    SEND_RECONCILE_WINDOW_SECONDS: '10',
    SEND_LEASE_SECONDS: '5',
  });
  owner = await t.owner();
  const res = await owner.post('/api/v1/numbers', {
    display_name: 'Campaigns',
    phone_number_id: NUM.phone_number_id,
    waba_id: WABA,
    access_token: NUM.access_token,
    app_secret: SECRET,
    verify_token: 'campaigns-verify',
  });
  expect(res.statusCode, res.body).toBe(201);
  numberId = res.json().id;
  await t.app.services.templates.sync(t.orgId);
  const list = (await owner.get('/api/v1/templates')).json().data as { id: string; name: string }[];
  for (const x of list) tpl[x.name] = x.id;
  t.app.services.sender.start();
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

async function createCampaign(body: Record<string, unknown>) {
  const res = await owner.post('/api/v1/campaigns', { number_id: numberId, ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
const campaign = async (id: string) => (await owner.get(`/api/v1/campaigns/${id}`)).json();

describe('splitting recipients between templates', () => {
  it('sequential: even chunks in order, the remainder to the last', () => {
    expect(splitTemplates(10, [{}, {}, {}], 'sequential')).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 2]);
    expect(splitTemplates(2, [{}, {}, {}], 'sequential')).toEqual([2, 2]);
    expect(splitTemplates(4, [{}], 'sequential')).toEqual([0, 0, 0, 0]);
  });
  it('A/B: exact counts by share, at random, the same for the same seed', () => {
    const a = splitTemplates(1000, [{ share: 30 }, { share: 70 }], 'ab', 5);
    expect(a.filter((x) => x === 0)).toHaveLength(300);
    expect(a.filter((x) => x === 1)).toHaveLength(700);
    expect(a.slice(0, 300).every((x) => x === 0)).toBe(false);
    expect(splitTemplates(1000, [{ share: 30 }, { share: 70 }], 'ab', 5)).toEqual(a);
    const odd = splitTemplates(7, [{ share: 50 }, { share: 50 }], 'ab', 1);
    expect(odd.filter((x) => x === 1)).toHaveLength(4);
  });
});

describe(`campaigns on ${settings.backend}`, () => {
  it('sends to every opted-in contact once; others are skipped or invalid with the reason', async () => {
    const { tagId } = await contactsWithTag('spring', 0, 6);
    await contactsWithTag('spring-no-consent', 100, 2, { optIn: false });
    // One contact without a name: {{1}} has no value for them.
    await contactsWithTag('spring-nameless', 200, 1, { names: false });
    const noConsentTag = (await owner.get('/api/v1/tags'))
      .json()
      .data.find((x: { name: string }) => x.name === 'spring-no-consent').id;
    const namelessTag = (await owner.get('/api/v1/tags'))
      .json()
      .data.find((x: { name: string }) => x.name === 'spring-nameless').id;
    const c = await createCampaign({
      name: 'Spring sale',
      audience: {
        kind: 'contacts',
        filter: { tag_ids: [tagId, noConsentTag, namelessTag], tag_match: 'any' },
      },
      templates: [
        { template_id: tpl.spring_sale, mapping: { 'body.1': { contact: 'name' } } },
        { template_id: tpl.spring_sale_b, mapping: { 'body.1': { contact: 'name' } } },
      ],
    });
    expect(c).toMatchObject({ state: 'draft', counts: { total: 9, pending: 8, invalid: 1 } });
    const before = sentTo().length;
    const started = await owner.post(`/api/v1/campaigns/${c.id}/start`, {});
    expect(started.statusCode, started.body).toBe(200);
    expect(started.json().preflight).toMatchObject({
      ok: true,
      ready: 6,
      skipped: { 'no opt-in on file': 2 },
      estimated_cost: { currency: 'USD' },
    });
    const done = await until('completion', async () => {
      const x = await campaign(c.id);
      return x.state === 'completed' && x;
    });
    expect(done.counts).toMatchObject({ total: 9, sent: 6, failed: 0, skipped: 2, invalid: 1, queued: 0 });
    const sent = sentTo().slice(before);
    expect(sent).toHaveLength(6);
    // Sequential split over the 8 valid recipients at creation: 4 and 4; the last two of B have no
    // opt-in and are skipped at the start.
    const names = sent.map((m) => (m.body.template as { name: string }).name).sort();
    expect(names).toEqual([
      'spring_sale',
      'spring_sale',
      'spring_sale',
      'spring_sale',
      'spring_sale_b',
      'spring_sale_b',
    ]);
    expect(new Set(sent.map((m) => m.to)).size).toBe(6);
    expect(sent.every((m) => /^ow:[0-9a-f-]{36}$/.test(m.biz_opaque_callback_data ?? ''))).toBe(true);
    const body = JSON.stringify(sent.find((m) => m.to === phone(0).slice(1))?.body);
    expect(body).toContain('Customer 0');
    // Each send is a message in the contact's conversation, with Meta's id.
    const rec = (await owner.get(`/api/v1/campaigns/${c.id}/recipients?state=sent`)).json().data;
    expect(rec).toHaveLength(6);
    const invalid = (await owner.get(`/api/v1/campaigns/${c.id}/recipients?state=invalid`)).json().data;
    expect(invalid[0].reason).toContain('no value for body.1 (contact name)');
    const skipped = (await owner.get(`/api/v1/campaigns/${c.id}/recipients?state=skipped`)).json().data;
    expect(skipped.map((r: { reason: string }) => r.reason)).toEqual([
      'no opt-in on file',
      'no opt-in on file',
    ]);
    const rows = await t.database.query<{ n: number }>(
      `select count(*)::int as n from messages where campaign_id = $1 and direction = 'out' and wamid is not null and status = 'sent'`,
      [c.id],
    );
    expect(rows[0]?.n).toBe(6);
    // The inbox: the message is in the contact's conversation, which moved to the top.
    const inbox = (await owner.get('/api/v1/conversations?limit=50')).json().data as {
      id: string;
      contact: { wa_id: string };
      last_message: { type: string; direction: string } | null;
    }[];
    const conv = inbox.find((x) => x.contact.wa_id === phone(0).slice(1))!;
    expect(conv.last_message).toMatchObject({ type: 'template', direction: 'out' });
    const thread = (await owner.get(`/api/v1/conversations/${conv.id}/messages`)).json().data as {
      direction: string;
      status: string;
      wamid: string | null;
      content: { template?: { name: string } };
    }[];
    expect(thread).toEqual([
      expect.objectContaining({
        direction: 'out',
        status: 'sent',
        wamid: expect.any(String),
        content: expect.objectContaining({ template: expect.objectContaining({ name: 'spring_sale' }) }),
      }),
    ]);
    // Report and export.
    const report = (await owner.get(`/api/v1/campaigns/${c.id}/report`)).json();
    expect(report.per_template.map((p: { name: string; sent: number }) => [p.name, p.sent])).toEqual([
      ['spring_sale', 4],
      ['spring_sale_b', 2],
    ]);
    expect(report.note).toMatch(/24 hours/);
    // The reports' comparison (read set-based for all campaigns) has the same figures and the split.
    const today = new Date().toISOString().slice(0, 10);
    const compared = (await owner.get(`/api/v1/reports/campaigns?from=${today}&to=${today}`)).json();
    const row = compared.data.find((d: { campaign_id: string }) => d.campaign_id === c.id);
    expect(row).toMatchObject({
      funnel: report.funnel,
      rates: report.rates,
      failures: report.failures.slice(0, 10),
      average_rate: report.average_rate,
      duration_seconds: report.duration_seconds,
    });
    expect(row.per_template).toEqual(
      report.per_template.map(
        (p: { name: string; sent: number; delivered: number; read: number; failed: number }) => ({
          template: expect.stringContaining(p.name),
          sent: p.sent,
          delivered: p.delivered,
          read: p.read,
          failed: p.failed,
        }),
      ),
    );
    const csv = await owner.get(`/api/v1/campaigns/${c.id}/export.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body.trim().split('\r\n')).toHaveLength(10);
    // A second start is refused: nothing is sent twice.
    expect((await owner.post(`/api/v1/campaigns/${c.id}/start`, {})).statusCode).toBe(409);
    // The contact's campaigns (the inbox's contact panel): this one, with its message's status.
    const sentRecipient = rec[0] as { contact_id: string };
    const ofContact = (await owner.get(`/api/v1/contacts/${sentRecipient.contact_id}/campaigns`)).json();
    expect(ofContact.data).toEqual([
      expect.objectContaining({
        campaign_id: c.id,
        name: 'Spring sale',
        campaign_state: 'completed',
        message_status: 'sent',
      }),
    ]);
    const noneSent = skipped[0] as { contact_id: string };
    expect((await owner.get(`/api/v1/contacts/${noneSent.contact_id}/campaigns`)).json().data).toEqual([]);
  });

  it('a CSV audience: every row kept with its result, {{Media}} and {{n}} columns filled, the file discarded', async () => {
    // Three opted-in contacts; the file also names a stranger (no opt-in), a bad phone and a repeat.
    await contactsWithTag('csv-audience', 500, 3);
    const csv = [
      'Phone,{{Media}},{{1}},{{2}}',
      `${phone(500)},https://cdn.example.com/shoes.jpg,Ana,SHOE10`,
      `${phone(501)},4455667788,Bo,BAG15`,
      `${phone(502)},https://cdn.example.com/hat.jpg,Cy,`,
      `${phone(599)},https://cdn.example.com/hat.jpg,Di,HAT5`,
      'not a phone,https://cdn.example.com/hat.jpg,Ed,HAT5',
      `${phone(500)},https://cdn.example.com/shoes.jpg,Ana again,SHOE10`,
    ].join('\n');
    const up = await owner.request('POST', '/api/v1/campaigns/audience-files?filename=list.csv', csv, {
      'content-type': 'text/csv',
    });
    expect(up.statusCode, up.body).toBe(201);
    expect(up.json()).toMatchObject({
      headers: ['Phone', '{{Media}}', '{{1}}', '{{2}}'],
      total_rows: 6,
      suggested_mapping: { phone: 'Phone' },
    });
    // An audience upload is not a contact import.
    expect(
      (await owner.get('/api/v1/contacts/imports')).json().data.map((i: { id: string }) => i.id),
    ).not.toContain(up.json().id);
    expect(
      (await owner.post(`/api/v1/contacts/imports/${up.json().id}/preview`, { mapping: { phone: 'Phone' } }))
        .statusCode,
    ).toBe(404);
    const body = (phoneColumn: string) => ({
      name: 'New arrivals',
      number_id: numberId,
      audience: { kind: 'file', file_id: up.json().id, phone_column: phoneColumn },
      templates: [
        {
          template_id: tpl.new_arrivals,
          mapping: {
            'header.image': { column: '{{Media}}' },
            'body.1': { column: '{{1}}' },
            'body.2': { column: '{{2}}' },
          },
        },
      ],
    });
    const wrong = await owner.post('/api/v1/campaigns', body('Mobile'));
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.message).toContain('no column “Mobile” in list.csv');
    const c = await createCampaign(body('Phone'));
    expect(c.audience).toMatchObject({ kind: 'file', filename: 'list.csv', count: 6 });
    expect(c.counts).toMatchObject({ total: 6, pending: 3, invalid: 3 });
    const invalid = (await owner.get(`/api/v1/campaigns/${c.id}/recipients?state=invalid`)).json().data;
    expect(invalid.map((r: { row_number: number; reason: string }) => [r.row_number, r.reason])).toEqual([
      [4, 'no value for body.2 (column {{2}})'],
      [6, expect.stringMatching(/^phone: /)],
      [7, 'duplicate: the same phone as row 2'],
    ]);
    // Read once: the file and its record are gone, a second campaign from it is a 404.
    expect((await owner.post('/api/v1/campaigns', body('Phone'))).statusCode).toBe(404);

    const before = sentTo().length;
    const started = await owner.post(`/api/v1/campaigns/${c.id}/start`, {});
    expect(started.statusCode, started.body).toBe(200);
    expect(started.json().preflight.skipped).toEqual({ 'no opt-in on file': 1 });
    await until('completion', async () => (await campaign(c.id)).state === 'completed');
    const sent = sentTo().slice(before);
    expect(sent.map((m) => m.to).sort()).toEqual([phone(500).slice(1), phone(501).slice(1)]);
    const components = (to: string) =>
      (sent.find((m) => m.to === to)!.body.template as { components: unknown[] }).components;
    expect(components(phone(500).slice(1))).toEqual([
      {
        type: 'header',
        parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/shoes.jpg' } }],
      },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Ana' },
          { type: 'text', text: 'SHOE10' },
        ],
      },
    ]);
    expect(JSON.stringify(components(phone(501).slice(1)))).toContain('"image":{"id":"4455667788"}');
  });

  it('audience files: bad input is a clear 4xx and leaves nothing', async () => {
    const json = await owner.post('/api/v1/campaigns/audience-files', { phone: '+1' });
    expect(json.statusCode).toBe(415);
    const empty = await owner.request('POST', '/api/v1/campaigns/audience-files', '', {
      'content-type': 'text/csv',
    });
    expect(empty.statusCode).toBe(400);
    const up = await owner.request('POST', '/api/v1/campaigns/audience-files', `Phone\n${phone(500)}\n`, {
      'content-type': 'text/csv',
    });
    expect(up.statusCode, up.body).toBe(201);
    // Another organisation cannot read it.
    const other = await t.owner();
    const org = await other.post('/api/v1/orgs', { name: 'Audience Other' });
    expect(org.statusCode, org.body).toBe(201);
    await expect(
      t.app.services.contactImports.audienceFile(org.json().id, up.json().id),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await t.app.services.contactImports.audienceFile(t.orgId, up.json().id)).headers).toEqual([
      'Phone',
    ]);
    const viewer = await t.member('viewer', 'viewer-audience@example.com');
    const refused = await viewer.request(
      'POST',
      '/api/v1/campaigns/audience-files',
      `Phone\n${phone(500)}\n`,
      {
        'content-type': 'text/csv',
      },
    );
    expect(refused.statusCode).toBe(403);
  });

  it('a status webhook moves the recipient to delivered and read', async () => {
    const { tagId } = await contactsWithTag('status', 300, 1);
    const c = await createCampaign({
      name: 'Status',
      audience: { kind: 'contacts', filter: { tag_ids: [tagId] } },
      templates: [{ template_id: tpl.order_ready, mapping: { 'body.1': { fixed: 'A-17' } } }],
    });
    await owner.post(`/api/v1/campaigns/${c.id}/start`, {});
    await until('sent', async () => (await campaign(c.id)).state === 'completed');
    const [r] = (await owner.get(`/api/v1/campaigns/${c.id}/recipients`)).json().data;
    const [m] = await t.database.query<{ wamid: string }>(
      'select wamid from campaign_recipients where id = $1',
      [r.id],
    );
    for (const status of ['delivered', 'read'])
      await deliverStatus({ id: m!.wamid, status, recipient_id: phone(500).slice(1) });
    expect((await campaign(c.id)).counts).toMatchObject({ sent: 1, delivered: 1, read: 1 });
  });

  it('pre-flight: a quarantined template fails the campaign with the reason and a notification', async () => {
    const { tagId } = await contactsWithTag('quarantine', 400, 1);
    const c = await createCampaign({
      name: 'Quarantined',
      audience: { kind: 'contacts', filter: { tag_ids: [tagId] } },
      templates: [{ template_id: tpl.order_ready, mapping: { 'body.1': { fixed: 'B-2' } } }],
    });
    await t.database.query(
      `update templates set quarantined = true, quarantine_reason = 'test' where id = $1`,
      [tpl.order_ready],
    );
    try {
      const before = sentTo().length;
      const res = await owner.post(`/api/v1/campaigns/${c.id}/start`, {});
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ state: 'failed' });
      expect(res.json().failure_reason).toContain('is quarantined');
      const titles = (await owner.get('/api/v1/notifications'))
        .json()
        .data.map((n: { title: string }) => n.title);
      expect(titles).toContain('Campaign “Quarantined” did not start');
      await new Promise((r) => setTimeout(r, 300));
      expect(sentTo().length).toBe(before);
    } finally {
      await t.database.query(
        `update templates set quarantined = false, quarantine_reason = null where id = $1`,
        [tpl.order_ready],
      );
    }
  });

  it('pre-flight asks Meta about the token: a refused one fails the campaign and stops the number', async () => {
    const { tagId } = await contactsWithTag('token-preflight', 450, 1);
    const c = await createCampaign({
      name: 'Expired token',
      audience: { kind: 'contacts', filter: { tag_ids: [tagId] } },
      templates: [{ template_id: tpl.order_ready, mapping: { 'body.1': { fixed: 'T-1' } } }],
    });
    sim.updateNumber(NUM.phone_number_id, { token_status: 'expired' });
    try {
      const before = sentTo().length;
      const res = await owner.post(`/api/v1/campaigns/${c.id}/start`, {});
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ state: 'failed' });
      expect(res.json().failure_reason).toMatch(/inactive: Meta rejected the access token \(190/);
      expect((await owner.get(`/api/v1/numbers/${numberId}`)).json()).toMatchObject({ status: 'inactive' });
      expect(sentTo().length).toBe(before);
    } finally {
      sim.updateNumber(NUM.phone_number_id, { token_status: 'valid' });
      const fixed = await owner.patch(`/api/v1/numbers/${numberId}`, { access_token: NUM.access_token });
      expect(fixed.statusCode, fixed.body).toBe(200);
      expect(fixed.json()).toMatchObject({ status: 'active' });
    }
  });

  it('pause stops sending within a second, resume finishes, stop skips the rest; nothing twice', async () => {
    const { tagId } = await contactsWithTag('big', 1000, 240);
    const mk = (name: string) =>
      createCampaign({
        name,
        audience: { kind: 'contacts', filter: { tag_ids: [tagId] } },
        templates: [{ template_id: tpl.order_ready, mapping: { 'body.1': { fixed: 'C-1' } } }],
      });
    const c = await mk('Pause and resume');
    const before = sentTo().length;
    await owner.post(`/api/v1/campaigns/${c.id}/start`, {});
    await until('some sent', async () => sentTo().length - before >= 40);
    const paused = await owner.post(`/api/v1/campaigns/${c.id}/pause`, {});
    expect(paused.statusCode, paused.body).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    const atPause = sentTo().length;
    await new Promise((r) => setTimeout(r, 800));
    expect(sentTo().length).toBe(atPause);
    expect(atPause - before).toBeLessThan(240);
    expect((await owner.post(`/api/v1/campaigns/${c.id}/resume`, {})).statusCode).toBe(200);
    await until('completion', async () => (await campaign(c.id)).state === 'completed');
    const sent = sentTo().slice(before);
    expect(sent).toHaveLength(240);
    expect(new Set(sent.map((m) => m.to)).size).toBe(240);

    const s = await mk('Stopped');
    const before2 = sentTo().length;
    await owner.post(`/api/v1/campaigns/${s.id}/start`, {});
    await until('some sent', async () => sentTo().length - before2 >= 20);
    const stopped = await owner.post(`/api/v1/campaigns/${s.id}/stop`, {});
    expect(stopped.statusCode, stopped.body).toBe(200);
    await new Promise((r) => setTimeout(r, 1200));
    const final = await campaign(s.id);
    expect(final.state).toBe('stopped');
    expect(final.counts.sent + final.counts.skipped).toBe(240);
    expect(final.counts.sent).toBe(sentTo().length - before2);
    expect(final.counts.queued).toBe(0);
    expect((await owner.post(`/api/v1/campaigns/${s.id}/resume`, {})).statusCode).toBe(409);
  });

  it('a contact deleted while its recipient waits to be queued is skipped with the reason; the rest go once', async () => {
    const tagId = (await owner.post('/api/v1/tags', { name: 'deleted-mid-run' })).json().id;
    // More recipients than a start queues at once (1,000): the rest wait for the sender's feed.
    await t.database.query(
      `with c as (insert into contacts (org_id, wa_id, name)
                  select $1, '1202555' || lpad((1000 + g)::text, 4, '0'), 'Customer ' || g
                  from generate_series(5000, 6001) g returning id, wa_id),
            tg as (insert into contact_tags (org_id, contact_id, tag_id) select $1, c.id, $2 from c)
       insert into opt_in_events (org_id, contact_id, wa_id, kind, source, proof)
       select $1, c.id, c.wa_id, 'opt_in', 'web_form', 'signed up at the counter' from c`,
      [t.orgId, tagId],
    );
    const c = await createCampaign({
      name: 'Deleted mid-run',
      audience: { kind: 'contacts', filter: { tag_ids: [tagId] } },
      templates: [{ template_id: tpl.order_ready, mapping: { 'body.1': { fixed: 'C-1' } } }],
    });
    const before = sentTo().length;
    // No feeding while the contact goes (the feed runs in the sender's loop).
    await t.app.services.sender.stop();
    let gone: string;
    try {
      const started = await owner.post(`/api/v1/campaigns/${c.id}/start`, {});
      expect(started.statusCode, started.body).toBe(200);
      // The first chunk is on the send queue (queued), the rest waits for the feed (pending).
      expect(started.json().counts).toMatchObject({ total: 1002, queued: 1000, pending: 2, sent: 0 });
      const queued = (await owner.get(`/api/v1/campaigns/${c.id}/recipients?state=queued&limit=3`)).json();
      expect(queued.data.map((r: { state: string }) => r.state)).toEqual(['queued', 'queued', 'queued']);
      const waiting = (await owner.get(`/api/v1/campaigns/${c.id}/recipients?state=pending`)).json().data;
      expect(waiting).toHaveLength(2);
      // Each queued recipient's message waits in their conversation, pending.
      const [written] = await t.database.query<{ n: number }>(
        `select count(*)::int as n from messages where campaign_id = $1 and status = 'pending'`,
        [c.id],
      );
      expect(written!.n).toBe(1000);
      const pending = await t.database.query<{ contact_id: string; wa_id: string }>(
        `select contact_id, wa_id from campaign_recipients r
         where campaign_id = $1 and state = 'pending' and id > (select fed_through from campaigns where id = $1)
         order by id`,
        [c.id],
      );
      expect(pending).toHaveLength(2);
      gone = pending[0]!.wa_id;
      const del = await owner.delete(`/api/v1/contacts/${pending[0]!.contact_id}`);
      expect(del.statusCode, del.body).toBe(200);
    } finally {
      t.app.services.sender.start();
    }
    await until('completed', async () => (await campaign(c.id)).state === 'completed', 90_000);
    const [skipped] = await t.database.query<{ state: string; reason: string }>(
      `select state, reason from campaign_recipients where campaign_id = $1 and wa_id = $2`,
      [c.id, gone],
    );
    expect(skipped).toMatchObject({ state: 'skipped', reason: 'the contact was deleted' });
    const sent = sentTo().slice(before);
    expect(sent).toHaveLength(1001);
    expect(new Set(sent.map((m) => m.to)).size).toBe(1001);
    expect(sent.some((m) => m.to === gone)).toBe(false);
  }, 120_000);

  it('an accepted send whose answer was lost is reconciled from its status webhook, not resent', async () => {
    const { tagId } = await contactsWithTag('lost', 2000, 1);
    const c = await createCampaign({
      name: 'Lost answer',
      audience: { kind: 'contacts', filter: { tag_ids: [tagId] } },
      templates: [{ template_id: tpl.order_ready, mapping: { 'body.1': { fixed: 'D-4' } } }],
    });
    const before = sentTo().length;
    sim.setFaults({ lost_answer: { next: 1 } });
    try {
      await owner.post(`/api/v1/campaigns/${c.id}/start`, {});
      // Meta (the simulator) accepted it; we never heard back.
      await until('accepted at the simulator', async () => sentTo().length > before);
      const [q] = await until('outcome unknown', async () => {
        const rows = await t.database.query<{ attempt_id: string; unknown_since: string | null }>(
          'select attempt_id, unknown_since from send_queue where campaign_id = $1 and unknown_since is not null',
          [c.id],
        );
        return rows.length ? rows : undefined;
      });
      const accepted = sentTo().slice(before)[0]!;
      expect(accepted.biz_opaque_callback_data).toBe(`ow:${q!.attempt_id}`);
      // Its status webhook arrives (as Meta sends it), carrying the attempt id.
      await deliverStatus({
        id: accepted.wamid,
        status: 'sent',
        recipient_id: accepted.to,
        biz_opaque_callback_data: accepted.biz_opaque_callback_data,
      });
      await until('completed', async () => (await campaign(c.id)).state === 'completed');
      const [r] = (await owner.get(`/api/v1/campaigns/${c.id}/recipients`)).json().data;
      expect(r).toMatchObject({ state: 'sent', status: 'sent' });
      const [m] = await t.database.query<{ wamid: string }>(
        'select wamid from campaign_recipients where id = $1',
        [r.id],
      );
      expect(m!.wamid).toBe(accepted.wamid);
      expect(sentTo().length - before).toBe(1);
    } finally {
      sim.setFaults({});
    }
  });

  it('a send that timed out (never accepted) is retried only after the reconcile window', async () => {
    const { tagId } = await contactsWithTag('timeout', 2100, 1);
    const c = await createCampaign({
      name: 'Timed out',
      audience: { kind: 'contacts', filter: { tag_ids: [tagId] } },
      templates: [{ template_id: tpl.order_ready, mapping: { 'body.1': { fixed: 'E-5' } } }],
    });
    const before = sentTo().length;
    // Two requests time out: the pre-flight's question about the number (which only warns), then the send.
    sim.setFaults({ timeout: { next: 2, ms: 1500 } });
    try {
      await owner.post(`/api/v1/campaigns/${c.id}/start`, {});
      await until('outcome unknown', async () => {
        const rows = await t.database.query(
          'select 1 from send_queue where campaign_id = $1 and unknown_since is not null',
          [c.id],
        );
        return rows.length > 0;
      });
      const unknownAt = Date.now();
      await new Promise((r) => setTimeout(r, 3000));
      expect(sentTo().length).toBe(before);
      await until(
        'completed after the window',
        async () => (await campaign(c.id)).state === 'completed',
        30_000,
      );
      expect(Date.now() - unknownAt).toBeGreaterThanOrEqual(8_000);
      expect(sentTo().length - before).toBe(1);
      const [r] = (await owner.get(`/api/v1/campaigns/${c.id}/recipients`)).json().data;
      expect(r.state).toBe('sent');
    } finally {
      sim.setFaults({});
    }
  });

  it.skipIf(settings.backend !== 'pg')(
    'a second worker process on the same database never sends a recipient the first one sent',
    async () => {
      const { createSender } = await import('../messages/sender.ts');
      const services = t.app.services;
      // A second sender, as another worker process would run it: its own holder, its own claims.
      const second = createSender({
        db: t.database.db,
        numbers: services.numbers,
        events: services.events,
        log: services.log,
        leaseSeconds: 5,
        reconcileWindowSeconds: 10,
        hooks: {
          onCampaignActivity: (ids) => services.campaigns.onActivity(ids),
          feed: () => services.campaigns.feed(),
        },
      });
      second.start();
      try {
        const { tagId } = await contactsWithTag('two-workers', 3000, 120);
        const c = await createCampaign({
          name: 'Two workers',
          audience: { kind: 'contacts', filter: { tag_ids: [tagId] } },
          templates: [{ template_id: tpl.order_ready, mapping: { 'body.1': { fixed: 'F-6' } } }],
        });
        const before = sentTo().length;
        await owner.post(`/api/v1/campaigns/${c.id}/start`, {});
        // Half-way, the worker sending stops (as at a deploy): the other takes the number over.
        await until('some sent', async () => sentTo().length - before >= 40);
        await services.sender.stop();
        await until('completed', async () => (await campaign(c.id)).state === 'completed', 60_000);
        const sent = sentTo().slice(before);
        expect(sent).toHaveLength(120);
        expect(new Set(sent.map((m) => m.to)).size).toBe(120);
      } finally {
        await second.stop();
        services.sender.start();
      }
    },
  );

  it('bad input is a 400 naming the field; other organisations see nothing; viewers cannot start', async () => {
    const bad = await owner.post('/api/v1/campaigns', {
      name: 'x',
      number_id: numberId,
      audience: { kind: 'contacts' },
      templates: [
        { template_id: tpl.spring_sale, share: 60 },
        { template_id: tpl.spring_sale_b, share: 30 },
      ],
      split: 'ab',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('shares add up to 100');
    const none = await owner.post('/api/v1/campaigns', {
      name: 'x',
      number_id: numberId,
      audience: { kind: 'contacts' },
      templates: [{ template_id: '00000000-0000-4000-8000-000000000000' }],
    });
    expect(none.statusCode).toBe(400);
    const list = (await owner.get('/api/v1/campaigns')).json().data;
    expect(list.length).toBeGreaterThan(0);
    const viewer = await t.member('viewer', 'viewer-campaigns@example.com');
    expect((await viewer.get('/api/v1/campaigns')).statusCode).toBe(200);
    expect((await viewer.post(`/api/v1/campaigns/${list[0].id}/start`, {})).statusCode).toBe(403);
    const other = await t.owner();
    const org = await other.post('/api/v1/orgs', { name: 'Campaign Other' });
    expect(org.statusCode, org.body).toBe(201);
    expect((await other.post('/api/v1/me/org', { org_id: org.json().id })).statusCode).toBe(200);
    for (const res of [
      await other.get(`/api/v1/campaigns/${list[0].id}`),
      await other.get(`/api/v1/campaigns/${list[0].id}/recipients`),
      await other.get(`/api/v1/campaigns/${list[0].id}/export.csv`),
      await other.post(`/api/v1/campaigns/${list[0].id}/pause`, {}),
      await other.delete(`/api/v1/campaigns/${list[0].id}`),
    ]) {
      expect(res.statusCode, res.body).toBe(404);
    }
    expect((await other.get('/api/v1/campaigns')).json().data).toEqual([]);
  });
});
