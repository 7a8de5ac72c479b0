import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, OWNER, type TestApp } from '../../test/helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('org settings', () => {
  it('has sensible defaults and updates every setting', async () => {
    const c = await t.owner();
    const before = (await c.get('/api/v1/org')).json();
    expect(before.settings).toEqual({
      timezone: 'UTC',
      default_region: 'US',
      allowed_countries: [],
      retention_days: null,
      campaign_categories: ['UTILITY', 'MARKETING'],
      read_receipts: true,
      hide_phone_numbers: false,
      marketing_messages_fallback: 'fallback',
    });
    const res = await c.patch('/api/v1/org', {
      name: 'Acme India',
      settings: {
        timezone: 'Asia/Kolkata',
        default_region: 'IN',
        allowed_countries: ['IN', 'AE', 'IN'],
        retention_days: 90,
        campaign_categories: ['UTILITY'],
        read_receipts: false,
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'Acme India',
      settings: {
        timezone: 'Asia/Kolkata',
        default_region: 'IN',
        allowed_countries: ['IN', 'AE'],
        retention_days: 90,
        campaign_categories: ['UTILITY'],
        read_receipts: false,
      },
    });
    // null retention means "keep forever"
    const forever = await c.patch('/api/v1/org', { settings: { retention_days: null } });
    expect(forever.json().settings.retention_days).toBeNull();
    expect(forever.json().settings.timezone).toBe('Asia/Kolkata');
  });

  it.each([
    [{ settings: { timezone: 'Mars/Olympus' } }, 'timezone'],
    [{ settings: { default_region: 'india' } }, 'default_region'],
    [{ settings: { campaign_categories: ['AUTHENTICATION'] } }, 'campaign_categories'],
    [{ settings: { campaign_categories: [] } }, 'campaign_categories'],
    [{ settings: { retention_days: 0 } }, 'retention_days'],
    [{ settings: { retention_days: '30' } }, 'retention_days'],
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(101) }, 'name'],
    [{ name: 'ok', colour: 'red' }, 'colour'],
    [{ settings: { timezone: 'UTC', extra: 1 } }, 'extra'],
  ])('rejects %j with a message naming %s and changes nothing', async (body, field) => {
    const c = await t.owner();
    const before = (await c.get('/api/v1/org')).json();
    const res = await c.patch('/api/v1/org', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(res.json().error.message).toContain(field);
    expect((await c.get('/api/v1/org')).json()).toEqual(before);
  });
});

describe('members and roles', () => {
  it('lists members with roles; admins change roles; role rules hold', async () => {
    const owner = await t.owner();
    const admin = await t.member('admin', 'admin1@example.com');
    await t.member('agent', 'agent1@example.com');
    const list = (await admin.get('/api/v1/members')).json().data as {
      user_id: string;
      email: string;
      role: string;
    }[];
    const agent = list.find((m) => m.email === 'agent1@example.com')!;
    const ownerRow = list.find((m) => m.role === 'owner')!;
    expect(agent.role).toBe('agent');

    const promoted = await admin.patch(`/api/v1/members/${agent.user_id}`, { role: 'manager' });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json().role).toBe('manager');
    // An admin cannot grant owner nor touch an owner.
    expect((await admin.patch(`/api/v1/members/${agent.user_id}`, { role: 'owner' })).statusCode).toBe(403);
    expect((await admin.patch(`/api/v1/members/${ownerRow.user_id}`, { role: 'viewer' })).statusCode).toBe(
      403,
    );
    expect((await admin.delete(`/api/v1/members/${ownerRow.user_id}`)).statusCode).toBe(403);
    // The last owner can be neither demoted nor removed.
    const demote = await owner.patch(`/api/v1/members/${ownerRow.user_id}`, { role: 'admin' });
    expect(demote.statusCode).toBe(409);
    expect((await owner.delete(`/api/v1/members/${ownerRow.user_id}`)).statusCode).toBe(409);
    // With a second owner, the first may step down.
    expect((await owner.patch(`/api/v1/members/${agent.user_id}`, { role: 'owner' })).statusCode).toBe(200);
    expect((await owner.patch(`/api/v1/members/${ownerRow.user_id}`, { role: 'admin' })).statusCode).toBe(
      200,
    );
    const second = t.client();
    await second.login('agent1@example.com', 'member password 1');
    expect((await second.patch(`/api/v1/members/${ownerRow.user_id}`, { role: 'owner' })).statusCode).toBe(
      200,
    );
  });

  it('a removed member loses access at once', async () => {
    const owner = await t.owner();
    const gone = await t.member('agent', 'gone@example.com');
    const id = (await gone.get('/api/v1/me')).json().user.id;
    expect((await owner.delete(`/api/v1/members/${id}`)).statusCode).toBe(200);
    const after = await gone.get('/api/v1/me');
    expect(after.statusCode).toBe(401);
    expect((await owner.delete(`/api/v1/members/${id}`)).statusCode).toBe(404);
  });
});

