import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestClient } from '../../test/helpers.ts';
import { createReportService } from './service.ts';

// Issue 25 §1, §3, §5: the rollups equal a direct count of the messages (random inserts, late
// statuses, a retention purge, a rebuild), the fold counts once, the rebuild runs one at a time, days
// are the organisation's, and every report refuses bad input with a clear 4xx.

let t: TestApp;
let owner: TestClient;
const numbers: string[] = [];
const conversations: { id: string; number: string }[] = [];
let orgB = '';
let seq = 0;

const q = <T>(sql: string, params: unknown[] = []) =>
  t.database.query<T & Record<string, unknown>>(sql, params);
const fold = () => t.app.services.reports.fold(1000);

/** A day's UTC instant `daysAgo` days back at `hour`:`minute` UTC. */
const at = (daysAgo: number, hour: number, minute = 0) => {
  const d = new Date();
  d.setUTCHours(hour, minute, 0, 0);
  return new Date(d.getTime() - daysAgo * 86_400_000).toISOString();
};

interface Msg {
  conv: number;
  direction: 'in' | 'out';
  template: string | null;
  status: 'pending' | 'sent' | 'delivered' | 'read' | 'failed';
  accepted: boolean;
  code: string;
  category: string;
  cost: number;
  billable: boolean | null;
  daysAgo: number;
  hour: number;
  minute: number;
}

/** Records a message as the messages domain would have (wamid once accepted, cost when queued). */
async function insertMessage(m: Msg) {
  const c = conversations[m.conv % conversations.length]!;
  const when = at(m.daysAgo, m.hour, m.minute);
  const id = crypto.randomUUID();
  const accepted = m.direction === 'out' && (m.accepted || m.status !== 'pending');
  const status = m.direction === 'in' ? null : m.status === 'pending' && m.accepted ? 'sent' : m.status;
  await q(
    `insert into messages (id, org_id, number_id, conversation_id, direction, wamid, type, content, status, error, sent_at,
                           created_at, cost_expected, cost_currency, cost_category, pricing_billable)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, 'USD', $13, $14)`,
    [
      id,
      t.orgId,
      c.number,
      c.id,
      m.direction,
      m.direction === 'in' || accepted ? `wamid.${++seq}.${id}` : null,
      m.template ? 'template' : 'text',
      JSON.stringify(
        m.template
          ? { type: 'template', template: { name: m.template, language: { code: 'en' } } }
          : { type: 'text', text: { body: 'hi' } },
      ),
      status,
      status === 'failed' ? JSON.stringify({ code: Number(m.code), title: `error ${m.code}` }) : null,
      when,
      m.direction === 'out' ? m.cost : null,
      m.direction === 'out' ? m.category : null,
      m.direction === 'out' ? m.billable : null,
    ],
  );
  return id;
}

/**
 * The same figures counted straight from the messages (the definitions of docs/reports.md, written
 * independently of the fold's SQL), by day in the organisation's timezone.
 */
async function directCounts(orgId: string) {
  return q<{
    day: string;
    sent: number;
    delivered: number;
    read: number;
    failed: number;
    inbound: number;
    replied: number;
    cost: string;
  }>(
    `with tz as (select coalesce((select timezone from org_settings where org_id = $1), 'UTC') as z)
     select to_char(((case when direction = 'out' then created_at else sent_at end) at time zone (select z from tz))::date, 'YYYY-MM-DD') as day,
            count(*) filter (where direction = 'out' and wamid is not null)::int as sent,
            count(*) filter (where direction = 'out' and status in ('delivered', 'read', 'played'))::int as delivered,
            count(*) filter (where direction = 'out' and status in ('read', 'played'))::int as read,
            count(*) filter (where direction = 'out' and status = 'failed')::int as failed,
            count(*) filter (where direction = 'in')::int as inbound,
            count(*) filter (where direction = 'out' and wamid is not null and exists (
              select 1 from messages i where i.conversation_id = m.conversation_id and i.direction = 'in'
                and (date_trunc('second', i.sent_at), i.seq) > (date_trunc('second', m.sent_at), m.seq)
                and date_trunc('second', i.sent_at) <= date_trunc('second', m.sent_at) + interval '1 day'
                and not exists (select 1 from messages o where o.conversation_id = m.conversation_id
                  and o.direction = 'out' and o.wamid is not null and o.id <> m.id
                  and (date_trunc('second', o.sent_at), o.seq) > (date_trunc('second', m.sent_at), m.seq)
                  and date_trunc('second', o.sent_at) <= date_trunc('second', i.sent_at))))::int as replied,
            coalesce(sum(cost_expected) filter (where direction = 'out' and wamid is not null and status <> 'failed'
                                                 and pricing_billable is not false), 0)::numeric(16, 6)::text as cost
     from messages m where org_id = $1 group by 1
     having count(*) filter (where direction = 'in' or wamid is not null or status = 'failed') > 0 order by 1`,
    [orgId],
  );
}

