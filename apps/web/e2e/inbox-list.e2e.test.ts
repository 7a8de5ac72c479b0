import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const ADMIN = { email: 'owner@busy-shop.example', password: 'browser inbox list password' };
/** Seeded conversations; `Seed customer 0001` is the newest, `2000` the oldest. */
const SEEDED = 2000;
/** The sandbox's two simulated customers write in at start, and are the newest of all. */
const SANDBOX = 2;
const TOTAL = SEEDED + SANDBOX;

const name = (i: number) => `Seed customer ${String(i).padStart(4, '0')}`;
const seedIndex = (text: string) => Number(text.match(/Seed customer (\d{4})/)?.[1] ?? Number.NaN);

describe.skipIf(!hasChromium)('inbox list at scale: virtual rows, cursor paging and filters', () => {
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    h = await startHarness({ ...ADMIN, org: 'Busy Shop' }, { SANDBOX_PACE: '0' });
    base = h.server.url;
    await signIn(h.page, base, ADMIN);
    // The sandbox customers first, so nothing arrives in the middle of the seeded list.
    // (expect.poll is for tests, not hooks.)
    for (let seen = 0; seen < SANDBOX; ) {
      const res = await h.page.request.get(`${base}/api/v1/conversations`);
      seen = ((await res.json()) as { data: unknown[] }).data.length;
      if (seen < SANDBOX) await new Promise((r) => setTimeout(r, 250));
    }
    const tag = await h.page.request.post(`${base}/api/v1/tags`, { data: { name: 'VIP' } });
    expect(tag.status(), await tag.text()).toBe(201);
    const tagId = ((await tag.json()) as { id: string }).id;

    // 2,000 conversations straight into the test's database: statuses by i % 10, unread for this
    // agent when i % 4 = 0, tagged VIP when i % 7 = 0; one inbound message each, a minute apart.
    const db = h.server.database;
    const [number] = await db.query<{ id: string; org_id: string }>('select id, org_id from numbers');
    const [user] = await db.query<{ id: string }>('select id from users where email = $1', [ADMIN.email]);
    if (!number || !user) throw new Error('no sandbox number or owner');
    await db.query(
      `insert into contacts (org_id, wa_id, name)
       select $1, '4915550' || lpad(i::text, 5, '0'), 'Seed customer ' || lpad(i::text, 4, '0')
       from generate_series(1, ${SEEDED}) i`,
      [number.org_id],
    );
    await db.query(
      `insert into conversations (org_id, number_id, contact_id, status, snoozed_until,
                                  last_message_at, last_inbound_at, window_expires_at, created_at)
       select $1, $2, k.id,
              case s.i % 10 when 1 then 'pending' when 2 then 'resolved' when 3 then 'snoozed' else 'open' end,
              case when s.i % 10 = 3 then now() + interval '1 day' end,
              s.at, s.at, s.at + interval '24 hours', s.at
       from contacts k
       cross join lateral (select substr(k.wa_id, 8)::int as i) n
       cross join lateral (select n.i, now() - interval '1 hour' - n.i * interval '1 minute' as at) s
       where k.org_id = $1 and k.name like 'Seed customer %'`,
      [number.org_id, number.id],
    );
    await db.query(
      `insert into messages (org_id, number_id, conversation_id, direction, wamid, type, content, sent_at)
       select c.org_id, c.number_id, c.id, 'in', 'wamid.seed.' || k.wa_id, 'text',
              jsonb_build_object('text', jsonb_build_object('body', 'Question number ' || substr(k.wa_id, 8)::int)),
              c.last_message_at
       from conversations c join contacts k on k.id = c.contact_id
       where c.org_id = $1 and k.name like 'Seed customer %'`,
      [number.org_id],
    );
    await db.query(
      `update conversations c set last_inbound_seq = m.seq
       from messages m where m.conversation_id = c.id and m.wamid like 'wamid.seed.%' and c.org_id = $1`,
      [number.org_id],
    );
    await db.query(
      `insert into conversation_reads (org_id, conversation_id, user_id, last_read_seq)
       select c.org_id, c.id, $2, c.last_inbound_seq
       from conversations c join contacts k on k.id = c.contact_id
       where c.org_id = $1 and k.name like 'Seed customer %' and substr(k.wa_id, 8)::int % 4 <> 0`,
      [number.org_id, user.id],
    );
    await db.query(
      `insert into conversation_tags (org_id, conversation_id, tag_id)
       select c.org_id, c.id, $2
       from conversations c join contacts k on k.id = c.contact_id
       where c.org_id = $1 and k.name like 'Seed customer %' and substr(k.wa_id, 8)::int % 7 = 0`,
      [number.org_id, tagId],
    );
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  const rowsInDom = () => h.page.locator('[aria-label="Conversations"] a[data-conversation]').count();
  /** The names of the rows in the DOM, top to bottom. */
  const names = () =>
    h.page.$$eval('[aria-label="Conversations"] li', (lis) =>
      lis
        .map((li) => ({
          at: Number(li.getAttribute('aria-posinset')),
          text: li.querySelector('a')?.textContent ?? '',
        }))
        .sort((a, b) => a.at - b.at)
        .map((r) => r.text),
    );
  const scroller = () =>
    h.page.locator('section[aria-label="Conversation list"] div.overflow-y-auto').first();

  /** Waits until the first row is the one expected, and every row in the DOM passes `each`. */
  async function expectRows(first: string, each: (text: string) => boolean) {
    await expect.poll(async () => (await names())[0], { timeout: 15_000 }).toContain(first);
    const texts = await names();
    expect(texts.length).toBeGreaterThan(3);
    for (const t of texts) expect(t, t).toSatisfy(each);
  }

  it('renders only the rows in view, and pages older conversations in by cursor while scrolling', async () => {
    const { page } = h;
    const cursors: string[] = [];
    page.on('request', (r) => {
      const before = new URL(r.url()).searchParams.get('before');
      if (r.url().includes('/api/v1/conversations?') && before) cursors.push(before);
    });
    await page.goto(`${base}/inbox`);
    const list = page.getByRole('list', { name: 'Conversations' });
    await list.getByRole('link', { name: new RegExp(name(1)) }).waitFor({ timeout: 20_000 });
    // The first page holds 50; only a screenful and the overscan are rendered.
    const first = await rowsInDom();
    expect(first).toBeGreaterThan(5);
    expect(first).toBeLessThan(40);
    expect(cursors).toEqual([]);
    // The list is still a list of links, and says where each row is while the end is unknown.
    expect(await list.getByRole('listitem').first().getAttribute('aria-setsize')).toBe('-1');
    await h.shot('25-inbox-list-virtual');

    // Scroll to the end again and again: each time, the next page (older) is fetched by cursor.
    const oldest = list.getByRole('link', { name: new RegExp(name(SEEDED)) });
    const deadline = Date.now() + 90_000;
    let most = first;
    while (!(await oldest.count())) {
      if (Date.now() > deadline) throw new Error(`the oldest never loaded (${cursors.length} pages)`);
      await scroller().evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await page.waitForTimeout(100);
      most = Math.max(most, await rowsInDom());
    }
    // 2,002 conversations at 50 a page: 40 more pages, each asked for with the cursor of the last.
    expect(new Set(cursors).size).toBe(Math.ceil(TOTAL / 50) - 1);
    expect(most).toBeLessThan(60);
    expect(await rowsInDom()).toBeLessThan(60);
    // Everything is loaded: the set size is known, and no more button.
    const lastItem = list.getByRole('listitem').filter({ hasText: name(SEEDED) });
    expect(await lastItem.getAttribute('aria-setsize')).toBe(String(TOTAL));
    expect(await lastItem.getAttribute('aria-posinset')).toBe(String(TOTAL));
    expect(await page.getByRole('button', { name: 'Load more conversations' }).count()).toBe(0);
    await scroller().evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await list.getByRole('link', { name: new RegExp(name(SEEDED)) }).waitFor();
    await page.waitForTimeout(200);
    const scrollHeight = await scroller().evaluate((el) => el.scrollHeight);
    expect(scrollHeight).toBeGreaterThan(TOTAL * 60);
    await h.shot('26-inbox-list-end');
  }, 120_000);

  it('the arrow keys move through rows beyond the ones first rendered, and Home goes back', async () => {
    const { page } = h;
    await scroller().evaluate((el) => el.scrollTo({ top: 0 }));
    const list = page.getByRole('list', { name: 'Conversations' });
    await list.getByRole('link', { name: new RegExp(name(1)) }).focus();
    for (let k = 0; k < 40; k++) await page.keyboard.press('ArrowDown');
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent ?? ''))
      .toContain(name(41));
    expect(await rowsInDom()).toBeLessThan(60);
    await page.keyboard.press('Home');
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-index')))
      .toBe('0');
  });

  it('filters by status, unread and tag, each alone and together', async () => {
    const { page } = h;
    const status = page.getByLabel('Filter by status');
    const tag = page.getByLabel('Filter by tag');
    const unread = page.getByRole('button', { name: 'Unread only' });

    await scroller().evaluate((el) => el.scrollTo({ top: 3000 }));
    await status.selectOption('pending');
    await expectRows(name(1), (t) => seedIndex(t) % 10 === 1 && /pending/.test(t));
    // A new filter starts at the top.
    expect(await scroller().evaluate((el) => el.scrollTop)).toBe(0);
    await status.selectOption('resolved');
    await expectRows(name(2), (t) => seedIndex(t) % 10 === 2 && /resolved/.test(t));
    await status.selectOption('snoozed');
    await expectRows(name(3), (t) => seedIndex(t) % 10 === 3 && /snoozed/.test(t));
    await h.shot('27-inbox-list-status-snoozed');
    await status.selectOption('open');
    // The sandbox customers (simulator names) come first; then 0004, the newest open seeded one.
    await expect
      .poll(async () => (await names()).some((t) => t.includes(name(4))), { timeout: 15_000 })
      .toBe(true);
    for (const t of await names()) {
      expect(t).not.toMatch(/pending|resolved|snoozed/);
      if (!Number.isNaN(seedIndex(t))) expect(seedIndex(t) % 10, t).not.toBeOneOf([1, 2, 3]);
    }
    await status.selectOption('');

    await unread.click();
    expect(await unread.getAttribute('aria-pressed')).toBe('true');
    // The sandbox customers have not been read either; then 0004, the newest unread seeded one.
    await expect
      .poll(
        async () => {
          const texts = await names();
          return texts.some((t) => t.includes(name(4))) && !texts.some((t) => t.includes(name(1)));
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    for (const t of await names()) {
      expect(t).toMatch(/unread/);
      if (!Number.isNaN(seedIndex(t))) expect(seedIndex(t) % 4, t).toBe(0);
    }
    await unread.click();

    await tag.selectOption({ label: 'VIP' });
    await expectRows(name(7), (t) => seedIndex(t) % 7 === 0);
    // Together: tagged VIP and unread.
    await unread.click();
    await expectRows(name(28), (t) => seedIndex(t) % 28 === 0 && /unread/.test(t));
    await h.shot('28-inbox-list-tag-unread');
    // All three: i % 28 = 0 makes i even, so never pending (i % 10 = 1): nothing matches.
    await status.selectOption('pending');
    await page.getByText('No conversations match these filters.').waitFor({ timeout: 15_000 });
    expect(await rowsInDom()).toBe(0);
    await status.selectOption('');
    await unread.click();
    await tag.selectOption('');
    await expect.poll(async () => (await names())[0], { timeout: 15_000 }).not.toContain(name(7));
  });
});
