import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Io } from '../output.ts';
import { runCli } from '../program.ts';
import { DEFAULT_NUMBER, runSimulator } from './simulator.ts';

const dir = mkdtempSync(join(tmpdir(), 'openwaba-sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const BIN = fileURLToPath(new URL('../../bin/openwaba.js', import.meta.url));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  return { io, out, err };
}

describe('openwaba simulator', () => {
  it('serves the default number and delivers signed webhooks to --webhook-url', async () => {
    const bodies: { raw: string; signature: string }[] = [];
    const rx = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        bodies.push({ raw, signature: String(req.headers['x-hub-signature-256']) });
        res.end();
      });
    });
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`;
    const { io, out } = capture();
    const sim = await runSimulator(
      { port: '0', host: '127.0.0.1', webhookUrl: hook, appSecret: 'cli-secret-123' },
      io,
    );
    try {
      expect(out[0]).toMatch(/^WhatsApp Cloud API simulator listening on http:\/\/127\.0\.0\.1:\d+$/);
      expect(out.join('\n')).toContain(`token=${DEFAULT_NUMBER.access_token}`);
      const res = await fetch(`${sim.url}/v23.0/${DEFAULT_NUMBER.phone_number_id}?fields=verified_name`, {
        headers: { authorization: `Bearer ${DEFAULT_NUMBER.access_token}` },
      });
      expect(await res.json()).toEqual({
        id: DEFAULT_NUMBER.phone_number_id,
        verified_name: 'openwaba Sandbox',
      });
      const inbound = await fetch(`${sim.url}/_sim/customers/447700900123/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          phone_number_id: DEFAULT_NUMBER.phone_number_id,
          type: 'text',
          text: 'Hi there',
        }),
      });
      expect(inbound.status).toBe(201);
      await sim.settle();
      expect(bodies).toHaveLength(1);
      const expected = `sha256=${createHmac('sha256', 'cli-secret-123').update(bodies[0]!.raw).digest('hex')}`;
      expect(bodies[0]!.signature).toBe(expected);
    } finally {
      await sim.close();
      await new Promise((r) => rx.close(r));
    }
  });

  it('--webhook-batch-ms 0 sends one change per POST (client libraries read only the first)', async () => {
    const bodies: string[] = [];
    const rx = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        bodies.push(raw);
        res.end();
      });
    });
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`;
    const { io, out } = capture();
    const sim = await runSimulator(
      { port: '0', host: '127.0.0.1', webhookUrl: hook, appSecret: 'cli-secret-123', webhookBatchMs: '0' },
      io,
    );
    try {
      expect(out.join('\n')).toContain('one change per POST');
      // Customers' messages and the statuses of a send: several changes at once.
      await Promise.all(
        ['447700900201', '447700900202', '447700900203'].map((wa) =>
          fetch(`${sim.url}/_sim/customers/${wa}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ phone_number_id: DEFAULT_NUMBER.phone_number_id, type: 'text' }),
          }),
        ),
      );
      await sim.settle();
      expect(bodies).toHaveLength(3);
      for (const raw of bodies) expect(JSON.parse(raw).entry[0].changes).toHaveLength(1);
    } finally {
      await sim.close();
      await new Promise((r) => rx.close(r));
    }
    const { io: io2, err } = capture();
    expect(await runCli(['simulator', '--port', '0', '--webhook-batch-ms', 'x'], io2, {})).not.toBe(0);
    expect(err.join('\n')).toMatch(/one change per POST/);
  });

  it('loads numbers and templates from --seed', async () => {
    const file = join(dir, 'seed.json');
    writeFileSync(
      file,
      JSON.stringify({
        numbers: [
          {
            phone_number_id: '9100001',
            waba_id: '9200001',
            display_phone_number: '+91 90000 00001',
            access_token: 'seeded-token-1',
          },
        ],
        templates: [
          {
            waba_id: '9200001',
            name: 'welcome',
            language: 'en',
            category: 'UTILITY',
            components: [{ type: 'BODY', text: 'Welcome aboard.' }],
          },
        ],
      }),
    );
    const { io, out } = capture();
    const sim = await runSimulator({ port: '0', host: '127.0.0.1', seed: file }, io);
    try {
      expect(out.join('\n')).toContain('phone_number_id=9100001');
      expect(out.join('\n')).not.toContain(DEFAULT_NUMBER.phone_number_id);
      const res = await fetch(`${sim.url}/v23.0/9200001/message_templates`, {
        headers: { authorization: 'Bearer seeded-token-1' },
      });
      expect(((await res.json()) as { data: { name: string }[] }).data.map((t) => t.name)).toEqual([
        'welcome',
      ]);
    } finally {
      await sim.close();
    }
  });

  it('explains bad flags and bad seed files, and exits non-zero', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ numbers: [{ phone_number_id: 'x' }] }));
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{ nope');
    const cases: [string[], RegExp][] = [
      [['simulator', '--port', 'abc'], /port number/],
      [['simulator', '--port', '0', '--seed', join(dir, 'missing.json')], /Cannot read the seed file/],
      [['simulator', '--port', '0', '--seed', notJson], /not valid JSON/],
      [['simulator', '--port', '0', '--seed', bad], /numbers\.0\.phone_number_id/],
      [['simulator', '--port', '0', '--webhook-url', 'http://127.0.0.1:9/x'], /needs --app-secret/],
      [
        ['simulator', '--port', '0', '--webhook-url', 'ftp://x', '--app-secret', 'long-enough'],
        /http\(s\) URL/,
      ],
      [['simulator', '--random-seed', 'x'], /whole number/],
    ];
    for (const [args, message] of cases) {
      const { io, err } = capture();
      const code = await runCli(args, io, {});
      expect(code, args.join(' ')).not.toBe(0);
      expect(err.join('\n'), args.join(' ')).toMatch(message);
    }
  });

  it('runs as a real process and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'simulator', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner:\n${out}`)), 30_000);
      child.stdout.on('data', (c) => {
        out += c;
        const m = out.match(/listening on (http:\/\/\S+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    const stats = await fetch(`${url}/_sim/stats`);
    expect(stats.status).toBe(200);
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
