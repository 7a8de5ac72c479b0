import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestClient } from '../../test/helpers.ts';

// Issue 25 §3 (filters by tag), docs/adr/0029: a message counts under the tags its contact carried
// when the fold first counted it. The tag-filtered reports equal a direct count of those messages
// (random messages, late statuses, tags changed afterwards), a rebuild takes the tags anew, and a tag
// that is not the organisation's is a 404 (campaigns refuse the filter).

let t: TestApp;
let owner: TestClient;
const numbers: string[] = [];
const contacts: { id: string; conversation: string }[] = [];
const tagIds: string[] = [];
let otherTag = '';
let orgB = '';
let seq = 0;
/** Each message's tags when it was first folded (what the reports should count it under). */
const frozen = new Map<string, Set<string>>();

const q = <T>(sql: string, params: unknown[] = []) =>
  t.database.query<T & Record<string, unknown>>(sql, params);
const fold = () => t.app.services.reports.fold(1000);

const DAY = 86_400_000;
const dayAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);
const range = `from=${dayAgo(8)}&to=${dayAgo(-1)}`;

interface Msg {
  contact: number;
  direction: 'in' | 'out';
  template: string | null;
  status: 'pending' | 'sent' | 'delivered' | 'read' | 'failed';
  code: string;
  category: string;
  cost: number;
  daysAgo: number;
  hour: number;
}

async function insertMessage(m: Msg) {
  const c = contacts[m.contact % contacts.length]!;
  const when = new Date(Date.now() - m.daysAgo * DAY - m.hour * 3_600_000).toISOString();
  const id = crypto.randomUUID();
  const accepted = m.direction === 'in' || m.status !== 'pending';
  await q(
    `insert into messages (id, org_id, number_id, conversation_id, direction, wamid, type, content, status, error, sent_at,
                           created_at, cost_expected, cost_currency, cost_category)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, 'USD', $13)`,
    [
      id,
      t.orgId,
      numbers[m.contact % 2],
      c.conversation,
      m.direction,
      accepted ? `wamid.t${++seq}` : null,
      m.template ? 'template' : 'text',
      JSON.stringify(
        m.template
          ? { type: 'template', template: { name: m.template, language: { code: 'en' } } }
          : { type: 'text', text: { body: 'hi' } },
      ),
      m.direction === 'in' ? null : m.status,
      m.status === 'failed' && m.direction === 'out' ? JSON.stringify({ code: Number(m.code) }) : null,
      when,
      m.direction === 'out' ? m.cost : null,
      m.direction === 'out' ? m.category : null,
    ],
  );
  return id;
}

/** The contacts' tags now, as a map contact → tag ids. */
async function tagsNow() {
  const rows = await q<{ contact_id: string; tag_id: string }>(
    `select contact_id, tag_id from contact_tags where org_id = $1`,
    [t.orgId],
  );
  const out = new Map<string, Set<string>>();
  for (const r of rows) out.set(r.contact_id, (out.get(r.contact_id) ?? new Set()).add(r.tag_id));
  return out;
}

/** Folds, and records the tags of the messages folded for the first time (their contact's, now). */
async function foldAndFreeze() {
  const now = await tagsNow();
  const fresh = await q<{ id: string; contact_id: string }>(
    `select m.id, v.contact_id from messages m join conversations v on v.id = m.conversation_id
     where m.org_id = $1 and not exists (select 1 from report_message_facts f where f.message_id = m.id)`,
    [t.orgId],
  );
  await fold();
  for (const m of fresh) frozen.set(m.id, new Set(now.get(m.contact_id) ?? []));
}

async function setTags(contact: number, tags: string[]) {
  const c = contacts[contact]!;
  await q(`delete from contact_tags where contact_id = $1`, [c.id]);
  for (const tag of tags)
    await q(`insert into contact_tags (org_id, contact_id, tag_id) values ($1, $2, $3)`, [
      t.orgId,
      c.id,
      tag,
    ]);
}

/**
 * The figures counted straight from the messages `ids` (the definitions of docs/reports.md; replies
 * look at every message of the conversation), per day and number in the organisation's timezone.
 */
