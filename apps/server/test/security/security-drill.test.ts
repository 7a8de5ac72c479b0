import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp } from '../helpers.ts';
import { type BruteForceResult, runBruteForce } from './brute-force.ts';
import { type ForgedResult, runForgedWebhooks } from './forged-webhooks.ts';
import { type FuzzResult, runFuzz } from './fuzz.ts';
import { type ReplayResult, runReplay } from './replay.ts';
import { type Drillground, seedDrillground, startDrillSimulator } from './seed.ts';
import { runSsrf, type SsrfResult } from './ssrf.ts';

/**
 * The security drill, smaller than `npm run bench -- security`: two organisations seeded alike, then
 * every drill against them in an order where none spoils the next (the replay's own requests change
 * B's settings, so it comes after the drills that send as B; the fuzz, last, changes B's number).
 */

let sim: Simulator;
let t: TestApp;
let g: Drillground;
beforeAll(async () => {
  sim = await startDrillSimulator();
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  g = await seedDrillground(t, sim);
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

/** Each drill runs once; its tests read the result. */
function once<T>(run: () => Promise<T>) {
  let p: Promise<T> | undefined;
  return () => {
    p ??= run();
    return p;
  };
}
const replay = once<ReplayResult>(() => runReplay(g));
const ssrf = once<SsrfResult>(() => runSsrf(g));
const brute = once<BruteForceResult>(() =>
  runBruteForce(g, { guesses: 100, invitationGuesses: 30, concurrency: 4 }),
);
const forged = once<ForgedResult>(() => runForgedWebhooks(g));
const fuzz = once<FuzzResult>(() => runFuzz(g, { perRoute: 4, webhooks: 60, imports: 30 }));

describe(`security drill on ${settings.backend}`, () => {
  it('SSRF corpus: every surface takes the public control link', async () => {
    const r = await ssrf();
    expect(r.surfaces.length).toBeGreaterThanOrEqual(10);
    expect(r.controlRefused).toEqual([]);
  });

  it('SSRF corpus: every private, loopback and link-local link is refused', async () => {
    expect((await ssrf()).accepted).toEqual([]);
  });

  it('brute force: sign-in guesses are throttled (only the free attempts and a few after each wait reach a password check)', async () => {
    const r = await brute();
    expect(r.login.checked + r.login.throttled).toBe(r.login.guesses);
    expect(r.login.checked).toBeLessThanOrEqual(t.config.LOGIN_MAX_FAILURES + 5);
  });

  it('brute force: invitation acceptance guesses are throttled too', async () => {
    const r = await brute();
    expect(r.invitation.checked + r.invitation.throttled).toBe(r.invitation.guesses);
    expect(r.invitation.checked).toBeLessThanOrEqual(t.config.LOGIN_MAX_FAILURES + 5);
  });

  it('brute force: the owner still signs in from their own client during the attack', async () => {
    expect((await brute()).ownerSignedIn).toBe(true);
  });

  it('the invitation lookup does not tell whether an account exists', async () => {
    expect((await brute()).lookupRevealsAccount).toBe(false);
  });

  it('forged webhooks: every change kind is tried, and the control signed by A itself applies', async () => {
    const r = await forged();
    expect(r.kinds).toBeGreaterThanOrEqual(40);
    expect(r.controlApplied).toBe(true);
  });

  it('forged webhooks: a change signed by another app changes nothing of A', async () => {
    expect((await forged()).applied).toEqual([]);
  });

  it('cross-organisation replay: every operation of the served OpenAPI document is tried, none answers 5xx, nothing leaks', async () => {
    const r = await replay();
    expect(r.operations).toBeGreaterThan(100);
    expect(r.skipped).toEqual([]);
    expect(r.undocumented).toEqual([]);
    expect(r.routesTried).toBe(r.operations);
    expect(r.errors).toEqual([]);
    expect(r.leaks).toEqual([]);
    // Most attacks reach the lookup that refuses them (404), not just the input check.
    expect(r.statuses['404'] ?? 0).toBeGreaterThan(60);
  });

  it('fuzzing: no answer of 500, no crash, memory bounded', async () => {
    const r = await fuzz();
    expect(r.requests).toBeGreaterThan(500);
    expect(r.errors500).toEqual([]);
    expect(r.crashes).toEqual([]);
    expect(r.rssAfterMb - r.rssBeforeMb).toBeLessThan(300);
  });

  it('fuzzing: no signed webhook fails processing', async () => {
    expect((await fuzz()).webhookFailures).toEqual([]);
  });
});
