import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const ADMIN = { email: 'owner@about.example', password: 'browser test password' };
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const { version } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string };

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

describe.skipIf(!hasChromium)('the version on screen, in Chromium', () => {
  let h: Harness;
  let page: Page;

  beforeAll(async () => {
    // Not the default: what the About card shows comes from the server's configuration.
    h = await startHarness({ ...ADMIN, org: 'About Shop' }, { META_GRAPH_VERSION: 'v24.0' });
    page = h.page;
    await signIn(page, h.server.url, ADMIN);
  });

  afterAll(async () => {
    await h?.stop();
  });

  it("shows the app's version and commit at the foot of every page, taking no height from the inbox", async () => {
    const commit = gitCommit();
    const expected = commit ? `openwaba ${version} (${commit})` : `openwaba ${version}`;
    const footer = page.getByTestId('app-version');
    await footer.waitFor();
    expect(await footer.textContent()).toBe(expected);
    // At the bottom of the window, and the inbox still fits it: nothing scrolls.
    const box = (await footer.boundingBox())!;
    expect(box.y + box.height).toBeGreaterThan(700);
    expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBe(720);
    await h.shot('about-0-inbox');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('heading', { name: 'Contacts' }).first().waitFor();
    expect(await footer.textContent()).toBe(expected);
  });

  it('shows the versions and the Graph API version in use under Settings → Organisation → About', async () => {
    await page.goto(`${h.server.url}/settings/organisation`);
    const list = page.getByLabel('About openwaba');
    await list.waitFor();
    const rows = await list.evaluate((dl) =>
      [...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]),
    );
    expect(Object.fromEntries(rows)).toEqual({
      'openwaba version': version,
      Commit: gitCommit() ?? 'unknown (installed without git)',
      'Graph API version': 'v24.0 (every call to Meta; set by META_GRAPH_VERSION)',
      'API reference': '/docs',
    });
    // The API reference the card links to is served.
    const href = await list.getByRole('link', { name: '/docs' }).getAttribute('href');
    expect((await fetch(new URL(href!, h.server.url))).status).toBe(200);
    await list.scrollIntoViewIfNeeded();
    await h.shot('about-1');
  });
});
