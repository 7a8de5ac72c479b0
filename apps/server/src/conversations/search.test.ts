import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestClient } from '../../test/helpers.ts';
import { createSeeder } from '../../test/seed.ts';

// More customers share a name than a search reads one by one (2,000): that search walks the list, a
// rarer one reads its few matches' conversations. Either way the page is the same as the list's order.
const MANY = 2_100;

let t: TestApp;
let owner: TestClient;
let inOrder: string[];
let byMessageOnly: string;

beforeAll(async () => {
  t = await createTestApp();
  owner = await t.owner();
  const seed = createSeeder(t.database, t.config);
  const numberId = await seed.number(t.orgId);
  // Customers "Walker 0001" …, one conversation each, their last messages a minute apart in a shuffled
  // order (so that neither creation order nor name order is the list's order); every tenth has none.
  await t.database.query(
    `with k as (
       insert into contacts (org_id, wa_id, name)
       select $1, (447700000000 + g)::text, 'Walker ' || lpad(g::text, 4, '0') from generate_series(1, $3::int) g
       returning id, wa_id)
     insert into conversations (org_id, number_id, contact_id, last_message_at, created_at)
     select $1, $2, k.id,
            case when k.wa_id::bigint % 10 <> 0 then now() - make_interval(mins => ((k.wa_id::bigint * 7919) % $3)::int) end,
            now() - interval '30 days' - make_interval(mins => (k.wa_id::bigint % $3)::int)
     from k`,
    [t.orgId, numberId, MANY],
  );
  // Someone else whose message names a Walker: found through the message, in its place in the list.
  const other = await seed.conversation(t.orgId, numberId, '447799999999', 'Someone Else');
  await seed.message(t.orgId, numberId, other.conversationId, { days: 0.004, text: 'ask for walker please' });
  byMessageOnly = other.conversationId;
  inOrder = (
    await t.database.query<{ id: string }>(
      `select c.id from conversations c join contacts k on k.id = c.contact_id
       where c.org_id = $1 and (k.name ilike '%walker%' or c.id = $2)
       order by coalesce(c.last_message_at, c.created_at) desc, c.id desc`,
      [t.orgId, byMessageOnly],
    )
  ).map((r) => r.id);
});

afterAll(async () => {
  await t?.close();
});

async function pages(search: string, count: number) {
  const ids: string[] = [];
  let cursor = '';
  for (let i = 0; i < count; i++) {
    const res = await owner.get(
      `/api/v1/conversations?limit=50&search=${encodeURIComponent(search)}${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.statusCode).toBe(200);
    const page = res.json() as { data: { id: string }[]; next_cursor: string | null };
    ids.push(...page.data.map((c) => c.id));
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return ids;
}

describe('inbox search by contact', () => {
  it('a name many customers share pages through them in the list order, with a message that names it', async () => {
    expect(inOrder).toHaveLength(MANY + 1);
    expect(inOrder.indexOf(byMessageOnly)).toBeGreaterThanOrEqual(0);
    expect(await pages('walker', 3)).toEqual(inOrder.slice(0, 150));
  });

  it('a rare name or phone finds its few customers, in the list order', async () => {
    const rare = (
      await t.database.query<{ id: string }>(
        `select c.id from conversations c join contacts k on k.id = c.contact_id
         where c.org_id = $1 and k.name like 'Walker 12%'
         order by coalesce(c.last_message_at, c.created_at) desc, c.id desc`,
        [t.orgId],
      )
    ).map((r) => r.id);
    expect(rare).toHaveLength(100);
    expect(await pages('Walker 12', 3)).toEqual(rare);
    const [one] = await t.database.query<{ id: string }>(
      `select c.id from conversations c join contacts k on k.id = c.contact_id where k.wa_id = '447700001234'`,
    );
    expect(await pages('7700001234', 1)).toEqual([one!.id]);
    expect(await pages('no such customer', 1)).toEqual([]);
  });

  it('filters still apply to a search (a cursor past every match leaves nothing)', async () => {
    const last = inOrder[inOrder.length - 1]!;
    const [row] = await t.database.query<{ at: string }>(
      'select coalesce(last_message_at, created_at) as at from conversations where id = $1',
      [last],
    );
    const cursor = Buffer.from(`${new Date(row!.at).toISOString()}|${last}`).toString('base64url');
    const res = await owner.get(`/api/v1/conversations?search=walker&before=${cursor}`);
    expect(res.json().data).toEqual([]);
    const unassigned = await owner.get('/api/v1/conversations?search=walker&assigned=me');
    expect(unassigned.json().data).toEqual([]);
  });
});
