import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from '../../test/helpers/until.ts';
import { settings, TestClient } from '../../test/helpers.ts';
import { loadConfig } from '../config.ts';
import { startServer } from '../main.ts';

const OWNER = { email: 'owner@sandbox.example', password: 'sandbox owner password' };
const ANA = '447700900101';
const BEATRIZ = '5511988880103';
const PARCEL_PHOTO = new URL('../../../../packages/simulator/assets/photo-parcel.jpg', import.meta.url);

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
        OPENWABA_ADMIN_EMAIL: OWNER.email,
        OPENWABA_ADMIN_PASSWORD: OWNER.password,
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
    const s = await start({ SANDBOX_PACE: '0' });
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
      const [num] = await db.query<{
        id: string;
        is_sandbox: boolean;
        verified_name: string;
        status: string;
      }>('select * from numbers');
      expect(num).toMatchObject({ is_sandbox: true, verified_name: 'openwaba Sandbox', status: 'active' });
      const convs = await db.query('select * from conversations');
      expect(convs.length).toBe(2);
      const [ev] = await db.query<{ state: string }>('select state from webhook_events order by id limit 1');
      expect(ev!.state).toBe('processed');

      // AI without a key: the fake model answers the simulated customers in auto mode, from the
      // sandbox shop's knowledge (or hands the conversation to people when it does not know).
      const agent = new TestClient(s.running.app);
      await agent.login(OWNER.email, OWNER.password);
      const ai = (await agent.get('/api/v1/ai/settings')).json();
      expect(ai).toMatchObject({
        configured: true,
        provider: 'openai_compatible',
        model: 'sandbox-fake-model',
      });
      expect((await agent.get('/api/v1/ai/numbers')).json().data).toEqual([
        expect.objectContaining({ number_id: num!.id, mode: 'auto' }),
      ]);
      expect((await agent.get('/api/v1/ai/knowledge')).json().data.length).toBe(6);
      const handled = await until('the AI answered or handed over', async () => {
        const rows = await db.query<{ outcome: string }>(
          `select outcome from ai_calls where purpose = 'reply' and outcome in ('ok', 'handover')`,
        );
        return rows.length > 0 && rows;
      });
      expect(handled.length).toBeGreaterThan(0);
    } finally {
      await s.stop();
    }
  }, 90_000);

  it('comes with an approved template catalogue, and its customers hold conversations and send photos', async () => {
    // Fast and seeded: a new conversation every 1-3 s, answers within a quarter of a second.
    const s = await start({ SANDBOX_PACE: '2' });
    try {
      const agent = new TestClient(s.running.app);
      await agent.login(OWNER.email, OWNER.password);

      // Synced at start: nobody pressed anything.
      type Tpl = { name: string; category: string; status: string; components: Record<string, unknown>[] };
      const templates = (await agent.get('/api/v1/templates')).json().data as (Tpl &
        Record<string, unknown>)[];
      expect(templates.map((t) => [t.name, t.category, t.status]).sort()).toEqual([
        ['login_code', 'AUTHENTICATION', 'APPROVED'],
        ['new_collection', 'MARKETING', 'APPROVED'],
        ['order_update', 'UTILITY', 'APPROVED'],
      ]);
      const byName = (n: string) => templates.find((t) => t.name === n)!;
      expect(byName('new_collection').usable_in_campaigns).toBe(true);
      expect(JSON.stringify(byName('new_collection').components)).toMatch(/"format":"IMAGE".*"QUICK_REPLY"/);
      expect(JSON.stringify(byName('login_code').components)).toMatch(/otp_type=COPY_CODE/);
      expect(byName('login_code').quarantined).toBe(true);

      type Conv = { id: string; contact: { wa_id: string } };
      type Msg = {
        id: string;
        direction: string;
        type: string;
        content: { text?: { body: string } };
        media: { state: string; mime_type: string | null; size: number | null } | null;
      };
      const conversationOf = (waId: string) =>
        until(`a conversation with ${waId}`, async () =>
          ((await agent.get('/api/v1/conversations?limit=100')).json().data as Conv[]).find(
            (c) => c.contact.wa_id === waId,
          ),
        );
      const messagesOf = async (c: Conv) =>
        (await agent.get(`/api/v1/conversations/${c.id}/messages?limit=200`)).json().data as Msg[];

      // Ana wrote about her order; the agent asks for its number and she answers with it.
      const ana = await conversationOf(ANA);
      const before = new Set((await messagesOf(ana)).map((m) => m.id));
      const reply = await agent.post(`/api/v1/conversations/${ana.id}/reply`, {
        content: { type: 'text', text: { body: 'Sorry for the wait! What is your order number?' } },
      });
      expect(reply.statusCode, reply.body).toBe(202);
      // Her script answers a question about the order number with it (and nothing else names it).
      const answer = await until('Ana answers the agent', async () =>
        (await messagesOf(ana)).find(
          (m) => !before.has(m.id) && m.direction === 'in' && /#A-1042/.test(m.content.text?.body ?? ''),
        ),
      );
      expect(answer.type).toBe('text');

      // Beatriz's parcel arrived damaged: her photo is downloaded, stored and served at its real size.
      const beatriz = await conversationOf(BEATRIZ);
      const photo = await until('Beatriz’s photo is downloaded', async () =>
        (await messagesOf(beatriz)).find((m) => m.type === 'image' && m.media?.state === 'ready'),
      );
      const size = statSync(PARCEL_PHOTO).size;
      expect(size).toBeGreaterThan(10_000);
      expect(photo.media).toMatchObject({ mime_type: 'image/jpeg', size });
      const file = await agent.get(`/api/v1/messages/${photo.id}/media`);
      expect(file.statusCode).toBe(200);
      expect(file.rawPayload.length).toBe(size);
      expect(file.rawPayload.subarray(0, 3).toString('hex')).toBe('ffd8ff');
    } finally {
      await s.stop();
    }
  }, 90_000);

  it('stays off with SANDBOX=off', async () => {
    const s = await start({ SANDBOX: 'off' });
    try {
      expect(s.output).not.toMatch(/Sandbox:/);
      expect(await s.running.database.query('select * from numbers')).toEqual([]);
    } finally {
      await s.stop();
    }
  }, 90_000);
});
