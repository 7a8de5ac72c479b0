import { randomUUID } from 'node:crypto';
import { can, type Permission, ROLES } from '@openwaba/contracts';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestClient } from '../../test/helpers.ts';
import { registerAccessControl } from './access.ts';

let t: TestApp;
const clients = new Map<string, TestClient>();
beforeAll(async () => {
  t = await createTestApp();
  clients.set('owner', await t.owner());
  for (const role of ROLES.slice(1)) clients.set(role, await t.member(role));
});
afterAll(() => t.close());

/** Routes that change only the caller's own account, which every signed-in role may do. */
const SELF_SERVICE = new Set([
  'POST /api/v1/orgs',
  'POST /api/v1/me/org',
  'POST /api/v1/me/password',
  'DELETE /api/v1/me/sessions/:id',
  // Your own notifications.
  'POST /api/v1/notifications/:id/read',
  'POST /api/v1/notifications/read-all',
  'POST /api/v1/notifications/test',
  // Your own read mark in a conversation (only agents and above also send WhatsApp a read receipt).
  'POST /api/v1/conversations/:id/read',
]);

/** POSTs that only compute an answer (a body too rich for a query string) and change nothing. */
const READ_ONLY_POSTS = new Set([
  'POST /api/v1/templates/:id/render',
  // Checks a graph (the draft, or one sent) and answers its problems: changes nothing.
  'POST /api/v1/automation/flows/:id/validate',
  // Which step of the automation chain would handle a message, and why: nothing is sent or changed.
  'POST /api/v1/automation/test',
]);

const fill = (url: string) => url.replace(/:[A-Za-z]+/g, () => randomUUID());
const snapshot = async () => {
  const owner = clients.get('owner')!;
  return [
    (await owner.get('/api/v1/org')).json(),
    (await owner.get('/api/v1/members')).json(),
    (await owner.get('/api/v1/invitations')).json(),
  ];
};

describe('permissions on every route', () => {
  it('every API route declares its access', () => {
    expect(t.app.accessTable.length).toBeGreaterThan(10);
    for (const r of t.app.accessTable) expect(r.access, `${r.method} ${r.url}`).toBeTruthy();
  });

  it('a route without a declared access fails the boot', async () => {
    const app = Fastify();
    registerAccessControl(app, {} as never);
    expect(() => app.get('/api/v1/forgot', async () => 'x')).toThrow(/must declare config.access/);
    await app.close();
  });

  it('every mutating route is either self-service or needs a permission a viewer lacks', () => {
    for (const r of t.app.accessTable) {
      if (r.method === 'GET' || r.access === 'public') continue;
      const key = `${r.method} ${r.url}`;
      if (SELF_SERVICE.has(key) || READ_ONLY_POSTS.has(key)) continue;
      expect(r.access, key).not.toBe('authenticated');
      expect(can('viewer', r.access as Permission), `${key} must not be allowed to viewers`).toBe(false);
    }
  });

  it('anonymous callers get 401 and roles without the permission get 403, with nothing changed', async () => {
    const before = await snapshot();
    let checked = 0;
    for (const r of t.app.accessTable) {
      if (r.access === 'public') continue;
      const url = fill(r.url);
      const anon = await t.client().request(r.method as 'GET', url, r.method === 'GET' ? undefined : {});
      expect(anon.statusCode, `anonymous ${r.method} ${r.url}`).toBe(401);
      if (r.access === 'authenticated') continue;
      for (const role of ROLES) {
        if (can(role, r.access as Permission)) continue;
        const res = await clients
          .get(role)!
          .request(r.method as 'GET', url, r.method === 'GET' ? undefined : {});
        expect(res.statusCode, `${role} ${r.method} ${r.url}`).toBe(403);
        expect(res.json().error.code).toBe('FORBIDDEN');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(await snapshot()).toEqual(before);
  });

  it('roles with the permission get past the check (not 401/403)', async () => {
    const viewer = clients.get('viewer')!;
    for (const url of ['/api/v1/org', '/api/v1/members'])
      expect((await viewer.get(url)).statusCode).toBe(200);
    const admin = clients.get('admin')!;
    expect((await admin.get('/api/v1/invitations')).statusCode).toBe(200);
    expect((await clients.get('manager')!.get('/api/v1/invitations')).statusCode).toBe(403);
  });
});
