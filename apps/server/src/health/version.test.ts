import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppVersion } from '@openwaba/contracts';
import { createClient } from '@openwaba/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';
import { appVersion, readVersionInfo, versionLabel } from './version.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const rootVersion: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;

/** The commit as git itself says it, or null outside a git checkout. */
function gitCommit(cwd: string) {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ META_GRAPH_VERSION: 'v24.0' });
});
afterAll(() => t.close());

describe(`GET /api/v1/version on ${settings.backend}`, () => {
  it("answers anyone the app's version and commit, the Graph API version in use and Node's, nothing more", async () => {
    const res = await t.client().get('/api/v1/version');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['commit', 'graph_api_version', 'version']);
    expect(AppVersion.parse(body)).toEqual({
      version: rootVersion,
      commit: gitCommit(ROOT),
      graph_api_version: 'v24.0',
    });
    // Not the package of a workspace: the root package.json's.
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    if (body.commit) expect(body.commit).toMatch(/^[0-9a-f]{7,40}$/);
    // A signed-in caller gets the same answer.
    const owner = await t.owner();
    expect((await owner.get('/api/v1/version')).json()).toEqual(body);
  });

  it('is what the sdk reads', async () => {
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const v = await createClient({ baseUrl: base }).version();
    expect(v).toEqual({ ...appVersion(), graph_api_version: 'v24.0' });
  });
});

describe('the version of an install', () => {
  it('has a null commit without git, or where git cannot read the checkout, and never fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openwaba-version-'));
    try {
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'openwaba', version: '9.8.7' }));
      // A tarball install: no .git (and git would otherwise answer for a repository around it).
      expect(readVersionInfo(dir)).toEqual({ version: '9.8.7', commit: null });
      // A .git git does not recognise as a repository.
      mkdirSync(join(dir, '.git'));
      expect(readVersionInfo(dir)).toEqual({ version: '9.8.7', commit: null });
      expect(versionLabel(readVersionInfo(dir))).toBe('9.8.7');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(versionLabel({ version: '0.1.0', commit: '05c32ea' })).toBe('0.1.0 (05c32ea)');
  });
});