async function direct(ids: string[]) {
  return q<{
    day: string;
    number_id: string;
    sent: number;
    delivered: number;
    read: number;
    failed: number;
    inbound: number;
    replied: number;
    spend: number;
  }>(
    `select to_char(((case when direction = 'out' then created_at else sent_at end) at time zone 'UTC')::date, 'YYYY-MM-DD') as day,
            number_id,
            count(*) filter (where direction = 'out' and wamid is not null)::int as sent,
            count(*) filter (where direction = 'out' and status in ('delivered', 'read'))::int as delivered,
            count(*) filter (where direction = 'out' and status = 'read')::int as read,
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
            coalesce(sum(cost_expected) filter (where direction = 'out' and wamid is not null and status <> 'failed'), 0)::float8 as spend
     from messages m where id = any($1::uuid[]) group by 1, 2
     having count(*) filter (where direction = 'in' or wamid is not null or status = 'failed') > 0 order by 1, 2`,
    [ids],
  );
}

const idsOf = (tag: string, tags: Map<string, Set<string>> = frozen) =>
  [...tags].filter(([, s]) => s.has(tag)).map(([id]) => id);
const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** Every tag-filtered report (JSON, and the CSV of one) against the direct count of the tag's messages. */
async function expectReportsEqualDirect(tag: string, ids: string[]) {
  const want = await direct(ids);
  const total = (k: keyof (typeof want)[number]) => want.reduce((s, r) => s + Number(r[k]), 0);

  const nums = await owner.get(`/api/v1/reports/numbers?${range}&tag_id=${tag}`);
  expect(nums.statusCode).toBe(200);
  const nonZero = (r: { sent: number; failed: number; inbound: number; spend: number }) =>
    r.sent + r.failed + r.inbound > 0 || r.spend !== 0;
  expect(
    nums
      .json()
      .data.filter(nonZero)
      // Throughput is the number's, whatever the tag (numbers-report.test.ts checks it).
      .map(({ throughput: _t, ...r }: Record<string, unknown>) => ({
        ...r,
        display_name: undefined,
        spend: round(Number(r.spend)),
      })),
  ).toEqual(want.filter(nonZero).map((r) => ({ ...r, display_name: undefined, spend: round(r.spend) })));

  const ov = (await owner.get(`/api/v1/reports/overview?${range}&tag_id=${tag}`)).json();
  expect(ov.kpis.sent.current).toBe(total('sent'));
  expect(ov.kpis.received.current).toBe(total('inbound'));
  expect(ov.kpis.failed.current).toBe(total('failed'));
  expect(ov.kpis.spend.current).toBeCloseTo(total('spend'), 6);
  const perDay = new Map<string, number>();
  for (const r of want) perDay.set(r.day, (perDay.get(r.day) ?? 0) + r.delivered);
  for (const d of ov.series) expect(d.delivered, d.day).toBe(perDay.get(d.day) ?? 0);
  const hours = ov.by_hour.reduce(
    (s: number, h: { inbound: number; outbound: number }) => s + h.inbound + h.outbound,
    0,
  );
  expect(hours).toBe(total('inbound') + total('sent'));
  const [fails] = await q<{ n: number }>(
    `select count(*)::int as n from messages where id = any($1::uuid[]) and status = 'failed'`,
    [ids],
  );
  expect(ov.top_failures.reduce((s: number, f: { count: number }) => s + f.count, 0)).toBe(fails!.n);

  const tpl = (await owner.get(`/api/v1/reports/templates?${range}&tag_id=${tag}`)).json();
  const [tplSent] = await q<{ n: number }>(
    `select count(*)::int as n from messages where id = any($1::uuid[]) and type = 'template' and wamid is not null and direction = 'out'`,
    [ids],
  );
  expect(tpl.data.reduce((s: number, r: { sent: number }) => s + r.sent, 0)).toBe(tplSent!.n);

  const spend = (await owner.get(`/api/v1/reports/spend?${range}&tag_id=${tag}`)).json();
  expect(spend.total.spend).toBeCloseTo(total('spend'), 6);
  for (const by of ['by_number', 'by_category', 'by_country', 'by_day'] as const)
    expect(round(spend[by].reduce((s: number, r: { spend: number }) => s + r.spend, 0)), by).toBeCloseTo(
      total('spend'),
      6,
    );
  return { ov, nums: nums.json() };
}

