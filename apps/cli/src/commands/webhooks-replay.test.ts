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
    expect((await cli(['webhooks', 'replay'])).err).toMatch(/Say which events/);
    expect((await cli(['webhooks', 'replay', '--state', 'odd'])).err).toMatch(/--state must be/);
    expect((await cli(['webhooks', 'replay', '--id', 'x'])).err).toMatch(/whole number/);
  });
});
