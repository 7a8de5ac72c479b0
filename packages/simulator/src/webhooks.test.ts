import { afterEach, describe, expect, it } from 'vitest';
import { hmac, type Loose, NUMBER, startReceiver, startSimulator } from '../test/helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function world(o: Parameters<typeof startSimulator>[0] = {}, status?: (n: number) => number) {
  const rx = await startReceiver(status);
  const h = await startSimulator(o, rx.url);
  cleanups.push(
    () => rx.close(),
    () => h.sim.close(),
  );
  return { rx, ...h };
}

const text = { type: 'text', text: { body: 'Hello' } };

describe('status webhooks', () => {
  it('sent → delivered → read, signed over the exact bytes, with conversation, pricing and callback data', async () => {
    const { rx, sim, send } = await world();
    sim.setCustomer('16505550001', { window: 'open' });
    const r = await send('16505550001', text, { biz_opaque_callback_data: 'campaign:7' });
    await sim.settle();
    const statuses = rx.statuses();
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    for (const s of statuses) {
      expect(s.id).toBe(r.body.messages[0].id);
      expect(s.recipient_id).toBe('16505550001');
      expect(s.biz_opaque_callback_data).toBe('campaign:7');
      expect(s.pricing).toMatchObject({ pricing_model: 'PMP', category: 'service' });
    }
    expect(
      (statuses[0]!.conversation as { expiration_timestamp?: string }).expiration_timestamp,
    ).toBeTruthy();
    expect(
      (statuses[1]!.conversation as { expiration_timestamp?: string }).expiration_timestamp,
    ).toBeUndefined();
    for (const d of rx.received) {
      expect(d.headers['x-hub-signature-256']).toBe(hmac(d.raw, NUMBER.app_secret));
      expect(d.body.object).toBe('whatsapp_business_account');
      expect(d.body.entry[0]!.id).toBe(NUMBER.waba_id);
      expect(d.body.entry[0]!.changes[0]!.value.metadata).toEqual({
        display_phone_number: '15550100001',
        phone_number_id: NUMBER.phone_number_id,
      });
    }
  });

  it('free-form outside the 24 h window: accepted with 200, then a failed status with 131047', async () => {
    const { rx, sim, send } = await world();
    const r = await send('16505550002', text);
    expect(r.status).toBe(200);
    await sim.settle();
    const [failed] = rx.statuses();
    expect(failed).toMatchObject({ id: r.body.messages[0].id, status: 'failed' });
    expect((failed!.errors as { code: number; title: string }[])[0]).toMatchObject({
      code: 131047,
      title: 'Re-engagement message',
    });
    expect(failed!.pricing).toBeUndefined();
    expect(sim.getMessage(r.body.messages[0].id)?.status).toBe('failed');
  });

  it('a customer message opens the window; a template is allowed without one', async () => {
    const { rx, sim, send, control } = await world();
    sim.addTemplate({
      waba_id: NUMBER.waba_id,
      name: 'hello',
      language: 'en',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'Hello from us.' }],
    });
    const t = await send('16505550003', {
      type: 'template',
      template: { name: 'hello', language: { code: 'en' } },
    });
    await sim.settle();
    expect(
      rx
        .statuses()
        .filter((s) => s.id === t.body.messages[0].id)
        .map((s) => s.status),
    ).toEqual(['sent', 'delivered', 'read']);
    expect((rx.statuses()[0]!.pricing as { category: string }).category).toBe('marketing');
    const inbound = await control('POST', '/_sim/customers/16505550003/messages', {
      phone_number_id: NUMBER.phone_number_id,
      type: 'text',
      text: 'Olá, café? ☕',
    });
    expect(inbound.status).toBe(201);
    const after = await send('16505550003', text);
    await sim.settle();
    expect(
      rx
        .statuses()
        .filter((s) => s.id === after.body.messages[0].id)
        .map((s) => s.status),
    ).toEqual(['sent', 'delivered', 'read']);
  });

  it('undeliverable numbers fail with 131026; opted-out customers refuse marketing with 131050', async () => {
    const { rx, sim, send } = await world();
    sim.setCustomer('16505550004', { undeliverable: true, window: 'open' });
    sim.setCustomer('16505550005', { opted_out_marketing: true, window: 'open' });
    sim.addTemplate({
      waba_id: NUMBER.waba_id,
      name: 'promo',
      language: 'en',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'Deals inside.' }],
    });
    await send('16505550004', text);
    await send('16505550005', { type: 'template', template: { name: 'promo', language: { code: 'en' } } });
    await sim.settle();
    const codes = rx
      .statuses()
      .map((s) => (s.errors as { code: number }[])[0]!.code)
      .sort();
    expect(codes).toEqual([131026, 131050]);
  });

  it('messaging limit tier: business-initiated sends to new users beyond the tier fail', async () => {
    const { rx, sim, send } = await world();
    sim.updateNumber(NUMBER.phone_number_id, { messaging_limit_tier: 'TIER_250' });
    sim.addTemplate({
      waba_id: NUMBER.waba_id,
      name: 'notice',
      language: 'en',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'A notice for you.' }],
    });
    for (let i = 0; i < 252; i++) {
      const r = await send(`4479000${String(i).padStart(5, '0')}`, {
        type: 'template',
        template: { name: 'notice', language: { code: 'en' } },
      });
      expect(r.status).toBe(200);
    }
    await sim.settle();
    const failed = rx.statuses().filter((s) => s.status === 'failed');
    expect(failed).toHaveLength(2);
    expect((failed[0]!.errors as { code: number }[])[0]!.code).toBe(131048);
  });
});

