import { afterEach, describe, expect, it } from 'vitest';
import { NUMBER, startReceiver, startSimulator } from '../test/helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function world() {
  const rx = await startReceiver();
  const h = await startSimulator({}, rx.url);
  cleanups.push(
    () => rx.close(),
    () => h.sim.close(),
  );
  for (const [name, category] of [
    ['promo', 'MARKETING'],
    ['notice', 'UTILITY'],
  ] as const) {
    h.sim.addTemplate({
      waba_id: NUMBER.waba_id,
      name,
      language: 'en',
      category,
      components: [{ type: 'BODY', text: 'Hello there.' }],
    });
  }
  const marketing = (body: Record<string, unknown>) =>
    h.graph('POST', `/v23.0/${NUMBER.phone_number_id}/marketing_messages`, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '16505550007',
      ...body,
    });
  return { rx, ...h, marketing };
}

const promo = { type: 'template', template: { name: 'promo', language: { code: 'en' } } };

describe('POST /{phone}/marketing_messages (Marketing Messages API)', () => {
  it('refuses a WABA that is not onboarded, with 134100', async () => {
    const { marketing } = await world();
    const r = await marketing(promo);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe(134100);
  });

  it('sends a MARKETING template of an onboarded WABA, with TTL and activity sharing; statuses follow', async () => {
    const { sim, rx, marketing } = await world();
    sim.updateNumber(NUMBER.phone_number_id, { marketing_messages_onboarded: true });
    const r = await marketing({ ...promo, message_send_ttl_seconds: 86_400, message_activity_sharing: true });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.messages[0]).toMatchObject({ message_status: 'accepted' });
    await sim.settle();
    const statuses = rx.statuses().filter((s) => s.id === r.body.messages[0].id);
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    expect(sim.getMessage(r.body.messages[0].id)).toMatchObject({
      category: 'MARKETING',
      via: 'marketing_messages',
      ttl_seconds: 86_400,
    });
  });

  it('refuses other templates and other message types, and a TTL out of range', async () => {
    const { sim, marketing } = await world();
    sim.updateNumber(NUMBER.phone_number_id, { marketing_messages_onboarded: true });
    const utility = await marketing({
      type: 'template',
      template: { name: 'notice', language: { code: 'en' } },
    });
    expect(utility.status).toBe(400);
    expect(utility.body.error.code).toBe(131009);
    expect(utility.body.error.error_data.details).toMatch(/MARKETING templates only/);
    const text = await marketing({ type: 'text', text: { body: 'hi' } });
    expect(text.body.error.code).toBe(131009);
    const ttl = await marketing({ ...promo, message_send_ttl_seconds: 60 });
    expect(ttl.body.error.code).toBe(131009);
    expect(ttl.body.error.error_data.details).toMatch(/message_send_ttl_seconds/);
  });

  it('reports the onboarding status and the owner business on the WABA', async () => {
    const { sim, graph } = await world();
    const before = await graph(
      'GET',
      `/v23.0/${NUMBER.waba_id}?fields=owner_business_info,marketing_messages_onboarding_status`,
    );
    expect(before.status).toBe(200);
    expect(before.body.marketing_messages_onboarding_status).toBe('NOT_STARTED');
    expect(before.body.owner_business_info.id).toMatch(/^\d+$/);
    sim.updateNumber(NUMBER.phone_number_id, {
      marketing_messages_onboarded: true,
      business_id: '777000111',
    });
    const after = await graph(
      'GET',
      `/v23.0/${NUMBER.waba_id}?fields=owner_business_info,marketing_messages_onboarding_status`,
    );
    expect(after.body).toMatchObject({
      id: NUMBER.waba_id,
      marketing_messages_onboarding_status: 'ONBOARDED',
      owner_business_info: { id: '777000111' },
    });
  });
});

