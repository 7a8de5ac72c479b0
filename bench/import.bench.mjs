// `npm run bench -- import`: generates a 100k-row, ~48 MB CSV (UK phones in mixed local and
// international formats, accented names, tags, four custom fields, a notes column, some invalid rows
// and in-file duplicates) and a 100k-row XLSX (ExcelJS streaming writer), then imports each on real
// PostgreSQL (a temporary database, dropped at the end) through the import service, the CSV twice:
// as the dashboard wizard does it (upload → preview → confirm → the job's work, `run`, called in-process
// instead of through pg-boss polling) and end to end as the CLI asks for it (upload → confirm → the run, no
// preview; the CLI does this through the sdk and the server job, here in-process).
// Each import runs in its own child process, whose peak RSS is read from `process.resourceUsage().maxRSS`.
// Target (≤ 15 s, ≤ 400 MB): the wizard's import job and the CLI's whole run; the wizard's upload and
// preview, which come before anything is imported, are reported beside it.
// Baseline in the same run: plain csv-parse of the same CSV, no database work.
// BENCH_CPU_PROF=dir writes a CPU profile of each child there.
// Needs PostgreSQL: TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres.
// Options: --rows N (100000).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROWS = arg('rows', 100_000);
const TARGET_SECONDS = 15;
const TARGET_RSS_MB = 400;
const self = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = 'bench-secret-bench-secret-bench-secret-00';
const mb = (bytes) => Math.round(bytes / 1024 / 1024);

// ---- child: one import, or the csv-parse baseline --------------------------------------------------
if (process.argv[2] === '--child') {
  const [, , , mode, file, databaseUrl, dataDir] = process.argv;
  const started = performance.now();
  const out = {};
  if (mode === 'baseline') {
    const { parse } = await import('csv-parse');
    let rows = 0;
    for await (const _ of createReadStream(file).pipe(parse({ relax_column_count: true }))) rows++;
    out.rows = rows - 1;
  } else {
    const { createServices, loadConfig, openDatabase, runMigrations } = await import(
      '../apps/server/src/index.ts'
    );
    const config = loadConfig(
      {
        NODE_ENV: 'production',
        LOG_LEVEL: 'silent',
        DATABASE_URL: databaseUrl,
        DATA_DIR: dataDir,
        APP_SECRET: SECRET,
      },
      {},
    );
    const database = await openDatabase({ databaseUrl, dataDir });
    await runMigrations(database);
    const services = createServices({
      config,
      database,
      appSecret: SECRET,
    });
    const [org] = await database.query(
      "select id, (select user_id from memberships m where m.org_id = o.id and m.role = 'owner' limit 1) as owner from orgs o",
    );
    const ctx = { orgId: org.id, userId: org.owner, role: 'owner', sessionId: 'bench' };
    const imports = services.contactImports;
    let t = performance.now();
    const up = await imports.upload(ctx, { body: createReadStream(file), filename: file });
    out.upload_s = (performance.now() - t) / 1000;
    const options = {
      mapping: {
        phone: up.suggested_mapping.phone,
        name: up.suggested_mapping.name,
        tags: up.suggested_mapping.tags,
        fields: { city: 'City', birthday: 'Birthday', score: 'Score', plan: 'Plan' },
      },
      on_duplicate: 'update',
      opt_in: { source: 'import', proof: 'bench list, signed up in store' },
    };
    // `wizard`: as the dashboard does it (the preview's checked rows are reused by the import);
    // `direct`: as `openwaba contacts import` does it, no preview.
    t = performance.now();
    const preview = mode === 'wizard' ? await imports.preview(ctx, up.id, options) : null;
    out.preview_s = (performance.now() - t) / 1000;
    t = performance.now();
    await imports.confirm(ctx, up.id, options, { schedule: false });
    const done = await imports.run(ctx.orgId, up.id);
    out.import_s = (performance.now() - t) / 1000;
    out.state = done.state;
    out.error = done.error;
    out.counts = done.counts;
    out.preview_counts = preview?.counts ?? null;
    await services.whatsapp.close();
    await database.close();
  }
  out.wall_s = (performance.now() - started) / 1000;
  out.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(JSON.stringify(out));
  process.exit(0);
}

// ---- parent ---------------------------------------------------------------------------------------
const finish = (o) => {
  console.log(JSON.stringify({ bench: 'import', ...o }));
  process.exit(0);
};