describe('delivery semantics', () => {
  it('non-ASCII is escaped as Meta does, and the signature covers those exact bytes', async () => {
    const { rx, sim, control } = await world();
    await control('POST', '/_sim/customers/5511988887777/messages', {
      phone_number_id: NUMBER.phone_number_id,
      type: 'text',
      text: 'Olá, café? ☕ 👋',
      name: 'João',
    });
    await sim.settle();
    const d = rx.received[0]!;
    expect([...d.raw].every((ch) => ch.charCodeAt(0) < 0x80)).toBe(true);
    expect(d.raw).toContain('caf\\u00e9');
    expect(d.raw).toContain('\\ud83d\\udc4b');
    expect(d.headers['x-hub-signature-256']).toBe(hmac(d.raw, NUMBER.app_secret));
    // Re-serialising the parsed JSON as UTF-8 gives other bytes, so its HMAC does not match.
    expect(hmac(JSON.stringify(d.body), NUMBER.app_secret)).not.toBe(d.headers['x-hub-signature-256']);
    const msg = (d.body.entry[0]!.changes[0]!.value.messages as { text: { body: string } }[])[0]!;
    expect(msg.text.body).toBe('Olá, café? ☕ 👋');
  });

  it('retries with backoff while the receiver does not answer 2xx', async () => {
    const { rx, sim, control } = await world({}, (n) => (n < 2 ? 500 : 200));
    await control('POST', '/_sim/customers/16505550006/messages', {
      phone_number_id: NUMBER.phone_number_id,
      type: 'text',
    });
    await sim.settle();
    expect(rx.attempts()).toBe(3);
    expect(rx.received).toHaveLength(1);
    const stats = (await control('GET', '/_sim/stats')).body;
    expect(stats.webhooks).toMatchObject({ sent: 3, delivered: 1, retried: 2, failed: 0 });
  });

  it('gives up after the configured retries and counts the failure', async () => {
    const { rx, sim, control } = await world({}, () => 503);
    await control('POST', '/_sim/customers/16505550007/messages', {
      phone_number_id: NUMBER.phone_number_id,
      type: 'text',
    });
    await sim.settle();
    expect(rx.attempts()).toBe(3);
    expect(sim.stats().webhooks).toMatchObject({ failed: 1, retried: 2, delivered: 0 });
  });

  it('batches several changes into one POST', async () => {
    const { rx, sim, send } = await world({ webhook_batch_ms: 50 });
    for (let i = 0; i < 5; i++) sim.setCustomer(`1650555010${i}`, { window: 'open' });
    await Promise.all([0, 1, 2, 3, 4].map((i) => send(`1650555010${i}`, text)));
    await sim.settle();
    expect(rx.statuses()).toHaveLength(15);
    expect(rx.received.length).toBeLessThan(15);
    expect(Math.max(...rx.received.map((d) => d.body.entry[0]!.changes.length))).toBeGreaterThan(1);
  });

  it('fault injection: duplicate deliveries and reordering', async () => {
    const { rx, sim, control } = await world();
    const put = await control('PUT', '/_sim/faults', { webhook_duplicate: { every: 1 } });
    expect(put.status).toBe(200);
    await control('POST', '/_sim/customers/16505550008/messages', {
      phone_number_id: NUMBER.phone_number_id,
      type: 'text',
    });
    await sim.settle();
    expect(rx.received).toHaveLength(2);
    expect(rx.received[0]!.raw).toBe(rx.received[1]!.raw);

    await control('PUT', '/_sim/faults', { webhook_reorder: { next: 1 } });
    const first = await control('POST', '/_sim/customers/16505550008/messages', {
      phone_number_id: NUMBER.phone_number_id,
      type: 'text',
      text: 'first',
    });
    await new Promise((r) => setTimeout(r, 5));
    await control('POST', '/_sim/customers/16505550008/messages', {
      phone_number_id: NUMBER.phone_number_id,
      type: 'text',
      text: 'second',
    });
    await sim.settle();
    const ids = rx.received
      .slice(2)
      .map((d) => (d.body.entry[0]!.changes[0]!.value.messages as { id: string }[])[0]!.id);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(first.body.id);
  });
});