const msgArb = fc.record({
  contact: fc.nat(11),
  direction: fc.constantFrom<'in' | 'out'>('in', 'out', 'out'),
  template: fc.option(fc.constantFrom('welcome', 'promo'), { nil: null }),
  status: fc.constantFrom<Msg['status']>('pending', 'sent', 'delivered', 'read', 'failed'),
  code: fc.constantFrom('131026', '131049'),
  category: fc.constantFrom('marketing', 'utility'),
  cost: fc.constantFrom(0, 0.025, 0.004),
  daysAgo: fc.nat(6),
  hour: fc.nat(23),
});
const tagsArb = fc.array(fc.subarray([0, 1, 2]), { minLength: 12, maxLength: 12 });

beforeAll(async () => {
  t = await createTestApp();
  owner = await t.owner();
  for (const n of [1, 2]) {
    const [row] = await q<{ id: string }>(
      `insert into numbers (org_id, display_name, phone_number_id, waba_id, access_token_sealed, app_secret_sealed, verify_token_sealed)
       values ($1, $2, $3, 'waba', 'x', 'x', 'x') returning id`,
      [t.orgId, `Number ${n}`, `pn-t${n}`],
    );
    numbers.push(row!.id);
  }
  for (let i = 0; i < 12; i++) {
    const [ct] = await q<{ id: string }>(
      `insert into contacts (org_id, wa_id, country) values ($1, $2, $3) returning id`,
      [t.orgId, `1303555${1000 + i}`, ['GB', 'US', null][i % 3]],
    );
    const [cv] = await q<{ id: string }>(
      `insert into conversations (org_id, number_id, contact_id) values ($1, $2, $3) returning id`,
      [t.orgId, numbers[i % 2], ct!.id],
    );
    contacts.push({ id: ct!.id, conversation: cv!.id });
  }
  for (const name of ['vip', 'newsletter', 'wholesale']) {
    const res = await owner.post('/api/v1/tags', { name });
    expect(res.statusCode).toBe(201);
    tagIds.push(res.json().id);
  }
  const created = await owner.post('/api/v1/orgs', { name: 'Other shop' });
  expect(created.statusCode).toBe(201);
  orgB = created.json().id;
  const [tb] = await q<{ id: string }>(`insert into tags (org_id, name) values ($1, 'vip') returning id`, [
    orgB,
  ]);
  otherTag = tb!.id;
});

afterAll(async () => {
  await t?.close();
});

