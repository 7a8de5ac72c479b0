import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import { applyParkedStatuses } from '../messages/repo.ts';

// Issue 25 §3 (numbers: throughput reached, quality and tier history; weeks past 90 days), §2 (the
// limit each number's portfolio used today) and the settling pass of docs/adr/0026: figures equal a
// direct computation, bad input is a 4xx, and statuses applied with no new event are still counted.

let t: TestApp;
let owner: TestClient;
const numbers: string[] = [];
const conversations: { id: string; number: string; contact: string }[] = [];
let seq = 0;

const q = <T>(sql: string, params: unknown[] = []) =>
  t.database.query<T & Record<string, unknown>>(sql, params);
const fold = () => t.app.services.reports.fold(1000);
const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
/** An instant `daysAgo` days back at hh:mm:ss UTC. */
const at = (daysAgo: number, h: number, m: number, s = 0) => {
  const d = new Date(Date.now() - daysAgo * 86_400_000);
  d.setUTCHours(h, m, s, 0);
  return d.toISOString();
};

/** An outbound message as the send path leaves it: queued (`wamid` null) or accepted at `sentAt`. */
async function outbound(o: {
  conv: number;
  sentAt: string;
  accepted?: boolean;
  status?: string;
  template?: string;
  createdAt?: string;
}) {
  const c = conversations[o.conv]!;
  const id = crypto.randomUUID();
  const accepted = o.accepted ?? true;
  const wamid = accepted ? `wamid.n.${++seq}` : null;
  await q(
    `insert into messages (id, org_id, number_id, conversation_id, direction, wamid, type, content, status, sent_at, created_at)
     values ($1, $2, $3, $4, 'out', $5, $6, $7, $8, $9, $10)`,
    [
      id,
      t.orgId,
      c.number,
      c.id,
      wamid,
      o.template ? 'template' : 'text',
      JSON.stringify(
        o.template
          ? { type: 'template', template: { name: o.template, language: { code: 'en' } } }
          : { type: 'text', text: { body: 'hi' } },
      ),
      o.status ?? (accepted ? 'sent' : 'pending'),
      o.sentAt,
      o.createdAt ?? o.sentAt,
    ],
  );
  return { id, wamid, number: c.number };
}

/** The throughput per number per day straight from the messages: busiest minute of acceptance ÷ 60. */
async function directPeaks() {
  return q<{ day: string; number_id: string; peak: number }>(
    `select to_char(d, 'YYYY-MM-DD') as day, number_id, max(n)::int as peak from (
       select date_trunc('minute', sent_at at time zone 'UTC')::date as d, number_id, count(*) as n
       from messages where org_id = $1 and direction = 'out' and wamid is not null
       group by date_trunc('minute', sent_at at time zone 'UTC'), 1, 2) x
     group by 1, 2 order by 1, 2`,
    [t.orgId],
  );
}

beforeAll(async () => {
  t = await createTestApp();
  owner = await t.owner();
  for (const n of [1, 2]) {
    const [row] = await q<{ id: string }>(
      `insert into numbers (org_id, display_name, phone_number_id, waba_id, access_token_sealed, app_secret_sealed,
                            verify_token_sealed, messaging_limit_tier, quality_rating)
       values ($1, $2, $3, 'waba', 'x', 'x', 'x', $4, 'GREEN') returning id`,
      [t.orgId, `Number ${n}`, `pn-n${n}`, n === 1 ? 'TIER_1K' : null],
    );
    numbers.push(row!.id);
  }
  for (let i = 0; i < 6; i++) {
    const [ct] = await q<{ id: string }>(
      `insert into contacts (org_id, wa_id) values ($1, $2) returning id`,
      [t.orgId, `1202556${String(1000 + i)}`],
    );
    const number = numbers[i % 2]!;
    const [cv] = await q<{ id: string }>(
      `insert into conversations (org_id, number_id, contact_id) values ($1, $2, $3) returning id`,
      [t.orgId, number, ct!.id],
    );
    conversations.push({ id: cv!.id, number, contact: ct!.id });
  }
});
afterAll(async () => t?.close());

