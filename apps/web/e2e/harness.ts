import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Running, startServer } from '@openwaba/server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { testSettings } from '../../server/src/config.ts';

export const settings = testSettings();
export const hasChromium = existsSync(settings.chromiumPath);
if (!hasChromium && settings.requireBrowser)
  throw new Error(`Chromium not found at ${settings.chromiumPath}`);

const SHOTS = fileURLToPath(new URL('../../../test-output/screenshots/', import.meta.url));

export interface Harness {
  server: Running;
  browser: Browser;
  page: Page;
  /** The in-process WhatsApp simulator of the sandbox number (its `/_sim` control API drives customers). */
  simulatorUrl: string | undefined;
  /** A full-page screenshot of `page` (the harness's own by default) into test-output/screenshots. */
  shot(name: string, page?: Page): Promise<unknown>;
  stop(): Promise<void>;
}

/** A real server (role all, embedded database in a temp dir) and a Chromium page. */
export async function startHarness(
  admin: {
    email: string;
    password: string;
    org: string;
  },
  env: Record<string, string> = {},
): Promise<Harness> {
  mkdirSync(SHOTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'openwaba-e2e-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    JOB_POLL_SECONDS: '0.5',
    // One person clicks through many pages a minute here; the limits have their own tests.
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_ORG_PER_MINUTE: '0',
    OPENWABA_ADMIN_EMAIL: admin.email,
    OPENWABA_ADMIN_PASSWORD: admin.password,
    OPENWABA_ADMIN_ORG: admin.org,
    ...env,
  });
  const lines: string[] = [];
  const server = await startServer(config, (line) => lines.push(line));
  const simulatorUrl = lines.join('\n').match(/built-in WhatsApp simulator \((http[^)\s]+)\)/)?.[1];
  const browser = await chromium.launch({
    executablePath: settings.chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  return {
    server,
    browser,
    page,
    simulatorUrl,
    shot: (name, of = page) => of.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true }),
    async stop() {
      await browser.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The phone number id of the sandbox number `npm start` and the harness run on the simulator. */
export const SANDBOX_PHONE_ID = '100000000000001';

/**
 * A simulated customer writes to the sandbox number (the simulator signs and POSTs the webhook);
 * returns the message's wamid.
 */
export async function customerSends(h: Harness, waId: string, body: Record<string, unknown>) {
  const res = await fetch(`${h.simulatorUrl}/_sim/customers/${waId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone_number_id: SANDBOX_PHONE_ID, ...body }),
  });
  if (res.status !== 201)
    throw new Error(`the simulator refused the message: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

export async function signIn(page: Page, base: string, admin: { email: string; password: string }) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
}
