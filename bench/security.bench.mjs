// `npm run bench -- security`: the security drill at full size (issue 18 §8). Two organisations are
// seeded alike through the API and signed webhooks (A the victim, B the attacker), in process on the
// embedded database (or PostgreSQL with --db pg), then:
//   replay      every operation of the served OpenAPI document as B with A's ids → 404/403, A unchanged
//   ssrf        private/loopback/link-local/odd-host links in every place a media link is taken → refused
//   brute force 1,000 sign-in and 1,000 invitation-acceptance guesses → throttled; the owner still signs in
//   forged      every Meta change kind naming A, signed with B's app secret → nothing of A changes
//   fuzz        every JSON route's body and query from its schema, the signed webhook, the import reader
//               → no 500, no crash, no failing webhook, bounded memory
//   xss         script payloads everywhere text is shown, every dashboard page in Chromium → nothing runs
// The drills' code is shared with the tests (apps/server/test/security, apps/web/e2e/xss-drill.ts),
// which run the same drills smaller. Every finding is written to test-output/security-drill.json.
// Options: --db pglite|pg (pglite), --guesses N (1000), --per-route N fuzz samples per operation (30),
// --webhooks N (1000), --imports N (300), --skip xss,fuzz,… (none).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const DB = arg('db', 'pglite');
const GUESSES = Number(arg('guesses', 1000));
const PER_ROUTE = Number(arg('per-route', 30));
const WEBHOOKS = Number(arg('webhooks', 1000));
const IMPORTS = Number(arg('imports', 300));
const SKIP = String(arg('skip', '')).split(',').filter(Boolean);
const root = fileURLToPath(new URL('..', import.meta.url));

process.env.TEST_DB = DB;
process.env.TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
const { createTestApp } = await import('../apps/server/test/helpers.ts');
const { seedDrillground, startDrillSimulator } = await import('../apps/server/test/security/seed.ts');
const { runReplay } = await import('../apps/server/test/security/replay.ts');
const { runSsrf } = await import('../apps/server/test/security/ssrf.ts');
const { runBruteForce } = await import('../apps/server/test/security/brute-force.ts');
const { runForgedWebhooks } = await import('../apps/server/test/security/forged-webhooks.ts');
const { runFuzz } = await import('../apps/server/test/security/fuzz.ts');

const seconds = (t0) => Math.round((performance.now() - t0) / 100) / 10;
const out = { bench: 'security', db: DB };
const findings = {};
const timings = {};
let error;

const sim = await startDrillSimulator();
const t = await createTestApp({ META_GRAPH_URL: sim.url });
try {
  let t0 = performance.now();
  const g = await seedDrillground(t, sim);
  timings.seed_s = seconds(t0);
  // The same order as the tests: none spoils the next (see security-drill.test.ts).
  if (!SKIP.includes('ssrf')) {
    t0 = performance.now();
    const r = await runSsrf(g);
    timings.ssrf_s = seconds(t0);
    out.ssrf = {
      surfaces: r.surfaces.length,
      tried: r.tried,
      accepted: r.accepted.length,
      control_refused: r.controlRefused.length,
    };
    findings.ssrf = r;
    console.log(
      `ssrf: ${r.accepted.length} of ${r.tried} private links accepted on ${r.surfaces.length} surfaces`,
    );
  }
  if (!SKIP.includes('brute-force')) {
    t0 = performance.now();
    const r = await runBruteForce(g, { guesses: GUESSES, concurrency: 8 });
    timings.brute_force_s = seconds(t0);
    out.brute_force = {
      login: r.login,
      invitation: r.invitation,
      owner_after_login_attack: r.ownerAfterLogin,
      owner_after_invitation_attack: r.ownerAfterInvitation,
      owner_signed_in: r.ownerSignedIn,
      lookup_reveals_account: r.lookupRevealsAccount,
    };
    console.log(
      `brute force: sign-in ${r.login.checked} checked / ${r.login.throttled} throttled of ${r.login.guesses}; ` +
        `invitation ${r.invitation.checked} checked / ${r.invitation.throttled} throttled of ${r.invitation.guesses}; ` +
        `owner signs in after: ${r.ownerAfterLogin}, ${r.ownerAfterInvitation}`,
    );
  }
  if (!SKIP.includes('forged')) {
    t0 = performance.now();
    const r = await runForgedWebhooks(g);
    timings.forged_s = seconds(t0);
    out.forged = {
      kinds: r.kinds,
      posts: r.posts,
      applied: r.applied.length,
      control_applied: r.controlApplied,
    };
    findings.forged = r;
    console.log(
      `forged webhooks: ${r.applied.length} of ${r.kinds} kinds applied to A (control applied: ${r.controlApplied})`,
    );
  }
  if (!SKIP.includes('replay')) {
    t0 = performance.now();
    const r = await runReplay(g, { tries: 16 });
    timings.replay_s = seconds(t0);
    out.replay = {
      operations: r.operations,
      routes_tried: r.routesTried,
      requests: r.requests,
      leaks: r.leaks.length,
      errors_5xx: r.errors.length,
      skipped: r.skipped.length,
      undocumented: r.undocumented.length,
      refused_as_invalid: r.refusedAsInvalid.length,
      statuses: r.statuses,
    };
    const { trace: _trace, ...kept } = r;
    findings.replay = kept;
    console.log(
      `replay: ${r.routesTried}/${r.operations} operations, ${r.requests} requests, ${r.leaks.length} leaks, ${r.errors.length} 5xx`,
    );
    for (const l of r.leaks) console.log(`  leak: ${l.variant} ${l.method} ${l.url} → ${l.status}: ${l.why}`);
  }
  if (!SKIP.includes('fuzz')) {
    t0 = performance.now();
    const r = await runFuzz(g, { perRoute: PER_ROUTE, webhooks: WEBHOOKS, imports: IMPORTS });
    timings.fuzz_s = seconds(t0);
    out.fuzz = {
      requests: r.requests,
      errors_500: r.errors500.length,
      crashes: r.crashes.length,
      webhooks: r.webhooks,
      webhook_processing_failures: r.webhookFailures.length,
      imports: r.imports,
      rss_before_mb: r.rssBeforeMb,
      rss_after_mb: r.rssAfterMb,
    };
    findings.fuzz = r;
    console.log(
      `fuzz: ${r.requests} requests, ${r.errors500.length} answers of 500, ${r.crashes.length} crashes, ` +
        `${r.webhookFailures.length} of ${r.webhooks} signed webhooks failed processing; RSS ${r.rssBeforeMb} → ${r.rssAfterMb} MB`,
    );
  }
} catch (err) {
  error = String(err?.stack ?? err);
} finally {
  await t.close().catch(() => {});
  await sim.close().catch(() => {});
}