describe('the numbers report', () => {
  it('gives the throughput reached per number per day (busiest minute ÷ 60), also after a rebuild', async () => {
    // Number 1: 5 accepted in 10:00, 3 in 10:01 two days ago; 2 yesterday. Number 2: 4 in one minute.
    for (let i = 0; i < 5; i++) await outbound({ conv: 0, sentAt: at(2, 10, 0, i * 5) });
    for (let i = 0; i < 3; i++) await outbound({ conv: 2, sentAt: at(2, 10, 1, i) });
    for (let i = 0; i < 2; i++) await outbound({ conv: 0, sentAt: at(1, 8, 30, i) });
    for (let i = 0; i < 4; i++) await outbound({ conv: 1, sentAt: at(2, 23, 59, i * 10) });
    // Queued then accepted a day later: counted on the day Meta accepted it.
    const late = await outbound({ conv: 1, sentAt: at(3, 9, 0), accepted: false });
    await fold();
    await q(`update messages set wamid = 'wamid.late', status = 'sent', sent_at = $2 where id = $1`, [
      late.id,
      at(1, 12, 0),
    ]);
    await fold();
    const peaks = await directPeaks();
    const check = async () => {
      const r = (await owner.get(`/api/v1/reports/numbers?from=${day(6)}&to=${day(0)}`)).json();
      expect(r.group).toBe('day');
      const got = r.data
        .filter((d: { throughput: number | null }) => d.throughput !== null)
        .map((d: { day: string; number_id: string; throughput: number }) => [
          d.day,
          d.number_id,
          d.throughput,
        ])
        .sort();
      expect(got).toEqual(
        peaks.map((p) => [p.day, p.number_id, Math.round((p.peak / 60) * 100) / 100]).sort(),
      );
      const n1 = r.numbers.find((n: { number_id: string }) => n.number_id === numbers[0]);
      expect(n1.throughput).toBe(Math.round((5 / 60) * 100) / 100);
      expect(n1.sent).toBe(10);
      return r;
    };
    const before = await check();
    await t.app.services.reports.rebuild({});
    expect(await check()).toEqual(before);
    // The CSV has the column, a row per number per day.
    const csv = await owner.get(`/api/v1/reports/numbers.csv?from=${day(6)}&to=${day(0)}`);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toContain('throughput_msg_s');
    expect(lines).toHaveLength(before.data.length + 1);
  });

  it('turns weekly past 90 days (group=day keeps days; the CSV keeps every day), with the same totals', async () => {
    const from = day(120);
    const to = day(0);
    const weekly = (await owner.get(`/api/v1/reports/numbers?from=${from}&to=${to}`)).json();
    const daily = (await owner.get(`/api/v1/reports/numbers?from=${from}&to=${to}&group=day`)).json();
    expect(weekly.group).toBe('week');
    expect(daily.group).toBe('day');
    const total = (rows: { sent: number; inbound: number }[]) =>
      rows.reduce((s, r) => [s[0]! + r.sent, s[1]! + r.inbound], [0, 0]);
    expect(total(weekly.data)).toEqual(total(daily.data));
    expect(weekly.numbers).toEqual(daily.numbers);
    // A week row starts on a Monday (or the range's first day).
    for (const w of weekly.data)
      expect(w.day === from || new Date(`${w.day}T00:00:00Z`).getUTCDay() === 1).toBe(true);
    const csv = await owner.get(`/api/v1/reports/numbers.csv?from=${from}&to=${to}`);
    expect(csv.body.trim().split('\r\n')).toHaveLength(daily.data.length + 1);
    const bad = await owner.get(`/api/v1/reports/numbers?from=${from}&to=${to}&group=month`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/group/);
  });

  it('shows the quality and tier changes in the range and what was in force at its start', async () => {
    const n = numbers[1]!;
    const rec = (daysAgo: number, quality: string | null, tier: string | null) =>
      q(
        `insert into number_health (number_id, source, quality_rating, messaging_limit_tier, recorded_at)
         values ($1, 'cron', $2, $3, $4)`,
        [n, quality, tier, at(daysAgo, 6, 0)],
      );
    await rec(20, 'GREEN', 'TIER_250'); // before the range
    await rec(5, 'GREEN', 'TIER_250'); // no change
    await rec(4, 'YELLOW', null); // a quality webhook: says nothing of the tier
    await rec(3, null, 'TIER_1K');
    await rec(2, 'GREEN', 'TIER_1K');
    await fold();
    const check = async () => {
      const r = (
        await owner.get(`/api/v1/reports/numbers?from=${day(10)}&to=${day(0)}&number_id=${n}`)
      ).json();
      expect(r.numbers).toHaveLength(1);
      expect(r.numbers[0]).toMatchObject({ quality_at_start: 'GREEN', tier_at_start: 'TIER_250' });
      expect(r.numbers[0].changes).toEqual([
        { at: at(4, 6, 0), kind: 'quality', from: 'GREEN', to: 'YELLOW' },
        { at: at(3, 6, 0), kind: 'tier', from: 'TIER_250', to: 'TIER_1K' },
        { at: at(2, 6, 0), kind: 'quality', from: 'YELLOW', to: 'GREEN' },
      ]);
    };
    await check();
    await t.app.services.reports.rebuild({});
    await check();
    // A range after the changes: none, and the values in force.
    const later = (
      await owner.get(`/api/v1/reports/numbers?from=${day(1)}&to=${day(0)}&number_id=${n}`)
    ).json();
    expect(later.numbers[0]).toMatchObject({
      quality_at_start: 'GREEN',
      tier_at_start: 'TIER_1K',
      changes: [],
    });
  });

  it('refuses bad input with a clear 4xx', async () => {
    const other = crypto.randomUUID();
    expect((await owner.get(`/api/v1/reports/numbers?from=${day(0)}&to=${day(1)}`)).statusCode).toBe(400);
    expect(
      (await owner.get(`/api/v1/reports/numbers?from=${day(0)}&to=${day(0)}&number_id=${other}`)).statusCode,
    ).toBe(404);
    expect(
      (await owner.get(`/api/v1/reports/overview?from=${day(0)}&to=${day(0)}&group=week`)).statusCode,
    ).toBe(400);
  });
});

