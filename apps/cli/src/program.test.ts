import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, settings } from '../../server/test/helpers.ts';
import type { Io } from './output.ts';
import { runCli } from './program.ts';

let env: Record<string, string>;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  if (settings.backend === 'pg') {
    const db = await createTestDatabase({ migrate: false });
    await db.database.close().catch(() => {});
    env = { DATABASE_URL: db.url!, LOG_LEVEL: 'silent' };
    cleanup = db.drop;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'openwaba-cli-'));
    env = { DATA_DIR: dir, LOG_LEVEL: 'silent' };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
});
afterAll(() => cleanup());

/** The commit as git says it, or null outside a git checkout (a tarball install). */
function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

async function cli(args: string[], extraEnv: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await runCli(args, io, { ...env, ...extraEnv });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe(`openwaba CLI on ${settings.backend}`, () => {
  it('migrate --json reports the applied migrations', async () => {
    const r = await cli(['migrate', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.applied).toBe(json.expected);
    expect(json.backend).toBe(settings.backend);
  });

  it('setup creates the first owner; a second setup with the same email fails clearly', async () => {
    const ok = await cli([
      'setup',
      '--email',
      'Boss@Example.com',
      '--password',
      'a strong password',
      '--org',
      'Acme',
      '--json',
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({
      email: 'boss@example.com',
      user_id: expect.any(String),
      org_id: expect.any(String),
    });
    const again = await cli([
      'setup',
      '--email',
      'boss@example.com',
      '--password',
      'a strong password',
      '--org',
      'Acme',
    ]);
    expect(again.code).toBe(1);
    expect(again.err).toBe('error: A user with email boss@example.com already exists');
  });

  it('setup without a terminal names the missing flags; bad values are explained', async () => {
    const missing = await cli(['setup', '--email', 'x@example.com']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--password, --org');
    const bad = await cli(['setup', '--email', 'nope', '--password', 'short', '--org', 'A']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--email: must be an email address');
    expect(bad.err).toContain('--password: must be at least 10 characters');
  });

  it('bad configuration lists every bad key and exits non-zero', async () => {
    const r = await cli(['migrate'], { PORT: 'x', ROLE: 'boss' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('Invalid configuration');
    expect(r.err).toContain('PORT');
    expect(r.err).toContain('ROLE');
  });

  it("--version and -V print the app's version (the root package.json's) and the git commit", async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    const commit = gitCommit();
    for (const flag of ['--version', '-V']) {
      const r = await cli([flag]);
      expect(r.code, flag).toBe(0);
      expect(r.out, flag).toBe(commit ? `${version} (${commit})` : version);
    }
  });

  it('rejects unknown verbs and bad flag values; every verb has --help', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain("unknown command 'frobnicate'");
    const badPort = await cli(['start', '--port', 'http']);
    expect(badPort.code).not.toBe(0);
    expect(badPort.err).toContain('must be a port number');
    const badRole = await cli(['start', '--role', 'boss']);
    expect(badRole.err).toContain('must be api, worker or all');
    for (const verb of [
      'start',
      'migrate',
      'setup',
      'simulator',
      'users',
      'webhooks',
      'numbers',
      'templates',
      'contacts',
      'env-example',
    ]) {
      const help = await cli([verb, '--help']);
      expect(help.code, verb).toBe(0);
      expect(help.out, verb).toContain(`Usage: openwaba ${verb}`);
    }
  });
});

const BIN = fileURLToPath(new URL('../bin/openwaba.js', import.meta.url));

describe.runIf(settings.backend === 'pglite')('openwaba start as a real process', () => {
  it('starts on the embedded database, prints how to sign in, serves, and exits cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openwaba-start-'));
    let started: ReturnType<typeof spawn> | undefined;
    try {
      // No HOST: the default binds to this machine only, and the banner says so.
      const child = spawn(process.execPath, [BIN, 'start', '--port', '0'], {
        env: { PATH: process.env.PATH, DATA_DIR: dir, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      started = child;
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start banner:\n${out}`)), 90_000);
        child.stdout.on('data', () => {
          const m = /Dashboard:\s+(\S+)\//.exec(out);
          if (m && /Lost a password\?.*\n/.test(out)) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
      });
      expect(out).toContain('Sign in as: admin@openwaba.local');
      expect(out).toMatch(/Password:\s+\S{5}-\S{5}-\S{5}-\S{5}/);
      expect(out).toContain('Listening on 127.0.0.1 only; set HOST=0.0.0.0 to reach it from other machines.');
      expect(out).toContain(
        'Lost a password? npx openwaba users reset-password --email admin@openwaba.local (stop the server first)',
      );
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);

      // A second process on the same embedded database is refused with a clear message.
      const second = spawn(process.execPath, [BIN, 'start', '--port', '0'], {
        env: { PATH: process.env.PATH, DATA_DIR: dir, HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      });
      let secondErr = '';
      second.stderr.on('data', (d) => {
        secondErr += d;
      });
      const secondCode = await new Promise((r) => second.on('exit', r));
      expect(secondCode).toBe(1);
      expect(secondErr).toContain('Another openwaba process');

      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      // A failed wait must not leave the process writing into the directory being removed.
      const child = started;
      if (child && child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.on('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});

describe('openwaba setup on a terminal', () => {
  it('asks for the values that were not given as flags', async () => {
    const { PassThrough } = await import('node:stream');
    const { loadConfig } = await import('@openwaba/server');
    const { runSetup } = await import('./commands/setup.ts');
    const input = new PassThrough();
    const prompts = new PassThrough();
    let asked = '';
    prompts.on('data', (d) => {
      asked += d;
      // Answer each prompt as it appears, like a person typing.
      if (/Password[^\n]*: $/.test(asked)) input.write('typed password 123\n');
      else if (/Organisation name: $/.test(asked)) input.write('Typed Org\n');
    });
    const out: string[] = [];
    await runSetup(
      loadConfig({ ...env }),
      { out: (l) => out.push(l), err: () => {} },
      { email: 'typed@example.com', json: true },
      { input, output: prompts, interactive: true },
    );
    expect(asked).toContain('Password (10+ characters): ');
    expect(asked).toContain('Organisation name: ');
    expect(JSON.parse(out[0]!)).toMatchObject({ email: 'typed@example.com' });
  });
});
