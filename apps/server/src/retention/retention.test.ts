import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import { createSeeder } from '../../test/seed.ts';
import { jobList } from '../job-list.ts';
import { silentLog } from '../lib/log.ts';
import { createRetentionService, nextRunAfter } from './service.ts';

let t: TestApp;
let owner: TestClient;
let seed: ReturnType<typeof createSeeder>;
/** A keeps 30 days (the caller's), B keeps everything, C keeps 60 days. */
let A: string;
let B: string;
let C: string;

const count = async (text: string, params: unknown[] = []) =>
  Number((await t.database.query<{ n: number }>(text, params))[0]?.n);
const exists = async (table: string, id: string | number) =>
  (await count(`select count(*)::int as n from ${table} where id = $1`, [id])) === 1;
const statusesOf = (wamid: string) =>
  count('select count(*)::int as n from message_status_events where wamid = $1', [wamid]);

/** A flow run of the organisation started and (unless `status` is waiting) ended `days` ago, with one step. */
async function flowRun(orgId: string, days: number, status: 'completed' | 'failed' | 'waiting') {
  const [f] = await t.database.query<{ id: string }>(
    `insert into flows (org_id, name, draft) values ($1, 'Flow ' || gen_random_uuid(), '{}') returning id`,
    [orgId],
  );
  const [r] = await t.database.query<{ id: string }>(
    `insert into flow_runs (org_id, flow_id, version, status, started_at, ended_at)
     values ($1, $2, 1, $3, now() - make_interval(days => $4::int) - interval '1 hour',
             case when $3 = 'waiting' then null else now() - make_interval(days => $4::int) end) returning id`,
    [orgId, f!.id, status, days],
  );
  await t.database.query(
    `insert into flow_run_steps (run_id, org_id, flow_id, version, node_id, node_type, outcome, input)
     values ($1, $2, $3, 1, 'ask', 'ask', 'completed', '{"text":"my address is …"}')`,
    [r!.id, orgId, f!.id],
  );
  return r!.id;
}

async function newOrg(name: string, retentionDays: number | null) {
  const res = await owner.post('/api/v1/orgs', { name });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  await t.database.query('update org_settings set retention_days = $2 where org_id = $1', [
    id,
    retentionDays,
  ]);
  return id;
}

beforeAll(async () => {
  t = await createTestApp();
  owner = await t.owner();
  seed = createSeeder(t.database, t.config);
  A = t.orgId;
  const res = await owner.patch('/api/v1/org', { settings: { retention_days: 30 } });
  expect(res.statusCode, res.body).toBe(200);
  B = await newOrg('Keeps everything', null);
  C = await newOrg('Keeps sixty days', 60);
});
afterAll(async () => {
  await t.close();
});

