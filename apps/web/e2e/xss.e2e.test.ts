import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, signIn, startHarness } from './harness.ts';
import { runXssDrill, XSS_PAYLOADS, type XssResult } from './xss-drill.ts';

const ADMIN = { email: 'owner@xss.example', password: 'browser xss drill password' };

describe.skipIf(!hasChromium)('security drill: the XSS corpus renders as text on every page', () => {
  let h: Harness;
  let r: XssResult;
  beforeAll(async () => {
    h = await startHarness({ ...ADMIN, org: 'Drill & Co' }, { SANDBOX_PACE: '0' });
    await signIn(h.page, h.server.url, ADMIN);
    // Smaller than the bench: a few payloads of each kind.
    r = await runXssDrill(h, { payloads: XSS_PAYLOADS.filter((_, i) => i % 3 === 0), pagesPerRoute: 2 });
  }, 240_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('visits every page of the router with the payloads in place, each rendering signed in', () => {
    expect(r.pages.length).toBeGreaterThanOrEqual(30);
    expect(r.placements.length).toBeGreaterThanOrEqual(10);
    expect(r.broken).toEqual([]);
  });

  it('the payloads reach the screen as text on the pages that show them', () => {
    for (const p of [
      '/inbox',
      '/contacts',
      '/templates',
      '/campaigns',
      '/settings/quick-replies',
      '/settings/teams',
    ])
      expect(r.rendered, p).toContain(p);
    for (const prefix of ['/inbox/', '/contacts/', '/templates/', '/campaigns/'])
      expect(
        r.rendered.some((p) => p.startsWith(prefix)),
        prefix,
      ).toBe(true);
  });

  it('no payload runs: the canary is never set, no dialog opens (and it would be: the canary works)', () => {
    expect(r.canaryWorks).toBe(true);
    expect(r.executed).toEqual([]);
    expect(r.dialogs).toBe(0);
  });

  it('no live DOM node can run script (on… attributes, javascript: links, iframe srcdoc)', () => {
    expect(r.dangerousNodes).toEqual([]);
  });
});
