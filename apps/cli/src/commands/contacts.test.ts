import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settings } from '../../../server/test/helpers.ts';
import { type CliServer, startCliServer } from '../../test/cli-server.ts';

let server: CliServer;

beforeAll(async () => {
  server = await startCliServer();
  // The import job runs on the server, as under `openwaba start`.
  await server.t.app.services.jobs.start({ work: true });
});
afterAll(() => server?.close());

/** The organisation's contacts as the API shows them: name and tag names, by name. */
async function contacts() {
  const { data } = await server.api.contacts.list({ limit: 100 });
  return data
    .map((c) => ({ name: c.name, tags: c.tags.map((t) => t.name).sort() }))
    .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
}

describe(`openwaba contacts against a running server on ${settings.backend}`, { timeout: 300_000 }, () => {
  it('imports a file with --map and --on-duplicate, writes the rejects next to it, exports', async () => {
    const { cli, dir } = server;
    const file = join(dir, 'people.csv');
    writeFileSync(
      file,
      'Name,Mobile,Labels\nAda,+44 7400 300001,vip\nBad,12,\nAda again,+447400300001,\nBob,+44 7400 300002,"a;b"\n',
    );

    const bad = await cli(['contacts', 'import', file, '--map', 'mobile=Mobile']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--map');
    const missing = await cli(['contacts', 'import', join(dir, 'nope.csv'), '--map', 'phone=Mobile']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`Cannot read ${join(dir, 'nope.csv')}`);
    const mode = await cli(['contacts', 'import', file, '--map', 'phone=Mobile', '--on-duplicate', 'merge']);
    expect(mode.code).toBe(2);
    expect(mode.err).toContain('--on-duplicate: must be update or skip');
    // A column the file does not have: the server says so, and nothing is imported.
    const column = await cli(['contacts', 'import', file, '--map', 'phone=Phone']);
    expect(column.code).toBe(2);
    expect(column.err).toMatch(/^error: .*Phone/);

    const dry = await cli(['contacts', 'import', file, '--map', 'phone=Mobile,name=Name', '--dry-run']);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toContain('Dry run of people.csv (csv): nothing was imported.');
    expect(dry.out).toContain('4 rows: 2 new, 0 updated, 0 unchanged, 1 invalid, 1 duplicates');
    expect(dry.out).toMatch(/row 3: 12: /);
    expect(await contacts()).toEqual([]);

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
      filename: 'people.csv',
      counts: { total: 4, new: 2, invalid: 1, duplicates: 1 },
      rejects_file: `${file}.rejects.csv`,
    });
    expect(existsSync(`${file}.rejects.csv`)).toBe(true);
    expect(parse(readFileSync(`${file}.rejects.csv`), { columns: true })).toMatchObject([
      { row_number: '3', value: '12' },
      { row_number: '4', value: '+447400300001' },
    ]);
    expect(await contacts()).toEqual([
      { name: 'Ada', tags: ['vip'] },
      { name: 'Bob', tags: ['a', 'b'] },
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
    expect(skip.out).toBe(
      'Imported people.csv: 0 new, 0 updated, 1 unchanged, 0 invalid, 0 duplicates (1 rows).',
    );
    const upd = await cli([
      'contacts',
      'import',
      file,
      '--map',
      'phone=Mobile,name=Name',
      '--on-duplicate',
      'update',
      '--add-tags',
      'imported, cli',
    ]);
    expect(upd.out).toContain('0 new, 1 updated, 0 unchanged');
    expect(upd.err).toContain('1/1 rows');
    expect(await contacts()).toEqual([
      { name: 'Ada Lovelace', tags: ['cli', 'imported', 'vip'] },
      { name: 'Bob', tags: ['a', 'b'] },
    ]);

    const out = join(dir, 'export.csv');
    const exp = await cli(['contacts', 'export', '--out', out]);
    expect(exp.code, exp.err).toBe(0);
    expect(exp.err).toBe(`Exported 2 contacts to ${out}`);
    const exported = parse(readFileSync(out), { columns: true }) as Record<string, string>[];
    expect(exported.map((r) => [r.phone, r.name]).sort()).toEqual([
      ['+447400300001', 'Ada Lovelace'],
      ['+447400300002', 'Bob'],
    ]);

    // Without --out, the CSV is the output, line by line.
    const stdout = await cli(['contacts', 'export']);
    expect(stdout.code, stdout.err).toBe(0);
    expect(stdout.out).toBe(readFileSync(out, 'utf8').trimEnd().replaceAll('\r\n', '\n'));
  });

  it('a viewer may neither import nor export', async () => {
    await server.t.member('viewer', 'viewer-contacts@example.com');
    const as = {
      OPENWABA_ADMIN_EMAIL: 'viewer-contacts@example.com',
      OPENWABA_ADMIN_PASSWORD: 'member password 1',
    };
    const file = join(server.dir, 'viewer.csv');
    writeFileSync(file, 'Mobile\n+44 7400 300009\n');
    const imported = await server.cli(['contacts', 'import', file, '--map', 'phone=Mobile'], as);
    expect(imported.code).toBe(1);
    expect(imported.err).toMatch(/^error: Your role \(viewer\) cannot do this/);
    const exported = await server.cli(['contacts', 'export'], as);
    expect(exported.code).toBe(1);
    expect(exported.err).toMatch(/^error: Your role \(viewer\) cannot do this/);
    expect(exported.out).toBe('');
  });
});