describe(`retention on ${settings.backend}`, () => {
  // What the organisations hold (days old), built once; the tests below run in order against it.
  const a = {} as Record<string, { id: string; wamid: string; at: string }>;
  const keys = {} as Record<string, string>;
  const bodies = {} as Record<string, number>;
  let conv = { x: '', y: '', b: '' };
  let queued = '';
  const runs = {} as Record<string, string>;

  beforeAll(async () => {
    const na = await seed.number(A);
    const x = await seed.conversation(A, na, '447700900001', 'Xena');
    const y = await seed.conversation(A, na, '447700900002', 'Yuri');
    conv = { ...conv, x: x.conversationId, y: y.conversationId };
    a.m1 = await seed.message(A, na, x.conversationId, { days: 40, text: 'old in' });
    a.m2 = await seed.message(A, na, x.conversationId, { days: 35, direction: 'out', text: 'old out' });
    a.m3 = await seed.message(A, na, x.conversationId, { days: 10, text: 'recent in' });
    a.m4 = await seed.message(A, na, x.conversationId, { days: 1, direction: 'out', text: 'recent out' });
    a.m5 = await seed.message(A, na, y.conversationId, { days: 50, text: 'only old' });
    // An old message still waiting to be sent stays until its outcome is known.
    a.m6 = await seed.message(A, na, x.conversationId, { days: 40, direction: 'out', text: 'queued' });
    queued = a.m6.id;
    await t.database.query(
      `insert into send_queue (org_id, number_id, message_id, to_wa_id, content) values ($1, $2, $3, '447700900001', '{}')`,
      [A, na, queued],
    );
    await seed.status(na, a.m1.wamid, 40);
    await seed.status(na, a.m2.wamid, 35);
    await seed.status(na, a.m3.wamid, 10);
    await seed.status(na, 'wamid.never-ours-old', 45);
    await seed.status(na, 'wamid.never-ours-new', 2);
    keys.m1 = await seed.mediaFile(A, na, a.m1.id, 40);
    keys.m3 = await seed.mediaFile(A, na, a.m3.id, 10);
    keys.uploadOld = await seed.upload(A, na, 40, [a.m2.id]);
    keys.uploadShownRecently = await seed.upload(A, na, 40, [a.m4.id]);
    keys.uploadNew = await seed.upload(A, na, 5);

    bodies.aOld = await seed.webhookBody([A], 40);
    bodies.aNew = await seed.webhookBody([A], 10);
    bodies.abOld = await seed.webhookBody([A, B], 400);
    bodies.ac45 = await seed.webhookBody([A, C], 45);
    bodies.ac70 = await seed.webhookBody([A, C], 70);
    bodies.aPending = await seed.webhookBody([A], 40, { state: 'pending' });
    bodies.nobody = await seed.webhookBody([], 400, { state: 'unparseable' });

    // Flow runs: ended 40 days ago (goes, with its steps), still waiting since 40 days ago, ended 5 days ago.
    runs.oldDone = await flowRun(A, 40, 'completed');
    runs.oldWaiting = await flowRun(A, 40, 'waiting');
    runs.recentFailed = await flowRun(A, 5, 'failed');
    runs.bOld = await flowRun(B, 400, 'completed');

    const nb = await seed.number(B);
    const b = await seed.conversation(B, nb, '447700900001', 'Xena at B');
    conv.b = b.conversationId;
    a.b1 = await seed.message(B, nb, b.conversationId, { days: 400 });
    await seed.status(nb, a.b1.wamid, 400);
    keys.b1 = await seed.mediaFile(B, nb, a.b1.id, 400);
    bodies.bOld = await seed.webhookBody([B], 400);

    const nc = await seed.number(C);
    const c = await seed.conversation(C, nc, '447700900003');
    a.c45 = await seed.message(C, nc, c.conversationId, { days: 45 });
    a.c70 = await seed.message(C, nc, c.conversationId, { days: 70 });
  });

  it('the dry run counts what the next run would delete, and deletes nothing', async () => {
    const res = await owner.get('/api/v1/retention/preview');
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json();
    expect(p).toMatchObject({
      retention_days: 30,
      counts: { messages: 3, media_files: 4, status_events: 3, webhook_events: 2, flow_runs: 1 },
      last_run: null,
    });
    expect(Date.parse(p.cutoff)).toBeCloseTo(Date.now() - 30 * 86_400_000, -5);
    expect(Date.parse(p.next_run_at)).toBeGreaterThan(Date.now());
    // Another number of days, before saving it: older data only.
    const longer = (await owner.get('/api/v1/retention/preview?days=48')).json();
    expect(longer).toMatchObject({ retention_days: 48, counts: { messages: 1, status_events: 0 } });
    expect(await exists('messages', a.m1!.id)).toBe(true);
    expect(await seed.stored(keys.m1!)).toBe(true);
  });

  it('deletes messages, status events, raw webhook bodies and media files older than the setting, and nothing younger', async () => {
    const result = await t.app.services.retention.runAll();
    expect(result[A]).toEqual({
      messages: 3,
      media_files: 4,
      status_events: 3,
      webhook_events: 2,
      flow_runs: 1,
    });
    // The run that ended before the cutoff went with its steps; the waiting one, the recent one and B's stay.
    expect(await exists('flow_runs', runs.oldDone!)).toBe(false);
    expect(
      await count('select count(*)::int as n from flow_run_steps where run_id = $1', [runs.oldDone]),
    ).toBe(0);
    for (const k of ['oldWaiting', 'recentFailed', 'bOld'])
      expect(await exists('flow_runs', runs[k]!), k).toBe(true);
    expect(result[C]).toEqual({
      messages: 1,
      media_files: 0,
      status_events: 0,
      webhook_events: 1,
      flow_runs: 0,
    });
    expect(result[B]).toBeUndefined();

    for (const m of ['m1', 'm2', 'm5']) expect(await exists('messages', a[m]!.id), m).toBe(false);
    for (const m of ['m3', 'm4']) expect(await exists('messages', a[m]!.id), m).toBe(true);
    expect(await exists('messages', queued)).toBe(true);

    expect(await statusesOf(a.m1!.wamid)).toBe(0);
    expect(await statusesOf(a.m2!.wamid)).toBe(0);
    expect(await statusesOf('wamid.never-ours-old')).toBe(0);
    expect(await statusesOf(a.m3!.wamid)).toBe(1);
    expect(await statusesOf('wamid.never-ours-new')).toBe(1);

    expect(await seed.stored(keys.m1!)).toBe(false);
    expect(await seed.stored(keys.m3!)).toBe(true);
    expect(await seed.stored(keys.uploadOld!)).toBe(false);
    // Its upload row is old, but a recent message still shows the file.
    expect(await seed.stored(keys.uploadShownRecently!)).toBe(true);
    expect(await seed.stored(keys.uploadNew!)).toBe(true);
    expect(await count('select count(*)::int as n from outbound_media where org_id = $1', [A])).toBe(1);
    expect(await count('select count(*)::int as n from media_files where org_id = $1', [A])).toBe(2);

    const kept = ['aNew', 'abOld', 'ac45', 'aPending', 'nobody', 'bOld'];
    for (const k of kept) expect(await exists('webhook_events', bodies[k]!), k).toBe(true);
    for (const k of ['aOld', 'ac70']) expect(await exists('webhook_events', bodies[k]!), k).toBe(false);

    expect(await exists('messages', a.c45!.id)).toBe(true);
    expect(await exists('messages', a.c70!.id)).toBe(false);
  });

  it('leaves another organisation’s data untouched', async () => {
    expect(await exists('messages', a.b1!.id)).toBe(true);
    expect(await statusesOf(a.b1!.wamid)).toBe(1);
    expect(await seed.stored(keys.b1!)).toBe(true);
    expect(await count('select count(*)::int as n from media_files where org_id = $1', [B])).toBe(1);
    const [b] = await t.database.query<{ last_message_at: Date | null; unread_count: number }>(
      'select last_message_at, unread_count from conversations where id = $1',
      [conv.b],
    );
    expect(b).toMatchObject({ unread_count: 1 });
    expect(b!.last_message_at).not.toBeNull();
  });

  it('keeps conversations consistent with what remains', async () => {
    const rows = await t.database.query<{
      id: string;
      last_message_at: Date | null;
      last_inbound_at: Date | null;
      window_expires_at: Date | null;
      unread_count: number;
    }>(
      'select id, last_message_at, last_inbound_at, window_expires_at, unread_count from conversations where id = any($1::uuid[])',
      [[conv.x, conv.y]],
    );
    const x = rows.find((r) => r.id === conv.x)!;
    const y = rows.find((r) => r.id === conv.y)!;
    expect(new Date(x.last_message_at!).toISOString()).toBe(a.m4!.at);
    expect(new Date(x.last_inbound_at!).toISOString()).toBe(a.m3!.at);
    // Two unread inbound messages, one of them purged: one left to read.
    expect(x.unread_count).toBe(1);
    expect(y).toMatchObject({
      last_message_at: null,
      last_inbound_at: null,
      window_expires_at: null,
      unread_count: 0,
    });
    // The inbox shows both, the emptied one without a last message.
    const list = (await owner.get('/api/v1/conversations')).json().data as {
      id: string;
      last_message: unknown;
    }[];
    expect(list.find((c) => c.id === conv.y)?.last_message).toBeNull();
    const thread = (await owner.get(`/api/v1/conversations/${conv.x}/messages`)).json().data as {
      id: string;
    }[];
    expect(thread.map((m) => m.id).sort()).toEqual([a.m3!.id, a.m4!.id, queued].sort());
  });

  it('audits each run per organisation with its counts; the preview shows the last run', async () => {
    const audit = (await owner.get('/api/v1/audit?action=retention.purge')).json().data;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor_type: 'system',
      entity_type: 'org',
      entity_id: A,
      after: {
        retention_days: 30,
        deleted: { messages: 3, media_files: 4, status_events: 3, webhook_events: 2, flow_runs: 1 },
      },
    });
    expect(
      await count(
        `select count(*)::int as n from audit_log where action = 'retention.purge' and org_id = $1`,
        [C],
      ),
    ).toBe(1);
    expect(
      await count(
        `select count(*)::int as n from audit_log where action = 'retention.purge' and org_id = $1`,
        [B],
      ),
    ).toBe(0);
    const p = (await owner.get('/api/v1/retention/preview')).json();
    expect(p.counts).toEqual({
      messages: 0,
      media_files: 0,
      status_events: 0,
      webhook_events: 0,
      flow_runs: 0,
    });
    expect(p.last_run.deleted).toEqual({
      messages: 3,
      media_files: 4,
      status_events: 3,
      webhook_events: 2,
      flow_runs: 1,
    });
    // A second run finds nothing more, and says so.
    expect((await t.app.services.retention.runAll())[A]).toEqual(p.counts);
  });

  it('goes through a backlog in small batches', async () => {
    const D = await newOrg('Backlog', 7);
    const nd = await seed.number(D);
    const expected = { messages: 0, status_events: 0, webhook_events: 0, media_files: 0, flow_runs: 0 };
    // Five ended runs, more than a batch of two; a recent one stays.
    for (let i = 0; i < 5; i++) await flowRun(D, 9, i % 2 ? 'failed' : 'completed');
    expected.flow_runs = 5;
    await flowRun(D, 1, 'completed');
    for (let i = 0; i < 4; i++) {
      const { conversationId } = await seed.conversation(D, nd, `4477009001${10 + i}`);
      for (let j = 0; j < 3; j++) {
        const m = await seed.message(D, nd, conversationId, { days: 8 + j });
        await seed.status(nd, m.wamid, 8 + j);
        await seed.webhookBody([D], 8 + j);
        if (j === 0) await seed.mediaFile(D, nd, m.id, 8);
        expected.messages++;
        expected.status_events++;
        expected.webhook_events++;
      }
      expected.media_files++;
      await seed.message(D, nd, conversationId, { days: 1 });
    }
    const small = createRetentionService({
      db: t.database.db,
      media: t.app.services.media,
      log: silentLog,
      limits: { batchSize: 2, scanWindow: 3 },
    });
    expect((await small.preview({ orgId: D })).counts).toEqual(expected);
    expect((await small.runAll())[D]).toEqual(expected);
    expect(await count('select count(*)::int as n from messages where org_id = $1', [D])).toBe(4);
    expect((await small.preview({ orgId: D })).counts).toEqual({
      messages: 0,
      status_events: 0,
      webhook_events: 0,
      media_files: 0,
      flow_runs: 0,
    });
    expect(await count('select count(*)::int as n from flow_runs where org_id = $1', [D])).toBe(1);
  });

  it('admins preview; agents and viewers cannot; days out of range is a 400', async () => {
    const admin = await t.member('admin');
    expect((await admin.get('/api/v1/retention/preview')).statusCode).toBe(200);
    for (const role of ['manager', 'agent', 'viewer']) {
      const c = await t.member(role);
      expect((await c.get('/api/v1/retention/preview')).statusCode, role).toBe(403);
    }
    for (const q of ['days=0', 'days=36501', 'days=ten', 'day=3']) {
      expect((await owner.get(`/api/v1/retention/preview?${q}`)).statusCode, q).toBe(400);
    }
    expect((await t.client().get('/api/v1/retention/preview')).statusCode).toBe(401);
  });

  it('an organisation that keeps everything is told nothing will be deleted', async () => {
    const keeper = await t.owner();
    expect((await keeper.post('/api/v1/me/org', { org_id: B })).statusCode).toBe(200);
    const p = (await keeper.get('/api/v1/retention/preview')).json();
    expect(p).toMatchObject({
      retention_days: null,
      cutoff: null,
      counts: { messages: 0, status_events: 0, webhook_events: 0, media_files: 0 },
    });
  });

  it('runs every night as a job', () => {
    const job = jobList(t.app.services).find((j) => j.def.id === 'retention.purge');
    expect(job?.def.cron).toBe('23 2 * * *');
    expect(nextRunAfter(new Date('2026-03-01T01:00:00Z')).toISOString()).toBe('2026-03-01T02:23:00.000Z');
    expect(nextRunAfter(new Date('2026-03-01T02:23:00Z')).toISOString()).toBe('2026-03-02T02:23:00.000Z');
  });
});