describe('invitations', () => {
  it('invite → lookup → accept creates the account and signs it in to the org', async () => {
    const owner = await t.owner();
    const inv = await owner.post('/api/v1/invitations', { email: 'New.Person@Example.com', role: 'manager' });
    expect(inv.statusCode).toBe(201);
    const { token, email, accept_path } = inv.json();
    expect(email).toBe('new.person@example.com');
    // In the fragment, which browsers never send: the token stays out of server logs.
    expect(accept_path).toBe(`/accept-invitation#token=${encodeURIComponent(token)}`);
    expect(
      (await owner.get('/api/v1/invitations')).json().data.map((i: { email: string }) => i.email),
    ).toContain(email);

    const anon = t.client();
    const look = await anon.post('/api/v1/invitations/lookup', { token });
    expect(look.json()).toEqual({ org_name: expect.any(String), email, role: 'manager' });
    const acc = await anon.post('/api/v1/invitations/accept', {
      token,
      name: 'New Person',
      password: 'short',
    });
    expect(acc.statusCode).toBe(400);
    const ok = await anon.post('/api/v1/invitations/accept', {
      token,
      name: 'New Person',
      password: 'long enough password',
    });
    expect(ok.statusCode).toBe(200);
    expect((await anon.get('/api/v1/me')).json()).toMatchObject({
      role: 'manager',
      user: { email, name: 'New Person' },
    });
    // Single use.
    expect(
      (await t.client().post('/api/v1/invitations/accept', { token, password: 'long enough password' }))
        .statusCode,
    ).toBe(404);
    expect((await owner.post('/api/v1/invitations', { email, role: 'agent' })).statusCode).toBe(409);
  });

  it('an existing account accepts with its own password and gains a second org', async () => {
    const other = await t.owner();
    const created = (await other.post('/api/v1/orgs', { name: 'Partner' })).json();
    await other.post('/api/v1/me/org', { org_id: created.id });
    const agent = await t.member('agent', 'multi@example.com');
    const inv = (
      await other.post('/api/v1/invitations', { email: 'multi@example.com', role: 'viewer' })
    ).json();
    const wrong = await t
      .client()
      .post('/api/v1/invitations/accept', { token: inv.token, password: 'not my password' });
    expect(wrong.statusCode).toBe(400);
    const ok = await t
      .client()
      .post('/api/v1/invitations/accept', { token: inv.token, password: 'member password 1' });
    expect(ok.statusCode).toBe(200);
    const orgs = (await agent.get('/api/v1/me')).json().orgs as { name: string; role: string }[];
    expect(orgs).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Partner', role: 'viewer' })]),
    );
  });

  it('the lookup does not say whether the email has an account, and takes the token only in a body', async () => {
    const owner = await t.owner();
    // An account that exists (in another organisation).
    await t.app.services.orgs.setupOwner({
      email: 'known@example.com',
      password: OWNER.password,
      orgName: 'Known',
    });
    const known = (
      await owner.post('/api/v1/invitations', { email: 'known@example.com', role: 'viewer' })
    ).json();
    const fresh = (
      await owner.post('/api/v1/invitations', { email: 'fresh@example.com', role: 'viewer' })
    ).json();
    const a = await t.client().post('/api/v1/invitations/lookup', { token: known.token });
    const b = await t.client().post('/api/v1/invitations/lookup', { token: fresh.token });
    expect(a.statusCode).toBe(200);
    expect(Object.keys(a.json()).sort()).toEqual(Object.keys(b.json()).sort());
    expect(a.json()).not.toHaveProperty('user_exists');
    expect((await t.client().get(`/api/v1/invitations/lookup?token=${fresh.token}`)).statusCode).toBe(404);
  });

  it('an existing account accepts while signed in as it, without its password', async () => {
    const founder = await t.owner();
    const created = (await founder.post('/api/v1/orgs', { name: 'Signed-in shop' })).json();
    await founder.post('/api/v1/me/org', { org_id: created.id });
    const agent = await t.member('agent', 'signed-in@example.com');
    const inv = (
      await founder.post('/api/v1/invitations', { email: 'signed-in@example.com', role: 'viewer' })
    ).json();
    // Signed in as someone else, the token alone is not enough.
    const stranger = await t.member('agent');
    const refused = await stranger.post('/api/v1/invitations/accept', { token: inv.token });
    expect(refused.statusCode).toBe(400);
    expect((await t.client().post('/api/v1/invitations/accept', { token: inv.token })).statusCode).toBe(400);
    const ok = await agent.post('/api/v1/invitations/accept', { token: inv.token });
    expect(ok.statusCode, ok.body).toBe(200);
    // The current session moved to the organisation it joined.
    expect((await agent.get('/api/v1/me')).json()).toMatchObject({
      org: { name: 'Signed-in shop' },
      role: 'viewer',
    });
  });

  it('revoked invitations cannot be used; an admin cannot invite an owner', async () => {
    const owner = await t.owner();
    const inv = (
      await owner.post('/api/v1/invitations', { email: 'revoked@example.com', role: 'agent' })
    ).json();
    expect((await owner.delete(`/api/v1/invitations/${inv.id}`)).statusCode).toBe(200);
    expect((await t.client().post('/api/v1/invitations/lookup', { token: inv.token })).statusCode).toBe(404);
    const admin = await t.member('admin');
    expect(
      (await admin.post('/api/v1/invitations', { email: 'boss@example.com', role: 'owner' })).statusCode,
    ).toBe(403);
  });
});

