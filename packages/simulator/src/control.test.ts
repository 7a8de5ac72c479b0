import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Loose, NUMBER, startSimulator } from '../test/helpers.ts';

type Harness = Awaited<ReturnType<typeof startSimulator>>;
let h: Harness;
beforeAll(async () => {
  h = await startSimulator();
});
afterAll(() => h.sim.close());

describe('control API', () => {
  it('registers a number and answers Graph calls for it with its token', async () => {
    const add = await h.control('POST', '/_sim/numbers', {
      phone_number_id: '5000001',
      waba_id: '6000001',
      display_phone_number: '+44 7700 900001',
      access_token: 'token-5000001',
      throughput_mps: 250,
      quality_rating: 'YELLOW',
      messaging_limit_tier: 'TIER_10K',
    });
    expect(add.status).toBe(201);
    expect(add.body.access_token).toBeUndefined();
    const info = await h.graph(
      'GET',
      '/v23.0/5000001?fields=quality_rating,throughput,messaging_limit_tier,name_status',
      undefined,
      'token-5000001',
    );
    expect(info.body).toEqual({
      id: '5000001',
      quality_rating: 'YELLOW',
      throughput: { level: 'HIGH' },
      messaging_limit_tier: 'TIER_10K',
      name_status: 'APPROVED',
    });
    const put = await h.control('PUT', '/_sim/numbers/5000001', { quality_rating: 'RED' });
    expect(put.body).toMatchObject({
      quality_rating: 'RED',
      throughput_mps: 250,
      messaging_limit_tier: 'TIER_10K',
    });
    const list = await h.graph('GET', '/v23.0/6000001/phone_numbers', undefined, 'token-5000001');
    expect(list.body.data.map((n: { id: string }) => n.id)).toEqual(['5000001']);
  });

  it.each([
    [
      'POST',
      '/_sim/numbers',
      { phone_number_id: 'abc', waba_id: '1', display_phone_number: 'x', access_token: 'short' },
      /phone_number_id/,
    ],
    ['POST', '/_sim/numbers', { ...NUMBER, throughput_mps: 5_000_000 }, /throughput_mps/],
    ['PUT', '/_sim/numbers/1000001', { token_status: 'maybe' }, /token_status/],
    ['PUT', '/_sim/faults', { http_5xx: { rate: 2 } }, /rate/],
    ['PUT', '/_sim/faults', { meteor_strike: { rate: 0.1 } }, /meteor_strike/],
    [
      'POST',
      '/_sim/customers/16505550001/messages',
      { phone_number_id: NUMBER.phone_number_id, type: 'telegram' },
      /type/,
    ],
    [
      'POST',
      '/_sim/customers/abc/messages',
      { phone_number_id: NUMBER.phone_number_id, type: 'text' },
      /wa_id/,
    ],
    ['POST', '/_sim/events', { kind: 'account_update' }, /phone_number_id or waba_id/],
    ['PUT', '/_sim/customers', { reply_rate: 3 }, /reply_rate/],
    ['POST', '/_sim/reset', { everything: true }, /everything/],
  ])('%s %s with bad input → 400 with a message', async (method, path, body, message) => {
    const r = await h.control(method, path, body);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(message);
  });

  it('404s for numbers and templates that do not exist', async () => {
    expect((await h.control('PUT', '/_sim/numbers/999', { quality_rating: 'RED' })).status).toBe(404);
    expect((await h.control('PUT', '/_sim/templates/999', { status: 'PAUSED' })).status).toBe(404);
    expect(
      (
        await h.control('POST', '/_sim/customers/16505550001/messages', {
          phone_number_id: '999',
          type: 'text',
        })
      ).status,
    ).toBe(404);
  });

  it('stats count requests, accepted sends, errors by code and the current rate per number', async () => {
    h.sim.reset();
    h.sim.setCustomer('16505550001', { window: 'open' });
    await h.send('16505550001', { type: 'text', text: { body: 'a' } });
    await h.send('16505550001', { type: 'text', text: { body: '' } });
    const s = (await h.control('GET', '/_sim/stats')).body;
    expect(s.requests).toBe(2);
    expect(s.accepted).toBe(1);
    expect(s.errors).toEqual({ '131009': 1 });
    expect(s.numbers[NUMBER.phone_number_id]).toMatchObject({
      accepted: 1,
      current_mps: 1,
      throughput_mps: 1000,
    });
    const msgs = (await h.control('GET', '/_sim/messages?to=16505550001')).body;
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ to: '16505550001', type: 'text' });
  });

  it('seeds numbers, templates, customers and faults from one document', async () => {
    const r = await h.control('POST', '/_sim/seed', {
      numbers: [
        {
          phone_number_id: '7000001',
          waba_id: '8000001',
          display_phone_number: '+91 98765 43210',
          access_token: 'token-7000001',
        },
      ],
      templates: [
        {
          waba_id: '8000001',
          name: 'seeded',
          language: 'en',
          category: 'UTILITY',
          components: [{ type: 'BODY', text: 'Seeded body.' }],
        },
      ],
      customers: [{ wa_id: '919876500001', name: 'Asha', window: 'open' }],
    });
    expect(r.body).toMatchObject({ templates: expect.any(Number) });
    const list = await h.graph('GET', '/v23.0/8000001/message_templates', undefined, 'token-7000001');
    expect(list.body.data.map((t: { name: string }) => t.name)).toEqual(['seeded']);
  });

  it('a template status change from the control API is what senders then see', async () => {
    const t = h.sim.addTemplate({
      waba_id: NUMBER.waba_id,
      name: 'to_pause',
      language: 'en',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hello there.' }],
    });
    const put = await h.control('PUT', `/_sim/templates/${t.id}`, { status: 'PAUSED' });
    expect(put.body.status).toBe('PAUSED');
    h.sim.setCustomer('16505550001', { window: 'open' });
    const r = await h.send('16505550001', {
      type: 'template',
      template: { name: 'to_pause', language: { code: 'en' } },
    });
    expect(r.body.error.code).toBe(132015);
  });
});