describe('simulated customers', () => {
  it('reply to buttons with a button_reply that quotes the message, and to templates with quick replies', async () => {
    const { rx, sim, send } = await world({ customers: { reply_rate: 1, stop_rate: 0 } });
    sim.setCustomer('16505550009', { window: 'open' });
    const r = await send('16505550009', {
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'Confirm?' },
        action: { buttons: [{ type: 'reply', reply: { id: 'yes-1', title: 'Yes' } }] },
      },
    });
    sim.addTemplate({
      waba_id: NUMBER.waba_id,
      name: 'confirm',
      language: 'en',
      category: 'UTILITY',
      components: [
        { type: 'BODY', text: 'Is the slot OK?' },
        { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Yes' }] },
      ],
    });
    const t = await send('16505550010', {
      type: 'template',
      template: {
        name: 'confirm',
        language: { code: 'en' },
        components: [
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: '0',
            parameters: [{ type: 'payload', payload: 'slot-ok' }],
          },
        ],
      },
    });
    await sim.settle();
    const messages = rx.changes().flatMap((c) => (c.value.messages as Loose[] | undefined) ?? []);
    const reply = messages.find((m) => m.type === 'interactive')!;
    expect(reply.interactive).toEqual({ type: 'button_reply', button_reply: { id: 'yes-1', title: 'Yes' } });
    expect(reply.context.id).toBe(r.body.messages[0].id);
    const quick = messages.find((m) => m.type === 'button')!;
    expect(quick.button).toEqual({ payload: 'slot-ok', text: 'Yes' });
    expect(quick.context.id).toBe(t.body.messages[0].id);
  });

  it('is deterministic for a seed: same requests, same outcomes', async () => {
    const run = async () => {
      const { rx, sim, send } = await world({
        seed: 99,
        customers: { reply_rate: 0.5, read_rate: 0.5, deliver_rate: 0.8, undeliverable_rate: 0.1 },
      });
      for (let i = 0; i < 20; i++) {
        sim.setCustomer(`1650556${String(i).padStart(4, '0')}`, { window: 'open' });
        await send(`1650556${String(i).padStart(4, '0')}`, text);
      }
      await sim.settle();
      return rx
        .changes()
        .flatMap((c) => [
          ...((c.value.statuses as { recipient_id: string; status: string }[] | undefined) ?? []).map(
            (s) => `${s.recipient_id}:${s.status}`,
          ),
          ...(
            (c.value.messages as { from: string; type: string; text?: { body: string } }[] | undefined) ?? []
          ).map((m) => `${m.from}:${m.type}:${m.text?.body}`),
        ])
        .sort();
    };
    const a = await run();
    const b = await run();
    expect(a.length).toBeGreaterThan(20);
    expect(a).toEqual(b);
    expect(new Set(a.map((x) => x.split(':')[1])).size).toBeGreaterThan(2);
  });
});

describe('template review', () => {
  it('PENDING → APPROVED with a status webhook; adjacent params rejected; promotional UTILITY recategorised', async () => {
    const { rx, sim, graph } = await world({ template_review_ms: 10 });
    const create = (name: string, category: string, text: string) =>
      graph('POST', `/v23.0/${NUMBER.waba_id}/message_templates`, {
        name,
        language: 'en_US',
        category,
        components: [{ type: 'BODY', text }],
      });
    const ok = await create('order_shipped', 'UTILITY', 'Your order {{1}} has shipped today.');
    const bad = await create('bad_format', 'UTILITY', 'Hi {{1}}{{2}}, thanks for your order.');
    const promo = await create('utility_sale', 'UTILITY', 'Big sale this weekend for order {{1}} holders.');
    await sim.settle();
    const byId = (id: string) => rx.changes().filter((c) => String(c.value.message_template_id) === id);
    expect(byId(ok.body.id).map((c) => c.value.event)).toEqual(['APPROVED']);
    expect(byId(bad.body.id)[0]!.value).toMatchObject({ event: 'REJECTED', reason: 'INVALID_FORMAT' });
    expect(byId(bad.body.id)[0]!.value.rejection_info).toBeTruthy();
    expect(byId(promo.body.id).map((c) => c.field)).toEqual([
      'template_category_update',
      'message_template_status_update',
    ]);
    expect(byId(promo.body.id)[0]!.value).toMatchObject({
      previous_category: 'UTILITY',
      new_category: 'MARKETING',
    });
    const entry = rx.received.find(
      (d) => d.body.entry[0]!.changes[0]!.field === 'message_template_status_update',
    )!.body.entry[0]!;
    expect(typeof entry.time).toBe('number');
    const listed = await graph('GET', `/v23.0/${NUMBER.waba_id}/message_templates?name=utility_sale`);
    expect(listed.body.data[0]).toMatchObject({
      status: 'APPROVED',
      category: 'MARKETING',
      previous_category: 'UTILITY',
    });
  });
});
