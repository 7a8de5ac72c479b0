import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testConfig } from '../../test/helpers.ts';
import { buildApp } from '../app.ts';
import { GRAPH_VERSIONS, graphVersionWarning } from './graph-versions.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('Graph API versions', () => {
  const on = (day: string) => new Date(`${day}T12:00:00Z`);

  it("knows Meta's end dates (v20 ended 2026-09, v21 ends 2027-01, v22 2027-05)", () => {
    expect(GRAPH_VERSIONS['v20.0']!.expires).toBe('2026-09-24');
    expect(GRAPH_VERSIONS['v21.0']!.expires).toBe('2027-01-21');
    expect(GRAPH_VERSIONS['v22.0']!.expires).toBe('2027-05-20');
    expect(GRAPH_VERSIONS['v25.0']).toBeDefined();
  });

  it('warns within 90 days of the end, after it, and for a version it does not know', () => {
    expect(graphVersionWarning('v25.0', on('2026-12-05'))).toBeNull();
    expect(graphVersionWarning('v23.0', on('2026-12-05'))).toBeNull();
    expect(graphVersionWarning('v23.0', on('2027-07-15'))).toMatch(
      /v23\.0 ends on 2027-10-08 \(in 85 days\)/,
    );
    expect(graphVersionWarning('v21.0', on('2026-12-05'))).toMatch(/ends on 2027-01-21 \(in 47 days\)/);
    expect(graphVersionWarning('v20.0', on('2026-12-05'))).toMatch(/ended on 2026-09-24/);
    expect(graphVersionWarning('v99.0', on('2026-12-05'))).toMatch(/not a version this openwaba knows/);
    // A version whose end is not announced yet.
    expect(graphVersionWarning('v26.0', on('2026-12-05'))).toBeNull();
  });

  it('defaults to v25.0; /healthz shows the warning of a version near its end or unknown', async () => {
    expect(testConfig().META_GRAPH_VERSION).toBe('v25.0');
    const t = await createTestDatabase();
    cleanups.push(t.drop);
    const health = async (version: string) => {
      const config = testConfig({ META_GRAPH_VERSION: version });
      const app = await buildApp({
        config,
        database: t.database,
        appSecret: config.APP_SECRET!,
        logger: false,
      });
      cleanups.push(() => app.close());
      const res = await app.inject('/healthz');
      expect(res.statusCode).toBe(200);
      return res.json();
    };
    expect(await health('v25.0')).toEqual({ status: 'ok' });
    expect((await health('v20.0')).warnings).toEqual([expect.stringMatching(/v20\.0 ended on 2026-09-24/)]);
    expect((await health('v98.0')).warnings).toEqual([expect.stringMatching(/v98\.0 is not a version/)]);
  });
});
