import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ JOB_POLL_SECONDS: '0.5' });
});
afterAll(() => t.close());

const make = (n: number, userId: string, orgId = t.orgId) =>
  t.app.services.notifications.notify(
    { orgId, userIds: [userId] },
    { type: 'test', title: `Note ${n}`, message: `Message ${n}`, actionUrl: `/things/${n}` },
  );

describe(`notifications on ${settings.backend}`, () => {
  it('lists 50 per page, newest first, with a cursor to load more, and the unread count', async () => {
    for (let i = 1; i <= 60; i++) await make(i, t.ownerId);
    const owner = await t.owner();
    const first = (await owner.get('/api/v1/notifications')).json();
    expect(first.data).toHaveLength(50);
    expect(first.data[0].title).toBe('Note 60');
    expect(first.unread_count).toBe(60);
    expect(first.next_cursor).toBeTruthy();
    const second = (await owner.get(`/api/v1/notifications?before=${first.next_cursor}`)).json();
    expect(second.data.map((n: { title: string }) => n.title)).toEqual(
      Array.from({ length: 10 }, (_, i) => `Note ${10 - i}`),
    );
    expect(second.next_cursor).toBeNull();
    expect((await owner.get('/api/v1/notifications?before=garbage')).statusCode).toBe(400);
    expect((await owner.get('/api/v1/notifications?limit=500')).statusCode).toBe(400);
  });

  it('marks one read, then all read; someone else’s notification is not found', async () => {
    const owner = await t.owner();
    const page = (await owner.get('/api/v1/notifications?limit=1')).json();
    const id = page.data[0].id;
    const one = await owner.post(`/api/v1/notifications/${id}/read`);
    expect(one.json()).toEqual({ unread_count: 59 });
    expect((await owner.get('/api/v1/notifications?limit=1')).json().data[0].is_read).toBe(true);
    const agent = await t.member('agent');
    expect((await agent.post(`/api/v1/notifications/${id}/read`)).statusCode).toBe(404);
    expect((await agent.post('/api/v1/notifications/not-a-uuid/read')).statusCode).toBe(400);
    expect((await owner.post('/api/v1/notifications/read-all')).json()).toEqual({ unread_count: 0 });
    expect((await owner.get('/api/v1/notifications/unread-count')).json()).toEqual({ unread_count: 0 });
    expect((await owner.post('/api/v1/notifications/read-all', { everything: true })).statusCode).toBe(400);
  });

  it('never shows another organisation’s notifications', async () => {
    const other = await t.app.services.orgs.setupOwner({
      email: 'n-other@example.com',
      password: 'other password 12',
      orgName: 'Other',
    });
    await make(999, other.userId, other.orgId);
    const c = t.client();
    await c.login('n-other@example.com', 'other password 12');
    expect((await c.get('/api/v1/notifications')).json().data.map((n: { title: string }) => n.title)).toEqual(
      ['Note 999'],
    );
    const owner = await t.owner();
    expect(
      (await owner.get('/api/v1/notifications'))
        .json()
        .data.some((n: { title: string }) => n.title === 'Note 999'),
    ).toBe(false);
  });

  it('admins are notified when a member joins', async () => {
    await t.member('manager', 'newcomer@example.com');
    const owner = await t.owner();
    const top = (await owner.get('/api/v1/notifications?limit=1')).json().data[0];
    expect(top).toMatchObject({ type: 'member.joined', action_url: '/settings/members', is_read: false });
    expect(top.message).toMatch(/newcomer@example.com/);
  });

  it('a test notification is delivered by a worker', async () => {
    await t.app.services.jobs.start({ work: true });
    const owner = await t.owner();
    const r = await owner.post('/api/v1/notifications/test');
    expect(r.statusCode).toBe(202);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const top = (await owner.get('/api/v1/notifications?limit=1')).json().data[0];
      if (top?.type === 'test' && top.title === 'Test notification') break;
      if (Date.now() > deadline) throw new Error('no test notification');
      await new Promise((res) => setTimeout(res, 200));
    }
  });

  it('the purge job deletes notifications older than 30 days', async () => {
    await t.database.query(
      `update notifications set created_at = now() - interval '31 days' where title like 'Note %'`,
    );
    const deleted = await t.app.services.notifications.purgeOlderThan(30);
    expect(deleted).toBe(61);
    const rows = await t.database.query<{ n: string }>(
      `select count(*) as n from notifications where title like 'Note %'`,
    );
    expect(Number(rows[0]!.n)).toBe(0);
  });
});