async function rollupCounts(orgId: string) {
  return q<{
    day: string;
    sent: number;
    delivered: number;
    read: number;
    failed: number;
    inbound: number;
    replied: number;
    cost: string;
  }>(
    `select to_char(day, 'YYYY-MM-DD') as day, sum(sent)::int as sent, sum(delivered)::int as delivered,
            sum(read)::int as read, sum(failed)::int as failed, sum(inbound)::int as inbound,
            sum(replied)::int as replied, sum(cost)::numeric(16, 6)::text as cost
     from report_daily where org_id = $1 group by 1
     having sum(sent) + sum(delivered) + sum(read) + sum(failed) + sum(inbound) + sum(replied) <> 0 or sum(cost) <> 0
     order by 1`,
    [orgId],
  );
}

const failureCounts = async (orgId: string) => ({
  direct: await q<{ code: string; n: number }>(
    `select error->>'code' as code, count(*)::int as n from messages where org_id = $1 and direction = 'out' and status = 'failed'
     group by 1 order by 1`,
    [orgId],
  ),
  rollup: await q<{ code: string; n: number }>(
    `select error_code as code, sum(failed)::int as n from report_daily_failures where org_id = $1 group by 1
     having sum(failed) <> 0 order by 1`,
    [orgId],
  ),
});

const hourlyCounts = async (orgId: string) => ({
  direct: await q<{ n: number }>(
    `select count(*)::int as n from messages where org_id = $1 and (direction = 'in' or wamid is not null)`,
    [orgId],
  ),
  rollup: await q<{ n: number }>(
    `select coalesce(sum(messages), 0)::int as n from report_hourly where org_id = $1`,
    [orgId],
  ),
});

/** The coarser rollups are the finest summed (per number and direction; template messages per template). */
async function expectRollupsAgree(orgId: string) {
  const sums = (table: string, where = 'true') =>
    q<{ s: string }>(
      `select coalesce(sum(attempted), 0) || '/' || coalesce(sum(sent), 0) || '/' || coalesce(sum(delivered), 0) || '/' ||
              coalesce(sum(read), 0) || '/' || coalesce(sum(failed), 0) || '/' || coalesce(sum(inbound), 0) || '/' ||
              coalesce(sum(replied), 0) || '/' || coalesce(sum(paid), 0) || '/' || coalesce(sum(cost), 0)::numeric(16, 6) as s
       from ${table} where org_id = $1 and ${where}`,
      [orgId],
    );
  expect(await sums('report_daily_numbers')).toEqual(await sums('report_daily'));
  expect(await sums('report_daily_templates')).toEqual(
    await sums('report_daily', "direction = 'out' and template <> ''"),
  );
  const other = (sql: string) => q<{ s: string }>(sql, [orgId]);
  expect(
    await other(`select coalesce(sum(messages), 0) || '' as s from report_hourly_all where org_id = $1`),
  ).toEqual(await other(`select coalesce(sum(messages), 0) || '' as s from report_hourly where org_id = $1`));
  const spendSums = (table: string) =>
    other(
      `select coalesce(sum(messages), 0) || '/' || coalesce(sum(cost), 0)::numeric(16, 6) as s from ${table} where org_id = $1`,
    );
  expect(await spendSums('report_spend_all')).toEqual(await spendSums('report_spend_daily'));
  // The messages spend counts are those the daily rollups call paid.
  expect(await spendSums('report_spend_daily')).toEqual(
    await other(`select coalesce(sum(paid), 0) || '/' || coalesce(sum(cost), 0)::numeric(16, 6) as s
                 from report_daily_numbers where org_id = $1 and direction = 'out'`),
  );
}