// ---- every pywa fixture envelope is one the simulator can emit ------------------------------------

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/meta/pywa', import.meta.url));

/** Maps a real webhook to the simulator's event kind that should produce the same shape. */
function kindOf(value: Loose, field: string): { kind: string; params: Record<string, unknown> } {
  const found = baseKindOf(value, field);
  const m = value.messages?.[0];
  if (m?.context?.id) found.params.context_message_id = m.context.id;
  if (m?.context?.forwarded) found.params.forwarded = true;
  const s = value.statuses?.[0];
  if (s?.biz_opaque_callback_data) found.params.biz_opaque_callback_data = s.biz_opaque_callback_data;
  return found;
}

function baseKindOf(value: Loose, field: string): { kind: string; params: Record<string, unknown> } {
  if (field === 'messages' && value.statuses)
    return {
      kind: 'status',
      params: { status: value.statuses[0].status, group: value.statuses[0].recipient_type === 'group' },
    };
  if (field === 'messages' && value.user_preferences)
    return { kind: 'user_preferences', params: { value: value.user_preferences[0].value } };
  if (field === 'user_preferences')
    return { kind: 'user_preferences', params: { value: value.user_preferences[0].value } };
  if (field === 'smb_message_echoes') {
    const t = value.message_echoes[0].type;
    return { kind: t === 'text' ? 'echo' : t === 'edit' ? 'echo_edit' : 'echo_revoke', params: {} };
  }
  if (field === 'calls') {
    if (value.statuses) return { kind: 'call_status', params: { status: value.statuses[0].status } };
    return {
      kind: value.calls[0].event === 'connect' ? 'call_connect' : 'call_terminate',
      params: { direction: value.calls[0].direction },
    };
  }
  if (field === 'account_update') return { kind: 'account_update', params: { event: value.event } };
  if (field !== 'messages') return { kind: field, params: value.event ? { event: value.event } : {} };
  const m = value.messages[0];
  if (value.errors && m.type === 'interactive') return { kind: 'interactive_error', params: {} };
  switch (m.type) {
    case 'text':
      if (m.referral) return { kind: 'referral', params: {} };
      if (m.context?.forwarded || m.context?.frequently_forwarded)
        return { kind: 'forwarded', params: { frequently: !!m.context.frequently_forwarded } };
      return { kind: 'text', params: {} };
    case 'audio':
      return { kind: m.audio.voice ? 'voice' : 'audio', params: {} };
    case 'sticker':
      return { kind: m.sticker.animated ? 'animated_sticker' : 'sticker', params: {} };
    case 'reaction':
      return { kind: m.reaction.emoji ? 'reaction' : 'unreaction', params: {} };
    case 'location':
      return { kind: 'location', params: { current: !m.location.name } };
    case 'interactive':
      return { kind: m.interactive.type, params: {} };
    case 'system':
      return {
        kind: m.system.type === 'customer_identity_changed' ? 'identity_change' : 'system',
        params: {},
      };
    default:
      return { kind: m.type, params: {} };
  }
}

