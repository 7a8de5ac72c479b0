import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { metaEnvelope } from '../../test/helpers/meta-fixtures.ts';
import { until } from '../../test/helpers/until.ts';
import { deliverWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';

/**
 * Keyword rules, business hours and the chain an inbound message goes through, end to end: rules
 * and schedules made through the API, customers writing through the simulator (signed webhooks),
 * automatic replies queued through the one send path and sent to the simulator.
 */
const WABA = '8822001';
const NUM = {
  phone_number_id: '8822101',
  waba_id: WABA,
  display_phone_number: '+1 555 082 2101',
  access_token: 'tok-automation-1',
  throughput_mps: 80,
};
const NUM2 = {
  ...NUM,
  phone_number_id: '8822102',
  display_phone_number: '+1 555 082 2102',
  access_token: 'tok-automation-2',
};
const SECRET = 'automation-secret';
const phone = (n: number) => `1202556${String(1000 + n).padStart(4, '0')}`;

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let viewer: TestClient;
let numberId: string;
let number2Id: string;

const chain = () => t.app.services.automationChain;
const put = (c: TestClient, url: string, body: unknown) => c.request('PUT', url, body);

/** A customer sends a message of `kind` (text, button_reply, image…); the chain has run when this returns. */
async function customer(n: number, kind: string, params: Record<string, unknown>, num = NUM) {
  const sent = sim.customerSend(num.phone_number_id, phone(n), kind, params)!;
  await deliverWebhook(t, metaEnvelope(WABA, [sent.change]), SECRET);
  await chain().idle();
  return sent.id;
}
const writes = (n: number, text: string, num = NUM) => customer(n, 'text', { text }, num);

/** The automatic replies queued for a customer, oldest first: their text (or type). */
async function replies(n: number): Promise<string[]> {
  const rows = await t.database.query<{ type: string; body: string | null }>(
    `select m.type, coalesce(m.content->'text'->>'body', m.content->'interactive'->'body'->>'text') as body
     from messages m join conversations c on c.id = m.conversation_id join contacts k on k.id = c.contact_id
     where k.org_id = $1 and k.wa_id = $2 and m.direction = 'out' and m.source = 'automation'
     order by m.seq`,
    [t.orgId, phone(n)],
  );
  return rows.map((r) => r.body ?? r.type);
}

async function rule(body: Record<string, unknown>) {
  const res = await owner.post('/api/v1/automation/rules', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; matched_count: number; last_matched_at: string | null };
}
const reply = (text: string) => [{ type: 'reply_text', text }];

async function handledBy(messageWamid: string) {
  const rows = await t.database.query<{ handled_by: string }>(
    `select h.handled_by from automation_handled h join messages m on m.id = h.message_id where m.wamid = $1`,
    [messageWamid],
  );
  return rows.map((r) => r.handled_by);
}

beforeAll(async () => {
  sim = await startSimulator(
    {
      seed: 22,
      customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
    },
    [NUM, NUM2],
  );
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  owner = await t.owner();
  viewer = await t.member('viewer', 'viewer-automation@example.com');
  numberId = await connectNumber(owner, NUM, { appSecret: SECRET, verifyToken: 'automation-verify' });
  number2Id = await connectNumber(owner, NUM2, { appSecret: SECRET, verifyToken: 'automation-verify-2' });
  t.app.services.sender.start();
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

describe(`keyword rules on ${settings.backend}`, () => {
  it('refuses bad rules with the path of each problem, and saves nothing', async () => {
    const before = (await owner.get('/api/v1/automation/rules')).json().data.length;
    const bad = async (body: Record<string, unknown>, path: (string | number)[]) => {
      const res = await owner.post('/api/v1/automation/rules', body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.message).toContain(path.join('.'));
      expect(JSON.stringify(res.json().error.details)).toContain(JSON.stringify(path).slice(1, -1));
      return res.json().error.message as string;
    };
    const base = { name: 'Bad', match: { kind: 'contains', patterns: ['x'] }, actions: reply('hi') };
    // Unsupported by RE2 (backreference, lookahead), and too costly (a huge program).
    expect(
      await bad({ ...base, match: { kind: 'regex', patterns: ['ok', '(a)\\1'] } }, ['match', 'patterns', 1]),
    ).toMatch(/not a supported/);
    await bad({ ...base, match: { kind: 'regex', patterns: ['(?=a)b'] } }, ['match', 'patterns', 0]);
    expect(
      await bad({ ...base, match: { kind: 'regex', patterns: ['[a-z]{1000}[0-9]{1000}'] } }, [
        'match',
        'patterns',
        0,
      ]),
    ).toMatch(/too costly/);
    // Ids that are not the organisation's.
    const stranger = '0b6d7c1e-1111-4222-8333-944455556666';
    await bad({ ...base, number_ids: [numberId, stranger] }, ['number_ids', 1]);
    await bad({ ...base, actions: [{ type: 'start_flow', flow_id: stranger }] }, ['actions', 0, 'flow_id']);
    await bad({ ...base, actions: [{ type: 'assign', assignee: stranger }] }, ['actions', 0, 'assignee']);
    await bad({ ...base, actions: [{ type: 'handover', team_id: stranger }] }, ['actions', 0, 'team_id']);
    // The edge's schema: no actions, unknown keys, a bad priority.
    expect((await owner.post('/api/v1/automation/rules', { ...base, actions: [] })).statusCode).toBe(400);
    expect((await owner.post('/api/v1/automation/rules', { ...base, extra: 1 })).statusCode).toBe(400);
    expect((await owner.post('/api/v1/automation/rules', { ...base, priority: -1 })).statusCode).toBe(400);
    expect((await owner.get('/api/v1/automation/rules')).json().data).toHaveLength(before);
    // A viewer reads, never writes.
    expect((await viewer.get('/api/v1/automation/rules')).statusCode).toBe(200);
    expect((await viewer.post('/api/v1/automation/rules', base)).statusCode).toBe(403);
    // Unknown ids.
    expect((await put(owner, `/api/v1/automation/rules/${stranger}`, base)).statusCode).toBe(404);
    expect((await owner.delete(`/api/v1/automation/rules/${stranger}`)).statusCode).toBe(404);
  });

  it('create, update, delete — each audited; an update that fails changes nothing', async () => {
    const r = await rule({
      name: 'Temp',
      match: { kind: 'equals', patterns: ['temp'] },
      actions: reply('t'),
    });
    const upd = await put(owner, `/api/v1/automation/rules/${r.id}`, {
      name: 'Temp 2',
      enabled: false,
      match: { kind: 'equals', patterns: ['temp'] },
      actions: reply('t2'),
    });
    expect(upd.statusCode, upd.body).toBe(200);
    expect(upd.json()).toMatchObject({ name: 'Temp 2', enabled: false, priority: 100, continue: false });
    const failed = await put(owner, `/api/v1/automation/rules/${r.id}`, {
      name: 'Temp 3',
      match: { kind: 'regex', patterns: ['(a)\\1'] },
      actions: reply('t3'),
    });
    expect(failed.statusCode).toBe(400);
    const kept = (await owner.get('/api/v1/automation/rules'))
      .json()
      .data.find((x: { id: string }) => x.id === r.id);
    expect(kept.name).toBe('Temp 2');
    expect((await owner.delete(`/api/v1/automation/rules/${r.id}`)).statusCode).toBe(200);
    const audit = (await owner.get('/api/v1/audit?action=automation.rule')).json().data as {
      action: string;
    }[];
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['automation.rule.create', 'automation.rule.update', 'automation.rule.delete']),
    );
  });

  it('matches equals / contains / starts with / regex, case and accent insensitive, on text and button/list replies', async () => {
    await rule({
      name: 'Cafe',
      match: { kind: 'equals', patterns: ['cafe'] },
      actions: reply('Coffee menu'),
    });
    await rule({
      name: 'Price',
      match: { kind: 'contains', patterns: ['price', 'cost'] },
      actions: reply('Prices: …'),
    });
    await rule({
      name: 'Hello',
      match: { kind: 'starts_with', patterns: ['hello'] },
      actions: reply('Hi {{contact.name}}!'),
    });
    await rule({
      name: 'Order',
      match: { kind: 'regex', patterns: ['^order\\s*#?\\d{3,}$'] },
      actions: reply('Order noted'),
    });
    await rule({
      name: 'Yes',
      match: { kind: 'equals', patterns: ['opt-yes'] },
      actions: reply('Great, confirmed'),
    });
    await rule({
      name: 'Row',
      match: { kind: 'equals', patterns: ['Second row'] },
      actions: reply('Row two'),
    });

    await writes(1, '  CAFÉ ');
    await writes(1, 'cafe au lait'); // equals: not a match
    await customer(1, 'text', { text: 'Hello there', name: 'Ana' });
    await writes(1, 'what does it COST?');
    await writes(1, 'Order #1234');
    await writes(1, 'order 12'); // too short for the regex
    await customer(1, 'button_reply', { id: 'opt-yes', title: 'Yes' });
    await customer(1, 'list_reply', { id: 'row-2', title: 'Second row' });
    expect(await replies(1)).toEqual([
      'Coffee menu',
      'Hi Ana!',
      'Prices: …',
      'Order noted',
      'Great, confirmed',
      'Row two',
    ]);
    // The replies reach WhatsApp (the simulator) through the sender.
    await until(
      'the replies are sent',
      () => sim.sentMessages().filter((m) => m.to === phone(1)).length === 6,
    );
    // Statistics.
    const price = (await owner.get('/api/v1/automation/rules'))
      .json()
      .data.find((x: { name: string }) => x.name === 'Price');
    expect(price.matched_count).toBe(1);
    expect(price.last_matched_at).not.toBeNull();
    // The inbox's list says the last message was the automation's, not an agent's (which of the six
    // replies is last depends on when Meta accepted each: not fixed).
    const [conv] = (await owner.get(`/api/v1/conversations?search=${phone(1)}`)).json().data;
    expect(conv.last_message).toMatchObject({ direction: 'out', source: 'automation' });
  });

  it('media messages do not match rules; scope by number; priority; continue; the first handler ends the chain', async () => {
    await customer(2, 'image', { caption: 'price?' });
    expect(await replies(2)).toEqual([]);

    await rule({
      name: 'Only number 2',
      number_ids: [number2Id],
      match: { kind: 'equals', patterns: ['where'] },
      actions: reply('On number two'),
    });
    await writes(2, 'where');
    expect(await replies(2)).toEqual([]);
    await writes(3, 'where', NUM2);
    expect(await replies(3)).toEqual(['On number two']);

    await rule({
      name: 'Menu late',
      priority: 50,
      match: { kind: 'equals', patterns: ['menu'] },
      actions: reply('Menu B'),
    });
    await rule({
      name: 'Menu first',
      priority: 10,
      match: { kind: 'equals', patterns: ['menu'] },
      actions: reply('Menu A'),
    });
    await rule({
      name: 'Tag menu',
      priority: 5,
      continue: true,
      match: { kind: 'equals', patterns: ['menu'] },
      actions: [{ type: 'add_tags', tags: ['asked-menu'] }],
    });
    const m = await writes(2, 'MENU');
    expect(await replies(2)).toEqual(['Menu A']);
    expect(await handledBy(m)).toEqual(['rule']);
    const tags = await t.database.query<{ name: string }>(
      `select t.name from contact_tags ct join tags t on t.id = ct.tag_id join contacts k on k.id = ct.contact_id where k.wa_id = $1`,
      [phone(2)],
    );
    expect(tags.map((x) => x.name)).toEqual(['asked-menu']);
  });

  it('STOP and a repeated STOP trigger no rule', async () => {
    await rule({
      name: 'Stop catcher',
      priority: 0,
      match: { kind: 'contains', patterns: ['stop'] },
      actions: reply('caught'),
    });
    const first = await writes(4, 'STOP');
    const again = await writes(4, 'stop');
    expect(await replies(4)).toEqual([]);
    expect(await handledBy(first)).toEqual(['consent']);
    expect(await handledBy(again)).toEqual(['consent']);
    await writes(4, 'please stop it'); // not a keyword: the rule applies (the send path then refuses: opted out)
    expect(await handledBy(await writes(4, 'START'))).toEqual(['consent']);
  });

  it('a per-contact cooldown', async () => {
    const r = await rule({
      name: 'Hours?',
      cooldown_minutes: 60,
      match: { kind: 'contains', patterns: ['opening hours'] },
      actions: reply('We open at 9'),
    });
    await writes(5, 'opening hours?');
    await writes(5, 'opening hours??');
    await writes(6, 'opening hours');
    expect(await replies(5)).toEqual(['We open at 9']);
    expect(await replies(6)).toEqual(['We open at 9']);
    // An hour later it answers again.
    await t.database.query(
      `update automation_rule_hits set at = now() - interval '61 minutes' where rule_id = $1`,
      [r.id],
    );
    await writes(5, 'opening hours?!');
    expect(await replies(5)).toEqual(['We open at 9', 'We open at 9']);
  });

  it('no loops: our replies, the Business app’s echoes and back-filled history trigger nothing', async () => {
    await rule({
      name: 'Echo bait',
      match: { kind: 'contains', patterns: ['bait'] },
      actions: reply('bait taken'),
    });
    await writes(7, 'bait');
    await until('the reply is sent', () => sim.sentMessages().some((m) => m.to === phone(7)));
    const echo = sim.emitEvent(
      'echo',
      { phone_number_id: NUM.phone_number_id, wa_id: phone(7) },
      { text: 'bait' },
    )!;
    const history = sim.emitEvent(
      'history',
      { phone_number_id: NUM.phone_number_id, wa_id: phone(8) },
      { text: 'bait' },
    )!;
    await deliverWebhook(t, metaEnvelope(WABA, [echo, history]), SECRET);
    await chain().idle();
    await chain().sweep({ minAgeSeconds: 0 });
    expect(await replies(7)).toEqual(['bait taken']);
    expect(await replies(8)).toEqual([]);
  });

  it('exactly once: the chain run again, or the sweep, for a handled message adds nothing; the sweep handles a message the reaction never saw', async () => {
    await rule({ name: 'Once', match: { kind: 'equals', patterns: ['once'] }, actions: reply('only once') });
    const wamid = await writes(9, 'once');
    const [row] = await t.database.query<{ id: string }>('select id from messages where wamid = $1', [wamid]);
    const id = row!.id;
    expect(await chain().handle(id)).toBeNull();
    await Promise.all([chain().handle(id), chain().sweep({ minAgeSeconds: 0 })]);
    expect(await replies(9)).toEqual(['only once']);

    // A message stored by a process that died before its reaction: only the sweep sees it.
    const [conv] = await t.database.query<{ id: string }>(
      `select c.id from conversations c join contacts k on k.id = c.contact_id where k.wa_id = $1`,
      [phone(9)],
    );
    await t.database.query(
      `insert into messages (org_id, number_id, conversation_id, direction, wamid, type, content, sent_at)
       values ($1, $2, $3, 'in', 'wamid.lost-1', 'text', '{"type":"text","text":{"body":"once"}}', now())`,
      [t.orgId, numberId, conv!.id],
    );
    expect(await chain().sweep({ minAgeSeconds: 0 })).toBe(1);
    expect(await chain().sweep({ minAgeSeconds: 0 })).toBe(0);
    expect(await replies(9)).toEqual(['only once', 'only once']);
    expect(await handledBy('wamid.lost-1')).toEqual(['rule']);
  });

  it('the test box says which step would handle a message and why, and changes nothing', async () => {
    const before = (await owner.get('/api/v1/automation/rules')).json().data;
    const test = async (body: Record<string, unknown>) => {
      const res = await viewer.post('/api/v1/automation/test', body);
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    const price = await test({ text: 'The PRICE please' });
    expect(price.handled_by).toBe('rule');
    expect(price.actions).toEqual(reply('Prices: …'));
    const last = price.steps.at(-1);
    expect(last).toMatchObject({ step: 'rule', name: 'Price', outcome: 'handled' });
    expect(last.why).toMatch(/matches "price"/);
    expect(price.steps.find((s: { name: string }) => s.name === 'Cafe').why).toMatch(/no match/);

    const hours = await test({ text: 'opening hours' });
    expect(hours.steps.at(-1).why).toContain('cooldown not applied in a test');
    const menu = await test({ text: 'menu' });
    expect(
      menu.steps
        .filter((s: { outcome: string }) => s.outcome !== 'skipped')
        .map((s: { name: string }) => s.name),
    ).toEqual(['Tag menu', 'Menu first']);
    expect(menu.actions.map((a: { type: string }) => a.type)).toEqual(['add_tags', 'reply_text']);
    expect((await test({ text: 'where', number_id: numberId })).handled_by).toBe('nothing');
    expect((await test({ text: 'where', number_id: number2Id })).handled_by).toBe('rule');
    expect((await test({ text: 'Stop' })).handled_by).toBe('consent');
    expect((await test({ reply_id: 'opt-yes' })).handled_by).toBe('rule');
    expect((await test({ text: 'nothing matches this' })).handled_by).toBe('nothing');
    expect((await owner.get('/api/v1/automation/rules')).json().data).toEqual(before);
    expect((await viewer.post('/api/v1/automation/test', { text: 1 })).statusCode).toBe(400);
    expect(
      (
        await viewer.post('/api/v1/automation/test', {
          text: 'x',
          number_id: '0b6d7c1e-1111-4222-8333-944455556666',
        })
      ).statusCode,
    ).toBe(404);
  });
});

describe(`business hours on ${settings.backend}`, () => {
  const closedAlways = {
    name: 'Default',
    weekly: {},
    away_message: 'We are closed',
    welcome_message: 'Welcome {{contact.name}}!',
  };

  it('no schedule: open, schedule_id null; one schedule per scope (409); bad input 400; unknown 404', async () => {
    const none = await viewer.get(`/api/v1/automation/hours/status?number_id=${numberId}`);
    expect(none.statusCode, none.body).toBe(200);
    expect(none.json()).toMatchObject({
      open: true,
      schedule_id: null,
      timezone: 'UTC',
      next_change_at: null,
    });

    const bad = async (body: Record<string, unknown>, path: string) => {
      const res = await owner.post('/api/v1/automation/hours', body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.body).toContain(path);
    };
    await bad({ ...closedAlways, timezone: 'Mars/Olympus' }, 'timezone');
    await bad({ ...closedAlways, number_id: '0b6d7c1e-1111-4222-8333-944455556666' }, 'number_id');
    await bad({ ...closedAlways, weekly: { mon: [{ from: '18:00', to: '09:00' }] } }, 'weekly');
    await bad({ ...closedAlways, weekly: { mon: [{ from: '9:00', to: '17:00' }] } }, 'weekly');
    await bad({ ...closedAlways, closures: [{ date: '2026-12-25' }, { date: '2026-12-25' }] }, 'closures');
    expect((await owner.get('/api/v1/automation/hours')).json().data).toEqual([]);

    const res = await owner.post('/api/v1/automation/hours', {
      name: 'Number one',
      number_id: numberId,
      timezone: 'America/New_York',
      weekly: { mon: [{ from: '09:00', to: '17:00' }] },
    });
    expect(res.statusCode, res.body).toBe(201);
    const again = await owner.post('/api/v1/automation/hours', {
      name: 'Again',
      number_id: numberId,
      weekly: {},
    });
    expect(again.statusCode).toBe(409);
    // Monday 2026-12-07 10:00 New York (15:00 UTC): open, closes at 17:00 New York.
    const st = (
      await viewer.get(`/api/v1/automation/hours/status?number_id=${numberId}&at=2026-12-07T15:00:00Z`)
    ).json();
    expect(st).toMatchObject({
      open: true,
      schedule_id: res.json().id,
      timezone: 'America/New_York',
      next_change_at: '2026-12-07T22:00:00.000Z',
    });
    // Number two falls back to the default (none yet): open.
    expect(
      (await viewer.get(`/api/v1/automation/hours/status?number_id=${number2Id}`)).json().schedule_id,
    ).toBeNull();
    const upd = await put(owner, `/api/v1/automation/hours/${res.json().id}`, {
      name: 'Number one',
      number_id: numberId,
      weekly: { mon: [{ from: '09:00', to: '17:00' }] },
      closures: [{ date: '2026-12-07', name: 'Inventory' }],
    });
    expect(upd.statusCode, upd.body).toBe(200);
    const closed = (
      await viewer.get(`/api/v1/automation/hours/status?number_id=${numberId}&at=2026-12-07T15:00:00Z`)
    ).json();
    expect(closed).toMatchObject({ open: false, closure: 'Inventory', timezone: 'UTC' });
    expect((await owner.delete(`/api/v1/automation/hours/${res.json().id}`)).statusCode).toBe(200);
    expect((await owner.delete(`/api/v1/automation/hours/${res.json().id}`)).statusCode).toBe(404);
    expect((await viewer.get('/api/v1/automation/hours/status?number_id=nope')).statusCode).toBe(400);
    const audit = (await owner.get('/api/v1/audit?action=automation.hours')).json().data as {
      action: string;
    }[];
    expect(audit.map((a) => a.action).sort()).toEqual([
      'automation.hours.create',
      'automation.hours.delete',
      'automation.hours.update',
    ]);
  });

  it('closed: the welcome once ever, the away reply at most once per contact every N hours; rules active only while closed or open', async () => {
    const res = await owner.post('/api/v1/automation/hours', { ...closedAlways, away_every_hours: 4 });
    expect(res.statusCode, res.body).toBe(201);
    await rule({
      name: 'Open only',
      hours: 'open',
      match: { kind: 'equals', patterns: ['urgent'] },
      actions: reply('Calling you'),
    });
    await rule({
      name: 'Closed only',
      hours: 'closed',
      match: { kind: 'equals', patterns: ['urgent'] },
      actions: reply('Tomorrow'),
    });

    await customer(20, 'text', { text: 'hi there', name: 'Zoe' });
    expect(await replies(20)).toEqual(['Welcome Zoe!', 'We are closed']);
    await writes(20, 'anything?');
    expect(await replies(20)).toEqual(['Welcome Zoe!', 'We are closed']);
    await writes(20, 'urgent');
    expect(await replies(20)).toEqual(['Welcome Zoe!', 'We are closed', 'Tomorrow']);
    // Four hours later the away reply goes again; the welcome never.
    await t.database.query(
      `update automation_reply_marks set at = now() - interval '4 hours 1 minute' where kind = 'away'`,
    );
    const m = await customer(20, 'image', {});
    expect(await replies(20)).toEqual(['Welcome Zoe!', 'We are closed', 'Tomorrow', 'We are closed']);
    expect(await handledBy(m)).toEqual(['hours']);
    // A customer known before (customer 1) gets no welcome, only the away reply.
    await writes(1, 'anyone?');
    expect((await replies(1)).slice(-1)).toEqual(['We are closed']);

    const test = (await viewer.post('/api/v1/automation/test', { text: 'zzz' })).json();
    expect(test.handled_by).toBe('hours');
    expect(test.actions).toEqual(reply('We are closed'));
    expect(
      (await viewer.post('/api/v1/automation/test', { text: 'urgent' }))
        .json()
        .steps.find((s: { name: string }) => s.name === 'Open only').why,
    ).toMatch(/only while open/);
    await owner.delete(`/api/v1/automation/hours/${res.json().id}`);
  });
});
