import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NUMBER, startSimulator } from '../test/helpers.ts';

type Harness = Awaited<ReturnType<typeof startSimulator>>;
let h: Harness;
const OPEN = '16505550001';

beforeAll(async () => {
  h = await startSimulator({ pair_rate_burst: 5, pair_rate_per_s: 0.1 });
});
afterAll(() => h.sim.close());
beforeEach(() => {
  h.sim.reset();
  h.sim.setCustomer(OPEN, { window: 'open' });
});

const text = { type: 'text', text: { body: 'Hello' } };

describe('POST /{phone}/messages answers like Meta', () => {
  it('accepts a send: input echoed, wa_id normalised, realistic wamid', async () => {
    const r = await h.send('+1 (650) 555-0001', text);
    expect(r.status).toBe(200);
    expect(r.body.messaging_product).toBe('whatsapp');
    expect(r.body.contacts).toEqual([{ input: '+1 (650) 555-0001', wa_id: OPEN }]);
    expect(r.body.messages[0].id).toMatch(/^wamid\.[A-Za-z0-9+/=]+$/);
  });

  it('treats a body without type but with text as a text message (Meta’s link-preview example)', async () => {
    const r = await h.send(OPEN, { text: { body: 'https://example.com', preview_url: true } });
    expect(r.status).toBe(200);
  });

  it.each([
    ['missing to', 131008, { messaging_product: 'whatsapp', type: 'text', text: { body: 'x' } }],
    [
      'unknown key',
      100,
      { messaging_product: 'whatsapp', to: OPEN, type: 'text', text: { body: 'x', colour: 'red' } },
    ],
    ['empty body', 131009, { messaging_product: 'whatsapp', to: OPEN, type: 'text', text: { body: '' } }],
    [
      'text too long',
      131009,
      { messaging_product: 'whatsapp', to: OPEN, type: 'text', text: { body: 'x'.repeat(4097) } },
    ],
    [
      'bad recipient',
      131009,
      { messaging_product: 'whatsapp', to: 'abc', type: 'text', text: { body: 'x' } },
    ],
    [
      'four buttons',
      131009,
      {
        messaging_product: 'whatsapp',
        to: OPEN,
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'Pick' },
          action: {
            buttons: [1, 2, 3, 4].map((i) => ({ type: 'reply', reply: { id: `b${i}`, title: `B${i}` } })),
          },
        },
      },
    ],
    [
      'media with both id and link',
      131009,
      {
        messaging_product: 'whatsapp',
        to: OPEN,
        type: 'image',
        image: { id: '1', link: 'https://x.test/a.jpg' },
      },
    ],
  ])('rejects %s with code %i', async (_name, code, body) => {
    const r = await h.graph('POST', `/v23.0/${NUMBER.phone_number_id}/messages`, body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.message).toMatch(new RegExp(`^\\(#${code}\\) `));
    expect(r.body.error.fbtrace_id).toMatch(/^A/);
    expect(r.body.error.type).toBe('OAuthException');
  });

  it('sending to itself is 131021', async () => {
    const r = await h.send('15550100001', text);
    expect(r.body.error.code).toBe(131021);
  });
});

describe('tokens', () => {
  it('no token → 104; unknown → 190 (401); expired → 190/463; revoked → 190/460', async () => {
    const path = `/v23.0/${NUMBER.phone_number_id}`;
    expect((await h.graph('GET', path, undefined, '')).body.error.code).toBe(104);
    const unknown = await h.graph('GET', path, undefined, 'not-a-token');
    expect([unknown.status, unknown.body.error.code]).toEqual([401, 190]);
    h.sim.updateNumber(NUMBER.phone_number_id, { token_status: 'expired' });
    const expired = await h.graph('GET', path);
    expect([expired.status, expired.body.error.code, expired.body.error.error_subcode]).toEqual([
      401, 190, 463,
    ]);
    expect(expired.body.error.message).toMatch(/Session has expired/);
    h.sim.updateNumber(NUMBER.phone_number_id, { token_status: 'revoked' });
    expect((await h.graph('GET', path)).body.error.error_subcode).toBe(460);
    h.sim.updateNumber(NUMBER.phone_number_id, { token_status: 'valid' });
    expect((await h.graph('GET', path)).status).toBe(200);
  });

  it('a token of another WABA cannot see this number', async () => {
    h.sim.addNumber({
      phone_number_id: '3000001',
      waba_id: '4000001',
      display_phone_number: '+1 555 030 0001',
      access_token: 'other-waba-token',
    });
    const r = await h.graph('GET', `/v23.0/${NUMBER.phone_number_id}`, undefined, 'other-waba-token');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe(100);
    expect(r.body.error.error_subcode).toBe(33);
  });
});

