import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulator, type Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, settings } from '../../../server/test/helpers.ts';
import type { Io } from '../output.ts';
import { runCli } from '../program.ts';

const NUM = {
  phone_number_id: '1900001',
  waba_id: '2900001',
  display_phone_number: '+1 555 019 0001',
  access_token: 'token-templates-cli',
};

let sim: Simulator;
let env: Record<string, string>;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  sim = await createSimulator({ seed: 19 });
  await sim.listen(0, '127.0.0.1');
  sim.addNumber(NUM);
  sim.addTemplate({
    waba_id: NUM.waba_id,
    name: 'order_update',
    language: 'en_US',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Order {{1}} ships today.' }],
  });
  sim.addTemplate({
    waba_id: NUM.waba_id,
    name: 'login_code',
    language: 'en_US',
    category: 'AUTHENTICATION',
    components: [{ type: 'BODY', text: '{{1}} is your code.' }],
  });
  const base = {
    LOG_LEVEL: 'silent',
    APP_SECRET: 'cli-templates-test-secret-0123456789ab',
    META_GRAPH_URL: sim.url,
  };
  if (settings.backend === 'pg') {
    const db = await createTestDatabase({ migrate: false });
    await db.database.close().catch(() => {});
    env = { ...base, DATABASE_URL: db.url! };
    cleanup = db.drop;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'openwaba-templates-'));
    env = { ...base, DATA_DIR: dir };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
});
afterAll(async () => {
  await cleanup();
  await sim.close();
});

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await runCli(args, io, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe(`openwaba templates on ${settings.backend}`, () => {
  it('syncs from Meta and lists the catalogue; bad flags exit 2 with a clear message', async () => {
    expect(
      (await cli(['setup', '--email', 'ops@example.com', '--password', 'a long password 1', '--org', 'Shop']))
        .code,
    ).toBe(0);
    const add = await cli([
      'numbers',
      'add',
      '--display-name',
      'Main',
      '--phone-number-id',
      NUM.phone_number_id,
      '--waba-id',
      NUM.waba_id,
      '--access-token',
      NUM.access_token,
      '--app-secret',
      'secret-1',
      '--verify-token',
      'verify-1',
    ]);
    expect(add.code, add.err).toBe(0);

    const sync = await cli(['templates', 'sync', '--json']);
    expect(sync.code, sync.err).toBe(0);
    expect(JSON.parse(sync.out)).toMatchObject({ wabas: 1, templates: 2, created: 2, quarantined: 1 });

    const list = await cli(['templates', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/order_update\s+en_US\s+APPROVED\s+UTILITY\s+yes/);
    expect(list.out).toMatch(/login_code .*quarantined: Category AUTHENTICATION is not allowed in campaigns/);

    const usable = JSON.parse((await cli(['templates', 'list', '--usable', '--json'])).out);
    expect(usable.map((t: { name: string }) => t.name)).toEqual(['order_update']);

    const bad = await cli(['templates', 'sync', '--waba', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--waba: must be a WhatsApp Business Account id/);
  });
});
