import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import { createSeeder } from '../../test/seed.ts';
import { maskDigits, maskPhone } from './phone-privacy.ts';
import { createPhoneHasher, scrubPhone } from './tombstones.ts';

/** The customer whose phone is hidden, and what a masked role sees of it. */
const WA = '447700900123';
const DIGITS = '7700900123';
const MASKED = '+44 ••• ••• 0123';

let t: TestApp;
let owner: TestClient;
const as: Record<string, TestClient> = {};
let contactId = '';
let conversationId = '';
let campaignId = '';
let quickReplyId = '';

const hide = async (on: boolean) => {
  const res = await owner.patch('/api/v1/org', { settings: { hide_phone_numbers: on } });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().settings.hide_phone_numbers).toBe(on);
};

beforeAll(async () => {
  t = await createTestApp();
  owner = await t.owner();
  const seed = createSeeder(t.database, t.config);
  const numberId = await seed.number(t.orgId);
  ({ contactId, conversationId } = await seed.conversation(t.orgId, numberId, WA, 'Hidden Harriet'));
  await seed.message(t.orgId, numberId, conversationId, { days: 0, from: WA, text: 'Hi from Harriet' });
  // Opted out: a reply is refused, and the refusal names the phone.
  expect((await owner.post(`/api/v1/contacts/${contactId}/consent`, { kind: 'opt_out' })).statusCode).toBe(
    201,
  );
  expect((await owner.patch(`/api/v1/contacts/${contactId}`, { name: 'Harriet' })).statusCode).toBe(200);
  const [c] = await t.database.query<{ id: string }>(
    `insert into campaigns (org_id, number_id, name, audience, templates, state)
     values ($1, $2, 'Autumn', '{"kind":"recipients","count":2}', '[{"name":"promo"}]', 'completed') returning id`,
    [t.orgId, numberId],
  );
  campaignId = c!.id;
  await t.database.query(
    `insert into campaign_recipients (campaign_id, org_id, contact_id, wa_id, input, row_number, state)
     values ($1, $2, $3, $4, '+44 7700 900123', 1, 'sent'), ($1, $2, null, null, '07700 90012x', 2, 'invalid')`,
    [campaignId, t.orgId, contactId, WA],
  );
  const qr = await owner.post('/api/v1/quick-replies', {
    shortcut: 'call',
    body: 'We will call {{contact.phone}}',
  });
  expect(qr.statusCode, qr.body).toBe(201);
  quickReplyId = qr.json().id;
  for (const role of ['admin', 'manager', 'agent', 'viewer']) as[role] = await t.member(role);
  as.owner = owner;
});
afterAll(async () => {
  await t.close();
});

/** Every surface that shows the customer's phone, read as `client`: the raw bodies. */
async function surfaces(client: TestClient) {
  const get = async (url: string) => {
    const res = await client.get(url);
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res.body;
  };
  return {
    contacts: await get('/api/v1/contacts'),
    contact: await get(`/api/v1/contacts/${contactId}`),
    timeline: await get(`/api/v1/contacts/${contactId}/timeline`),
    consent: await get(`/api/v1/contacts/${contactId}/consent`),
    conversations: await get('/api/v1/conversations'),
    conversation: await get(`/api/v1/conversations/${conversationId}`),
    messages: await get(`/api/v1/conversations/${conversationId}/messages`),
    quickReply: await get(`/api/v1/quick-replies/${quickReplyId}/render?conversation_id=${conversationId}`),
    recipients: await get(`/api/v1/campaigns/${campaignId}/recipients`),
    recipientsCsv: await get(`/api/v1/campaigns/${campaignId}/export.csv`),
    events: await get('/api/v1/events?since=0'),
  };
}

describe('masking a phone', () => {
  it('keeps the country code and the last four digits', () => {
    expect(maskPhone('+447911123456')).toBe('+44 ••• ••• 3456');
    expect(maskPhone('14155550123')).toBe('+1 ••• ••• 0123');
    expect(maskPhone('12')).toBe('••• •••');
    expect(maskDigits('07400 100001')).toBe('••••• ••0001');
    expect(maskDigits('call me')).toBe('call me');
  });

  it('tombstones hash the phone under the server key and keep no digits of it in the proof', () => {
    const h = createPhoneHasher('secret-a', ['secret-old']);
    expect(h.hash(WA)).toMatch(/^[0-9a-f]{64}$/);
    expect(h.hash(WA)).not.toBe(createPhoneHasher('secret-b').hash(WA));
    expect(h.candidates(WA)).toEqual([h.hash(WA), createPhoneHasher('secret-old').hash(WA)]);
    expect(scrubPhone(`called +44 7700 900123 and ${WA}, ref 2024-05-01`, WA)).toBe(
      'called [phone] and [phone], ref 2024-05-01',
    );
  });
});

