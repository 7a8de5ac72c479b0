import type { AuditEntry } from '@openwaba/contracts';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';
import { redact } from './service.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe(`audit log on ${settings.backend}`, () => {
  it('records create, update and delete with who, before/after and the request id', async () => {
    const owner = await t.owner();
    const upd = await owner.request(
      'PATCH',
      '/api/v1/org',
      { name: 'Acme Audited', settings: { timezone: 'Asia/Kolkata' } },
      { 'x-request-id': 'req-audit-1' },
    );
    expect(upd.statusCode).toBe(200);
    const inv = await owner.post('/api/v1/invitations', { email: 'audited@example.com', role: 'agent' });
    expect(inv.statusCode).toBe(201);
    expect((await owner.delete(`/api/v1/invitations/${inv.json().id}`)).statusCode).toBe(200);
    const agent = await t.member('agent', 'agent-audit@example.com');
    const agentId = (await agent.get('/api/v1/me')).json().user.id;
    expect((await owner.delete(`/api/v1/members/${agentId}`)).statusCode).toBe(200);

    const log = (await owner.get('/api/v1/audit')).json().data as AuditEntry[];
    const byAction = (a: string) =>
      log.find((e) => e.action === a) as AuditEntry & {
        before: Record<string, unknown>;
        after: Record<string, unknown>;
      };
    expect(byAction('org.update')).toMatchObject({
      actor_type: 'user',
      actor_id: t.ownerId,
      actor_label: 'owner@example.com',
      entity_type: 'org',
      entity_id: t.orgId,
      request_id: 'req-audit-1',
      before: { name: 'Acme' },
      after: { name: 'Acme Audited', settings: { timezone: 'Asia/Kolkata' } },
    });
    const created = log.find((e) => e.action === 'invitation.create' && e.entity_id === inv.json().id)!;
    expect(created.after).toMatchObject({ email: 'audited@example.com', role: 'agent' });
    expect(JSON.stringify(log)).not.toContain(inv.json().token);
    expect(byAction('invitation.revoke').entity_id).toBe(inv.json().id);
    expect(byAction('member.join')).toMatchObject({ actor_id: agentId, entity_id: agentId });
    expect(byAction('member.remove').before).toMatchObject({
      email: 'agent-audit@example.com',
      role: 'agent',
    });
  });

  it('a failed change leaves no audit row (same transaction)', async () => {
    const owner = await t.owner();
    const before = (await owner.get('/api/v1/audit')).json().data.length;
    const res = await owner.patch(`/api/v1/members/${t.ownerId}`, { role: 'viewer' });
    expect(res.statusCode).toBe(409);
    expect((await owner.get('/api/v1/audit')).json().data.length).toBe(before);
  });

  it('redacts secrets at any depth', () => {
    expect(
      redact({
        name: 'x',
        password: 'p',
        nested: { access_token: 't', apiKey: 'k', list: [{ app_secret: 's' }] },
        token: null,
      }),
    ).toEqual({
      name: 'x',
      password: '[redacted]',
      nested: { access_token: '[redacted]', apiKey: '[redacted]', list: [{ app_secret: '[redacted]' }] },
      token: null,
    });
    expect(redact({ when: new Date('2026-01-01T00:00:00Z') })).toEqual({ when: '2026-01-01T00:00:00.000Z' });
  });

  it('filters, pages with a cursor, and exports CSV with formulas defused', async () => {
    const owner = await t.owner();
    for (let i = 0; i < 3; i++) await owner.patch('/api/v1/org', { name: `=HYPERLINK("x") ${i}` });
    const first = (await owner.get('/api/v1/audit?action=org.update&limit=2')).json();
    expect(first.data).toHaveLength(2);
    expect(first.data.every((e: { action: string }) => e.action === 'org.update')).toBe(true);
    const next = (
      await owner.get(`/api/v1/audit?action=org.update&limit=2&before=${first.next_cursor}`)
    ).json();
    expect(Number(next.data[0].id)).toBeLessThan(Number(first.data[1].id));
    expect(
      (await owner.get('/api/v1/audit?entity_type=member'))
        .json()
        .data.every((e: { entity_type: string }) => e.entity_type === 'member'),
    ).toBe(true);
    expect((await owner.get('/api/v1/audit?before=abc')).statusCode).toBe(400);
    expect((await owner.get('/api/v1/audit?from=yesterday')).statusCode).toBe(400);

    const csv = await owner.get('/api/v1/audit.csv?action=org.update');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="audit-log-/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'id,created_at,actor_type,actor,action,entity_type,entity_id,request_id,ip,before,after',
    );
    expect(lines.length).toBeGreaterThanOrEqual(5);
    // Cells are quoted by the one CSV writer (lib/csv-safe.ts, where formula neutralising is tested):
    // the before/after JSON comes back intact.
    expect((await owner.patch('/api/v1/org', { name: 'Quote "this", please' })).statusCode).toBe(200);
    const rows: Record<string, string>[] = parse(
      (await owner.get('/api/v1/audit.csv?action=org.update')).body,
      { columns: true },
    );
    expect(JSON.parse(rows[0]?.after ?? '')).toMatchObject({ name: 'Quote "this", please' });
    await owner.patch('/api/v1/org', { name: 'Acme' });
  });

  it('only admins and owners may read it', async () => {
    const manager = await t.member('manager');
    expect((await manager.get('/api/v1/audit')).statusCode).toBe(403);
    expect((await manager.get('/api/v1/audit.csv')).statusCode).toBe(403);
    const admin = await t.member('admin');
    expect((await admin.get('/api/v1/audit')).statusCode).toBe(200);
  });
});