describe('the tag filter', () => {
  it('counts each message under the tags its contact carried when first counted, whatever changed since', async () => {
    await fc.assert(
      fc.asyncProperty(
        tagsArb,
        fc.array(msgArb, { minLength: 1, maxLength: 20 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('delivered', 'read', 'failed')), { maxLength: 6 }),
        tagsArb,
        async (before, ms, statuses, after) => {
          for (let i = 0; i < contacts.length; i++)
            await setTags(
              i,
              before[i]!.map((k) => tagIds[k]!),
            );
          const ids: string[] = [];
          for (const m of ms) ids.push(await insertMessage(m));
          await foldAndFreeze();
          // Tags change after the messages were counted: the reports must not move.
          for (let i = 0; i < contacts.length; i++)
            await setTags(
              i,
              after[i]!.map((k) => tagIds[k]!),
            );
          // Late statuses refold messages counted before: they stay under their first tags.
          for (const [i, s] of statuses) {
            const id = ids[i % ids.length]!;
            const [m] = await q<{ number_id: string; wamid: string | null; direction: string }>(
              `select number_id, wamid, direction from messages where id = $1`,
              [id],
            );
            if (!m?.wamid || m.direction !== 'out') continue;
            await q(
              `insert into message_status_events (number_id, wamid, status, occurred_at, payload, applied)
               values ($1, $2, $3, now(), '{}', true) on conflict do nothing`,
              [m.number_id, m.wamid, s],
            );
            await q(`update messages set status = $2 where id = $1`, [id, s]);
          }
          await foldAndFreeze();
          for (const tag of tagIds) await expectReportsEqualDirect(tag, idsOf(tag));
          // The tag rollups are the untagged ones split by tag: nothing counted under a tag is not counted.
          const [sums] = await q<{ tagged: number; all: number }>(
            `select (select coalesce(sum(sent + inbound), 0) from report_tag_numbers where org_id = $1)::int as tagged,
                    (select coalesce(sum(cardinality(tags)), 0) from report_message_facts f
                      where org_id = $1 and (direction = 'in' or accepted))::int as all`,
            [t.orgId],
          );
          expect(sums!.tagged).toBe(sums!.all);
        },
      ),
      { numRuns: 6 },
    );
  });

  it('does not move a message when its contact is tagged afterwards, or loses the tag', async () => {
    await setTags(5, []);
    const id = await insertMessage({
      contact: 5,
      direction: 'out',
      template: 'welcome',
      status: 'sent',
      code: '',
      category: 'marketing',
      cost: 0.025,
      daysAgo: 1,
      hour: 2,
    });
    await foldAndFreeze();
    const sent = async (tag: string) =>
      (await owner.get(`/api/v1/reports/overview?${range}&tag_id=${tag}`)).json().kpis.sent.current;
    const vip = await sent(tagIds[0]!);
    // Tagged after it was counted (through the contacts API): still not under the tag.
    const tagged = await owner.patch(`/api/v1/contacts/${contacts[5]!.id}`, { tag_ids: [tagIds[0]] });
    expect(tagged.statusCode).toBe(200);
    const [m] = await q<{ number_id: string; wamid: string }>(
      `select number_id, wamid from messages where id = $1`,
      [id],
    );
    await q(
      `insert into message_status_events (number_id, wamid, status, occurred_at, payload, applied) values ($1, $2, 'read', now(), '{}', true)`,
      [m!.number_id, m!.wamid],
    );
    await q(`update messages set status = 'read' where id = $1`, [id]);
    await fold();
    expect(await sent(tagIds[0]!)).toBe(vip);
    // A new message of the now-tagged contact counts under the tag.
    await insertMessage({
      contact: 5,
      direction: 'in',
      template: null,
      status: 'sent',
      code: '',
      category: '',
      cost: 0,
      daysAgo: 0,
      hour: 1,
    });
    await foldAndFreeze();
    const ov = (await owner.get(`/api/v1/reports/overview?${range}&tag_id=${tagIds[0]}`)).json();
    expect(ov.kpis.sent.current).toBe(vip);
    await expectReportsEqualDirect(tagIds[0]!, idsOf(tagIds[0]!));
  });

  it('takes every kept message’s tags anew on a rebuild (and the untagged figures do not change)', async () => {
    const untagged = (await owner.get(`/api/v1/reports/numbers?${range}`)).json();
    await t.app.services.reports.rebuild({ orgId: t.orgId });
    const now = await tagsNow();
    const ofContact = await q<{ id: string; contact_id: string }>(
      `select m.id, v.contact_id from messages m join conversations v on v.id = m.conversation_id where m.org_id = $1`,
      [t.orgId],
    );
    const current = new Map(ofContact.map((m) => [m.id, new Set(now.get(m.contact_id) ?? [])]));
    for (const tag of tagIds) await expectReportsEqualDirect(tag, idsOf(tag, current));
    expect((await owner.get(`/api/v1/reports/numbers?${range}`)).json()).toEqual(untagged);
    expect(await fold()).toBe(0);
  });

  it('narrows the audience figures to contacts carrying the tag now', async () => {
    const [n] = await q<{ n: number }>(`select count(*)::int as n from contact_tags where tag_id = $1`, [
      tagIds[1],
    ]);
    const ov = (await owner.get(`/api/v1/reports/overview?${range}&tag_id=${tagIds[1]}`)).json();
    expect(ov.kpis.new_contacts.current).toBe(n!.n);
    const [open] = await q<{ n: number }>(
      `select count(*)::int as n from conversations v where org_id = $1 and status = 'open'
         and exists (select 1 from contact_tags where contact_id = v.contact_id and tag_id = $2)`,
      [t.orgId, tagIds[1]],
    );
    expect(ov.open_conversations).toBe(open!.n);
  });

  it('takes the filter in the CSV too', async () => {
    const tag = tagIds[0]!;
    const json = (await owner.get(`/api/v1/reports/numbers?${range}&tag_id=${tag}`)).json();
    const csv = await owner.get(`/api/v1/reports/numbers.csv?${range}&tag_id=${tag}`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body.trim().split('\r\n')).toHaveLength(json.data.length + 1);
    for (const kind of ['overview', 'templates', 'spend']) {
      const res = await owner.get(`/api/v1/reports/${kind}.csv?${range}&tag_id=${tag}`);
      expect(res.statusCode, kind).toBe(200);
    }
    const camp = await owner.get(`/api/v1/reports/campaigns.csv?${range}&tag_id=${tag}`);
    expect(camp.statusCode).toBe(400);
  });

  it('refuses an unknown tag, another organisation’s, a malformed one and the campaigns report', async () => {
    for (const kind of ['overview', 'numbers', 'templates', 'spend']) {
      for (const tag of [crypto.randomUUID(), otherTag]) {
        const res = await owner.get(`/api/v1/reports/${kind}?${range}&tag_id=${tag}`);
        expect(res.statusCode, kind).toBe(404);
        expect(res.json().error.message).toBe('Tag not found');
      }
      const bad = await owner.get(`/api/v1/reports/${kind}?${range}&tag_id=vip`);
      expect(bad.statusCode).toBe(400);
      expect(JSON.stringify(bad.json().error)).toMatch(/tag_id/);
    }
    const camp = await owner.get(`/api/v1/reports/campaigns?${range}&tag_id=${tagIds[0]}`);
    expect(camp.statusCode).toBe(400);
    expect(JSON.stringify(camp.json().error)).toMatch(/tag_id does not apply to the campaigns report/);
    expect(JSON.stringify(camp.json().error.details)).toMatch(/tag_id/);
  });

  it('drops a deleted tag’s figures, and counts nothing more under it when its messages move', async () => {
    const created = await owner.post('/api/v1/tags', { name: 'Short-lived' });
    expect(created.statusCode).toBe(201);
    const gone = created.json().id as string;
    await setTags(7, [gone, tagIds[1]!]);
    const id = await insertMessage({
      contact: 7,
      direction: 'out',
      template: 'welcome',
      status: 'sent',
      code: '',
      category: 'marketing',
      cost: 0.01,
      daysAgo: 1,
      hour: 2,
    });
    await foldAndFreeze();
    const rowsOf = async (tag: string) => {
      const [r] = await q<{ n: number }>(
        `select ((select count(*) from report_tag_numbers where tag_id = $1) + (select count(*) from report_tag_templates where tag_id = $1)
               + (select count(*) from report_tag_failures where tag_id = $1) + (select count(*) from report_tag_hourly where tag_id = $1)
               + (select count(*) from report_tag_spend where tag_id = $1))::int as n`,
        [tag],
      );
      return r!.n;
    };
    expect(await rowsOf(gone)).toBeGreaterThan(0);
    expect((await owner.delete(`/api/v1/tags/${gone}`)).statusCode).toBe(200);
    expect(await rowsOf(gone)).toBe(0);
    // A late status moves the message: its other tag's figures follow, the deleted one gets none.
    const [m] = await q<{ number_id: string; wamid: string }>(
      `select number_id, wamid from messages where id = $1`,
      [id],
    );
    await q(
      `insert into message_status_events (number_id, wamid, status, occurred_at, payload, applied)
       values ($1, $2, 'failed', now(), '{}', true)`,
      [m!.number_id, m!.wamid],
    );
    await q(`update messages set status = 'failed', error = '{"code": 131026}' where id = $1`, [id]);
    await foldAndFreeze();
    expect(await rowsOf(gone)).toBe(0);
    // (The rebuild test above took every message's tags anew: the facts say which ones carry the tag.)
    const carried = await q<{ message_id: string }>(
      `select message_id from report_message_facts where org_id = $1 and $2 = any(tags)`,
      [t.orgId, tagIds[1]],
    );
    expect(carried.map((c) => c.message_id)).toContain(id);
    await expectReportsEqualDirect(
      tagIds[1]!,
      carried.map((c) => c.message_id),
    );
    expect((await owner.get(`/api/v1/reports/overview?${range}&tag_id=${gone}`)).statusCode).toBe(404);
  });

  it('never shows one organisation another’s tag figures', async () => {
    const other = t.client();
    await other.login('owner@example.com', 'correct horse battery');
    expect((await other.post('/api/v1/me/org', { org_id: orgB })).statusCode).toBe(200);
    const ov = await other.get(`/api/v1/reports/overview?${range}&tag_id=${otherTag}`);
    expect(ov.statusCode).toBe(200);
    expect(ov.json().kpis.sent.current).toBe(0);
    expect(ov.json().kpis.received.current).toBe(0);
    expect((await other.get(`/api/v1/reports/overview?${range}&tag_id=${tagIds[0]}`)).statusCode).toBe(404);
  });
});