if (!SKIP.includes('xss') && !error) {
  try {
    const t0 = performance.now();
    if (
      spawnSync(process.execPath, ['scripts/build-web.mjs', '--if-stale'], { cwd: root, stdio: 'inherit' })
        .status
    )
      throw new Error('building the dashboard failed');
    const { startHarness, signIn, hasChromium } = await import('../apps/web/e2e/harness.ts');
    const { runXssDrill } = await import('../apps/web/e2e/xss-drill.ts');
    if (!hasChromium) throw new Error('no Chromium (CHROMIUM_PATH) for the XSS drill');
    const admin = {
      email: 'owner@xss-bench.example',
      password: 'bench xss drill password',
      org: 'Drill & Co',
    };
    const h = await startHarness(admin, { SANDBOX_MESSAGE_EVERY_SECONDS: '0', LOG_LEVEL: 'error' });
    try {
      await signIn(h.page, h.server.url, admin);
      const r = await runXssDrill(h);
      out.xss = {
        payloads: r.payloads,
        placements: r.placements.length,
        pages: r.pages.length,
        executed: r.executed.length,
        dangerous_nodes: r.dangerousNodes.length,
        dialogs: r.dialogs,
        broken_pages: r.broken.length,
      };
      findings.xss = r;
      timings.xss_s = seconds(t0);
      console.log(
        `xss: ${r.payloads} payloads in ${r.placements.length} places, ${r.pages.length} pages: ` +
          `${r.executed.length} ran, ${r.dangerousNodes.length} live script-capable nodes, ${r.dialogs} dialogs`,
      );
    } finally {
      await h.stop();
    }
  } catch (err) {
    error = String(err?.stack ?? err);
  }
}

const TARGET = {
  leaks: 0,
  errors_5xx: 0,
  fuzz_errors_500: 0,
  fuzz_crashes: 0,
  webhook_processing_failures: 0,
  rss_growth_mb_max: 300,
  xss_executed: 0,
  forged_applied: 0,
  ssrf_accepted: 0,
  guesses_checked_max: 20,
  owner_signed_in: true,
};
const f = out;
const met = {
  replay: Boolean(
    f.replay && !f.replay.leaks && !f.replay.errors_5xx && !f.replay.skipped && !f.replay.undocumented,
  ),
  fuzz: Boolean(
    f.fuzz &&
      !f.fuzz.errors_500 &&
      !f.fuzz.crashes &&
      !f.fuzz.webhook_processing_failures &&
      f.fuzz.rss_after_mb - f.fuzz.rss_before_mb <= TARGET.rss_growth_mb_max,
  ),
  xss: Boolean(f.xss && !f.xss.executed && !f.xss.dangerous_nodes && !f.xss.dialogs && !f.xss.broken_pages),
  forged: Boolean(f.forged && !f.forged.applied && f.forged.control_applied),
  ssrf: Boolean(f.ssrf && !f.ssrf.accepted && !f.ssrf.control_refused),
  brute_force: Boolean(
    f.brute_force &&
      f.brute_force.login.checked <= TARGET.guesses_checked_max &&
      f.brute_force.invitation.checked <= TARGET.guesses_checked_max &&
      f.brute_force.owner_signed_in &&
      !f.brute_force.lookup_reveals_account,
  ),
};
mkdirSync(`${root}/test-output`, { recursive: true });
writeFileSync(`${root}/test-output/security-drill.json`, JSON.stringify({ ...out, findings }, null, 2));
console.log(`details of every finding: test-output/security-drill.json`);
console.log(
  JSON.stringify({
    ...out,
    timings,
    ...(error ? { error } : {}),
    met,
    target: TARGET,
    target_met: !error && Object.values(met).every(Boolean),
  }),
);
process.exit(0);
