import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testConfig } from '../../test/helpers.ts';
import { buildApp } from '../app.ts';
import { runMigrations } from '../db/migrate.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('health', () => {
  it('/healthz is up; /readyz is 503 until migrated, then 200; 503 when the database is gone', async () => {
    const t = await createTestDatabase({ migrate: false });
    const config = testConfig();
    const app = await buildApp({
      config,
      database: t.database,
      appSecret: config.APP_SECRET!,
      logger: false,
    });
    cleanups.push(async () => {
      await app.close();
    });
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const before = await app.inject('/readyz');
    expect(before.statusCode).toBe(503);
    expect(before.json()).toMatchObject({ status: 'not_ready', database: 'up', migrations: { applied: 0 } });
    await runMigrations(t.database);
    const after = await app.inject('/readyz');
    expect(after.statusCode).toBe(200);
    expect(after.json().status).toBe('ready');
    await t.drop();
    const down = await app.inject('/readyz');
    expect(down.statusCode).toBe(503);
    expect(down.json().database).toBe('down');
  });

  it('serves the OpenAPI description generated from the schemas', async () => {
    const t = await createTestDatabase();
    cleanups.push(t.drop);
    const config = testConfig();
    const app = await buildApp({
      config,
      database: t.database,
      appSecret: config.APP_SECRET!,
      logger: false,
    });
    cleanups.push(async () => {
      await app.close();
    });
    const spec = (await app.inject('/api/v1/openapi.json')).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/api/v1/auth/login', '/api/v1/org', '/api/v1/members/{userId}']),
    );
    const login = spec.paths['/api/v1/auth/login'].post;
    expect(login.requestBody.content['application/json'].schema.required).toEqual(['email', 'password']);
    expect((await app.inject('/docs/')).statusCode).toBe(200);
  });
});