/** Key paths to depth 3 below `value` (array items merged): the shape a consumer depends on. */
function shape(v: unknown, prefix = '', depth = 0, out = new Set<string>()): Set<string> {
  if (depth >= 3 || v === null || typeof v !== 'object') return out;
  const items = Array.isArray(v) ? v : [v];
  for (const item of items) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
    for (const [k, x] of Object.entries(item)) {
      const path = `${prefix}${k}`;
      out.add(path);
      shape(x, `${path}.`, depth + 1, out);
    }
  }
  return out;
}

// Keys that pywa's fixtures carry but Meta documents as optional and only for some accounts.
const OPTIONAL = new Set([
  'contacts.profile.username',
  'messages.from_user_id',
  'errors.title',
  'statuses.recipient_identity_key_hash',
]);

describe.skipIf(!existsSync(FIXTURES))(
  'every pywa webhook fixture is an envelope the simulator can emit',
  () => {
    const cases: [string, Loose][] = [];
    if (existsSync(FIXTURES)) {
      for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))) {
        const doc = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Record<string, Loose>;
        for (const [name, example] of Object.entries(doc)) {
          if (example?.entry) cases.push([`${file}#${name}`, example]);
          else
            for (const [n2, ex2] of Object.entries(example as Record<string, Loose>))
              if (ex2?.entry) cases.push([`${file}#${name}.${n2}`, ex2]);
        }
      }
    }

    it('found the fixtures', () => {
      expect(cases.length).toBeGreaterThan(60);
    });

    it.each(cases)('%s', async (_name, fixture) => {
      const change = fixture.entry[0].changes[0];
      const { kind, params } = kindOf(change.value, change.field);
      const template = change.field.includes('template')
        ? h.sim.addTemplate({
            waba_id: NUMBER.waba_id,
            name: `fx_${Math.random().toString(36).slice(2, 8)}`,
            language: 'en_US',
            category: 'UTILITY',
            components: [{ type: 'BODY', text: 'Hello there.' }],
          })
        : undefined;
      const r = await h.control('POST', '/_sim/events', {
        kind,
        phone_number_id: NUMBER.phone_number_id,
        wa_id: '16505550001',
        ...(template ? { template_id: template.id } : {}),
        params,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(
        r.body.field === change.field || (change.field === 'messages' && r.body.field === 'user_preferences'),
      ).toBe(true);
      const missing = [...shape(change.value)].filter((p) => !shape(r.body.value).has(p) && !OPTIONAL.has(p));
      expect(missing).toEqual([]);
      const events = h.sim.events();
      const last = events[events.length - 1]!;
      expect(last.change).toEqual(r.body);
    });
  },
);

describe.skipIf(!existsSync(join(FIXTURES, 'templates')))(
  'every pywa template definition is accepted for review',
  () => {
    const dir = join(FIXTURES, 'templates');
    const defs: [string, Record<string, unknown>][] = existsSync(dir)
      ? readdirSync(dir).flatMap((f) =>
          Object.entries(
            JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, Record<string, unknown>>,
          ).map(([name, def]) => [`${f}#${name}`, def] as [string, Record<string, unknown>]),
        )
      : [];
    it.each(defs)('%s', async (_name, def) => {
      h.sim.reset(true);
      h.sim.addNumber(NUMBER);
      const r = await h.graph('POST', `/v23.0/${NUMBER.waba_id}/message_templates`, def);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ status: 'PENDING', category: def.category });
    });
  },
);
