import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settings } from '../../test/helpers.ts';
import { loadConfig } from '../config.ts';
import { startServer } from '../main.ts';

async function start(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'openwaba-sandbox-'));
  const lines: string[] = [];
  const running = await startServer(
    loadConfig(
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dir,
        JOB_POLL_SECONDS: '0.5',
        ...env,
      },
      {},
    ),
    (l) => lines.push(l),
  );
  return {
    running,
    output: lines.join('\n'),
    async stop() {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.runIf(settings.backend === 'pglite')('the sandbox of a fresh install', () => {
  it('runs a sandbox number on the built-in simulator, and simulated customers’ messages arrive', async () => {
    const s = await start({ SANDBOX_MESSAGE_EVERY_SECONDS: '0' });
    try {
      expect(s.output).toMatch(/Sandbox: +number \+1 555 000 0001 on the built-in WhatsApp simulator/);
      const db = s.running.database;
      const deadline = Date.now() + 20_000;
      for (;;) {
        const [row] = await db.query<{ n: string }>(
          `select count(*) as n from messages where direction = 'in'`,
        );
        if (Number(row!.n) >= 2) break;
        if (Date.now() > deadline) throw new Error('no simulated message arrived');
        await new Promise((r) => setTimeout(r, 200));
      }
      const [num] = await db.query<{ is_sandbox: boolean; verified_name: string; status: string }>(
        'select * from numbers',
      );
      expect(num).toMatchObject({ is_sandbox: true, verified_name: 'openwaba Sandbox', status: 'active' });
      const convs = await db.query('select * from conversations');
      expect(convs.length).toBe(2);
      const [ev] = await db.query<{ state: string }>('select state from webhook_events order by id limit 1');
      expect(ev!.state).toBe('processed');
    } finally {
      await s.stop();
    }
  }, 60_000);

  it('stays off with SANDBOX=off', async () => {
    const s = await start({ SANDBOX: 'off' });
    try {
      expect(s.output).not.toMatch(/Sandbox:/);
      expect(await s.running.database.query('select * from numbers')).toEqual([]);
    } finally {
      await s.stop();
    }
  }, 60_000);
});
