// `npm test`: type-check, lint, then every test: once on the embedded database (PGlite), once on
// PostgreSQL, then the browser tests in system Chromium. Ends with one summary line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'test-output');
mkdirSync(out, { recursive: true });
const env = process.env;
const pgUrl = env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const chromium = env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const bin = (name) => join(root, 'node_modules', '.bin', name);

const steps = [];
let passed = 0;
let failed = 0;
let skipped = 0;

function run(name, cmd, args, extraEnv = {}) {
  console.log(`\n▶ ${name}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } });
  const ok = r.status === 0;
  steps.push({ name, ok });
  return ok;
}

function vitest(name, args, extraEnv) {
  const report = join(out, `vitest-${name.replace(/\W+/g, '-')}.json`);
  const ok = run(
    name,
    bin('vitest'),
    ['run', ...args, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
    extraEnv,
  );
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + r.numTodoTests;
  } else if (!ok) failed += 1;
}

async function postgresReachable() {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

run('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
// `npm run lint`: Biome, then the layering rules (.dependency-cruiser.cjs).
run('lint', bin('biome'), ['check', '.']);
run('lint: layering (dependency-cruiser)', bin('depcruise'), ['apps', 'packages']);
vitest('embedded database (PGlite)', [], { TEST_DB: 'pglite' });

if (await postgresReachable()) {
  vitest('PostgreSQL', ['apps/server', 'apps/cli'], { TEST_DB: 'pg', TEST_DATABASE_URL: pgUrl });
} else if (env.REQUIRE_PG === '1') {
  console.error(`PostgreSQL is required (REQUIRE_PG=1) but not reachable at ${pgUrl}`);
  steps.push({ name: 'PostgreSQL', ok: false });
  failed += 1;
} else {
  console.log(
    `\n⚠ PostgreSQL pass skipped: nothing answers at ${pgUrl} (set TEST_DATABASE_URL, or REQUIRE_PG=1 to fail instead)`,
  );
}

if (existsSync(chromium) || env.REQUIRE_BROWSER === '1') {
  if (run('build dashboard', process.execPath, ['scripts/build-web.mjs', '--if-stale'])) {
    vitest('browser', ['-c', 'vitest.e2e.config.ts']);
  }
} else {
  console.log(
    `\n⚠ Browser tests skipped: no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

console.log('\nSummary:');
for (const s of steps) console.log(`  ${s.ok ? '✓' : '✗'} ${s.name}`);
const allOk = steps.every((s) => s.ok) && failed === 0;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped${allOk ? '' : ' — FAILED'}`);
process.exit(allOk ? 0 : 1);