describe('creating organisations', () => {
  it('is for instance administrators: the first owner is one, later users are not', async () => {
    const owner = await t.owner();
    expect((await owner.get('/api/v1/me')).json().can_create_orgs).toBe(true);
    const admin = await t.member('admin');
    expect((await admin.get('/api/v1/me')).json().can_create_orgs).toBe(false);
    const refused = await admin.post('/api/v1/orgs', { name: 'Shadow' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toMatch(/instance administrator/);
    // An owner of another organisation set up later is not an instance administrator either.
    const later = await createTestAppSameDb();
    expect((await later.ownerClient.get('/api/v1/me')).json().can_create_orgs).toBe(false);
    expect((await later.ownerClient.post('/api/v1/orgs', { name: 'Shadow' })).statusCode).toBe(403);
    expect((await owner.post('/api/v1/orgs', { name: 'Branch' })).statusCode).toBe(201);
  });

  it('is anyone’s with ALLOW_ORG_CREATION=true', async () => {
    const open = await createTestApp({ ALLOW_ORG_CREATION: 'true' });
    try {
      const agent = await open.member('agent');
      expect((await agent.get('/api/v1/me')).json().can_create_orgs).toBe(true);
      expect((await agent.post('/api/v1/orgs', { name: 'Mine' })).statusCode).toBe(201);
    } finally {
      await open.close();
    }
  });
});

describe('org isolation', () => {
  it("answers 404 for another org's members, invitations and changes nothing", async () => {
    const mine = await t.owner();
    const foreign = await createTestAppSameDb();
    const theirOwner = foreign.ownerClient;
    const theirAgent = (await theirOwner.get('/api/v1/members')).json().data[0];
    const theirInv = (
      await theirOwner.post('/api/v1/invitations', { email: 'x@example.com', role: 'agent' })
    ).json();
    expect((await mine.patch(`/api/v1/members/${theirAgent.user_id}`, { role: 'viewer' })).statusCode).toBe(
      404,
    );
    expect((await mine.delete(`/api/v1/members/${theirAgent.user_id}`)).statusCode).toBe(404);
    expect((await mine.delete(`/api/v1/invitations/${theirInv.id}`)).statusCode).toBe(404);
    expect((await mine.post('/api/v1/me/org', { org_id: foreign.orgId })).statusCode).toBe(404);
    const after = (await theirOwner.get('/api/v1/members')).json().data[0];
    expect(after.role).toBe('owner');
    expect((await theirOwner.get('/api/v1/invitations')).json().data).toHaveLength(1);
  });
});

/** A second organisation, with its own owner, in the same database as `t`. */
async function createTestAppSameDb() {
  const email = `foreign-${Date.now()}@example.com`;
  const seeded = await t.app.services.orgs.setupOwner({
    email,
    password: OWNER.password,
    orgName: 'Foreign',
  });
  const founder = t.client();
  await founder.login(email, OWNER.password);
  return { ownerClient: founder, orgId: seeded.orgId };
}