describe('limits', () => {
  it('pair rate: a burst to one user then 131056 (429); other users unaffected', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push((await h.send(OPEN, text)).status);
    expect(codes.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(codes.slice(5)).toEqual([429, 429, 429]);
    const last = await h.send(OPEN, text);
    expect(last.body.error.code).toBe(131056);
    h.sim.setCustomer('16505550002', { window: 'open' });
    expect((await h.send('16505550002', text)).status).toBe(200);
  });

  it('throughput: beyond the number’s rate → 130429 with Meta’s details; counted in stats', async () => {
    h.sim.updateNumber(NUMBER.phone_number_id, { throughput_mps: 10 });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        h.send(`1650555${String(1000 + i)}`, { type: 'text', text: { body: 'x' } }),
      ),
    );
    h.sim.updateNumber(NUMBER.phone_number_id, { throughput_mps: 1000 });
    const throttled = results.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(15);
    expect(throttled[0]!.body.error).toMatchObject({
      code: 130429,
      error_data: { details: 'Cloud API message throughput has been reached.' },
    });
    expect(h.sim.stats().errors['130429']).toBe(throttled.length);
  });
});

describe('templates', () => {
  beforeEach(() => {
    h.sim.reset(true);
    h.sim.addNumber(NUMBER);
    h.sim.setCustomer(OPEN, { window: 'open' });
  });
  const tpl = (name: string, language = 'en_US', extra: Record<string, unknown> = {}) => ({
    type: 'template',
    template: { name, language: { code: language }, ...extra },
  });

  it('unknown, pending, paused and disabled templates fail with the right 132xxx code', async () => {
    const base = {
      waba_id: NUMBER.waba_id,
      language: 'en_US',
      category: 'UTILITY' as const,
      components: [{ type: 'BODY', text: 'Your parcel has shipped.' }],
    };
    h.sim.addTemplate({ ...base, name: 'pending_one', status: 'PENDING' });
    h.sim.addTemplate({ ...base, name: 'paused_one', status: 'PAUSED' });
    h.sim.addTemplate({ ...base, name: 'disabled_one', status: 'DISABLED' });
    h.sim.addTemplate({ ...base, name: 'ok_one' });
    expect((await h.send(OPEN, tpl('nope'))).body.error.code).toBe(132001);
    expect((await h.send(OPEN, tpl('ok_one', 'pt_BR'))).body.error.code).toBe(132001);
    expect((await h.send(OPEN, tpl('pending_one'))).body.error.code).toBe(132001);
    expect((await h.send(OPEN, tpl('paused_one'))).body.error.code).toBe(132015);
    expect((await h.send(OPEN, tpl('disabled_one'))).body.error.code).toBe(132016);
    const ok = await h.send(OPEN, tpl('ok_one'));
    expect(ok.status).toBe(200);
    expect(ok.body.messages[0].message_status).toBe('accepted');
  });

  it('parameter count and header format are checked (132000 / 132012)', async () => {
    h.sim.addTemplate({
      waba_id: NUMBER.waba_id,
      name: 'promo',
      language: 'en',
      category: 'MARKETING',
      components: [
        { type: 'HEADER', format: 'IMAGE' },
        { type: 'BODY', text: 'Hi {{1}}, use code {{2}} today.' },
        { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Shop', url: 'https://shop.test/{{1}}' }] },
      ],
    });
    const body = (n: number) => ({
      type: 'body',
      parameters: Array.from({ length: n }, (_, i) => ({ type: 'text', text: `v${i}` })),
    });
    const header = (type: string) => ({
      type: 'header',
      parameters: [{ type, [type]: { link: 'https://x.test/a' } }],
    });
    const button = {
      type: 'button',
      sub_type: 'url',
      index: '0',
      parameters: [{ type: 'text', text: 'abc' }],
    };
    expect(
      (await h.send(OPEN, tpl('promo', 'en', { components: [header('image'), body(1), button] }))).body.error
        .code,
    ).toBe(132000);
    expect(
      (await h.send(OPEN, tpl('promo', 'en', { components: [header('video'), body(2), button] }))).body.error
        .code,
    ).toBe(132012);
    expect(
      (await h.send(OPEN, tpl('promo', 'en', { components: [header('image'), body(2)] }))).body.error.code,
    ).toBe(132000);
    expect(
      (await h.send(OPEN, tpl('promo', 'en', { components: [header('image'), body(2), button] }))).status,
    ).toBe(200);
  });

  it('lists with cursor paging and limit; next only while more remain; filters by status', async () => {
    for (let i = 0; i < 7; i++) {
      h.sim.addTemplate({
        waba_id: NUMBER.waba_id,
        name: `t_${i}`,
        language: 'en',
        category: 'UTILITY',
        status: i === 0 ? 'REJECTED' : 'APPROVED',
        components: [{ type: 'BODY', text: 'Hello there.' }],
      });
    }
    const seen: string[] = [];
    let path: string | undefined = `/v23.0/${NUMBER.waba_id}/message_templates?limit=3`;
    let pages = 0;
    while (path) {
      const r = await h.graph('GET', path);
      expect(r.status).toBe(200);
      expect(r.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...r.body.data.map((t: { name: string }) => t.name));
      expect(r.body.paging.cursors.after).toBeTruthy();
      path = r.body.paging.next
        ? new URL(r.body.paging.next).pathname + new URL(r.body.paging.next).search
        : undefined;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(['t_0', 't_1', 't_2', 't_3', 't_4', 't_5', 't_6']);
    const approved = await h.graph(
      'GET',
      `/v23.0/${NUMBER.waba_id}/message_templates?status=APPROVED&fields=name,status`,
    );
    expect(approved.body.data).toHaveLength(6);
    expect(Object.keys(approved.body.data[0]).sort()).toEqual(['id', 'name', 'status']);
  });

  it('create validates like Meta and refuses a duplicate name+language', async () => {
    const path = `/v23.0/${NUMBER.waba_id}/message_templates`;
    const bad = await h.graph('POST', path, {
      name: 'Bad Name',
      language: 'en',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'x' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.error_data.details).toMatch(/lowercase/);
    const def = {
      name: 'fine_name',
      language: 'en',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Order {{1}} shipped.' }],
    };
    expect((await h.graph('POST', path, def)).body).toMatchObject({ status: 'PENDING', category: 'UTILITY' });
    expect((await h.graph('POST', path, def)).body.error.code).toBe(2388024);
  });

  it('media: type and size limits; expiring download URL needs the token', async () => {
    const upload = async (type: string, bytes: number) => {
      const form = new FormData();
      form.set('messaging_product', 'whatsapp');
      form.set('type', type);
      form.set('file', new Blob([new Uint8Array(bytes)], { type }), 'f');
      const res = await fetch(`${h.sim.url}/v23.0/${NUMBER.phone_number_id}/media`, {
        method: 'POST',
        headers: { authorization: `Bearer ${NUMBER.access_token}` },
        body: form,
      });
      return { status: res.status, body: (await res.json()) as { id?: string; error?: { code: number } } };
    };
    expect((await upload('image/gif', 10)).body.error?.code).toBe(131053);
    expect((await upload('image/jpeg', 5 * 1024 * 1024 + 1)).body.error?.code).toBe(131053);
    const ok = await upload('image/jpeg', 1000);
    expect(ok.status).toBe(200);
    const info = await h.graph('GET', `/v23.0/${ok.body.id}`);
    expect(info.body).toMatchObject({ mime_type: 'image/jpeg', file_size: '1000', id: ok.body.id });
    const noToken = await fetch(info.body.url);
    expect(noToken.status).toBe(401);
    const withToken = await fetch(info.body.url, {
      headers: { authorization: `Bearer ${NUMBER.access_token}` },
    });
    expect(withToken.status).toBe(200);
    expect((await withToken.arrayBuffer()).byteLength).toBe(1000);
    // Flip the first hash character (to one it is not: a fixed '0' left 1 in 16 URLs untouched).
    const tamperedUrl = info.body.url.replace(
      /hash=(\w)/,
      (_m: string, c: string) => `hash=${c === '0' ? '1' : '0'}`,
    );
    expect(tamperedUrl).not.toBe(info.body.url);
    const tampered = await fetch(tamperedUrl, {
      headers: { authorization: `Bearer ${NUMBER.access_token}` },
    });
    expect(tampered.status).toBe(404);
  });
});
