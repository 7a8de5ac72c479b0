import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp, type TestClient } from '../../../test/helpers.ts';

/** API keys through the HTTP API: made by admins signed in, used as `Authorization: Bearer owk_…`. */
let t: TestApp;
let owner: TestClient;
let admin: TestClient;
let agent: TestClient;

/** A request with a key and nothing else (no cookies). */
const withKey = (key: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
  t.client('10.9.0.1').request(method, url, body, { authorization: `Bearer ${key}` });

beforeAll(async () => {
  t = await createTestApp();
  owner = await t.owner();
  admin = await t.member('admin', 'admin-keys@example.com');
  agent = await t.member('agent', 'agent-keys@example.com');
});
afterAll(() => t.close());

describe(`API keys on ${settings.backend}`, () => {
  it('is shown once, stored hashed, listed by prefix; bad input is a 400 and creates nothing', async () => {
    for (const [body, path] of [
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: 'x', scopes: ['nope.read'] }, 'scopes'],
      [{ name: 'x', scopes: ['contacts.read', 'contacts.read'] }, 'scopes'],
      [{ name: '', scopes: ['contacts.read'] }, 'name'],
      [{ name: 'x', scopes: ['contacts.read'], expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
      [{ name: 'x', scopes: ['contacts.read'], extra: 1 }, ''],
    ] as const) {
      const res = await admin.post('/api/v1/api-keys', body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.body).toContain(path);
    }
    expect((await admin.get('/api/v1/api-keys')).json().data).toEqual([]);
    // Agents do not manage keys.
    expect((await agent.post('/api/v1/api-keys', { name: 'x', scopes: ['contacts.read'] })).statusCode).toBe(
      403,
    );

    const res = await admin.post('/api/v1/api-keys', {
      name: 'Shop backend',
      scopes: ['conversations.read', 'contacts.write'],
    });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(created.key).toMatch(/^owk_[A-Za-z0-9_-]{40,}$/);
    expect(created).toMatchObject({
      name: 'Shop backend',
      status: 'active',
      prefix: created.key.slice(0, 12),
    });
    const list = await admin.get('/api/v1/api-keys');
    expect(list.body).not.toContain(created.key);
    expect(list.json().data).toEqual([expect.objectContaining({ id: created.id, prefix: created.prefix })]);
    const stored = await t.database.query<{ hash: string }>('select hash from api_keys');
    expect(JSON.stringify(stored)).not.toContain(created.key);
    const audit = await t.database.query<{ action: string; after: unknown }>(
      `select action, after from audit_log where entity_type = 'api_key'`,
    );
    expect(audit.map((a) => a.action)).toEqual(['api_key.created']);
    expect(JSON.stringify(audit)).not.toContain(created.key);
  });

  it('acts within its scopes and its creator’s role; changes are audited as the key', async () => {
    const { key, id } = (
      await admin.post('/api/v1/api-keys', { name: 'Scoped', scopes: ['contacts.read', 'contacts.write'] })
    ).json();
    expect((await withKey(key, 'GET', '/api/v1/contacts')).statusCode).toBe(200);
    // Account routes are a person's, not a key's.
    expect((await withKey(key, 'GET', '/api/v1/me')).statusCode).toBe(403);
    const made = await withKey(key, 'POST', '/api/v1/contacts', { phone: '+12025550111', name: 'By key' });
    expect(made.statusCode, made.body).toBe(201);
    const [row] = await t.database.query<{ actor_type: string; actor_id: string }>(
      `select actor_type, actor_id from audit_log where action like 'contact.%' order by id desc limit 1`,
    );
    expect(row).toEqual({ actor_type: 'api_key', actor_id: id });
    // Outside its scopes: 403 naming the scope; what people do signed in: 403.
    const outside = await withKey(key, 'GET', '/api/v1/conversations');
    expect(outside.statusCode).toBe(403);
    expect(outside.json().error.message).toContain('conversations.read');
    expect((await withKey(key, 'GET', '/api/v1/me/sessions')).statusCode).toBe(403);
    expect(
      (await withKey(key, 'POST', '/api/v1/me/password', { current_password: 'x', new_password: 'y' }))
        .statusCode,
    ).toBe(403);
    // A key never makes or revokes keys, even with the scope.
    const manager = (
      await owner.post('/api/v1/api-keys', { name: 'Keys', scopes: ['integrations.manage'] })
    ).json();
    expect((await withKey(manager.key, 'GET', '/api/v1/api-keys')).statusCode).toBe(200);
    expect(
      (await withKey(manager.key, 'POST', '/api/v1/api-keys', { name: 'x', scopes: ['contacts.read'] }))
        .statusCode,
    ).toBe(403);
    expect((await withKey(manager.key, 'POST', `/api/v1/api-keys/${id}/revoke`, {})).statusCode).toBe(403);
    // Last use recorded.
    const listed = (await admin.get('/api/v1/api-keys')).json().data.find((k: { id: string }) => k.id === id);
    expect(listed.last_used_at).not.toBeNull();
    expect(listed.last_used_ip).toBe('10.9.0.1');

    // Its creator demoted to agent: contacts.write still (agents hold it), nothing beyond the role.
    const agentKey = (
      await admin.post('/api/v1/api-keys', { name: 'Imports', scopes: ['contacts.import'] })
    ).json();
    expect((await withKey(agentKey.key, 'GET', '/api/v1/contacts/imports')).statusCode).toBe(200);
    const adminId = (await admin.get('/api/v1/me')).json().user.id;
    expect((await owner.patch(`/api/v1/members/${adminId}`, { role: 'agent' })).statusCode).toBe(200);
    expect((await withKey(agentKey.key, 'GET', '/api/v1/contacts/imports')).statusCode).toBe(403);
    expect((await owner.patch(`/api/v1/members/${adminId}`, { role: 'admin' })).statusCode).toBe(200);
    // An admin cannot grant beyond their role; an owner-only scope does not exist, so: an agent's
    // key attempt is already refused above, and scopes are checked against the role at each request.
  });

  it('stops at once when revoked or expired; an unknown key is a 401', async () => {
    const { key, id } = (
      await admin.post('/api/v1/api-keys', { name: 'Short', scopes: ['contacts.read'] })
    ).json();
    expect((await withKey(key, 'GET', '/api/v1/contacts')).statusCode).toBe(200);
    const revoked = await admin.post(`/api/v1/api-keys/${id}/revoke`, {});
    expect(revoked.json().status).toBe('revoked');
    const after = await withKey(key, 'GET', '/api/v1/contacts');
    expect(after.statusCode).toBe(401);
    expect(after.json().error.details.reason).toBe('key_revoked');
    expect((await admin.post(`/api/v1/api-keys/${id}/revoke`, {})).statusCode).toBe(409);

    const other = (
      await admin.post('/api/v1/api-keys', {
        name: 'Expiring',
        scopes: ['contacts.read'],
        expires_at: new Date(Date.now() + 60_000).toISOString(),
      })
    ).json();
    expect((await withKey(other.key, 'GET', '/api/v1/contacts')).statusCode).toBe(200);
    await t.database.query(`update api_keys set expires_at = now() - interval '1 second' where id = $1`, [
      other.id,
    ]);
    const expired = await withKey(other.key, 'GET', '/api/v1/contacts');
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.details.reason).toBe('key_expired');
    expect(
      (await admin.get('/api/v1/api-keys')).json().data.find((k: { id: string }) => k.id === other.id).status,
    ).toBe('expired');

    const unknown = await withKey(`owk_${'x'.repeat(43)}`, 'GET', '/api/v1/contacts');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.details.reason).toBe('unknown_key');

    // Another organisation's admin neither sees nor revokes these keys.
    const o = await t.owner();
    const org = await o.post('/api/v1/orgs', { name: 'Keys Other' });
    await o.post('/api/v1/me/org', { org_id: org.json().id });
    expect((await o.get('/api/v1/api-keys')).json().data).toEqual([]);
    expect((await o.post(`/api/v1/api-keys/${other.id}/revoke`, {})).statusCode).toBe(404);
  });
});
