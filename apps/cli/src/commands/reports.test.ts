import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, settings } from '../../../server/test/helpers.ts';
import type { Io } from '../output.ts';
import { runCli } from '../program.ts';

let env: Record<string, string>;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const common = { LOG_LEVEL: 'silent', APP_SECRET: 'reports-cli-test-secret-0123456789abcdef' };
  if (settings.backend === 'pg') {
    const db = await createTestDatabase({ migrate: false });
    await db.database.close().catch(() => {});
    env = { ...common, DATABASE_URL: db.url! };
    cleanup = db.drop;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'openwaba-reports-'));
    env = { ...common, DATA_DIR: dir };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
});
afterAll(() => cleanup());

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await runCli(args, io, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('openwaba reports rebuild', () => {
  it('recomputes the rollups on the install’s database', async () => {
    const r = await cli(['reports', 'rebuild', '--from', '2026-01-01']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /Reports rebuilt from 2026-01-01: 0 messages and 0 agents’ replies, notes and resolutions recounted/,
    );
    const j = await cli(['reports', 'rebuild', '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out)).toMatchObject({ facts: 0 });
  });

  it('names a bad flag', async () => {
    const r = await cli(['reports', 'rebuild', '--from', '01/02/2026', '--org', 'acme']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--from: must be a day/);
    expect(r.err).toMatch(/--org: must be an organisation id/);
  });
});
