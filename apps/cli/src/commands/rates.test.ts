import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settings } from '../../../server/test/helpers.ts';
import { type CliServer, startCliServer } from '../../test/cli-server.ts';

let server: CliServer;
let dir: string;

beforeAll(async () => {
  server = await startCliServer();
  dir = await mkdtemp(join(tmpdir(), 'ow-rates-'));
});
afterAll(async () => {
  await server?.close();
});

describe(`openwaba rates against a running server on ${settings.backend}`, () => {
  it('imports a good file and shows the card; a bad file names each line and imports nothing', async () => {
    const { cli } = server;
    const good = join(dir, 'good.csv');
    await writeFile(
      good,
      [
        '# source: https://example.test/rates',
        'effective_from,market,category,rate,currency',
        '2026-10-01,US,marketing,0.025,USD',
        '2026-10-01,*,marketing,0.06,USD',
      ].join('\n'),
    );
    const ok = await cli(['rates', 'import', good]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toBe('Imported 2 rate(s) for 2 market(s), effective 2026-10-01.');
    const shown = await cli(['rates', 'show', '--json']);
    expect(JSON.parse(shown.out).rates).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ market: 'US', rate: 0.025, source: 'https://example.test/rates' }),
      ]),
    );

    const bad = join(dir, 'bad.csv');
    await writeFile(
      bad,
      [
        'effective_from,market,category,rate,currency',
        '2026-12-01,US,marketing,0.03,USD',
        '2026-12-01,USA,promo,x,USD',
      ].join('\n'),
    );
    const refused = await cli(['rates', 'import', bad]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(`${bad}:3: market: must be a two-letter country code`);
    expect(refused.err).toContain(`${bad}:3: category:`);
    expect(refused.err).toContain(`${bad}:3: rate: must be a number`);
    expect(refused.err).toContain('nothing was imported');
    expect(JSON.parse((await cli(['rates', 'show', '--json'])).out).effective_dates).toEqual(['2026-10-01']);

    const missing = await cli(['rates', 'import', join(dir, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such file');
  });
});