async function expectRollupsEqualDirect(orgId = t.orgId) {
  expect(await rollupCounts(orgId)).toEqual(await directCounts(orgId));
  await expectRollupsAgree(orgId);
  const f = await failureCounts(orgId);
  expect(f.rollup).toEqual(f.direct);
  const h = await hourlyCounts(orgId);
  expect(h.rollup).toEqual(h.direct);
}

const msgArb = fc.record({
  conv: fc.nat(20),
  direction: fc.constantFrom<'in' | 'out'>('in', 'out', 'out'),
  template: fc.option(fc.constantFrom('welcome', 'promo', '=HYPERLINK("x")'), { nil: null }),
  status: fc.constantFrom<Msg['status']>('pending', 'sent', 'delivered', 'read', 'failed'),
  accepted: fc.boolean(),
  code: fc.constantFrom('131026', '131049', '130472'),
  category: fc.constantFrom('marketing', 'utility', 'service'),
  cost: fc.constantFrom(0, 0.025, 0.004),
  billable: fc.option(fc.boolean(), { nil: null }),
  daysAgo: fc.nat(6),
  hour: fc.nat(23),
  minute: fc.nat(59),
});

beforeAll(async () => {
  t = await createTestApp();
  owner = await t.owner();
  for (const n of [1, 2]) {
    const [row] = await q<{ id: string }>(
      `insert into numbers (org_id, display_name, phone_number_id, waba_id, access_token_sealed, app_secret_sealed, verify_token_sealed)
       values ($1, $2, $3, 'waba', 'x', 'x', 'x') returning id`,
      [t.orgId, `Number ${n}`, `pn-${n}`],
    );
    numbers.push(row!.id);
  }
  for (let i = 0; i < 21; i++) {
    const [ct] = await q<{ id: string }>(
      `insert into contacts (org_id, wa_id, country) values ($1, $2, $3) returning id`,
      [t.orgId, `1202555${String(1000 + i)}`, i % 3 === 0 ? 'GB' : i % 3 === 1 ? 'US' : null],
    );
    const number = numbers[i % 2]!;
    const [cv] = await q<{ id: string }>(
      `insert into conversations (org_id, number_id, contact_id) values ($1, $2, $3) returning id`,
      [t.orgId, number, ct!.id],
    );
    conversations.push({ id: cv!.id, number });
  }
  const created = await owner.post('/api/v1/orgs', { name: 'Other shop' });
  expect(created.statusCode).toBe(201);
  orgB = created.json().id;
});

afterAll(async () => {
  await t?.close();
});

