import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, openSocket, settings } from '../../test/helpers.ts';

const BIN = fileURLToPath(new URL('../../../cli/bin/openwaba.js', import.meta.url));
const ADMIN = { email: 'multi@example.com', password: 'multi process pw 1' };
const children: ChildProcess[] = [];
let drop: (() => Promise<void>) | undefined;

afterAll(async () => {
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
  );
  await drop?.();
});

function startProcess(role: 'api' | 'worker', env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'start', '--role', role, '--port', '0'], {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn', JOB_POLL_SECONDS: '0.5' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start:\n${out}`)), 60_000);
    const onData = (c: Buffer) => {
      out += c;
      const m = out.match(/Dashboard:\s+(http:\/\/\S+?)\/?\s/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c) => {
      out += c;
    });
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}:\n${out}`)));
  });
}

async function login(base: string) {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  expect(res.status).toBe(200);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

describe.runIf(settings.backend === 'pg')('several processes on one PostgreSQL', () => {
  it('an event emitted by a worker reaches WebSocket clients on two api processes', async () => {
    const db = await createTestDatabase({ migrate: false });
    await db.database.close();
    drop = db.drop;
    const env = {
      DATABASE_URL: db.url!,
      APP_SECRET: 'multi-process-secret-multi-process-secret',
      OPENWABA_ADMIN_EMAIL: ADMIN.email,
      OPENWABA_ADMIN_PASSWORD: ADMIN.password,
    };
    const [api1, api2] = await Promise.all([startProcess('api', env), startProcess('api', env)]);
    await startProcess('worker', env);
    const [c1, c2] = [await login(api1), await login(api2)];
    const s1 = await openSocket(api1, { cookie: c1 });
    const s2 = await openSocket(api2, { cookie: c2 });
    s1.send({ type: 'subscribe' });
    s2.send({ type: 'subscribe' });
    await s1.waitFor((f) => f.some((x) => x.type === 'ready'));
    await s2.waitFor((f) => f.some((x) => x.type === 'ready'));

    // The api process only enqueues; the worker process runs the job, which stores the notification
    // and emits notification.created; both api processes push it to their clients.
    const res = await fetch(`${api1}/api/v1/notifications/test`, { method: 'POST', headers: { cookie: c1 } });
    expect(res.status).toBe(202);
    const isNote = (f: Record<string, unknown>[]) =>
      f.some((x) => x.type === 'event' && (x.event as { type: string }).type === 'notification.created');
    // A single event arrives as an `event` frame (batches only form under load).
    await s1.waitFor(isNote, 20_000);
    await s2.waitFor(isNote, 20_000);
    const id1 = s1.frames.find((x) => x.type === 'event')!.id;
    const id2 = s2.frames.find((x) => x.type === 'event')!.id;
    expect(id1).toBe(id2);
    s1.ws.close();
    s2.ws.close();
  }, 120_000);
});
