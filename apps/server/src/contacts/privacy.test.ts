import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../test/helpers/connect-number.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import { connectSimNumber, customerWrites, type SimNumber } from '../../test/inbound.ts';
import { createSeeder } from '../../test/seed.ts';

let t: TestApp;
let owner: TestClient;
let seed: ReturnType<typeof createSeeder>;
let num: SimNumber;
let dataDir: string;

/** A UK mobile as WhatsApp names it (E.164 digits), distinct per n. */
const wa = (n: number) => `447400${String(300000 + n)}`;

const count = async (text: string, params: unknown[] = []) =>
  Number((await t.database.query<{ n: number }>(text, params))[0]?.n);

async function createContact(body: Record<string, unknown>) {
  const res = await owner.post('/api/v1/contacts', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
async function contactOf(waId: string) {
  const [c] = await t.database.query<{ id: string }>(
    'select id from contacts where org_id = $1 and wa_id = $2',
    [t.orgId, waId],
  );
  return c?.id;
}
/** A campaign of the organisation that was sent to these phones. */
async function campaignSentTo(waIds: string[]) {
  const [c] = await t.database.query<{ id: string }>(
    `insert into campaigns (org_id, number_id, name, audience, templates, state)
     values ($1, $2, 'Spring sale', '{"kind":"contacts"}', '[]', 'completed') returning id`,
    [t.orgId, num.id],
  );
  for (const w of waIds) {
    await t.database.query(
      `insert into campaign_recipients (campaign_id, org_id, contact_id, wa_id, input, state, params, sent_at)
       values ($1, $2, (select id from contacts where org_id = $2 and wa_id = $3), $3, $4, 'sent', '{"1":"Ada"}', now())`,
      [c!.id, t.orgId, w, `+${w}`],
    );
  }
  return c!.id;
}
const erase = (client: TestClient, id: string) =>
  client.post(`/api/v1/contacts/${id}/erase`, { confirm: 'erase' });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'openwaba-privacy-'));
  const sim = await startSimulator({
    seed: 5,
    customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
  });
  t = await createTestApp({ META_GRAPH_URL: sim.url, DATA_DIR: dataDir });
  owner = await t.owner();
  expect((await owner.patch('/api/v1/org', { settings: { default_region: 'GB' } })).statusCode).toBe(200);
  num = await connectSimNumber(
    owner,
    { phoneNumberId: '8500101', wabaId: '8500001', secret: 'privacy-secret' },
    sim,
  );
  seed = createSeeder(t.database, t.config);
  const field = await owner.post('/api/v1/fields', { key: 'city', label: 'City', type: 'text' });
  expect(field.statusCode, field.body).toBe(201);
});
afterAll(async () => {
  await t.close();
  await num.sim.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe(`contact export (GDPR access) on ${settings.backend}`, () => {
  it('gives everything held about one contact as JSON', async () => {
    const tag = (await owner.post('/api/v1/tags', { name: 'vip' })).json().id;
    await customerWrites(t, num, wa(1), 'Hello, I have a question', 'Ada');
    const id = (await contactOf(wa(1)))!;
    const patched = await owner.patch(`/api/v1/contacts/${id}`, {
      fields: { city: 'Leeds' },
      tag_ids: [tag],
    });
    expect(patched.statusCode, patched.body).toBe(200);
    await owner.post(`/api/v1/contacts/${id}/consent`, { kind: 'opt_in', proof: 'paper form 12' });
    const conversationId = (await owner.get('/api/v1/conversations')).json().data[0].id;
    await owner.post(`/api/v1/conversations/${conversationId}/notes`, { body: 'Prefers mornings' });
    const out = await seed.message(t.orgId, num.id, conversationId, {
      days: 0,
      direction: 'out',
      text: 'Hi Ada',
    });
    await seed.mediaFile(t.orgId, num.id, out.id, 0);
    const campaign = await campaignSentTo([wa(1)]);
    // Someone else's data is not in it.
    await customerWrites(t, num, wa(2), 'Not Ada');

    const res = await owner.get(`/api/v1/contacts/${id}/export`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="contact-${id}.json"`);
    const data = res.json();
    expect(data.contact).toMatchObject({
      id,
      phone: `+${wa(1)}`,
      name: 'Ada',
      fields: { city: 'Leeds' },
      tags: [{ id: tag, name: 'vip' }],
      consent: { state: 'opted_in' },
    });
    expect(data.consent).toMatchObject([{ kind: 'opt_in', proof: 'paper form 12', wa_id: wa(1) }]);
    expect(data.conversations).toHaveLength(1);
    expect(data.conversations[0].messages.map((m: { direction: string }) => m.direction)).toEqual([
      'in',
      'out',
    ]);
    expect(data.conversations[0].messages[0].content.text.body).toBe('Hello, I have a question');
    expect(data.conversations[0].notes).toMatchObject([
      { body: 'Prefers mornings', author_email: 'owner@example.com' },
    ]);
    expect(data.campaign_sends).toMatchObject([
      { campaign_id: campaign, campaign_name: 'Spring sale', state: 'sent' },
    ]);
    expect(data.media).toMatchObject([{ message_id: out.id, state: 'ready', mime_type: 'image/jpeg' }]);
    expect(data.changes.map((c: { action: string }) => c.action)).toContain('contact.update');
    expect(JSON.stringify(data)).not.toContain('Not Ada');
  });

  it('is for managers and up; another organisation’s contact is a 404', async () => {
    const id = (await contactOf(wa(1)))!;
    for (const role of ['agent', 'viewer']) {
      const c = await t.member(role);
      expect((await c.get(`/api/v1/contacts/${id}/export`)).statusCode, role).toBe(403);
      expect((await erase(c, id)).statusCode, role).toBe(403);
    }
    const manager = await t.member('manager');
    expect((await manager.get(`/api/v1/contacts/${id}/export`)).statusCode).toBe(200);
    const other = await t.owner();
    const org = await other.post('/api/v1/orgs', { name: 'Elsewhere' });
    expect((await other.post('/api/v1/me/org', { org_id: org.json().id })).statusCode).toBe(200);
    expect((await other.get(`/api/v1/contacts/${id}/export`)).statusCode).toBe(404);
    expect((await erase(other, id)).statusCode).toBe(404);
    expect(await contactOf(wa(1))).toBe(id);
    expect((await owner.get('/api/v1/contacts/00000000-0000-4000-8000-000000000000/export')).statusCode).toBe(
      404,
    );
    expect((await owner.get('/api/v1/contacts/not-a-uuid/export')).statusCode).toBe(400);
  });
});

describe(`contact erasure (GDPR) on ${settings.backend}`, () => {
  it('needs the explicit confirmation in the body', async () => {
    const id = (await contactOf(wa(1)))!;
    for (const body of [undefined, {}, { confirm: 'yes' }, { confirm: 'erase', also: 1 }]) {
      const res = await owner.post(`/api/v1/contacts/${id}/erase`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect(await contactOf(wa(1))).toBe(id);
  });

  it('erases messages, files, notes, the conversation, campaign rows, the ledger and the contact; keeps the opt-out under a hashed phone', async () => {
    await customerWrites(t, num, wa(3), 'I want to hear about offers', 'Bo');
    const id = (await contactOf(wa(3)))!;
    await owner.post(`/api/v1/contacts/${id}/consent`, { kind: 'opt_in', proof: `form signed by +${wa(3)}` });
    await customerWrites(t, num, wa(3), 'STOP');
    expect((await owner.get(`/api/v1/contacts/${id}`)).json().consent.state).toBe('opted_out');
    const conversationId = (await owner.get(`/api/v1/conversations?search=${wa(3)}`)).json().data[0].id;
    await t.member('agent', 'mentioned@example.com');
    const note = await owner.post(`/api/v1/conversations/${conversationId}/notes`, {
      body: 'Asked to stop, @mentioned@example.com please check',
    });
    expect(note.json().mentions).toHaveLength(1);
    expect(
      await count('select count(*)::int as n from notifications where related_entity_id = $1', [
        conversationId,
      ]),
    ).toBe(1);
    const out = await seed.message(t.orgId, num.id, conversationId, { days: 0, direction: 'out' });
    await seed.status(num.id, out.wamid, 0, wa(3));
    const fileKey = await seed.mediaFile(t.orgId, num.id, out.id, 0);
    const sent = await seed.message(t.orgId, num.id, conversationId, { days: 0, direction: 'out' });
    const upload = await seed.upload(t.orgId, num.id, 0, [sent.id]);
    await campaignSentTo([wa(3), wa(2)]);
    const bodies = await t.database.query<{ id: string }>(
      'select id::text from webhook_events where raw like $1',
      [`%"${wa(3)}"%`],
    );
    expect(bodies.length).toBeGreaterThan(0);
    const shared = await seed.webhookBody([t.orgId, '00000000-0000-4000-8000-000000000001'], 0, {
      raw: `{"from":"${wa(3)}"}`,
    });

    const res = await erase(owner, id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      erased: true,
      deleted: {
        conversations: 1,
        messages: 4,
        media_files: 2,
        notes: 1,
        campaign_recipients: 1,
        consent_events: 2,
        webhook_events: bodies.length,
      },
      opt_out_kept: true,
    });
    expect((await owner.get(`/api/v1/contacts/${id}`)).statusCode).toBe(404);
    const left = async (table: string, where: string, params: unknown[]) =>
      count(`select count(*)::int as n from ${table} where ${where}`, params);
    expect(await left('messages', 'conversation_id = $1', [conversationId])).toBe(0);
    expect(await left('conversation_notes', 'conversation_id = $1', [conversationId])).toBe(0);
    expect(await left('conversations', 'id = $1', [conversationId])).toBe(0);
    expect(await left('notifications', 'related_entity_id = $1', [conversationId])).toBe(0);
    expect(await left('media_files', 'message_id = $1', [out.id])).toBe(0);
    expect(await left('opt_in_events', 'wa_id = $1', [wa(3)])).toBe(0);
    expect(await left('campaign_recipients', 'wa_id = $1', [wa(3)])).toBe(0);
    expect(await left('campaign_recipients', 'wa_id = $1', [wa(2)])).toBe(1);
    expect(await left('message_status_events', 'wamid = $1', [out.wamid])).toBe(0);
    expect(await left('webhook_events', 'id = any($1::bigint[])', [bodies.map((b) => b.id)])).toBe(0);
    // A body that also concerned another organisation is theirs too: it stays (retention takes it).
    expect(await left('webhook_events', 'id = $1', [shared])).toBe(1);
    expect(await seed.stored(fileKey)).toBe(false);
    expect(await seed.stored(upload)).toBe(false);
    expect(await left('outbound_media', 'storage_key = $1', [upload])).toBe(0);

    // The opt-out proof stays, under a hash of the phone: no digits of it anywhere in the row.
    const tomb = await t.database.query<{ phone_hash: string; proof: unknown }>(
      'select phone_hash, proof from consent_tombstones where org_id = $1',
      [t.orgId],
    );
    expect(tomb).toHaveLength(1);
    expect(tomb[0]!.phone_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(tomb[0])).not.toContain(wa(3).slice(-7));
    expect(tomb[0]!.proof).toMatchObject({ kind: 'opt_out', source: 'keyword', proof: 'STOP' });

    // Audited without the phone; earlier entries about the contact keep the action, not the data.
    const audit = (await owner.get(`/api/v1/audit?entity_type=contact&entity_id=${id}`)).json().data;
    expect(audit[0]).toMatchObject({ action: 'contact.erase', after: { opt_out_kept: true } });
    expect(JSON.stringify(audit)).not.toContain(wa(3).slice(-7));
    expect(audit.map((a: { action: string }) => a.action)).toContain('contact.opt_in');
  });

  it('a phone that comes back stays opted out: API create (even with an opt-in), import, inbound message', async () => {
    const created = await createContact({
      phone: `+${wa(3)}`,
      name: 'Bo again',
      opt_in: { source: 'api', proof: 'old list' },
    });
    expect(created.consent).toMatchObject({ state: 'opted_out', source: 'keyword' });
    const ledger = (await owner.get(`/api/v1/contacts/${created.id}/consent`)).json();
    expect(ledger.data).toHaveLength(1);
    expect(ledger.data[0].proof).toContain('kept when the contact was erased');
    const restored = (await owner.get('/api/v1/audit?action=contact.opt_out_restored')).json().data;
    expect(restored[0]).toMatchObject({ actor_type: 'system', entity_id: created.id });

    // Erased again (its latest choice is still the opt-out), then imported with an opt-in.
    expect((await erase(owner, created.id)).json().opt_out_kept).toBe(true);
    const up = await owner.request(
      'POST',
      '/api/v1/contacts/imports?filename=list.csv',
      `Phone,Name\n+${wa(3)},Bo\n+${wa(4)},Cy\n`,
      {
        'content-type': 'text/csv',
      },
    );
    expect(up.statusCode, up.body).toBe(201);
    const options = { mapping: { phone: 'Phone', name: 'Name' }, opt_in: { proof: 'fair list' } };
    expect((await owner.post(`/api/v1/contacts/imports/${up.json().id}/confirm`, options)).statusCode).toBe(
      202,
    );
    await t.app.services.contactImports.run(t.orgId, up.json().id);
    const bo = (await owner.get(`/api/v1/contacts/${await contactOf(wa(3))}`)).json();
    const cy = (await owner.get(`/api/v1/contacts/${await contactOf(wa(4))}`)).json();
    expect(bo.consent.state).toBe('opted_out');
    expect(cy.consent.state).toBe('opted_in');
    // Back on file in the ledger: the consent filter (and campaigns) see it too.
    const optedOut = (await owner.get('/api/v1/contacts?consent=opted_out')).json().data;
    expect(optedOut.map((c: { id: string }) => c.id)).toContain(bo.id);

    // Erased once more; then the customer writes in: the inbox may not answer them.
    expect((await erase(owner, bo.id)).statusCode).toBe(200);
    await customerWrites(t, num, wa(3), 'Hi again');
    const back = (await owner.get(`/api/v1/contacts/${await contactOf(wa(3))}`)).json();
    expect(back.consent.state).toBe('opted_out');
    const conversationId = (await owner.get(`/api/v1/conversations?search=${wa(3)}`)).json().data[0].id;
    const reply = await owner.post(`/api/v1/conversations/${conversationId}/reply`, {
      content: { type: 'text', text: { body: 'Welcome back' } },
    });
    expect(reply.statusCode, reply.body).toBe(409);
    expect(reply.json().error.code).toBe('CONSENT_REQUIRED');
    // Only their own START opts them back in.
    await customerWrites(t, num, wa(3), 'START');
    const ledgerNow = (await owner.get(`/api/v1/contacts/${back.id}/consent`)).json();
    expect(ledgerNow.state).toBe('opted_in');
    expect(ledgerNow.data.map((e: { kind: string }) => e.kind)).toEqual(['opt_in', 'opt_out']);
  });

  it('an import without an opt-in also puts the kept opt-out back on file', async () => {
    const c = await createContact({ phone: `+${wa(5)}`, name: 'Di' });
    await owner.post(`/api/v1/contacts/${c.id}/consent`, { kind: 'opt_out', proof: 'asked on the phone' });
    expect((await erase(owner, c.id)).json().opt_out_kept).toBe(true);
    const up = await owner.request('POST', '/api/v1/contacts/imports?filename=di.csv', `Phone\n+${wa(5)}\n`, {
      'content-type': 'text/csv',
    });
    expect(up.statusCode, up.body).toBe(201);
    const options = { mapping: { phone: 'Phone' } };
    expect((await owner.post(`/api/v1/contacts/imports/${up.json().id}/confirm`, options)).statusCode).toBe(
      202,
    );
    await t.app.services.contactImports.run(t.orgId, up.json().id);
    const id = await contactOf(wa(5));
    const ledger = (await owner.get(`/api/v1/contacts/${id}/consent`)).json();
    expect(ledger).toMatchObject({ state: 'opted_out', data: [{ kind: 'opt_out', source: 'manual' }] });
    expect(ledger.data[0].proof).toContain('asked on the phone');
  });

  it('an opted-in contact leaves no tombstone, and its earlier one goes', async () => {
    // wa(3) opted back in with START: erasing it now drops the kept opt-out.
    const id = (await contactOf(wa(3)))!;
    expect((await erase(owner, id)).json().opt_out_kept).toBe(false);
    // Only the one of wa(5) (the test before) is left.
    expect(
      await count('select count(*)::int as n from consent_tombstones where org_id = $1', [t.orgId]),
    ).toBe(1);
    const again = await createContact({ phone: `+${wa(3)}` });
    expect(again.consent.state).toBe('unknown');
  });
});

describe(`deleting contacts removes their files on ${settings.backend}`, () => {
  async function contactWithFile(n: number, tag: string) {
    const c = await createContact({ phone: `+${wa(n)}`, name: `Bulk ${n}`, tag_ids: [tag] });
    const { conversationId } = await seed.conversation(t.orgId, num.id, wa(n));
    const m = await seed.message(t.orgId, num.id, conversationId, { days: 0 });
    return { id: c.id as string, key: await seed.mediaFile(t.orgId, num.id, m.id, 0) };
  }

  it('bulk delete by a filter needs the count the person saw; a different count is a 409 with the current one', async () => {
    const tag = (await owner.post('/api/v1/tags', { name: 'bulk-doomed' })).json().id;
    const doomed = [
      await contactWithFile(11, tag),
      await contactWithFile(12, tag),
      await contactWithFile(13, tag),
    ];
    const filter = { tag_ids: [tag] };
    const missing = await owner.post('/api/v1/contacts/bulk', { action: 'delete', filter });
    expect(missing.statusCode).toBe(409);
    expect(missing.json().error).toMatchObject({ code: 'CONFLICT', details: { count: 3 } });
    const wrong = await owner.post('/api/v1/contacts/bulk', { action: 'delete', filter, confirm_count: 2 });
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json().error.details).toEqual({ count: 3 });
    expect(wrong.json().error.message).toContain('3 contacts match now, not the 2 you confirmed');
    const seg = (await owner.post('/api/v1/segments', { name: 'Doomed seg', filter })).json();
    const bySegment = await owner.post('/api/v1/contacts/bulk', { action: 'delete', segment_id: seg.id });
    expect(bySegment.json().error.details).toEqual({ count: 3 });
    const negative = await owner.post('/api/v1/contacts/bulk', {
      action: 'delete',
      filter,
      confirm_count: -1,
    });
    expect(negative.statusCode).toBe(400);
    for (const d of doomed) expect(await seed.stored(d.key)).toBe(true);
    expect(
      await count('select count(*)::int as n from contacts where id = any($1::uuid[])', [
        doomed.map((d) => d.id),
      ]),
    ).toBe(3);

    const agent = await t.member('agent');
    expect(
      (await agent.post('/api/v1/contacts/bulk', { action: 'delete', filter, confirm_count: 3 })).statusCode,
    ).toBe(403);
    const ok = await owner.post('/api/v1/contacts/bulk', { action: 'delete', filter, confirm_count: 3 });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toEqual({ matched: 3, affected: 3 });
    expect(
      await count('select count(*)::int as n from contacts where id = any($1::uuid[])', [
        doomed.map((d) => d.id),
      ]),
    ).toBe(0);
    for (const d of doomed) expect(await seed.stored(d.key)).toBe(false);
    const audit = (await owner.get('/api/v1/audit?action=contact.bulk_delete')).json().data;
    expect(audit[0].after).toMatchObject({
      matched: 3,
      affected: 3,
      confirm_count: 3,
      media_files: 3,
      filter,
    });
  });

  it('a filter that matches everything is confirmed with the total; by ids needs no count', async () => {
    const total = (await owner.get('/api/v1/contacts?with_total=true&limit=1')).json().total as number;
    expect(total).toBeGreaterThan(1);
    const tag = (await owner.post('/api/v1/tags', { name: 'by-id' })).json().id;
    const one = await contactWithFile(21, tag);
    const byIds = await owner.post('/api/v1/contacts/bulk', { action: 'delete', ids: [one.id] });
    expect(byIds.json()).toEqual({ matched: 1, affected: 1 });
    expect(await seed.stored(one.key)).toBe(false);
    const all = await owner.post('/api/v1/contacts/bulk', {
      action: 'delete',
      filter: {},
      confirm_count: total + 5,
    });
    expect(all.json().error.details).toEqual({ count: total });
    const wiped = await owner.post('/api/v1/contacts/bulk', {
      action: 'delete',
      filter: {},
      confirm_count: total,
    });
    expect(wiped.json()).toEqual({ matched: total, affected: total });
    expect((await owner.get('/api/v1/contacts?with_total=true')).json().total).toBe(0);
  });

  it('deleting one contact removes its files too', async () => {
    const tag = (await owner.post('/api/v1/tags', { name: 'single' })).json().id;
    const one = await contactWithFile(31, tag);
    expect((await owner.delete(`/api/v1/contacts/${one.id}`)).statusCode).toBe(200);
    expect(await seed.stored(one.key)).toBe(false);
  });
});