describe(`hidden phone numbers on ${settings.backend}`, () => {
  it('is an organisation setting admins change, audited; off by default', async () => {
    expect((await owner.get('/api/v1/org')).json().settings.hide_phone_numbers).toBe(false);
    const refused = await as.agent!.patch('/api/v1/org', { settings: { hide_phone_numbers: true } });
    expect(refused.statusCode).toBe(403);
    expect(
      (await as.admin!.patch('/api/v1/org', { settings: { hide_phone_numbers: 'yes' } })).statusCode,
    ).toBe(400);
    await hide(true);
    const audit = (await owner.get('/api/v1/audit?action=org.update')).json().data[0];
    expect(audit.before.settings.hide_phone_numbers).toBe(false);
    expect(audit.after.settings.hide_phone_numbers).toBe(true);
    await hide(false);
  });

  it('while off, every role sees phones', async () => {
    const seen = await surfaces(as.viewer!);
    for (const k of [
      'contacts',
      'contact',
      'conversations',
      'conversation',
      'messages',
      'recipients',
    ] as const)
      expect(seen[k], k).toContain(DIGITS);
  });

  it('while on, agents and viewers see them masked on every surface; managers and up see them', async () => {
    await hide(true);
    for (const role of ['agent', 'viewer']) {
      const seen = await surfaces(as[role]!);
      for (const [k, body] of Object.entries(seen)) expect(body, `${role} ${k}`).not.toContain(DIGITS);
      expect(JSON.parse(seen.contact)).toMatchObject({ phone: MASKED, wa_id: MASKED, name: 'Harriet' });
      expect(JSON.parse(seen.conversation).contact).toMatchObject({ wa_id: MASKED, name: 'Harriet' });
      expect(JSON.parse(seen.messages).data[0].content).toMatchObject({
        from: MASKED,
        text: { body: 'Hi from Harriet' },
      });
      expect(JSON.parse(seen.consent).data[0].wa_id).toBe(MASKED);
      expect(JSON.parse(seen.quickReply).text).toBe(`We will call ${MASKED}`);
      const recipients = JSON.parse(seen.recipients).data;
      expect(recipients.map((r: { phone: string | null }) => r.phone)).toEqual([MASKED, null]);
      // Names are not hidden: a masked role still tells recipients apart by name.
      expect(recipients.map((r: { name: string | null }) => r.name)).toEqual(['Harriet', null]);
      expect(recipients.map((r: { input: string }) => r.input)).toEqual(['+•• •••• ••0123', '••••• •0012x']);
      const csv = parse(seen.recipientsCsv, { columns: true }) as Record<string, string>[];
      // Spreadsheet-safe like every export cell: a masked phone is text, not a number to dial.
      expect(csv.map((r) => r.phone)).toEqual([`'${MASKED}`, '']);
      expect(csv.map((r) => r.name)).toEqual(['Harriet', '']);
      // The timeline's edit entries carry the audit snapshot of the contact, phone included.
      const items = JSON.parse(seen.timeline).data as { kind: string }[];
      expect(items.some((i) => i.kind === 'change')).toBe(true);
    }
    for (const role of ['owner', 'admin', 'manager']) {
      const seen = await surfaces(as[role]!);
      expect(JSON.parse(seen.contact).phone, role).toBe(`+${WA}`);
      expect(JSON.parse(seen.conversation).contact.wa_id, role).toBe(WA);
      expect(JSON.parse(seen.recipients).data[0].phone, role).toBe(`+${WA}`);
    }
  });

  it('what an agent writes comes back masked; a refused reply does not name the phone', async () => {
    const created = await as.agent!.post('/api/v1/contacts', { phone: '+44 7400 300456', name: 'New' });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ phone: '+44 ••• ••• 0456', name: 'New' });
    const edited = await as.agent!.patch(`/api/v1/contacts/${created.json().id}`, { name: 'Newer' });
    expect(edited.json().phone).toBe('+44 ••• ••• 0456');
    // Its timeline shows the creation with the audit log's snapshot: the phone in it is masked too.
    const timeline = await as.agent!.get(`/api/v1/contacts/${created.json().id}/timeline`);
    const creation = timeline
      .json()
      .data.find((i: { change?: { action: string } }) => i.change?.action === 'contact.create');
    expect(creation.change.after).toMatchObject({ phone: '+44 ••• ••• 0456', name: 'New' });
    const ownerView = await owner.get(`/api/v1/contacts/${created.json().id}/timeline`);
    expect(ownerView.body).toContain('447400300456');
    for (const [url, body] of [
      [`/api/v1/conversations/${conversationId}/status`, { status: 'pending' }],
      [`/api/v1/conversations/${conversationId}/tags`, { tag_ids: [] }],
      [`/api/v1/conversations/${conversationId}/assign`, { assignee_id: null }],
    ] as const) {
      const res = await as.agent!.request(url.endsWith('tags') ? 'PUT' : 'POST', url, body);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body, url).not.toContain(DIGITS);
    }
    const reply = await as.agent!.post(`/api/v1/conversations/${conversationId}/reply`, {
      content: { type: 'text', text: { body: 'Hello?' } },
    });
    expect(reply.statusCode, reply.body).toBe(409);
    expect(reply.json().error.code).toBe('CONSENT_REQUIRED');
    expect(reply.body).not.toContain(DIGITS);
    expect(reply.json().error.message).toContain(MASKED);
    // The owner is told the number itself.
    const ownerReply = await owner.post(`/api/v1/conversations/${conversationId}/reply`, {
      content: { type: 'text', text: { body: 'Hello?' } },
    });
    expect(ownerReply.json().error.message).toContain(`+${WA}`);
  });

  it('searching by phone digits finds nothing for a masked role, so digits cannot be guessed one by one', async () => {
    const ids = (body: string) => (JSON.parse(body).data as { id: string }[]).map((x) => x.id);
    for (const q of [DIGITS, '0123', '7700', `+${WA}`]) {
      const contacts = await as.agent!.get(`/api/v1/contacts?q=${encodeURIComponent(q)}`);
      expect(ids(contacts.body), q).not.toContain(contactId);
      const convs = await as.agent!.get(`/api/v1/conversations?search=${encodeURIComponent(q)}`);
      expect(ids(convs.body), q).toEqual([]);
    }
    // A saved segment cannot be used to search by digits either.
    const seg = await as.agent!.post('/api/v1/segments', { name: 'By digits', filter: { q: DIGITS } });
    expect(seg.statusCode, seg.body).toBe(201);
    expect(ids((await as.agent!.get(`/api/v1/contacts?segment_id=${seg.json().id}`)).body)).toEqual([]);
    expect(ids((await as.agent!.get('/api/v1/contacts?q=Harriet')).body)).toEqual([contactId]);
    expect(ids((await as.agent!.get('/api/v1/conversations?search=Harriet')).body)).toEqual([conversationId]);
    expect(ids((await owner.get(`/api/v1/contacts?q=${DIGITS}`)).body)).toEqual([contactId]);
    expect(ids((await owner.get(`/api/v1/conversations?search=${DIGITS}`)).body)).toEqual([conversationId]);
    expect(ids((await owner.get(`/api/v1/contacts?segment_id=${seg.json().id}`)).body)).toEqual([contactId]);
  });

  it('a template preview filled from the contact shows a masked role the masked phone', async () => {
    const [tpl] = await t.database.query<{ id: string }>(
      `insert into templates (org_id, waba_id, meta_id, name, language, status, category, components)
       values ($1, 'waba-privacy', 'tpl-privacy', 'call_back', 'en_US', 'APPROVED', 'UTILITY',
               '[{"type":"BODY","text":"We will call you on {{1}}"}]') returning id`,
      [t.orgId],
    );
    const preview = async (c: TestClient) => {
      const res = await c.post(`/api/v1/templates/${tpl!.id}/render`, {
        contact_id: contactId,
        mapping: { 'body.1': { contact: 'phone' } },
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.body;
    };
    for (const role of ['agent', 'viewer']) {
      const body = await preview(as[role]!);
      expect(body, role).not.toContain(DIGITS);
      expect(body, role).toContain(MASKED);
    }
    expect(await preview(as.manager!)).toContain(DIGITS);
  });

  it('turning it off shows phones again at once', async () => {
    await hide(false);
    expect((await as.agent!.get(`/api/v1/contacts/${contactId}`)).json().phone).toBe(`+${WA}`);
  });
});