describe('rollups', () => {
  it('equal a direct count of the messages after random inserts, and a second fold counts nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(msgArb, { minLength: 1, maxLength: 25 }), async (ms) => {
        for (const m of ms) await insertMessage(m);
        await fold();
        await expectRollupsEqualDirect();
        expect(await fold()).toBe(0);
      }),
      { numRuns: 8 },
    );
  });

  it('catches up on a backlog in small steps without missing a message', async () => {
    const s = t.app.services;
    const small = createReportService({
      db: t.database.db,
      orgs: s.orgs,
      numbers: s.numbers,
      campaigns: s.campaigns,
      billing: s.billing,
      tags: s.tags,
      foldBatch: 100,
    });
    const ms = fc
      .sample(msgArb, { numRuns: 350, seed: 25 })
      .map((m) => ({ ...m, daysAgo: 1 + (m.daysAgo % 5) }));
    for (const m of ms) await insertMessage(m);
    await small.fold(50);
    await expectRollupsEqualDirect();
    expect(await fold()).toBe(0);
  });

  it('puts a status arriving days later on the day the message was created', async () => {
    const id = await insertMessage({
      conv: 3,
      direction: 'out',
      template: 'welcome',
      status: 'sent',
      accepted: true,
      code: '',
      category: 'marketing',
      cost: 0.025,
      billable: true,
      daysAgo: 4,
      hour: 12,
      minute: 0,
    });
    await fold();
    const dayOf = (
      await q<{ d: string }>(
        `select to_char(day, 'YYYY-MM-DD') as d from report_message_facts where message_id = $1`,
        [id],
      )
    )[0]!.d;
    const before = await q<{ delivered: number; read: number }>(
      `select sum(delivered)::int as delivered, sum(read)::int as read from report_daily where org_id = $1 and day = $2`,
      [t.orgId, dayOf],
    );
    // Three days later Meta reports it delivered and read (a status event, applied as the messages domain does).
    const [m] = await q<{ number_id: string; wamid: string }>(
      `select number_id, wamid from messages where id = $1`,
      [id],
    );
    for (const s of ['delivered', 'read']) {
      await q(
        `insert into message_status_events (number_id, wamid, status, occurred_at, payload, applied) values ($1, $2, $3, now(), '{}', true)`,
        [m!.number_id, m!.wamid, s],
      );
      await q(`update messages set status = $2 where id = $1`, [id, s]);
    }
    await fold();
    const after = await q<{ delivered: number; read: number }>(
      `select sum(delivered)::int as delivered, sum(read)::int as read from report_daily where org_id = $1 and day = $2`,
      [t.orgId, dayOf],
    );
    expect(after[0]!.delivered).toBe(before[0]!.delivered + 1);
    expect(after[0]!.read).toBe(before[0]!.read + 1);
    const today = await q<{ n: number }>(
      `select count(*)::int as n from report_message_facts where message_id = $1 and day = (now() at time zone 'UTC')::date`,
      [id],
    );
    expect(today[0]!.n).toBe(0);
    await expectRollupsEqualDirect();
  });

  it('counts a queued message once it leaves the send queue (no status event), and forgets one deleted unsent', async () => {
    const id = await insertMessage({
      conv: 5,
      direction: 'out',
      template: 'promo',
      status: 'pending',
      accepted: false,
      code: '',
      category: 'marketing',
      cost: 0.025,
      billable: null,
      daysAgo: 0,
      hour: 1,
      minute: 0,
    });
    const gone = await insertMessage({
      conv: 6,
      direction: 'out',
      template: 'promo',
      status: 'pending',
      accepted: false,
      code: '',
      category: 'marketing',
      cost: 0.025,
      billable: null,
      daysAgo: 0,
      hour: 1,
      minute: 0,
    });
    await fold();
    await q(`update messages set wamid = $2, status = 'sent' where id = $1`, [id, `wamid.late.${id}`]);
    await q(`delete from messages where id = $1`, [gone]);
    await fold();
    await expectRollupsEqualDirect();
    const facts = await q<{ n: number }>(
      `select count(*)::int as n from report_message_facts where message_id = $1`,
      [gone],
    );
    expect(facts[0]!.n).toBe(0);
  });

  it('ends the reply window of our earlier message with a later one only once Meta accepted it', async () => {
    const base = {
      conv: 3,
      template: null,
      code: '',
      category: 'utility',
      cost: 0,
      billable: null,
      daysAgo: 9,
    };
    const out = { ...base, direction: 'out' as const, status: 'pending' as const, accepted: false };
    const first = await insertMessage({ ...out, status: 'sent', accepted: true, hour: 10, minute: 0 });
    const queued = await insertMessage({ ...out, hour: 11, minute: 0 });
    const gone = await insertMessage({ ...out, hour: 11, minute: 30 });
    await insertMessage({ ...base, direction: 'in', status: 'sent', accepted: true, hour: 12, minute: 0 });
    await fold();
    const replied = async (id: string) =>
      (
        await q<{ replied: boolean }>(`select replied from report_message_facts where message_id = $1`, [id])
      )[0]?.replied;
    // Still queued, ours never reached the customer: their message answers the first.
    expect(await replied(first)).toBe(true);
    await expectRollupsEqualDirect();
    await q(`delete from messages where id = $1`, [gone]);
    await q(`update messages set wamid = $2, status = 'sent' where id = $1`, [
      queued,
      `wamid.late.${queued}`,
    ]);
    await fold();
    // Accepted now: it came between, so the customer answered it, not the first.
    expect(await replied(first)).toBe(false);
    expect(await replied(queued)).toBe(true);
    await expectRollupsEqualDirect();
  });

  it('puts a message at 03:00 UTC (organisation in America/New_York) on the previous day in New York', async () => {
    const res = await owner.patch('/api/v1/org', { settings: { timezone: 'America/New_York' } });
    expect(res.statusCode).toBe(200);
    const id = await insertMessage({
      conv: 1,
      direction: 'in',
      template: null,
      status: 'sent',
      accepted: true,
      code: '',
      category: '',
      cost: 0,
      billable: null,
      daysAgo: 1,
      hour: 3,
      minute: 0,
    });
    await fold();
    const [f] = await q<{ day: string; hour: number }>(
      `select to_char(day, 'YYYY-MM-DD') as day, hour from report_message_facts where message_id = $1`,
      [id],
    );
    const utcDay = at(1, 3).slice(0, 10);
    expect(f!.day).toBe(new Date(Date.parse(utcDay) - 86_400_000).toISOString().slice(0, 10));
    // 03:00 UTC is 22:00 (EST) or 23:00 (EDT) the evening before.
    expect([22, 23]).toContain(f!.hour);
    // A rebuild puts every message on its New York day; the direct count (same zone) agrees.
    await t.app.services.reports.rebuild({ orgId: t.orgId });
    await expectRollupsEqualDirect();
    const ov = await owner.get(`/api/v1/reports/overview?from=${f!.day}&to=${f!.day}`);
    expect(ov.statusCode).toBe(200);
    expect(ov.json().timezone).toBe('America/New_York');
    expect(ov.json().by_hour[f!.hour].inbound).toBeGreaterThanOrEqual(1);
  });

  it('keeps the figures of messages a retention purge deleted, through a rebuild too', async () => {
    await fold();
    const before = await rollupCounts(t.orgId);
    await q(
      `insert into org_settings (org_id, retention_days) values ($1, 2)
             on conflict (org_id) do update set retention_days = 2`,
      [t.orgId],
    );
    await t.app.services.retention.runAll();
    const left = await q<{ n: number }>(
      `select count(*)::int as n from messages where org_id = $1 and sent_at < now() - interval '3 days'`,
      [t.orgId],
    );
    expect(left[0]!.n).toBe(0);
    await fold();
    expect(await rollupCounts(t.orgId)).toEqual(before);
    const r = await t.app.services.reports.rebuild({ orgId: t.orgId });
    expect(r.facts).toBeGreaterThan(0);
    expect(await rollupCounts(t.orgId)).toEqual(before);
    await q(`update org_settings set retention_days = null where org_id = $1`, [t.orgId]);
  });

  it('rebuilds to the same figures after the rollups were lost, from a day on', async () => {
    const before = await rollupCounts(t.orgId);
    await q(`delete from report_daily where org_id = $1`, [t.orgId]);
    await q(`delete from report_daily_numbers where org_id = $1`, [t.orgId]);
    await q(`delete from report_daily_templates where org_id = $1`, [t.orgId]);
    await q(`delete from report_daily_failures where org_id = $1`, [t.orgId]);
    await q(`delete from report_hourly where org_id = $1`, [t.orgId]);
    await q(`delete from report_hourly_all where org_id = $1`, [t.orgId]);
    await q(`delete from report_spend_all where org_id = $1`, [t.orgId]);
    const from = before[0]!.day;
    await t.app.services.reports.rebuild({ orgId: t.orgId, from });
    expect(await rollupCounts(t.orgId)).toEqual(before);
    await t.app.services.reports.rebuild({});
    expect(await rollupCounts(t.orgId)).toEqual(before);
    await expectRollupsAgree(t.orgId);
    expect(await fold()).toBe(0);
  });

  it('refuses a second rebuild while one runs, never doubling', async () => {
    const before = await rollupCounts(t.orgId);
    // Another process's rebuild is running: it holds the claim.
    await q(`update report_state set rebuild_started_at = now() where id = 'fold'`);
    await expect(t.app.services.reports.rebuild({ orgId: t.orgId })).rejects.toThrow(/already running/);
    expect(await rollupCounts(t.orgId)).toEqual(before);
    await q(`update report_state set rebuild_started_at = null where id = 'fold'`);
    // Two at once: one is refused, or (when the first ended before the second asked) both ran one
    // after the other; either way the counts never double.
    const results = await Promise.allSettled([
      t.app.services.reports.rebuild({ orgId: t.orgId }),
      t.app.services.reports.rebuild({ orgId: t.orgId }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    for (const r of results)
      if (r.status === 'rejected') expect(String(r.reason.message)).toMatch(/already running/);
    expect(await rollupCounts(t.orgId)).toEqual(before);
    // And once it is over, the next one runs.
    await t.app.services.reports.rebuild({ orgId: t.orgId });
    expect(await rollupCounts(t.orgId)).toEqual(before);
  });
});

describe('report APIs', () => {
  const range = () => {
    const to = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
    return { from, to };
  };

  it('answer each report with the rollups’ figures', async () => {
    await fold();
    const { from, to } = range();
    const ov = (await owner.get(`/api/v1/reports/overview?from=${from}&to=${to}`)).json();
    const [tot] = await q<{ sent: number; inbound: number; failed: number }>(
      `select sum(sent)::int as sent, sum(inbound)::int as inbound, sum(failed)::int as failed from report_daily
       where org_id = $1 and day between $2 and $3`,
      [t.orgId, from, to],
    );
    expect(ov.kpis.sent.current).toBe(tot!.sent);
    expect(ov.kpis.received.current).toBe(tot!.inbound);
    expect(ov.kpis.failed.current).toBe(tot!.failed);
    expect(ov.series).toHaveLength(11);
    expect(ov.by_hour).toHaveLength(24);
    expect(ov.series.reduce((s: number, d: { sent: number }) => s + d.sent, 0)).toBe(tot!.sent);
    expect(ov.note).toMatch(/24 hours to settle/);
    // The KPIs' previous figures are the same count over the days just before the range.
    const ago = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    const short = (await owner.get(`/api/v1/reports/overview?from=${ago(2)}&to=${ago(0)}`)).json();
    const [old] = await q<{ sent: number; inbound: number; failed: number; cost: number }>(
      `select sum(sent)::int as sent, sum(inbound)::int as inbound, sum(failed)::int as failed,
              sum(cost)::float8 as cost from report_daily where org_id = $1 and day between $2 and $3`,
      [t.orgId, ago(5), ago(3)],
    );
    expect(short.previous).toEqual({ from: ago(5), to: ago(3) });
    expect(old!.sent + old!.inbound).toBeGreaterThan(0);
    expect(short.kpis.sent.previous).toBe(old!.sent);
    expect(short.kpis.received.previous).toBe(old!.inbound);
    expect(short.kpis.failed.previous).toBe(old!.failed);
    expect(short.kpis.spend.previous).toBeCloseTo(old!.cost, 6);
    // Audience figures come from contacts, the consent ledger and conversations.
    expect(ov.kpis.new_contacts.current).toBe(21);
    expect(ov.open_conversations).toBe(21);
    expect(ov.kpis.opt_ins.current).toBe(0);
    await q(
      `insert into opt_in_events (org_id, wa_id, kind, source) values ($1, '12025551000', 'opt_in', 'api'),
         ($1, '12025551001', 'opt_in', 'api'), ($1, '12025551001', 'opt_out', 'keyword')`,
      [t.orgId],
    );
    const ov2 = (await owner.get(`/api/v1/reports/overview?from=${from}&to=${to}`)).json();
    expect(ov2.kpis.opt_ins).toEqual({ current: 2, previous: 0, change: null });
    expect(ov2.kpis.opt_outs.current).toBe(1);
    const one = (
      await owner.get(`/api/v1/reports/overview?from=${from}&to=${to}&number_id=${numbers[0]}`)
    ).json();
    expect(one.open_conversations).toBe(11);

    const nums = (
      await owner.get(`/api/v1/reports/numbers?from=${from}&to=${to}&number_id=${numbers[0]}`)
    ).json();
    expect(nums.data.length).toBeGreaterThan(0);
    expect(nums.data.every((r: { number_id: string }) => r.number_id === numbers[0])).toBe(true);
    expect(nums.data[0].display_name).toBe('Number 1');

    const tpl = (await owner.get(`/api/v1/reports/templates?from=${from}&to=${to}`)).json();
    expect(tpl.data.map((r: { template: string }) => r.template)).toContain('welcome');

    const spend = (await owner.get(`/api/v1/reports/spend?from=${from}&to=${to}`)).json();
    const sum = (rows: { spend: number }[]) => Math.round(rows.reduce((s, r) => s + r.spend, 0) * 1e6) / 1e6;
    expect(sum(spend.by_day)).toBeCloseTo(spend.total.spend, 6);
    expect(sum(spend.by_country)).toBeCloseTo(spend.total.spend, 6);
    expect(sum(spend.by_number)).toBeCloseTo(spend.total.spend, 6);
    expect(spend.total.spend).toBeCloseTo(ov.kpis.spend.current, 6);

    const camps = await owner.get(`/api/v1/reports/campaigns?from=${from}&to=${to}`);
    expect(camps.statusCode).toBe(200);
    expect(camps.json().data).toEqual([]);
  });

  it('answer each template’s quality now and the changes Meta announced in the range, per account', async () => {
    const { from, to } = range();
    for (const [waba, quality, updated] of [
      ['waba', 'GREEN', '2026-01-01'],
      ['waba-2', 'YELLOW', '2026-02-01'],
    ] as const)
      await q(
        `insert into templates (org_id, waba_id, meta_id, name, language, status, category, components, quality_score, updated_at)
         values ($1, $2, $3, 'welcome', 'en', 'APPROVED', 'MARKETING', '[]', $4, $5)`,
        [t.orgId, waba, `m-${waba}`, quality, updated],
      );
    const notice = (org: string, waba: string, daysAgo: number, prev: string, next: string) =>
      q(
        `insert into meta_updates (org_id, waba_id, field, payload, webhook_event_id, change_index, created_at)
         values ($1, $2, 'message_template_quality_update', $3, $4, 0, $5)`,
        [
          org,
          waba,
          JSON.stringify({
            previous_quality_score: prev,
            new_quality_score: next,
            message_template_id: 1,
            message_template_name: 'welcome',
            message_template_language: 'en',
          }),
          900_000 + ++seq,
          at(daysAgo, 9),
        ],
      );
    await notice(t.orgId, 'waba-2', 2, 'GREEN', 'YELLOW');
    await notice(t.orgId, 'waba', 4, 'YELLOW', 'GREEN');
    await notice(t.orgId, 'waba', 40, 'GREEN', 'RED'); // before the range
    await notice(orgB, 'waba', 1, 'GREEN', 'RED'); // another organisation's
    const r = (await owner.get(`/api/v1/reports/templates?from=${from}&to=${to}`)).json();
    const welcome = r.data.find(
      (x: { template: string; language: string }) => x.template === 'welcome' && x.language === 'en',
    );
    expect(welcome.quality_score).toBe('YELLOW'); // the latest row of the name and language
    expect(r.quality_changes).toEqual([
      { at: at(4, 9), template: 'welcome', language: 'en', from: 'YELLOW', to: 'GREEN' },
      { at: at(2, 9), template: 'welcome', language: 'en', from: 'GREEN', to: 'YELLOW' },
    ]);
    // One number: its account's templates and notices only (both test numbers are on 'waba').
    const one = (
      await owner.get(`/api/v1/reports/templates?from=${from}&to=${to}&number_id=${numbers[0]}`)
    ).json();
    expect(one.quality_changes.map((c: { to: string }) => c.to)).toEqual(['GREEN']);
    expect(one.data.find((x: { template: string }) => x.template === 'welcome').quality_score).toBe('GREEN');
    const csv = (await owner.get(`/api/v1/reports/templates.csv?from=${from}&to=${to}`)).body.split('\r\n');
    expect(csv[0]).toMatch(/,quality_score$/);
    expect(csv.find((l) => l.startsWith('welcome,en,'))).toMatch(/,YELLOW$/);
  });

  it('download as formula-safe CSV', async () => {
    const { from, to } = range();
    await insertMessage({
      conv: 2,
      direction: 'out',
      template: '=HYPERLINK("x")',
      status: 'delivered',
      accepted: true,
      code: '',
      category: 'marketing',
      cost: 0.025,
      billable: true,
      daysAgo: 0,
      hour: 0,
      minute: 5,
    });
    await fold();
    for (const kind of ['overview', 'numbers', 'templates', 'spend', 'campaigns']) {
      const res = await owner.get(`/api/v1/reports/${kind}.csv?from=${from}&to=${to}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/csv/);
      expect(res.body.split('\r\n')[0]).toBeTruthy();
    }
    const tpl = await owner.get(`/api/v1/reports/templates.csv?from=${from}&to=${to}`);
    expect(tpl.body).toContain(`"'=HYPERLINK(""x"")"`);
    expect(tpl.body).not.toMatch(/(^|,)=HYPERLINK/m);
  });

  it('refuses bad input with a clear 4xx', async () => {
    const { from, to } = range();
    const bad = async (query: string, status: number, message: RegExp) => {
      const res = await owner.get(`/api/v1/reports/overview?${query}`);
      expect(res.statusCode, query).toBe(status);
      expect(JSON.stringify(res.json().error), query).toMatch(message);
    };
    await bad(`from=${to}&to=${from}`, 400, /on or before/);
    await bad('from=2025-01-01&to=2026-03-01', 400, /at most 400 days/);
    await bad(`from=2026-13-01&to=${to}`, 400, /from/);
    await bad(`to=${to}`, 400, /from/);
    await bad(`from=${from}&to=${to}&number_id=nope`, 400, /number_id/);
    await bad(`from=${from}&to=${to}&number_id=${crypto.randomUUID()}`, 404, /Number not found/);
    await bad(`from=${from}&to=${to}&team_id=${crypto.randomUUID()}`, 400, /team_id/);
    const csv = await owner.get(`/api/v1/reports/spend.csv?from=${to}&to=${from}`);
    expect(csv.statusCode).toBe(400);
  });

  it('never shows one organisation another’s figures or numbers', async () => {
    const { from, to } = range();
    const other = t.client();
    await other.login('owner@example.com', 'correct horse battery');
    expect((await other.post('/api/v1/me/org', { org_id: orgB })).statusCode).toBe(200);
    const ov = (await other.get(`/api/v1/reports/overview?from=${from}&to=${to}`)).json();
    expect(ov.kpis.sent.current).toBe(0);
    expect(ov.kpis.received.current).toBe(0);
    const res = await other.get(`/api/v1/reports/numbers?from=${from}&to=${to}&number_id=${numbers[0]}`);
    expect(res.statusCode).toBe(404);
    const spend = (await other.get(`/api/v1/reports/spend?from=${from}&to=${to}`)).json();
    expect(spend.by_number).toEqual([]);
  });

  it('are read-only for a viewer and closed to the signed-out', async () => {
    const { from, to } = range();
    const viewer = await t.member('viewer');
    expect((await viewer.get(`/api/v1/reports/templates?from=${from}&to=${to}`)).statusCode).toBe(200);
    expect((await t.client().get(`/api/v1/reports/templates?from=${from}&to=${to}`)).statusCode).toBe(401);
  });
});
