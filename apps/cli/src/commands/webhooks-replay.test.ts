import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, runMigrations } from '@openwaba/server';
import { afterAll, describe, expect, it } from 'vitest';
import { settings } from '../../../server/test/helpers.ts';
import type { Io } from '../output.ts';
import { runCli } from '../program.ts';

const dir = mkdtempSync(join(tmpdir(), 'openwaba-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await runCli(args, io, { DATA_DIR: dir, LOG_LEVEL: 'silent' });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe.runIf(settings.backend === 'pglite')('openwaba webhooks replay', () => {
  it('replays stored events by id, range or state, and explains bad flags', async () => {
    const database = await openDatabase({ dataDir: dir });
    await runMigrations(database);
    await database.query(
      `insert into webhook_events (raw) values ('{"object":"whatsapp_business_account","entry":[]}'), ('not json')`,
    );
    await database.close();
    const one = await cli(['webhooks', 'replay', '--id', '1', '--json']);
    expect(one.code, one.err).toBe(0);
    expect(JSON.parse(one.out)).toMatchObject({ events: 1, messages: 0, failed: 0 });
    const all = await cli(['webhooks', 'replay', '--from', '1', '--to', '2']);
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/Replayed 2 event\(s\)/);
    const unparseable = await cli(['webhooks', 'replay', '--state', 'unparseable', '--json']);
    expect(JSON.parse(unparseable.out).events).toBe(1);
    const bad = async (args: string[], message: string) => {
      const r = await cli(['webhooks', 'replay', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toBe(`error: ${message}`);
    };
    await bad(
      [],
      'Say which events: --id N, --from N [--to M], and/or --state failed|pending|unparseable|processed',
    );
    await bad(['--state', 'odd'], '--state: must be pending, processed, failed or unparseable');
    await bad(['--id', 'x'], '--id: must be a whole number');
    await bad(['--id', '0'], '--id: must be 1 or more');
    await bad(['--from', '5', '--to', '2'], '--to: must not be before --from');
    await bad(
      ['--id', '1', '--state', 'failed'],
      '--id: replays one event: leave out --from, --to and --state',
    );
  });
});
