import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, openConfiguredDatabase } from '@openwaba/server';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, settings } from '../../../server/test/helpers.ts';
import type { Io } from '../output.ts';
import { runCli } from '../program.ts';

let env: Record<string, string>;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'openwaba-cli-contacts-'));
  const base = {
    LOG_LEVEL: 'silent',
    APP_SECRET: 'cli-contacts-test-secret-0123456789abcdef',
    DATA_DIR: dir,
  };
  if (settings.backend === 'pg') {
    const db = await createTestDatabase({ migrate: false });
    await db.database.close().catch(() => {});
    env = { ...base, DATABASE_URL: db.url! };
    cleanup = db.drop;
  } else {
    env = base;
    cleanup = async () => {};
  }
});
afterAll(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await runCli(args, io, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function query<T>(sql: string, params: unknown[] = []) {
  const database = await openConfiguredDatabase(loadConfig(env));
  try {
    return await database.query<T>(sql, params);
  } finally {
    await database.close();
  }
}

// Every run opens the database afresh, as the real CLI does: slow on the embedded one.
describe(`openwaba contacts on ${settings.backend}`, { timeout: 300_000 }, () => {
  it('imports a file with --map and --on-duplicate, writes the rejects next to it, exports', async () => {
    const setup = await cli([
      'setup',
      '--email',
      'owner@example.com',
      '--password',
      'owner password 1',
      '--org',
      'Acme',
    ]);
    expect(setup.code, setup.err).toBe(0);
    const file = join(dir, 'people.csv');
    writeFileSync(
      file,
      'Name,Mobile,Labels\nAda,+44 7400 300001,vip\nBad,12,\nAda again,+447400300001,\nBob,+44 7400 300002,"a;b"\n',
    );

    const bad = await cli(['contacts', 'import', file, '--map', 'mobile=Mobile']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--map');

    const dry = await cli(['contacts', 'import', file, '--map', 'phone=Mobile,name=Name', '--dry-run']);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toContain('nothing was imported');
    expect(dry.out).toContain('4 rows: 2 new, 0 updated, 0 unchanged, 1 invalid, 1 duplicates');

    const res = await cli([
      'contacts',
      'import',
      file,
      '--map',
      'phone=Mobile,name=Name,tags=Labels',
      '--on-duplicate',
      'skip',
      '--json',
    ]);
    expect(res.code, res.err).toBe(0);
    const json = JSON.parse(res.out);
    expect(json).toMatchObject({
      state: 'completed',
      counts: { total: 4, new: 2, invalid: 1, duplicates: 1 },
      rejects_file: `${file}.rejects.csv`,
    });
    expect(existsSync(`${file}.rejects.csv`)).toBe(true);
    expect(parse(readFileSync(`${file}.rejects.csv`), { columns: true })).toMatchObject([
      { row_number: '3', value: '12' },
      { row_number: '4', value: '+447400300001' },
    ]);
    const rows = await query<{ name: string; n: number }>(
      `select c.name, (select count(*)::int from contact_tags ct where ct.contact_id = c.id) as n
         from contacts c order by c.name`,
    );
    expect(rows).toEqual([
      { name: 'Ada', n: 1 },
      { name: 'Bob', n: 2 },
    ]);

    // Plain output; skip keeps Ada's name, update changes it.
    writeFileSync(file, 'Name,Mobile\nAda Lovelace,+44 7400 300001\n');
    const skip = await cli([
      'contacts',
      'import',
      file,
      '--map',
      'phone=Mobile,name=Name',
      '--on-duplicate',
      'skip',
    ]);
    expect(skip.code, skip.err).toBe(0);
    expect(skip.out).toContain('0 new, 0 updated, 1 unchanged');
    const upd = await cli([
      'contacts',
      'import',
      file,
      '--map',
      'phone=Mobile,name=Name',
      '--on-duplicate',
      'update',
    ]);
    expect(upd.out).toContain('0 new, 1 updated, 0 unchanged');
    expect(upd.err).toContain('1/1 rows');

    const out = join(dir, 'export.csv');
    const exp = await cli(['contacts', 'export', '--out', out]);
    expect(exp.code, exp.err).toBe(0);
    const exported = parse(readFileSync(out), { columns: true }) as Record<string, string>[];
    expect(exported.map((r) => [r.phone, r.name]).sort()).toEqual([
      ['+447400300001', 'Ada Lovelace'],
      ['+447400300002', 'Bob'],
    ]);
  });
});