const FIRST = [
  'José',
  'Zoë',
  'Ánh',
  'François',
  'Łukasz',
  'Søren',
  'Chloé',
  'Mårten',
  'Ana',
  'Siân',
  'Noël',
  'Renée',
];
const LAST = [
  'Müller',
  'García',
  'Ó Briain',
  'Nguyễn',
  'Kowalski',
  'Ørsted',
  'Dubois',
  'Åberg',
  'Silva',
  'Smith',
];
const CITIES = ['Leeds', 'Bath', 'York', 'Cork', 'Galway', 'London', 'Bristol'];
const TAGS = ['vip', 'newsletter', 'store', 'online', 'b2b', 'event-2026'];
const NOTE = 'Prefers messages after 6pm; bought the winter range; asked about delivery to the office. ';

/** A UK mobile for row i (07400 000000 + i), written the way people write them. */
function phoneOf(i) {
  const digits = String(100000 + (i % 800000)).padStart(6, '0');
  switch (i % 5) {
    case 0:
      return `07400 ${digits}`;
    case 1:
      return `+44 7400 ${digits}`;
    case 2:
      return `0044 7400 ${digits.slice(0, 3)} ${digits.slice(3)}`;
    case 3:
      return `(07400) ${digits.slice(0, 3)}-${digits.slice(3)}`;
    default:
      return `+447400${digits}`;
  }
}
function rowOf(i) {
  // 0.5% invalid phones, 0.5% repeat an earlier row's phone.
  const phone = i % 200 === 7 ? `12${i}` : i % 200 === 11 ? phoneOf(i - 5) : phoneOf(i);
  const name = `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}`;
  const tags = [TAGS[i % TAGS.length], ...(i % 3 === 0 ? [TAGS[(i + 2) % TAGS.length]] : [])].join(', ');
  const birthday = `19${50 + (i % 50)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
  return [
    name,
    phone,
    tags,
    CITIES[i % CITIES.length],
    birthday,
    String(i % 1000),
    i % 4 ? 'Basic' : 'Pro',
    NOTE.repeat(5),
  ];
}
const HEADERS = ['Full name', 'Mobile', 'Tags', 'City', 'Birthday', 'Score', 'Plan', 'Notes'];
const csvCell = (v) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

async function writeCsv(path) {
  const out = createWriteStream(path);
  const write = (s) => (out.write(s) ? undefined : new Promise((r) => out.once('drain', r)));
  await write(`${HEADERS.join(',')}\n`);
  let chunk = '';
  for (let i = 0; i < ROWS; i++) {
    chunk += `${rowOf(i).map(csvCell).join(',')}\n`;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  await new Promise((r) => out.end(r));
}

async function writeXlsx(path) {
  const ExcelJS = (await import('exceljs')).default;
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: false });
  const ws = wb.addWorksheet('Contacts');
  ws.addRow(HEADERS.slice(0, 7)).commit();
  for (let i = 0; i < ROWS; i++) ws.addRow(rowOf(i).slice(0, 7)).commit();
  ws.commit();
  await wb.commit();
}

function child(mode, file, databaseUrl, dataDir) {
  return new Promise((resolve, reject) => {
    const c = spawn(
      process.execPath,
      [
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []),
        '--import',
        'tsx',
        self,
        '--child',
        mode,
        file,
        databaseUrl ?? '',
        dataDir ?? '',
      ],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    c.stdout.on('data', (d) => {
      out += d;
    });
    c.on('exit', (code) => {
      const last = out.trim().split('\n').pop();
      if (code !== 0 || !last) return reject(new Error(`${mode} child exited ${code}: ${out}`));
      resolve(JSON.parse(last));
    });
  });
}

const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
try {
  await admin.connect();
} catch (err) {
  finish({ error: `PostgreSQL not reachable at ${adminUrl}: ${err.message}`, target_met: false });
}
const dbName = `openwaba_bench_${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'openwaba-import-bench-'));
await admin.query(`create database ${dbName}`);
const url = new URL(adminUrl);
url.pathname = `/${dbName}`;
const databaseUrl = url.toString();
let result;
try {
  const csvPath = join(dir, 'contacts.csv');
  const xlsxPath = join(dir, 'contacts.xlsx');
  const t = performance.now();
  await writeCsv(csvPath);
  await writeXlsx(xlsxPath);
  console.error(
    `generated ${ROWS} rows: CSV ${mb(statSync(csvPath).size)} MB, XLSX ${mb(statSync(xlsxPath).size)} MB in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );

  // The organisation, its region and fields, as a person would set them up.
  const { createServices, loadConfig, openDatabase, runMigrations } = await import(
    '../apps/server/src/index.ts'
  );
  const dataDir = join(dir, 'data');
  const config = loadConfig(
    {
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      APP_SECRET: SECRET,
    },
    {},
  );
  const database = await openDatabase({ databaseUrl, dataDir });
  await runMigrations(database);
  const services = createServices({
    config,
    database,
    appSecret: SECRET,
  });
  const { orgId, userId } = await services.orgs.setupOwner({
    email: 'bench@example.com',
    password: 'bench password 123',
    orgName: 'Bench',
  });
  const ctx = { orgId, userId, role: 'owner', sessionId: 'bench' };
  await services.orgs.updateOrg(ctx, { settings: { default_region: 'GB', allowed_countries: ['GB'] } });
  for (const f of [
    { key: 'city', label: 'City', type: 'text' },
    { key: 'birthday', label: 'Birthday', type: 'date' },
    { key: 'score', label: 'Score', type: 'number' },
    { key: 'plan', label: 'Plan', type: 'enum', options: ['Basic', 'Pro'] },
  ])
    await services.fields.create(ctx, f);
  await services.whatsapp.close();
  await database.close();

  const baseline = await child('baseline', csvPath);
  console.error(`baseline csv-parse: ${baseline.wall_s.toFixed(2)} s, ${baseline.peak_rss_mb} MB`);
  // The same phones again would be all updates/unchanged: every import starts from no contacts.
  const clean = async () => {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    // The ledger first: its contact_id foreign key has no index of its own (each deleted contact would scan it).
    await c.query('delete from opt_in_events');
    await c.query('delete from contact_imports');
    await c.query('delete from contacts');
    await c.end();
  };
  const csv = await child('wizard', csvPath, databaseUrl, dataDir);
  console.error(`CSV import (dashboard wizard): ${JSON.stringify(csv)}`);
  await clean();
  const direct = await child('direct', csvPath, databaseUrl, dataDir);
  console.error(`CSV import (CLI, no preview): ${JSON.stringify(direct)}`);
  await clean();
  const xlsx = await child('wizard', xlsxPath, databaseUrl, dataDir);
  console.error(`XLSX import (dashboard wizard): ${JSON.stringify(xlsx)}`);

  const total = (r) => r.upload_s + r.preview_s + r.import_s;
  const summary = (r) => ({
    state: r.state,
    seconds: Number(total(r).toFixed(2)),
    upload_s: Number(r.upload_s.toFixed(2)),
    preview_s: Number(r.preview_s.toFixed(2)),
    import_s: Number(r.import_s.toFixed(2)),
    rows_per_s: Math.round(ROWS / total(r)),
    peak_rss_mb: r.peak_rss_mb,
    counts: r.counts,
  });
  result = {
    rows: ROWS,
    csv_mb: mb(statSync(csvPath).size),
    xlsx_mb: mb(statSync(xlsxPath).size),
    csv: summary(csv),
    csv_cli: summary(direct),
    xlsx: summary(xlsx),
    baseline_csv_parse: { seconds: Number(baseline.wall_s.toFixed(2)), peak_rss_mb: baseline.peak_rss_mb },
    overhead_ratio: Number((total(direct) / baseline.wall_s).toFixed(1)),
    // The import of a 100k-row CSV: the job after the wizard's confirmation, and the CLI from upload to done.
    // The wizard's upload and preview come before anything is imported; their times are reported above.
    target: { csv_seconds: TARGET_SECONDS, csv_rss_mb: TARGET_RSS_MB },
    target_met:
      csv.state === 'completed' &&
      direct.state === 'completed' &&
      csv.import_s <= TARGET_SECONDS &&
      total(direct) <= TARGET_SECONDS &&
      Math.max(csv.peak_rss_mb, direct.peak_rss_mb) <= TARGET_RSS_MB,
  };
} catch (err) {
  result = { error: err.message, target_met: false };
} finally {
  await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
  await admin.end().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
finish(result);
