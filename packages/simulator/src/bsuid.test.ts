import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Loose, NUMBER, startReceiver, startSimulator } from '../test/helpers.ts';
import { userId } from './events/context.ts';

/** Meta's documented payloads for business-scoped user ids (see the fixture's `_source`). */
const META = JSON.parse(readFileSync(new URL('../test/fixtures/bsuid-meta.json', import.meta.url), 'utf8'));

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function world(o: Parameters<typeof startSimulator>[0] = {}) {
  const rx = await startReceiver();
  const h = await startSimulator(o, rx.url);
  cleanups.push(
    () => rx.close(),
    () => h.sim.close(),
  );
  return { rx, ...h };
}

const keys = (o: unknown) => Object.keys(o as object).sort();
const values = (rx: Awaited<ReturnType<typeof startReceiver>>) => rx.changes().map((c) => c.value as Loose);

describe('username customers and business-scoped user ids (BSUID)', () => {
  it('a username customer writes as Meta documents it: user_id and username, no wa_id, from_user_id and no from', async () => {
    const { rx, sim, control } = await world();
    const wa = '16505550101';
    sim.setCustomer(wa, { username: 'sheena.nelson', name: 'Sheena Nelson' });
    const r = await control('POST', `/_sim/customers/${wa}/messages`, {
      phone_number_id: NUMBER.phone_number_id,
      type: 'text',
      text: 'Hi',
    });
    expect(r.status).toBe(201);
    await sim.settle();
    const [v] = values(rx);
    const doc = META.incoming_message_username_user;
    const contact = v!.contacts[0];
    // Meta's shape, plus the parent BSUID it adds where parent BSUIDs are enabled.
    expect(keys(contact)).toEqual([...keys(doc.contacts[0]), 'parent_user_id'].sort());
    expect(contact.profile).toEqual({ name: 'Sheena Nelson', username: 'sheena.nelson' });
    expect(contact.user_id).toMatch(/^US\.\d{20}$/);
    expect(keys(v!.messages[0])).toEqual(keys(doc.messages[0]));
    expect(v!.messages[0].from_user_id).toBe(contact.user_id);
  });

  it('accepts `recipient` like Meta: answers contacts[].user_id, statuses carry recipient_user_id and no recipient_id', async () => {
    const { rx, sim, graph } = await world();
    const wa = '16505550102';
    sim.setCustomer(wa, { username: 'ben.k', window: 'open' });
    const bsuid = userId(wa);
    const body = { ...META.send_to_bsuid_request, recipient: bsuid };
    const r = await graph('POST', `/v23.0/${NUMBER.phone_number_id}/messages`, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.contacts).toEqual(
      META.send_to_bsuid_response_contacts.map(() => ({ input: bsuid, user_id: bsuid })),
    );
    await sim.settle();
    const statuses = rx.statuses();
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    for (const s of statuses) {
      expect(s).toMatchObject({ id: r.body.messages[0].id, recipient_user_id: bsuid });
      expect(s).not.toHaveProperty('recipient_id');
      for (const k of keys(META.status_sent_to_bsuid)) expect(s).toHaveProperty(k);
    }
    // The customer was messaged by BSUID: their phone stays hidden in later webhooks.
    expect(values(rx).every((v) => !v.contacts || !('wa_id' in v.contacts[0]))).toBe(true);
  });

  it('`to` wins over `recipient`; a malformed or unknown BSUID, or neither, is refused as at Meta', async () => {
    const { graph } = await world();
    const send = (extra: Record<string, unknown>) =>
      graph('POST', `/v23.0/${NUMBER.phone_number_id}/messages`, {
        messaging_product: 'whatsapp',
        type: 'text',
        text: { body: 'Hello' },
        ...extra,
      });
    const both = await send({ to: '16505550103', recipient: userId('16505550104') });
    expect(both.body.contacts).toEqual([{ input: '16505550103', wa_id: '16505550103' }]);
    expect((await send({ recipient: 'not-a-bsuid' })).body.error).toMatchObject({ code: 131009 });
    expect((await send({ recipient: 'US.12345678901234567890' })).body.error).toMatchObject({
      code: 131026,
    });
    expect((await send({})).body.error).toMatchObject({ code: 131008 });
  });

  it('refuses an authentication template to a BSUID with 131062; to the phone it goes', async () => {
    const { sim, graph } = await world();
    sim.addTemplate({
      waba_id: NUMBER.waba_id,
      name: 'login_code',
      language: 'en_US',
      category: 'AUTHENTICATION',
      components: [{ type: 'BODY', text: '{{1}} is your code.', example: { body_text: [['123456']] } }],
    });
    const wa = '16505550105';
    sim.setCustomer(wa, { username: 'otp.user' });
    const template = {
      name: 'login_code',
      language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: '123456' }] }],
    };
    const base = { messaging_product: 'whatsapp', type: 'template', template };
    const byUser = await graph('POST', `/v23.0/${NUMBER.phone_number_id}/messages`, {
      ...base,
      recipient: userId(wa),
    });
    expect(byUser.status).toBe(400);
    expect(byUser.body.error).toMatchObject({ code: META.auth_template_to_bsuid_error_code });
    const byPhone = await graph('POST', `/v23.0/${NUMBER.phone_number_id}/messages`, { ...base, to: wa });
    expect(byPhone.status).toBe(200);
  });

  it('a request for the phone number is answered with a contacts message (origin contact_request); the phone is shared from then on', async () => {
    const { rx, sim, graph } = await world({ customers: { reply_rate: 1, stop_rate: 0 } });
    const wa = '16505550106';
    sim.setCustomer(wa, { username: 'asks.me', window: 'open' });
    const r = await graph('POST', `/v23.0/${NUMBER.phone_number_id}/messages`, {
      ...META.request_contact_info_request,
      recipient: userId(wa),
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await sim.settle();
    const reply = values(rx).find((v) => v.messages?.[0]?.type === 'contacts');
    expect(reply!.messages[0]).toMatchObject({
      origin: 'contact_request',
      contacts: [{ phones: [{ wa_id: wa }] }],
      context: { id: r.body.messages[0].id },
    });
    expect(reply!.contacts[0]).toMatchObject({ wa_id: wa, user_id: userId(wa) });
  });

  it('tells of a BSUID change with Meta’s user_changed_user_id system message', async () => {
    const { rx, sim, control } = await world();
    const wa = '16505550107';
    sim.setCustomer(wa, { username: 'dee.x' });
    await control('POST', `/_sim/customers/${wa}/messages`, {
      phone_number_id: NUMBER.phone_number_id,
      type: 'user_id_change',
    });
    await sim.settle();
    const [v] = values(rx);
    const doc = META.system_user_changed_user_id;
    expect(v!.contacts).toBeUndefined();
    expect(keys(v!.messages[0])).toEqual(keys(doc));
    expect(keys(v!.messages[0].system)).toEqual(keys(doc.system));
    expect(v!.messages[0].system.type).toBe('user_changed_user_id');
  });

  it('a configurable share of customers hides their phone (none by default)', async () => {
    const hidden = async (rate?: number) => {
      const { rx, sim, control } = await world(
        rate === undefined ? {} : { customers: { username_rate: rate } },
      );
      for (let i = 0; i < 20; i++) {
        await control('POST', `/_sim/customers/1650555${String(2000 + i)}/messages`, {
          phone_number_id: NUMBER.phone_number_id,
          type: 'text',
        });
      }
      await sim.settle();
      return values(rx).filter((v) => v.contacts && !('wa_id' in v.contacts[0])).length;
    };
    expect(await hidden()).toBe(0);
    expect(await hidden(1)).toBe(20);
  });
});
