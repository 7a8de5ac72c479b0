import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';

let t: TestApp;
let owner: TestClient;

/** A valid UK mobile number, distinct per n, written the way a person in the UK would. */
const gb = (n: number) => `07400 ${String(100000 + n)}`;
const e164 = (n: number) => `+447400${String(100000 + n)}`;

beforeAll(async () => {
  t = await createTestApp();
  owner = await t.owner();
  const res = await owner.patch('/api/v1/org', {
    settings: { default_region: 'GB', allowed_countries: ['GB', 'IE'] },
  });
  expect(res.statusCode, res.body).toBe(200);
});
afterAll(async () => {
  await t.close();
});

async function createContact(body: Record<string, unknown>, client = owner) {
  const res = await client.post('/api/v1/contacts', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
async function createTag(name: string, color?: string) {
  const res = await owner.post('/api/v1/tags', { name, ...(color ? { color } : {}) });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}
async function createField(body: Record<string, unknown>) {
  const res = await owner.post('/api/v1/fields', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}
const ids = (page: { data: { id: string }[] }) => page.data.map((c) => c.id).sort();
const list = async (query: string, client = owner) => {
  const res = await client.get(`/api/v1/contacts?${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};

describe(`contacts on ${settings.backend}`, () => {
  it('creates a contact with its phone in E.164, read in the organisation’s region', async () => {
    const c = await createContact({ phone: gb(1), name: 'Ada Lovelace' });
    expect(c).toMatchObject({
      phone: e164(1),
      wa_id: e164(1).slice(1),
      country: 'GB',
      name: 'Ada Lovelace',
      fields: {},
      tags: [],
      consent: { state: 'unknown', source: null, at: null },
      last_inbound_at: null,
    });
    const got = await owner.get(`/api/v1/contacts/${c.id}`);
    expect(got.json()).toEqual(c);
  });

  it('rejects a phone that cannot be used, with the reason', async () => {
    const letters = await owner.post('/api/v1/contacts', { phone: 'call me maybe' });
    expect(letters.statusCode).toBe(400);
    expect(letters.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: ['phone'], message: 'contains letters' }],
    });
    const short = await owner.post('/api/v1/contacts', { phone: '07400 12345' });
    expect(short.statusCode).toBe(400);
    expect(short.json().error.message).toMatch(/phone: (not a valid|too short|wrong length)/);
    const brazil = await owner.post('/api/v1/contacts', { phone: '+55 11 91234 5678' });
    expect(brazil.statusCode).toBe(400);
    expect(brazil.json().error.message).toContain('country BR is not allowed (allowed: GB, IE)');
    const ireland = await createContact({ phone: '+353 85 123 4567' });
    expect(ireland).toMatchObject({ phone: '+353851234567', country: 'IE' });
    const missing = await owner.post('/api/v1/contacts', { name: 'No phone' });
    expect(missing.statusCode).toBe(400);
  });

  it('one contact per phone: a duplicate in any format is a 409 naming the existing contact', async () => {
    const first = await createContact({ phone: gb(2) });
    for (const phone of [gb(2), e164(2), `0044 7400 ${100002}`]) {
      const dup = await owner.post('/api/v1/contacts', { phone });
      expect(dup.statusCode).toBe(409);
      expect(dup.json().error).toMatchObject({ code: 'CONFLICT', details: { contact_id: first.id } });
      expect(dup.json().error.message).toContain(first.id);
    }
    const other = await createContact({ phone: gb(3) });
    const moved = await owner.patch(`/api/v1/contacts/${other.id}`, { phone: e164(2) });
    expect(moved.statusCode).toBe(409);
    expect(moved.json().error.details).toEqual({ contact_id: first.id });
    const renumbered = await owner.patch(`/api/v1/contacts/${other.id}`, { phone: gb(4), name: 'Moved' });
    expect(renumbered.statusCode, renumbered.body).toBe(200);
    expect(renumbered.json()).toMatchObject({ phone: e164(4), name: 'Moved' });
  });

  it('custom fields are typed: values are checked and stored typed on every write', async () => {
    await createField({ key: 'plan', label: 'Plan', type: 'enum', options: ['free', 'pro'] });
    await createField({ key: 'age', label: 'Age', type: 'number' });
    await createField({ key: 'since', label: 'Customer since', type: 'date' });
    await createField({ key: 'vip', label: 'VIP', type: 'boolean' });
    const cityId = await createField({ key: 'city', label: 'City', type: 'text' });

    const dupKey = await owner.post('/api/v1/fields', { key: 'age', label: 'Age again', type: 'text' });
    expect(dupKey.statusCode).toBe(409);
    const reserved = await owner.post('/api/v1/fields', { key: 'name', label: 'Name', type: 'text' });
    expect(reserved.statusCode).toBe(400);
    const noOptions = await owner.post('/api/v1/fields', { key: 'tier', label: 'Tier', type: 'enum' });
    expect(noOptions.statusCode).toBe(400);
    const badKey = await owner.post('/api/v1/fields', { key: 'Bad Key', label: 'x', type: 'text' });
    expect(badKey.statusCode).toBe(400);

    const bad = await owner.post('/api/v1/contacts', {
      phone: gb(10),
      fields: { age: 'forty', since: '2024-02-30', vip: 'maybe', plan: 'gold', nope: 'x' },
    });
    expect(bad.statusCode).toBe(400);
    const issues = bad.json().error.details as { path: string[]; message: string }[];
    expect(issues.map((i) => i.path.join('.')).sort()).toEqual([
      'fields.age',
      'fields.nope',
      'fields.plan',
      'fields.since',
      'fields.vip',
    ]);
    expect(issues.find((i) => i.path[1] === 'plan')?.message).toBe('must be one of: free, pro');
    expect(issues.find((i) => i.path[1] === 'since')?.message).toBe('must be a date as YYYY-MM-DD');
    expect((await list(`q=${encodeURIComponent(e164(10))}`)).data).toEqual([]);

    const c = await createContact({
      phone: gb(11),
      fields: { age: '42', since: '2024-02-29', vip: 'yes', plan: 'PRO', city: 'Leeds' },
    });
    expect(c.fields).toEqual({ age: 42, since: '2024-02-29', vip: true, plan: 'pro', city: 'Leeds' });
    const typed = await owner.patch(`/api/v1/contacts/${c.id}`, { fields: { age: 43.5, vip: false } });
    expect(typed.json().fields).toMatchObject({ age: 43.5, vip: false });
    const wrongType = await owner.patch(`/api/v1/contacts/${c.id}`, { fields: { age: true } });
    expect(wrongType.statusCode).toBe(400);

    const merged = await owner.patch(`/api/v1/contacts/${c.id}`, { fields: { age: null, city: 'York' } });
    expect(merged.statusCode, merged.body).toBe(200);
    expect(merged.json().fields).toEqual({ since: '2024-02-29', vip: false, plan: 'pro', city: 'York' });

    // An option still in use cannot be dropped; new ones can be added.
    const fieldsList = (await owner.get('/api/v1/fields')).json().data as { id: string; key: string }[];
    const planId = fieldsList.find((f) => f.key === 'plan')!.id;
    const drop = await owner.patch(`/api/v1/fields/${planId}`, { options: ['free'] });
    expect(drop.statusCode).toBe(409);
    expect(drop.json().error.details).toEqual({ options: ['pro'], contacts: 1 });
    const grow = await owner.patch(`/api/v1/fields/${planId}`, { options: ['free', 'pro', 'team'] });
    expect(grow.json()).toMatchObject({ options: ['free', 'pro', 'team'], type: 'enum' });
    const retype = await owner.patch(`/api/v1/fields/${planId}`, { type: 'text' });
    expect(retype.statusCode).toBe(400);

    // Deleting a field removes every contact's value of it.
    expect((await owner.delete(`/api/v1/fields/${cityId}`)).statusCode).toBe(200);
    expect((await owner.get(`/api/v1/contacts/${c.id}`)).json().fields).not.toHaveProperty('city');
    const gone = await owner.patch(`/api/v1/contacts/${c.id}`, { fields: { city: 'Hull' } });
    expect(gone.statusCode).toBe(400);
  });

  it('tags: unique per organisation whatever their case; attached, replaced, counted', async () => {
    const vip = await createTag('VIP', '#25d366');
    const dup = await owner.post('/api/v1/tags', { name: 'vip' });
    expect(dup.statusCode).toBe(409);
    const badColor = await owner.post('/api/v1/tags', { name: 'Red', color: 'red' });
    expect(badColor.statusCode).toBe(400);
    const lead = await createTag('Lead');
    const c = await createContact({ phone: gb(20), tag_ids: [vip, lead] });
    expect(c.tags.map((x: { name: string }) => x.name)).toEqual(['Lead', 'VIP']);
    const replaced = await owner.patch(`/api/v1/contacts/${c.id}`, { tag_ids: [lead] });
    expect(replaced.json().tags).toEqual([{ id: lead, name: 'Lead', color: null }]);
    const unknown = await owner.patch(`/api/v1/contacts/${c.id}`, {
      tag_ids: ['00000000-0000-4000-8000-000000000000'],
    });
    expect(unknown.statusCode).toBe(400);
    const renamed = await owner.patch(`/api/v1/tags/${lead}`, { name: 'Prospect' });
    expect(renamed.json()).toMatchObject({ name: 'Prospect', contact_count: 1 });
    const clash = await owner.patch(`/api/v1/tags/${lead}`, { name: 'VIP' });
    expect(clash.statusCode).toBe(409);
    const tags = (await owner.get('/api/v1/tags')).json().data;
    expect(tags.map((x: { name: string }) => x.name)).toEqual(['Prospect', 'VIP']);
    expect((await owner.delete(`/api/v1/tags/${lead}`)).statusCode).toBe(200);
    expect((await owner.get(`/api/v1/contacts/${c.id}`)).json().tags).toEqual([]);
  });
});

describe(`finding contacts on ${settings.backend}`, () => {
  const made: Record<string, string> = {};
  let red: string;
  let blue: string;
  let green: string;

  beforeAll(async () => {
    red = await createTag('red');
    blue = await createTag('blue');
    green = await createTag('green');
    await createField({ key: 'score', label: 'Score', type: 'number' });
    await createField({ key: 'renews', label: 'Renews', type: 'date' });
    await createField({ key: 'company', label: 'Company', type: 'text' });
    await createField({ key: 'active', label: 'Active', type: 'boolean' });
    const rows: [string, number, string[], Record<string, unknown>][] = [
      ['Zed Red', 101, [red], { score: 5, renews: '2025-01-10', company: 'Acme Ltd', active: true }],
      ['Zed Blue', 102, [blue], { score: 50, renews: '2025-06-01', company: 'Globex' }],
      ['Zed Both', 103, [red, blue], { score: 500, active: false }],
      ['Zed None', 104, [], { company: 'acme corp' }],
      ['Zed Green', 105, [green, red], { score: 0.5, renews: '2026-01-01' }],
    ];
    for (const [name, n, tagIds, fields] of rows) {
      made[name] = (await createContact({ phone: gb(n), name, tag_ids: tagIds, fields })).id;
    }
  });
  const of = (...names: string[]) => names.map((n) => made[n]!).sort();
  const cond = (c: unknown[]) => `q=Zed&fields=${encodeURIComponent(JSON.stringify(c))}`;

  it('searches by name, phone digits in any format, and field values', async () => {
    expect(ids(await list('q=zed b'))).toEqual(of('Zed Blue', 'Zed Both'));
    expect(ids(await list(`q=${encodeURIComponent('7400 100103')}`))).toEqual(of('Zed Both'));
    expect(ids(await list(`q=${encodeURIComponent('+447400100104')}`))).toEqual(of('Zed None'));
    expect(ids(await list('q=ACME'))).toEqual(of('Zed Red', 'Zed None'));
    expect(ids(await list(`q=${encodeURIComponent('100%')}`))).toEqual([]);
  });

  it('filters by tags: any, all, none', async () => {
    expect(ids(await list(`q=Zed&tag_ids=${red},${blue}`))).toEqual(
      of('Zed Red', 'Zed Blue', 'Zed Both', 'Zed Green'),
    );
    expect(ids(await list(`q=Zed&tag_ids=${red},${blue}&tag_match=all`))).toEqual(of('Zed Both'));
    expect(ids(await list(`q=Zed&tag_ids=${red}&tag_ids=${green}&tag_match=all`))).toEqual(of('Zed Green'));
    expect(ids(await list(`q=Zed&tag_ids=${red}&tag_match=none`))).toEqual(of('Zed Blue', 'Zed None'));
    const bad = await owner.get('/api/v1/contacts?tag_ids=not-a-uuid');
    expect(bad.statusCode).toBe(400);
  });

  it('filters by field conditions: eq, contains, gt/lt on numbers and dates, set / not set', async () => {
    expect(ids(await list(cond([{ key: 'score', op: 'gt', value: 5 }])))).toEqual(of('Zed Blue', 'Zed Both'));
    expect(ids(await list(cond([{ key: 'score', op: 'gte', value: '5' }])))).toEqual(
      of('Zed Red', 'Zed Blue', 'Zed Both'),
    );
    expect(ids(await list(cond([{ key: 'score', op: 'lt', value: 1 }])))).toEqual(of('Zed Green'));
    expect(ids(await list(cond([{ key: 'score', op: 'eq', value: 50 }])))).toEqual(of('Zed Blue'));
    expect(ids(await list(cond([{ key: 'renews', op: 'lt', value: '2025-06-01' }])))).toEqual(of('Zed Red'));
    expect(ids(await list(cond([{ key: 'renews', op: 'gte', value: '2025-06-01' }])))).toEqual(
      of('Zed Blue', 'Zed Green'),
    );
    expect(ids(await list(cond([{ key: 'company', op: 'contains', value: 'acme' }])))).toEqual(
      of('Zed Red', 'Zed None'),
    );
    expect(ids(await list(cond([{ key: 'company', op: 'eq', value: 'Globex' }])))).toEqual(of('Zed Blue'));
    expect(ids(await list(cond([{ key: 'active', op: 'eq', value: true }])))).toEqual(of('Zed Red'));
    expect(ids(await list(cond([{ key: 'active', op: 'neq', value: true }])))).toEqual(
      of('Zed Blue', 'Zed Both', 'Zed None', 'Zed Green'),
    );
    expect(ids(await list(cond([{ key: 'renews', op: 'not_set' }])))).toEqual(of('Zed Both', 'Zed None'));
    expect(ids(await list(cond([{ key: 'company', op: 'is_set' }])))).toEqual(
      of('Zed Red', 'Zed Blue', 'Zed None'),
    );
    expect(
      ids(
        await list(
          cond([
            { key: 'score', op: 'gt', value: 1 },
            { key: 'renews', op: 'is_set' },
          ]),
        ),
      ),
    ).toEqual(of('Zed Red', 'Zed Blue'));
    expect(ids(await list(cond([{ key: 'name', op: 'contains', value: 'bo' }])))).toEqual(of('Zed Both'));
    expect(ids(await list(cond([{ key: 'created_at', op: 'lt', value: '2000-01-01' }])))).toEqual([]);
  });

  it('refuses conditions that make no sense, naming them', async () => {
    const cases: [unknown[], RegExp][] = [
      [[{ key: 'nope', op: 'eq', value: 1 }], /fields\.0\.key: no custom field or property is called "nope"/],
      [[{ key: 'score', op: 'contains', value: '5' }], /contains does not apply to a number field/],
      [[{ key: 'score', op: 'gt', value: 'lots' }], /must be a number/],
      [[{ key: 'renews', op: 'gt', value: '01/02/2025' }], /must be a date/],
      [[{ key: 'score', op: 'gt' }], /gt needs a value/],
      [[{ key: 'created_at', op: 'gt', value: 'yesterday' }], /ISO date/],
    ];
    for (const [c, message] of cases) {
      const res = await owner.get(`/api/v1/contacts?${cond(c)}`);
      expect(res.statusCode, JSON.stringify(c)).toBe(400);
      expect(res.json().error.message).toMatch(message);
    }
    const notJson = await owner.get('/api/v1/contacts?fields=%7Bnope');
    expect(notJson.statusCode).toBe(400);
  });

  it('pages with a cursor, newest first, without losing or repeating anyone', async () => {
    const all = await list('q=Zed&limit=200&with_total=true');
    expect(all.total).toBe(5);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { id: string }[]; next_cursor: string | null; total: number | null } = await list(
        `q=Zed&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.data.length).toBeLessThanOrEqual(2);
      expect(page.total).toBeNull();
      seen.push(...page.data.map((c) => c.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.data.map((c: { id: string }) => c.id));
    expect(new Set(seen).size).toBe(5);
    expect(seen[0]).toBe(made['Zed Green']);
    const bad = await owner.get('/api/v1/contacts?cursor=garbage');
    expect(bad.statusCode).toBe(400);
  });

  it('saves filters as segments and lists a segment’s contacts', async () => {
    const res = await owner.post('/api/v1/segments', {
      name: 'Red high scorers',
      filter: { tag_ids: [red], fields: [{ key: 'score', op: 'gte', value: 5 }] },
    });
    expect(res.statusCode, res.body).toBe(201);
    const seg = res.json();
    expect(ids(await list(`segment_id=${seg.id}`))).toEqual(of('Zed Red', 'Zed Both'));
    // Combined with other parameters.
    expect(ids(await list(`segment_id=${seg.id}&tag_ids=${blue}`))).toEqual(of('Zed Both'));
    const dup = await owner.post('/api/v1/segments', { name: 'red HIGH scorers', filter: {} });
    expect(dup.statusCode).toBe(409);
    const invalid = await owner.post('/api/v1/segments', {
      name: 'Broken',
      filter: { fields: [{ key: 'nope', op: 'is_set' }] },
    });
    expect(invalid.statusCode).toBe(400);
    const edited = await owner.patch(`/api/v1/segments/${seg.id}`, { filter: { tag_ids: [green] } });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(ids(await list(`segment_id=${seg.id}`))).toEqual(of('Zed Green'));
    expect((await owner.get('/api/v1/segments')).json().data.map((s: { name: string }) => s.name)).toContain(
      'Red high scorers',
    );
    expect((await owner.delete(`/api/v1/segments/${seg.id}`)).statusCode).toBe(200);
    expect((await owner.get(`/api/v1/contacts?segment_id=${seg.id}`)).statusCode).toBe(404);
  });
});

describe(`bulk actions on ${settings.backend}`, () => {
  it('tags and untags by ids, by filter and by segment, in one audited step', async () => {
    const batch = await createTag('batch');
    const extra = await createTag('extra');
    const a = await createContact({ phone: gb(201), name: 'Bulk A' });
    const b = await createContact({ phone: gb(202), name: 'Bulk B', tag_ids: [batch] });
    const c = await createContact({ phone: gb(203), name: 'Bulk C' });

    const byIds = await owner.post('/api/v1/contacts/bulk', {
      action: 'tag',
      tag_ids: [batch, extra],
      ids: [a.id, b.id],
    });
    expect(byIds.statusCode, byIds.body).toBe(200);
    // b already had `batch`: three new links, not four.
    expect(byIds.json()).toEqual({ matched: 2, affected: 3 });
    expect(ids(await list(`tag_ids=${batch}`))).toEqual([a.id, b.id].sort());

    const byFilter = await owner.post('/api/v1/contacts/bulk', {
      action: 'tag',
      tag_ids: [batch],
      filter: { q: 'Bulk' },
    });
    expect(byFilter.json()).toEqual({ matched: 3, affected: 1 });

    const seg = (
      await owner.post('/api/v1/segments', { name: 'Bulk extra', filter: { tag_ids: [extra] } })
    ).json();
    const untag = await owner.post('/api/v1/contacts/bulk', {
      action: 'untag',
      tag_ids: [batch],
      segment_id: seg.id,
    });
    expect(untag.json()).toEqual({ matched: 2, affected: 2 });
    expect(ids(await list(`tag_ids=${batch}`))).toEqual([c.id]);

    const audit = (await owner.get('/api/v1/audit?action=contact.bulk_tag')).json().data;
    expect(audit[0].after).toMatchObject({ matched: 3, affected: 1, filter: { q: 'Bulk' } });

    const both = await owner.post('/api/v1/contacts/bulk', { action: 'tag', tag_ids: [batch] });
    expect(both.statusCode).toBe(400);
    const noTags = await owner.post('/api/v1/contacts/bulk', { action: 'tag', ids: [a.id] });
    expect(noTags.statusCode).toBe(400);
    const twoSelections = await owner.post('/api/v1/contacts/bulk', {
      action: 'delete',
      ids: [a.id],
      filter: {},
    });
    expect(twoSelections.statusCode).toBe(400);
  });

  it('deletes by filter all at once, and a bad filter deletes nothing', async () => {
    const doomed = await createTag('doomed');
    for (const n of [301, 302, 303])
      await createContact({ phone: gb(n), name: `Doomed ${n}`, tag_ids: [doomed] });
    const keep = await createContact({ phone: gb(304), name: 'Doomed but spared' });
    const bad = await owner.post('/api/v1/contacts/bulk', {
      action: 'delete',
      filter: { q: 'Doomed', fields: [{ key: 'nope', op: 'is_set' }] },
    });
    expect(bad.statusCode).toBe(400);
    expect((await list('q=Doomed')).data).toHaveLength(4);
    const res = await owner.post('/api/v1/contacts/bulk', {
      action: 'delete',
      filter: { q: 'Doomed', tag_ids: [doomed] },
      confirm_count: 3,
    });
    expect(res.json()).toEqual({ matched: 3, affected: 3 });
    expect(ids(await list('q=Doomed'))).toEqual([keep.id]);
  });
});

describe(`timeline, isolation and permissions on ${settings.backend}`, () => {
  it('the timeline shows edits and consent changes, newest first, with a cursor', async () => {
    const c = await createContact({
      phone: gb(401),
      name: 'Tim',
      opt_in: { source: 'web_form', proof: 'https://example.com/form/123' },
    });
    await owner.patch(`/api/v1/contacts/${c.id}`, { name: 'Timothy' });
    await owner.post(`/api/v1/contacts/${c.id}/consent`, { kind: 'opt_out', proof: 'asked by phone' });
    const res = await owner.get(`/api/v1/contacts/${c.id}/timeline`);
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().data as {
      kind: string;
      change?: { action: string };
      consent?: { kind: string };
    }[];
    expect(items.map((i) => i.kind)).toEqual(['consent', 'change', 'consent', 'change']);
    expect(items[0]!.consent).toMatchObject({ kind: 'opt_out', source: 'manual', proof: 'asked by phone' });
    expect(items[1]!.change).toMatchObject({
      action: 'contact.update',
      actor_label: 'owner@example.com',
      before: { name: 'Tim' },
      after: { name: 'Timothy' },
    });
    expect(items[2]!.consent).toMatchObject({ kind: 'opt_in', source: 'web_form' });
    expect(items[3]!.change?.action).toBe('contact.create');

    const first = (await owner.get(`/api/v1/contacts/${c.id}/timeline?limit=3`)).json();
    expect(first.data).toHaveLength(3);
    const rest = (
      await owner.get(`/api/v1/contacts/${c.id}/timeline?limit=3&cursor=${first.next_cursor}`)
    ).json();
    expect(rest.data).toHaveLength(1);
    expect(rest.next_cursor).toBeNull();
    expect([...first.data, ...rest.data]).toEqual(items);
  });

  it('another organisation sees none of it: 404, and nothing changes', async () => {
    const tag = await createTag('private');
    const field = await createField({ key: 'secret_note', label: 'Secret', type: 'text' });
    const c = await createContact({ phone: gb(501), name: 'Private', tag_ids: [tag] });
    const seg = (await owner.post('/api/v1/segments', { name: 'Private seg', filter: {} })).json();

    const other = await t.owner();
    const org = await other.post('/api/v1/orgs', { name: 'Zulu Other' });
    expect(org.statusCode, org.body).toBe(201);
    expect((await other.post('/api/v1/me/org', { org_id: org.json().id })).statusCode).toBe(200);

    const notFound = [
      await other.get(`/api/v1/contacts/${c.id}`),
      await other.patch(`/api/v1/contacts/${c.id}`, { name: 'Hijacked' }),
      await other.delete(`/api/v1/contacts/${c.id}`),
      await other.get(`/api/v1/contacts/${c.id}/timeline`),
      await other.get(`/api/v1/contacts/${c.id}/consent`),
      await other.post(`/api/v1/contacts/${c.id}/consent`, { kind: 'opt_in', proof: 'forged' }),
      await other.patch(`/api/v1/tags/${tag}`, { name: 'Hijacked' }),
      await other.delete(`/api/v1/tags/${tag}`),
      await other.patch(`/api/v1/fields/${field}`, { label: 'Hijacked' }),
      await other.delete(`/api/v1/fields/${field}`),
      await other.get(`/api/v1/segments/${seg.id}`),
      await other.delete(`/api/v1/segments/${seg.id}`),
      await other.get(`/api/v1/contacts?segment_id=${seg.id}`),
    ];
    for (const res of notFound) expect(res.statusCode, res.body).toBe(404);
    expect((await other.get('/api/v1/contacts')).json().data).toEqual([]);
    expect((await other.get('/api/v1/tags')).json().data).toEqual([]);
    // Their tag cannot be attached here, and their contacts are not selected by a bulk delete.
    const attach = await other.post('/api/v1/contacts', { phone: '+447400100501', tag_ids: [tag] });
    expect(attach.statusCode).toBe(400);
    const wipe = await other.post('/api/v1/contacts/bulk', { action: 'delete', ids: [c.id] });
    expect(wipe.json()).toEqual({ matched: 0, affected: 0 });
    // The same phone may be a contact in each organisation.
    await createContact({ phone: '+447400100501' }, other);

    const still = (await owner.get(`/api/v1/contacts/${c.id}`)).json();
    expect(still).toMatchObject({ name: 'Private', tags: [{ id: tag }], consent: { state: 'unknown' } });
    expect((await owner.get(`/api/v1/segments/${seg.id}`)).statusCode).toBe(200);
  });

  it('a viewer reads; an agent edits contacts; managers define fields, bulk-edit and delete', async () => {
    const viewer = await t.member('viewer');
    const agent = await t.member('agent');
    const c = await createContact({ phone: gb(601) });
    expect((await viewer.get('/api/v1/contacts')).statusCode).toBe(200);
    expect((await viewer.get(`/api/v1/contacts/${c.id}/consent`)).statusCode).toBe(200);
    const denied = [
      await viewer.post('/api/v1/contacts', { phone: gb(602) }),
      await viewer.patch(`/api/v1/contacts/${c.id}`, { name: 'x' }),
      await viewer.post(`/api/v1/contacts/${c.id}/consent`, { kind: 'opt_out' }),
      await viewer.post('/api/v1/tags', { name: 'viewer tag' }),
      await viewer.post('/api/v1/segments', { name: 'viewer seg', filter: {} }),
      await agent.post('/api/v1/fields', { key: 'agent_field', label: 'x', type: 'text' }),
      await agent.post('/api/v1/contacts/bulk', { action: 'delete', ids: [c.id] }),
      await agent.delete(`/api/v1/contacts/${c.id}`),
      await agent.patch('/api/v1/contacts/settings', { stop_confirmation_text: 'Bye' }),
    ];
    for (const res of denied) {
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
    const edited = await agent.patch(`/api/v1/contacts/${c.id}`, { name: 'By agent' });
    expect(edited.statusCode).toBe(200);
    expect((await agent.post('/api/v1/tags', { name: 'agent tag' })).statusCode).toBe(201);
    expect((await owner.get(`/api/v1/contacts/${c.id}`)).json().name).toBe('By agent');
  });

  it('documents every contact route in the OpenAPI description', async () => {
    const doc = (await t.app.inject('/api/v1/openapi.json')).json();
    for (const path of [
      '/api/v1/contacts',
      '/api/v1/contacts/{id}',
      '/api/v1/contacts/{id}/timeline',
      '/api/v1/contacts/{id}/consent',
      '/api/v1/contacts/bulk',
      '/api/v1/contacts/settings',
      '/api/v1/tags',
      '/api/v1/fields/{id}',
      '/api/v1/segments',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(doc.paths['/api/v1/contacts'].get.tags).toEqual(['contacts']);
  });
});