describe('user_preferences', () => {
  it('a customer who stops marketing messages gets none after (131050); a resume lets them through', async () => {
    const { sim, rx, send } = await world();
    const stop = sim.emitEvent(
      'user_preferences',
      { phone_number_id: NUMBER.phone_number_id, wa_id: '16505550009' },
      {
        value: 'stop',
      },
    );
    // Meta's documented shape: contacts, and user_preferences with wa_id, detail, category, value, timestamp.
    expect(stop?.value).toMatchObject({
      messaging_product: 'whatsapp',
      metadata: { phone_number_id: NUMBER.phone_number_id },
      contacts: [{ wa_id: '16505550009' }],
      user_preferences: [
        {
          wa_id: '16505550009',
          detail: 'User requested to stop marketing messages',
          category: 'marketing_messages',
          value: 'stop',
          timestamp: expect.any(Number),
        },
      ],
    });
    const r = await send('16505550009', promo);
    expect(r.status).toBe(200);
    await sim.settle();
    const failed = rx.statuses().find((s) => s.id === r.body.messages[0].id && s.status === 'failed');
    expect(failed).toBeDefined();
    expect((failed!.errors as { code: number }[])[0]!.code).toBe(131050);
    sim.emitEvent(
      'user_preferences',
      { phone_number_id: NUMBER.phone_number_id, wa_id: '16505550009' },
      {
        value: 'resume',
      },
    );
    const again = await send('16505550009', promo);
    await sim.settle();
    expect(
      rx
        .statuses()
        .filter((s) => s.id === again.body.messages[0].id)
        .map((s) => s.status),
    ).toContain('delivered');
  });
});

describe('messaging limits per business portfolio', () => {
  it('reports the portfolio limit in whatsapp_business_manager_messaging_limit', async () => {
    const { sim, graph } = await world();
    sim.updateNumber(NUMBER.phone_number_id, { messaging_limit_tier: 'TIER_250', business_id: '777000111' });
    sim.addNumber({
      phone_number_id: '1000002',
      waba_id: '2000002',
      display_phone_number: '+1 555 010 0002',
      access_token: 'token-number-0002',
      business_id: '777000111',
      messaging_limit_tier: 'TIER_2K',
    });
    const r = await graph(
      'GET',
      `/v23.0/${NUMBER.phone_number_id}?fields=messaging_limit_tier,whatsapp_business_manager_messaging_limit`,
    );
    expect(r.body).toMatchObject({
      messaging_limit_tier: 'TIER_250',
      whatsapp_business_manager_messaging_limit: 'TIER_2K',
    });
  });

  it('two numbers of one portfolio share its limit: the 251st new user fails with 131048', async () => {
    const { sim, rx, graph } = await world();
    sim.updateNumber(NUMBER.phone_number_id, { messaging_limit_tier: 'TIER_250', business_id: '777000111' });
    sim.addNumber({
      phone_number_id: '1000002',
      waba_id: NUMBER.waba_id,
      display_phone_number: '+1 555 010 0002',
      access_token: 'token-number-0002',
      throughput_mps: 1000,
      business_id: '777000111',
      messaging_limit_tier: 'TIER_250',
    });
    for (let i = 0; i < 252; i++) {
      const [id, token] =
        i % 2 ? [NUMBER.phone_number_id, NUMBER.access_token] : ['1000002', 'token-number-0002'];
      const r = await graph(
        'POST',
        `/v23.0/${id}/messages`,
        {
          messaging_product: 'whatsapp',
          to: `4479000${String(i).padStart(5, '0')}`,
          type: 'template',
          template: { name: 'notice', language: { code: 'en' } },
        },
        token,
      );
      expect(r.status).toBe(200);
    }
    await sim.settle();
    const failed = rx.statuses().filter((s) => s.status === 'failed');
    expect(failed).toHaveLength(2);
    expect((failed[0]!.errors as { code: number }[])[0]!.code).toBe(131048);
  });

  it('phone_number_quality_update carries max_daily_conversations_per_business', async () => {
    const { control } = await world();
    const r = await control('POST', '/_sim/events', {
      kind: 'phone_number_quality_update',
      phone_number_id: NUMBER.phone_number_id,
      params: { event: 'UPGRADE', old_limit: 'TIER_2K', current_limit: 'TIER_10K' },
    });
    expect(r.status).toBe(201);
    expect(r.body.value).toMatchObject({
      event: 'UPGRADE',
      current_limit: 'TIER_10K',
      max_daily_conversations_per_business: 'TIER_10K',
    });
  });
});
