import type { Simulator } from '@openwaba/simulator';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { type MetaFixtureName, metaFixture } from '../../test/helpers/meta-fixtures.ts';
import { deliverWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import { transaction } from '../db/tx.ts';
import { AppError } from '../lib/errors.ts';

const NUM = {
  phone_number_id: '6100001',
  waba_id: '6000001',
  display_phone_number: '+1 555 060 0001',
  access_token: 'tok-consent-1',
};
const SECRET = 'consent-app-secret-1';

let sim: Simulator;
let t: TestApp;
let owner: TestClient;

beforeAll(async () => {
  sim = await startSimulator({ seed: 6 }, [NUM]);
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  owner = await t.owner();
  await connectNumber(owner, NUM, {
    appSecret: SECRET,
    displayName: 'Consent line',
    verifyToken: 'consent-verify-1',
  });
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

let wamids = 0;
/** A customer's message (`fixture` with `message` merged over it), delivered like Meta (signed) and processed. */
async function inbound(from: string, fixture: MetaFixtureName, message: Record<string, unknown>) {
  const payload = metaFixture(fixture, {
    wabaId: NUM.waba_id,
    phoneNumberId: NUM.phone_number_id,
    displayPhone: '15550600001',
    waId: from,
    name: 'Customer',
    wamid: `wamid.consent.${++wamids}`,
    message,
  });
  const { eventId, result } = await deliverWebhook(t, payload, SECRET);
  expect(result.messages).toBe(1);
  return eventId;
}
const text = (from: string, body: string) => inbound(from, 'message-text', { text: { body } });

async function contactByWa(waId: string) {
  const page = (await owner.get(`/api/v1/contacts?q=${waId}`)).json();
  expect(page.data, waId).toHaveLength(1);
  return page.data[0] as {
    id: string;
    consent: { state: string; source: string | null };
    last_inbound_at: string;
  };
}

/** Runs the consent check; the error code, or 'allowed'. */
async function check(target: { contactId: string } | { waId: string }, businessInitiated: boolean) {
  try {
    await t.app.services.consent.assertCanMessage(t.orgId, target, { businessInitiated });
    return 'allowed';
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
}

let nextPhone = 0;
const newCustomer = () => `1650555${String(1000 + ++nextPhone)}`;

describe(`consent ledger on ${settings.backend}`, () => {
  it('derives the state from the ledger: nothing is unknown, then the latest event wins', async () => {
    const c = (await owner.post('/api/v1/contacts', { phone: `+${newCustomer()}` })).json();
    expect(c.consent).toEqual({ state: 'unknown', source: null, at: null });
    expect((await owner.get(`/api/v1/contacts/${c.id}/consent`)).json()).toEqual({
      state: 'unknown',
      data: [],
      marketing: { stopped_number_ids: [], events: [] },
    });

    const noProof = await owner.post(`/api/v1/contacts/${c.id}/consent`, { kind: 'opt_in' });
    expect(noProof.statusCode).toBe(400);
    expect(noProof.json().error.message).toContain('proof');
    const forged = await owner.post(`/api/v1/contacts/${c.id}/consent`, {
      kind: 'opt_in',
      source: 'keyword',
      proof: 'x',
    });
    expect(forged.statusCode).toBe(400);

    const optIn = await owner.post(`/api/v1/contacts/${c.id}/consent`, {
      kind: 'opt_in',
      source: 'web_form',
      proof: 'Signed up at https://shop.example/whatsapp on the checkout page',
    });
    expect(optIn.statusCode, optIn.body).toBe(201);
    expect(optIn.json()).toMatchObject({
      contact_id: c.id,
      kind: 'opt_in',
      source: 'web_form',
      actor_user_id: t.ownerId,
    });
    const optOut = await owner.post(`/api/v1/contacts/${c.id}/consent`, { kind: 'opt_out' });
    expect(optOut.statusCode, optOut.body).toBe(201);

    const ledger = (await owner.get(`/api/v1/contacts/${c.id}/consent`)).json();
    expect(ledger.state).toBe('opted_out');
    expect(ledger.data.map((e: { kind: string }) => e.kind)).toEqual(['opt_out', 'opt_in']);
    expect(ledger.data[1]).toMatchObject({
      actor_email: 'owner@example.com',
      proof: expect.stringContaining('checkout'),
    });
    const got = (await owner.get(`/api/v1/contacts/${c.id}`)).json();
    expect(got.consent).toMatchObject({ state: 'opted_out', source: 'manual' });

    const audit = (await owner.get(`/api/v1/audit?entity_id=${c.id}&action=contact.opt_in`)).json().data;
    expect(audit).toHaveLength(1);
    const events = await t.database.query<{ payload: { data: Record<string, unknown> } }>(
      `select payload from events where org_id = $1 and type = 'contact.consent_changed' order by seq`,
      [t.orgId],
    );
    expect(events.map((e) => e.payload.data)).toEqual([
      { contact_id: c.id, state: 'opted_in', source: 'web_form' },
      { contact_id: c.id, state: 'opted_out', source: 'manual' },
    ]);
  });

  it('filters contacts by consent state', async () => {
    const yes = (
      await owner.post('/api/v1/contacts', {
        phone: `+${newCustomer()}`,
        name: 'Consent filter yes',
        opt_in: { proof: 'API sign-up' },
      })
    ).json();
    expect(yes.consent).toMatchObject({ state: 'opted_in', source: 'api' });
    const no = (
      await owner.post('/api/v1/contacts', { phone: `+${newCustomer()}`, name: 'Consent filter no' })
    ).json();
    await owner.post(`/api/v1/contacts/${no.id}/consent`, { kind: 'opt_out' });
    const unknown = (
      await owner.post('/api/v1/contacts', { phone: `+${newCustomer()}`, name: 'Consent filter ?' })
    ).json();
    const of = async (state: string) =>
      (await owner.get(`/api/v1/contacts?q=Consent%20filter&consent=${state}`))
        .json()
        .data.map((c: { id: string }) => c.id);
    expect(await of('opted_in')).toEqual([yes.id]);
    expect(await of('opted_out')).toEqual([no.id]);
    expect(await of('unknown')).toEqual([unknown.id]);
  });

  it('assertCanMessage: business-initiated needs an opt-in; an opt-out blocks everything', async () => {
    const c = (await owner.post('/api/v1/contacts', { phone: `+${newCustomer()}` })).json();
    const target = { contactId: c.id };
    expect(await check(target, true)).toBe('CONSENT_REQUIRED');
    expect(await check(target, false)).toBe('allowed');

    await owner.post(`/api/v1/contacts/${c.id}/consent`, { kind: 'opt_in', proof: 'Paper form #42' });
    expect(await check(target, true)).toBe('allowed');
    expect(await check({ waId: c.wa_id }, true)).toBe('allowed');
    expect(await check({ waId: c.phone }, true)).toBe('allowed');

    await owner.post(`/api/v1/contacts/${c.id}/consent`, { kind: 'opt_out', proof: 'Asked on the phone' });
    expect(await check(target, true)).toBe('CONSENT_REQUIRED');
    expect(await check(target, false)).toBe('CONSENT_REQUIRED');

    const err = await t.app.services.consent
      .assertCanMessage(t.orgId, target, { businessInitiated: false })
      .catch((e: AppError) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(409);
    expect((err as AppError).message).toMatch(/opted out/);
    expect((err as AppError).details).toMatchObject({
      contact_id: c.id,
      consent: { state: 'opted_out', source: 'manual' },
    });

    // A WhatsApp id with no contact has no opt-in either.
    expect(await check({ waId: '16505550999' }, true)).toBe('CONSENT_REQUIRED');
    expect(await check({ waId: '16505550999' }, false)).toBe('allowed');
    // Another organisation's contact does not exist here.
    const other = await t.app.services.consent
      .assertCanMessage('00000000-0000-4000-8000-000000000000', target, { businessInitiated: false })
      .catch((e: AppError) => e.code);
    expect(other).toBe('NOT_FOUND');
  });

  it('an opt-out outlives the contact: deleting and re-creating it keeps the STOP', async () => {
    const phone = `+${newCustomer()}`;
    const c = (await owner.post('/api/v1/contacts', { phone })).json();
    await owner.post(`/api/v1/contacts/${c.id}/consent`, { kind: 'opt_out', proof: 'STOP by email' });
    expect((await owner.delete(`/api/v1/contacts/${c.id}`)).statusCode).toBe(200);
    const again = (await owner.post('/api/v1/contacts', { phone })).json();
    expect(again.consent.state).toBe('opted_out');
    const ledger = (await owner.get(`/api/v1/contacts/${again.id}/consent`)).json();
    expect(ledger.data).toHaveLength(1);
    expect(ledger.data[0]).toMatchObject({ contact_id: null, kind: 'opt_out' });
  });

  it('a bulk opt-in (imports) never overrides an opt-out on file', async () => {
    const a = (
      await owner.post('/api/v1/contacts', { phone: `+${newCustomer()}`, name: 'Bulk consent A' })
    ).json();
    const b = (
      await owner.post('/api/v1/contacts', { phone: `+${newCustomer()}`, name: 'Bulk consent B' })
    ).json();
    await owner.post(`/api/v1/contacts/${b.id}/consent`, { kind: 'opt_out' });
    const recorded = await transaction(t.database.db, (tx, onCommit) =>
      t.app.services.consent.recordBulk(
        tx,
        onCommit,
        { orgId: t.orgId, actorType: 'system', label: 'import' },
        { where: sql`c.name like 'Bulk consent %'`, kind: 'opt_in', source: 'import', proof: 'list.csv' },
      ),
    );
    expect(recorded).toBe(1);
    expect((await owner.get(`/api/v1/contacts/${a.id}`)).json().consent).toMatchObject({
      state: 'opted_in',
      source: 'import',
    });
    expect((await owner.get(`/api/v1/contacts/${b.id}`)).json().consent.state).toBe('opted_out');
    const states = await t.app.services.consent.findStates(t.orgId, [a.wa_id, b.wa_id, '19995550000']);
    expect(Object.fromEntries(states)).toEqual({
      [a.wa_id]: 'opted_in',
      [b.wa_id]: 'opted_out',
      '19995550000': 'unknown',
    });
  });
});

describe(`STOP and START from inbound messages on ${settings.backend}`, () => {
  it('STOP opts the customer out at once, audited as the system, and blocks every send', async () => {
    const from = newCustomer();
    await text(from, 'Hello, is my order shipped?');
    let c = await contactByWa(from);
    expect(c.consent.state).toBe('unknown');
    expect(c.last_inbound_at).not.toBeNull();
    expect(await check({ contactId: c.id }, false)).toBe('allowed');

    const eventId = await text(from, 'STOP');
    c = await contactByWa(from);
    expect(c.consent).toMatchObject({ state: 'opted_out', source: 'keyword' });
    const ledger = (await owner.get(`/api/v1/contacts/${c.id}/consent`)).json();
    expect(ledger.data).toHaveLength(1);
    expect(ledger.data[0]).toMatchObject({
      kind: 'opt_out',
      source: 'keyword',
      proof: 'STOP',
      actor_user_id: null,
      message_id: expect.any(String),
    });
    const audit = (await owner.get(`/api/v1/audit?entity_id=${c.id}&action=contact.opt_out`)).json().data;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_type: 'system', actor_label: 'inbound keyword' });
    const [published] = await t.database.query<{ payload: { data: Record<string, unknown> } }>(
      `select payload from events where org_id = $1 and type = 'contact.consent_changed' order by seq desc limit 1`,
      [t.orgId],
    );
    expect(published!.payload.data).toEqual({ contact_id: c.id, state: 'opted_out', source: 'keyword' });
    expect(await check({ contactId: c.id }, true)).toBe('CONSENT_REQUIRED');
    expect(await check({ contactId: c.id }, false)).toBe('CONSENT_REQUIRED');
    expect(await check({ waId: from }, false)).toBe('CONSENT_REQUIRED');

    // Meta redelivers, or an admin replays: still one ledger entry.
    await t.app.services.inbound.processEvent(eventId);
    expect((await owner.get(`/api/v1/contacts/${c.id}/consent`)).json().data).toHaveLength(1);
    // Saying it again changes nothing either.
    await text(from, 'stop');
    expect((await owner.get(`/api/v1/contacts/${c.id}/consent`)).json().data).toHaveLength(1);

    // The timeline shows the messages and the opt-out.
    const timeline = (await owner.get(`/api/v1/contacts/${c.id}/timeline`)).json().data;
    expect(timeline.map((i: { kind: string }) => i.kind).sort()).toEqual([
      'consent',
      'message',
      'message',
      'message',
    ]);
    expect(timeline.find((i: { kind: string }) => i.kind === 'message').message).toMatchObject({
      direction: 'in',
      type: 'text',
    });
  });

  it('the organisation’s confirmation reply goes out once, through the send path, and nothing after', async () => {
    const confirmation = 'You will get no more messages from us. Reply START to opt back in.';
    const set = await owner.patch('/api/v1/contacts/settings', { stop_confirmation_text: confirmation });
    expect(set.statusCode, set.body).toBe(200);
    t.app.services.sender.start();
    try {
      const from = newCustomer();
      await text(from, 'Hi there');
      const eventId = await text(from, 'STOP');
      const toCustomer = () => sim.sentMessages().filter((m) => m.to === from);
      const end = Date.now() + 15_000;
      while (!toCustomer().length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(toCustomer().map((m) => m.body.text)).toEqual([{ body: confirmation }]);
      const c = await contactByWa(from);
      // Recorded with Meta's id once the sender writes the outcome down (just after the request).
      const outbound = () =>
        t.database.query<{ status: string; source: string; wamid: string | null }>(
          `select m.status, m.source, m.wamid from messages m join conversations v on v.id = m.conversation_id
            where v.contact_id = $1 and m.direction = 'out'`,
          [c.id],
        );
      while (!(await outbound())[0]?.wamid && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(await outbound()).toEqual([{ status: 'sent', source: 'system', wamid: expect.any(String) }]);
      // A replay of the STOP, or saying it again, sends nothing more.
      await t.app.services.inbound.processEvent(eventId);
      await text(from, 'STOP');
      await new Promise((r) => setTimeout(r, 500));
      expect(toCustomer()).toHaveLength(1);
      // And nobody may write to them now, inside the window or not.
      await expect(
        t.app.services.outbound.send(t.orgId, {
          numberId: (await owner.get('/api/v1/numbers')).json().data[0].id,
          to: { contactId: c.id },
          content: { type: 'text', text: { body: 'But wait!' } },
          source: 'inbox',
        }),
      ).rejects.toMatchObject({ code: 'CONSENT_REQUIRED' });
    } finally {
      await t.app.services.sender.stop();
      await owner.patch('/api/v1/contacts/settings', { stop_confirmation_text: null });
    }
  });

  it('START opts back in; business-initiated messages may go again', async () => {
    const from = newCustomer();
    await text(from, 'Unsubscribe');
    expect((await contactByWa(from)).consent.state).toBe('opted_out');
    await text(from, 'Start!');
    const c = await contactByWa(from);
    expect(c.consent).toMatchObject({ state: 'opted_in', source: 'keyword' });
    expect(await check({ contactId: c.id }, true)).toBe('allowed');
    const kinds = (await owner.get(`/api/v1/contacts/${c.id}/consent`))
      .json()
      .data.map((e: { kind: string }) => e.kind);
    expect(kinds).toEqual(['opt_in', 'opt_out']);
  });

  it('reads keywords whatever the case, accents or punctuation, and only as the whole message', async () => {
    const cases: [string, string][] = [
      ['  Stop!! ', 'opted_out'],
      ['ARRÊT', 'opted_out'],
      ['arret.', 'opted_out'],
      ['¡Parar!', 'opted_out'],
      ['stop all', 'opted_out'],
      ['Abmelden', 'opted_out'],
      ['stop please', 'unknown'],
      ['Please STOP sending me these', 'unknown'],
      ['stopped', 'unknown'],
    ];
    for (const [said, state] of cases) {
      const from = newCustomer();
      await text(from, said);
      expect((await contactByWa(from)).consent.state, said).toBe(state);
    }
    // The "Stop promotions" quick reply of a marketing template.
    const from = newCustomer();
    await inbound(from, 'message-button', { button: { text: 'Stop promotions', payload: 'STOP_PROMO' } });
    expect((await contactByWa(from)).consent.state).toBe('opted_out');
    // Only text and buttons are read: an image caption saying STOP is not an opt-out.
    const pic = newCustomer();
    await inbound(pic, 'message-image', { image: { id: '777', caption: 'STOP', mime_type: 'image/jpeg' } });
    expect((await contactByWa(pic)).consent.state).toBe('unknown');
  });

  it('uses the organisation’s keyword lists; managers change them, null restores the defaults', async () => {
    const defaults = (await owner.get('/api/v1/contacts/settings')).json();
    const audited = (await owner.get('/api/v1/audit?action=contact_settings.update')).json().data.length;
    expect(defaults.opt_out_keywords).toContain('STOP');
    expect(defaults.opt_in_keywords).toEqual(['START', 'UNSTOP', 'SUBSCRIBE']);
    expect(defaults.stop_confirmation_text).toBeNull();

    const clash = await owner.patch('/api/v1/contacts/settings', { opt_in_keywords: ['stop'] });
    expect(clash.statusCode).toBe(400);
    expect(clash.json().error.message).toContain('"stop" is also an opt-out keyword');
    const empty = await owner.patch('/api/v1/contacts/settings', { opt_out_keywords: ['!!!'] });
    expect(empty.statusCode).toBe(400);

    const res = await owner.patch('/api/v1/contacts/settings', {
      opt_out_keywords: ['STOP', 'BASTA', 'NO MÁS'],
      stop_confirmation_text: 'You will get no more messages. Reply START to come back.',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      opt_out_keywords: ['STOP', 'BASTA', 'NO MÁS'],
      stop_confirmation_text: 'You will get no more messages. Reply START to come back.',
    });
    const basta = newCustomer();
    await text(basta, 'no mas');
    expect((await contactByWa(basta)).consent.state).toBe('opted_out');
    const quit = newCustomer();
    await text(quit, 'QUIT');
    expect((await contactByWa(quit)).consent.state).toBe('unknown');

    const restored = await owner.patch('/api/v1/contacts/settings', { opt_out_keywords: null });
    expect(restored.json().opt_out_keywords).toEqual(defaults.opt_out_keywords);
    expect(restored.json().stop_confirmation_text).toMatch(/no more messages/);
    await text(quit, 'QUIT');
    expect((await contactByWa(quit)).consent.state).toBe('opted_out');
    const audit = (await owner.get('/api/v1/audit?action=contact_settings.update')).json().data;
    expect(audit).toHaveLength(audited + 2);
  });
});