describe('the overview’s numbers’ health', () => {
  it('gives each number the limit its portfolio used in the last 24 hours against its tier', async () => {
    // Number 1 (TIER_1K): templates accepted to two contacts (one twice) in the last day, one failed,
    // one still queued, one 2 days ago, one free-form: 2 used.
    const now = Date.now();
    const ago = (h: number) => new Date(now - h * 3_600_000).toISOString();
    await outbound({ conv: 0, sentAt: ago(1), template: 'promo' });
    await outbound({ conv: 0, sentAt: ago(2), template: 'promo' });
    await outbound({ conv: 2, sentAt: ago(3), template: 'promo' });
    await outbound({ conv: 4, sentAt: ago(3), template: 'promo', status: 'failed' });
    await outbound({ conv: 4, sentAt: ago(1), template: 'promo', accepted: false });
    await outbound({ conv: 4, sentAt: ago(30), template: 'promo' });
    await outbound({ conv: 4, sentAt: ago(1) });
    const [direct] = await q<{ n: number }>(
      `select count(distinct v.contact_id)::int as n from messages m join conversations v on v.id = m.conversation_id
       where m.number_id = $1 and m.direction = 'out' and m.type = 'template' and m.wamid is not null
         and m.status <> 'failed' and m.sent_at > now() - interval '24 hours'`,
      [numbers[0]],
    );
    expect(direct!.n).toBe(2);
    const r = (await owner.get(`/api/v1/reports/overview?from=${day(0)}&to=${day(0)}`)).json();
    const byId = new Map(r.numbers_health.map((h: { number_id: string }) => [h.number_id, h]));
    expect(byId.get(numbers[0])).toMatchObject({
      display_name: 'Number 1',
      quality_rating: 'GREEN',
      messaging_limit_tier: 'TIER_1K',
      limit: 1000,
      used: direct!.n,
    });
    // No tier known: no limit.
    expect(byId.get(numbers[1])).toMatchObject({ limit: null });
    // The sender's own budget (accepted only) agrees.
    const budget = await t.app.services.numbers.budgetOf(t.orgId, numbers[0]!, { queued: false });
    expect(budget.used).toBe(direct!.n);
    // One number asked: only it.
    const one = (
      await owner.get(`/api/v1/reports/overview?from=${day(0)}&to=${day(0)}&number_id=${numbers[1]}`)
    ).json();
    expect(one.numbers_health.map((h: { number_id: string }) => h.number_id)).toEqual([numbers[1]]);
  });
});

