import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { until } from '../../test/helpers/until.ts';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';
import { silentLog } from '../lib/log.ts';
import { createMetrics } from '../lib/metrics.ts';
import { bindJob, createJobQueue, defineJob } from './queue.ts';

let t: TestApp;
const attempts = new Map<string, number>();
const cronRuns: number[] = [];

// Test jobs, registered on the app's own queue next to the product's jobs.
const flaky = defineJob({
  id: 'test.flaky',
  payload: z.object({ orgId: z.uuid(), key: z.string(), failTimes: z.number().int() }),
  retry: { limit: 3, delaySeconds: 1, backoff: false },
  async handler(p) {
    const n = (attempts.get(p.key) ?? 0) + 1;
    attempts.set(p.key, n);
    if (n <= p.failTimes) throw new Error(`attempt ${n} failed on purpose`);
    return { attempts: n };
  },
});
const ticking = defineJob({
  id: 'test.tick',
  payload: z.object({}).loose(),
  cron: '* * * * *',
  retry: { limit: 0, delaySeconds: 1, backoff: false },
  async handler() {
    cronRuns.push(Date.now());
  },
});

beforeAll(async () => {
  t = await createTestApp({ JOB_POLL_SECONDS: '0.5' });
  t.app.services.jobs.register([bindJob(flaky, {})]);
  await t.app.services.jobs.start({ work: true });
});
afterAll(() => t.close());

describe(`jobs on ${settings.backend}`, () => {
  it('retries a failing job and completes it', async () => {
    const id = await t.app.services.jobs.enqueue(flaky, { orgId: t.orgId, key: 'a', failTimes: 2 });
    const job = await until('the job completed', async () => {
      const j = await t.app.services.jobs.getJob('test.flaky', id);
      return j?.state === 'completed' && j;
    });
    expect(job.retryCount).toBe(2);
    expect(attempts.get('a')).toBe(3);
  });

  it('a job that uses up its retries is failed, visible to admins, retryable, and its admins are told', async () => {
    // Fails all 4 attempts (1 + 3 retries); the manual retry's 5th attempt succeeds, so the job can
    // never be back in `failed` when the second retry is asked for (that answer must be 409).
    const id = await t.app.services.jobs.enqueue(flaky, { orgId: t.orgId, key: 'b', failTimes: 4 });
    await until(
      'the job failed',
      async () => (await t.app.services.jobs.getJob('test.flaky', id))?.state === 'failed',
    );
    const owner = await t.owner();
    const list = await owner.get('/api/v1/jobs?state=failed');
    expect(list.statusCode).toBe(200);
    const failed = list.json().data.find((j: { id: string }) => j.id === id);
    expect(failed).toMatchObject({ queue: 'test.flaky', state: 'failed', retry_count: 3, retry_limit: 3 });
    expect(JSON.stringify(failed.output)).toMatch(/failed on purpose/);
    const notes = await until('a job.failed notification', async () => {
      const r = (await owner.get('/api/v1/notifications')).json();
      return r.data.some((n: { type: string }) => n.type === 'job.failed') && r;
    });
    expect(notes.data[0]).toMatchObject({ type: 'job.failed', action_url: '/settings/jobs' });

    const viewer = await t.member('viewer');
    expect((await viewer.get('/api/v1/jobs')).statusCode).toBe(403);
    expect((await owner.post(`/api/v1/jobs/test.flaky/${id}/retry`)).statusCode).toBe(200);
    expect((await owner.post(`/api/v1/jobs/test.flaky/${id}/retry`)).statusCode).toBe(409);
    expect(
      (await owner.post('/api/v1/jobs/test.flaky/00000000-0000-4000-8000-000000000000/retry')).statusCode,
    ).toBe(404);
    expect((await owner.post('/api/v1/jobs/Bad Queue/x/retry')).statusCode).toBe(400);
    const audit = (await owner.get('/api/v1/audit?action=job.retry')).json();
    expect(audit.data[0]).toMatchObject({ action: 'job.retry', entity_id: id });
  });

  it('jobs of another organisation are not listed or retryable', async () => {
    const other = await t.app.services.orgs.setupOwner({
      email: 'jobs-other@example.com',
      password: 'other password 12',
      orgName: 'Other',
    });
    const id = await t.app.services.jobs.enqueue(flaky, { orgId: other.orgId, key: 'c', failTimes: 99 });
    await until(
      'the job failed',
      async () => (await t.app.services.jobs.getJob('test.flaky', id))?.state === 'failed',
    );
    const owner = await t.owner();
    expect((await owner.get('/api/v1/jobs')).json().data.some((j: { id: string }) => j.id === id)).toBe(
      false,
    );
    expect((await owner.post(`/api/v1/jobs/test.flaky/${id}/retry`)).statusCode).toBe(404);
  });

  it('refuses a payload that does not match the job’s schema', async () => {
    await expect(
      t.app.services.jobs.enqueue(flaky, { orgId: 'nope', key: 'x', failTimes: 0 }),
    ).rejects.toThrow(/Invalid payload/);
  });

  it('a queued job survives a restart of the job system', async () => {
    const metrics = createMetrics();
    const first = createJobQueue({ database: t.database, log: silentLog, metrics });
    const survivor = defineJob({ ...flaky, id: 'test.survivor' });
    first.register([bindJob(survivor, {})]);
    await first.start({ work: false });
    const id = await first.enqueue(survivor, { orgId: t.orgId, key: 'restart', failTimes: 0 });
    await first.stop();
    expect(attempts.get('restart')).toBeUndefined();
    const second = createJobQueue({
      database: t.database,
      log: silentLog,
      metrics,
      pollSeconds: 0.5,
    });
    second.register([bindJob(survivor, {})]);
    await second.start({ work: true });
    await until(
      'the job completed after the restart',
      async () => (await second.getJob('test.survivor', id))?.state === 'completed',
    );
    expect(attempts.get('restart')).toBe(1);
    await second.stop();
  });

  it('runs cron jobs on their schedule (every minute here: pg-boss fires a schedule due in the last 60 s)', async () => {
    const q = createJobQueue({
      database: t.database,
      log: silentLog,
      metrics: createMetrics(),
      pollSeconds: 0.5,
      cronCheckSeconds: 1,
    });
    q.register([bindJob(ticking, {})]);
    await q.start({ work: true });
    await until('a cron run', async () => cronRuns.length >= 1, 30_000);
    await q.stop();
    expect(cronRuns).toHaveLength(1);
  }, 40_000);

  it('the product’s cron jobs are scheduled', async () => {
    const rows = await t.database.query<{ name: string; cron: string }>(
      'select name, cron from pgboss.schedule order by name',
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        { name: 'events.purge-old', cron: '7 * * * *' },
        { name: 'notifications.purge-old', cron: '17 3 * * *' },
      ]),
    );
  });
});