describe('the settling pass', () => {
  const factOf = async (id: string) =>
    (
      await q<{ state: number; accepted: boolean }>(
        `select state, accepted from report_message_facts where message_id = $1`,
        [id],
      )
    )[0];

  it('counts a parked status applied later by the late-parked sweep (no new status event)', async () => {
    const m = await outbound({ conv: 3, sentAt: at(0, 0, 0), accepted: false });
    await fold();
    expect(await factOf(m.id)).toMatchObject({ state: 0, accepted: false });
    // The race: Meta's "delivered" arrives while the send is being recorded, so it is parked…
    await q(
      `insert into message_status_events (number_id, wamid, status, occurred_at, payload, applied)
       values ($1, 'wamid.parked', 'delivered', now(), '{}', false)`,
      [m.number],
    );
    await fold();
    // …the send is recorded without seeing it, and folded as sent…
    await q(`update messages set wamid = 'wamid.parked', status = 'sent' where id = $1`, [m.id]);
    await fold();
    expect(await factOf(m.id)).toMatchObject({ state: 1, accepted: true });
    // …then the sender's sweep applies it: no status event is written.
    const before = await q<{ n: number }>(`select count(*)::int as n from message_status_events`);
    await t.database.db.transaction((tx) => applyParkedStatuses(tx, m.number, 'wamid.parked'));
    expect(await q<{ n: number }>(`select count(*)::int as n from message_status_events`)).toEqual(before);
    await fold();
    expect(await factOf(m.id)).toMatchObject({ state: 2, accepted: true });
    expect(await q(`select * from report_parked_events`)).toEqual([]);
  });

  it.runIf(settings.backend === 'pg')(
    'counts a message whose insert committed after the fold had moved past it (a transaction open for long)',
    async () => {
      const [{ db }] = (await q<{ db: string }>('select current_database() as db')) as [{ db: string }];
      const url = new URL(settings.adminUrl);
      url.pathname = `/${db}`;
      const other = new pg.Client({ connectionString: url.toString() });
      await other.connect();
      try {
        const c = conversations[5]!;
        // Our message a minute before the customer's slow one: that one answers it.
        const ours = await outbound({ conv: 5, sentAt: new Date(Date.now() - 60_000).toISOString() });
        await fold();
        await other.query('begin');
        const [open] = (
          await other.query(
            `insert into messages (org_id, number_id, conversation_id, direction, wamid, type, content, status, sent_at)
             values ($1, $2, $3, 'in', 'wamid.slow', 'text', '{"type":"text","text":{"body":"slow"}}', null, now())
             returning id, seq`,
            [t.orgId, c.number, c.id],
          )
        ).rows;
        const xid = (await other.query('select pg_current_xact_id()::text as xid')).rows[0].xid as string;
        // Transaction ids are the cluster's: other databases' open transactions may be remembered too.
        const remembered = async () =>
          (await q<{ xid: string }>(`select xid from report_open_inserts`)).map((r) => r.xid);
        // Later messages commit; the fold's window moves past the open one (rotations forced by
        // ageing the last rotation rather than waiting 15 s each).
        for (let i = 0; i < 3; i++) {
          await outbound({ conv: 4, sentAt: new Date().toISOString() });
          await q(`update report_state set rotated_at = now() - interval '1 minute' where id = 'fold'`);
          await fold();
        }
        const [st] = await q<{ seq_low: string }>(`select seq_low from report_state where id = 'fold'`);
        expect(Number(st!.seq_low)).toBeGreaterThanOrEqual(Number(open.seq));
        expect(await remembered()).toContain(xid);
        await other.query('commit');
        await fold();
        expect(await q(`select 1 from report_message_facts where message_id = $1`, [open.id])).toHaveLength(
          1,
        );
        // Seen for the first time like any new message: the message it answers is replied to now.
        expect(await q(`select replied from report_message_facts where message_id = $1`, [ours.id])).toEqual([
          { replied: true },
        ]);
        expect(await remembered()).not.toContain(xid);
      } finally {
        await other.end();
      }
    },
  );
});
