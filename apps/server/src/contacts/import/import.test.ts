import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildXlsx,
  encodeWindows1252,
  sheetRowsXml,
  worksheetXml,
} from '../../../test/fixtures/import/make-files.ts';
import { until } from '../../../test/helpers/until.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../../test/helpers.ts';
import { transaction } from '../../db/tx.ts';

let t: TestApp;
let owner: TestClient;
let dataDir: string;

/** A valid UK mobile, distinct per n, as a person in the UK writes it; and its E.164. */
const gb = (n: number) => `07400 ${String(200000 + n)}`;
const e164 = (n: number) => `+447400${String(200000 + n)}`;
const MAX_BYTES = 256 * 1024;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'openwaba-import-data-'));
  t = await createTestApp({ DATA_DIR: dataDir, IMPORT_MAX_BYTES: String(MAX_BYTES) });
  owner = await t.owner();
  const res = await owner.patch('/api/v1/org', {
    settings: { default_region: 'GB', allowed_countries: ['GB', 'IE'] },
  });
  expect(res.statusCode, res.body).toBe(200);
  for (const f of [
    { key: 'city', label: 'City', type: 'text' },
    { key: 'age', label: 'Age', type: 'number' },
    { key: 'plan', label: 'Plan', type: 'enum', options: ['Basic', 'Pro'] },
  ]) {
    const r = await owner.post('/api/v1/fields', f);
    expect(r.statusCode, r.body).toBe(201);
  }
});
afterAll(async () => {
  await t.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function upload(data: string | Buffer, filename = 'contacts.csv', client = owner, type = 'text/csv') {
  return client.request('POST', `/api/v1/contacts/imports?filename=${encodeURIComponent(filename)}`, data, {
    'content-type': type,
  });
}
async function uploadOk(data: string | Buffer, filename?: string) {
  const res = await upload(data, filename);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
/** Confirms and runs the job's work at once (the worker is not started in most of these tests). */
async function importNow(id: string, options: unknown) {
  const res = await owner.post(`/api/v1/contacts/imports/${id}/confirm`, options);
  expect(res.statusCode, res.body).toBe(202);
  expect(res.json()).toEqual({ id, state: 'queued' });
  // Runs it here; the queued job may have started it first (the worker wakes at once), and then this
  // run leaves it to the job: either way, wait for the end.
  await t.app.services.contactImports.run(t.orgId, id);
  for (let i = 0; ; i++) {
    const got = await owner.get(`/api/v1/contacts/imports/${id}`);
    expect(got.statusCode, got.body).toBe(200);
    if (['completed', 'failed'].includes(got.json().state) || i >= 200) return got.json();
    await new Promise((r) => setTimeout(r, 50));
  }
}
async function contactByPhone(phone: string) {
  const res = await owner.get(`/api/v1/contacts?q=${encodeURIComponent(phone.slice(1))}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data.find((c: { phone: string }) => c.phone === phone);
}
const count = async (sql: string, params: unknown[] = []) =>
  Number((await t.database.query<{ n: number }>(sql, params))[0]?.n);

describe(`contact import on ${settings.backend}`, () => {
  it('suggests a mapping from the headers and the organisation’s fields', async () => {
    const up = await uploadOk(
      'Full Name;Número de telefone;Labels;Cidade;Age;Notes\nAna;07400 111111;vip;Porto;31;x\n',
      'pt.csv',
    );
    expect(up).toMatchObject({
      filename: 'pt.csv',
      format: 'csv',
      encoding: 'utf-8',
      headers: ['Full Name', 'Número de telefone', 'Labels', 'Cidade', 'Age', 'Notes'],
      total_rows: 1,
      sample_rows: [['Ana', '07400 111111', 'vip', 'Porto', '31', 'x']],
      suggested_mapping: {
        phone: 'Número de telefone',
        name: 'Full Name',
        tags: 'Labels',
        fields: { age: 'Age' },
      },
    });
    const mobile = await uploadOk('First name,Mobile,City\nBo,07400 111112,Leeds\n');
    expect(mobile.suggested_mapping).toEqual({
      phone: 'Mobile',
      name: 'First name',
      fields: { city: 'City' },
    });
  });

  it('makes the name from a first-name and a last-name column', async () => {
    const up = await uploadOk(
      `Surname,Given name,Phone\nÓ Briain,Dara,${gb(85)}\nSolo,,${gb(86)}\n,Cher,${gb(87)}\n`,
    );
    expect(up.suggested_mapping).toEqual({
      phone: 'Phone',
      name: 'Given name',
      last_name: 'Surname',
      fields: {},
    });
    const options = { mapping: up.suggested_mapping, on_duplicate: 'update' };
    const prev = (await owner.post(`/api/v1/contacts/imports/${up.id}/preview`, options)).json();
    expect(prev.rows.map((r: { name: string }) => r.name)).toEqual(['Dara Ó Briain', 'Solo', 'Cher']);
    expect(await importNow(up.id, options)).toMatchObject({ state: 'completed', counts: { new: 3 } });
    expect(await contactByPhone(e164(85))).toMatchObject({ name: 'Dara Ó Briain' });
    expect(await contactByPhone(e164(86))).toMatchObject({ name: 'Solo' });

    const bad = await uploadOk(`Name,Phone\nA,${gb(88)}\n`);
    const res = await owner.post(`/api/v1/contacts/imports/${bad.id}/preview`, {
      mapping: { phone: 'Phone', name: 'Name', last_name: 'Family' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('mapping.last_name: no column is called "Family"');
  });

  it('previews the first rows as stored and the counts; imports them; reports the rejects', async () => {
    const existing = await owner.post('/api/v1/contacts', { phone: gb(1), name: 'Already Here' });
    expect(existing.statusCode).toBe(201);
    const csv = [
      'Name,Mobile,Labels,City,Age,Plan',
      `Zoë Ålund,${gb(1)},VIP; Leeds,Leeds,40,pro`, // existing: updated
      `Émile,+44 7400 ${200000 + 2},,Paris,,`, // new
      `Bad Phone,12345,,,,`, // invalid phone
      `Bad Age,${gb(3)},,,forty,`, // invalid number
      `Again,${gb(2)},,,,`, // duplicate of row 3
      `Bad Plan,${gb(4)},,,,Gold`, // invalid enum
      `"=HYPERLINK(""http://x"")",${gb(5)},new-tag,,,`, // new, name kept as written
      `Outsider,+1 202 555 0143,,,,`, // country not allowed
    ].join('\n');
    const up = await uploadOk(csv);
    const options = {
      mapping: {
        phone: 'Mobile',
        name: 'Name',
        tags: 'Labels',
        fields: { city: 'City', age: 'Age', plan: 'Plan' },
      },
      on_duplicate: 'update',
      add_tags: ['imported'],
    };
    const prev = await owner.post(`/api/v1/contacts/imports/${up.id}/preview`, options);
    expect(prev.statusCode, prev.body).toBe(200);
    const p = prev.json();
    expect(p.counts).toEqual({ total: 8, new: 2, updated: 1, unchanged: 0, invalid: 4, duplicates: 1 });
    expect(p.rows[0]).toEqual({
      row_number: 2,
      phone: e164(1),
      name: 'Zoë Ålund',
      tags: ['VIP', 'Leeds', 'imported'],
      fields: { city: 'Leeds', age: 40, plan: 'Pro' },
      outcome: 'updated',
    });
    expect(p.rows.map((r: { outcome: string }) => r.outcome)).toEqual([
      'updated',
      'new',
      'invalid',
      'invalid',
      'duplicate',
      'invalid',
      'new',
      'invalid',
    ]);
    expect(p.rows[2]).toMatchObject({
      row_number: 4,
      phone: '12345',
      reason: expect.stringMatching(/^phone: /),
    });
    expect(p.rows[3]).toMatchObject({ reason: 'age: must be a number' });
    expect(p.rows[4]).toMatchObject({ reason: 'duplicate: the same phone as row 3' });
    expect(p.rows[7].reason).toMatch(/country US is not allowed/);
    // The preview wrote nothing.
    expect((await contactByPhone(e164(2))) ?? null).toBeNull();

    const done = await importNow(up.id, options);
    expect(done).toMatchObject({
      state: 'completed',
      counts: p.counts,
      processed: 8,
      error: null,
      has_rejects: true,
      options: { on_duplicate: 'update' },
    });
    expect(done.finished_at).not.toBeNull();
    const updated = await contactByPhone(e164(1));
    expect(updated).toMatchObject({ name: 'Zoë Ålund', fields: { city: 'Leeds', age: 40, plan: 'Pro' } });
    expect(updated.tags.map((x: { name: string }) => x.name).sort()).toEqual(['Leeds', 'VIP', 'imported']);
    expect(await contactByPhone(e164(2))).toMatchObject({ name: 'Émile', fields: { city: 'Paris' } });
    expect(await contactByPhone(e164(5))).toMatchObject({ name: '=HYPERLINK("http://x")' });

    const rej = await owner.get(`/api/v1/contacts/imports/${up.id}/rejects.csv`);
    expect(rej.statusCode).toBe(200);
    expect(rej.headers['content-type']).toMatch(/text\/csv/);
    const report = parse(rej.body, { columns: true }) as {
      row_number: string;
      value: string;
      reason: string;
    }[];
    expect(report.map((r) => [r.row_number, r.value])).toEqual([
      ['4', '12345'],
      ['5', 'forty'],
      ['6', gb(2)],
      ['7', 'Gold'],
      ['9', "'+1 202 555 0143"],
    ]);
    expect(report[3]!.reason).toBe('plan: must be one of: Basic, Pro');

    // One audit entry for the import; the uploaded file is gone.
    expect(
      await count(
        `select count(*)::int as n from audit_log where action = 'contact.import' and entity_id = $1`,
        [up.id],
      ),
    ).toBe(1);
    expect(await readdir(join(dataDir, 'imports'))).not.toContain(`${up.id}.upload`);
    // Confirmed once only.
    expect((await owner.post(`/api/v1/contacts/imports/${up.id}/confirm`, options)).statusCode).toBe(409);
  });

  it('skip leaves existing contacts as they are; update changes them', async () => {
    await owner.post('/api/v1/contacts', { phone: gb(10), name: 'Keep Me', fields: { city: 'York' } });
    const csv = `Name,Phone,City\nChanged,${gb(10)},Bath\nFresh,${gb(11)},Bath\n`;
    const mapping = { phone: 'Phone', name: 'Name', fields: { city: 'City' } };

    const skip = await uploadOk(csv);
    const skipped = await importNow(skip.id, { mapping, on_duplicate: 'skip' });
    expect(skipped.counts).toMatchObject({ new: 1, updated: 0, unchanged: 1 });
    expect(await contactByPhone(e164(10))).toMatchObject({ name: 'Keep Me', fields: { city: 'York' } });

    const upd = await uploadOk(csv);
    const updated = await importNow(upd.id, { mapping, on_duplicate: 'update' });
    expect(updated.counts).toMatchObject({ new: 0, updated: 1, unchanged: 1 });
    expect(await contactByPhone(e164(10))).toMatchObject({ name: 'Changed', fields: { city: 'Bath' } });
  });

  it('is all or nothing: a row the database refuses mid-import leaves nothing behind', async () => {
    // A real failure inside PostgreSQL, not a mock: a trigger refuses one name, row 1,501 of 2,000.
    await t.database.query(
      `create function refuse_boom() returns trigger language plpgsql as $$
       begin if new.name = 'BOOM' then raise exception 'refused by test trigger'; end if; return new; end $$`,
    );
    await t.database.query(
      'create trigger refuse_boom before insert or update on contacts for each row execute function refuse_boom()',
    );
    try {
      const lines = ['Name,Phone,Labels'];
      for (let i = 0; i < 2000; i++)
        lines.push(`${i === 1500 ? 'BOOM' : `Row ${i}`},${gb(1000 + i)},atomic-tag`);
      const before = await count('select count(*)::int as n from contacts');
      const up = await uploadOk(lines.join('\n'));
      const res = await importNow(up.id, {
        mapping: { phone: 'Phone', name: 'Name', tags: 'Labels' },
        on_duplicate: 'update',
        opt_in: { source: 'import', proof: 'signed up at the fair' },
      });
      expect(res).toMatchObject({ state: 'failed', has_rejects: false });
      expect(res.error).toMatch(/Nothing was imported/);
      expect(await count('select count(*)::int as n from contacts')).toBe(before);
      expect(await count(`select count(*)::int as n from tags where name = 'atomic-tag'`)).toBe(0);
      expect(
        await count(`select count(*)::int as n from opt_in_events where proof = 'signed up at the fair'`),
      ).toBe(0);
      const notes = await owner.get('/api/v1/notifications');
      expect(notes.json().data[0]).toMatchObject({ type: 'contacts.import_failed' });
    } finally {
      await t.database.query('drop trigger refuse_boom on contacts');
      await t.database.query('drop function refuse_boom()');
    }
  });

  it('reads UTF-16 and Windows-1252 files and XLSX workbooks', async () => {
    const text = `Nome,Telefone\nJoão Ñandú,${gb(50)}\n`;
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const cp1252 = encodeWindows1252(`Nome;Telefone\r\nFrançois Müller;${gb(51)}\r\n`);
    const xlsx = buildXlsx({
      sheet: worksheetXml(
        sheetRowsXml([
          ['Name', 'Phone'],
          ['Ångström', 447400200052],
        ]),
      ),
    });
    for (const [data, name, phone, encoding] of [
      [utf16, 'João Ñandú', e164(50), 'utf-16le'],
      [cp1252, 'François Müller', e164(51), 'windows-1252'],
      [xlsx, 'Ångström', e164(52), null],
    ] as const) {
      const up = await uploadOk(data, 'file');
      expect(up.encoding).toBe(encoding);
      expect(up.suggested_mapping.phone).toBeTruthy();
      const res = await importNow(up.id, {
        mapping: { phone: up.suggested_mapping.phone, name: up.suggested_mapping.name },
        on_duplicate: 'update',
      });
      expect(res.counts, JSON.stringify(res)).toMatchObject({ new: 1 });
      expect(await contactByPhone(phone)).toMatchObject({ name });
    }
  });

  it('bad files are a clear 4xx with nothing stored; a file over the limit is 413', async () => {
    const before = await count('select count(*)::int as n from contact_imports');
    const cases: [string | Buffer, string][] = [
      ['', 'empty'],
      ['Name,Phone\n', 'header only'],
      [Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0, 9, 8, 7, 0, 0, 0, 1, 2]), 'binary'],
      ['Name,Phone\n"unbalanced,07400 123456\n', 'quotes'],
    ];
    for (const [data, what] of cases) {
      const res = await upload(data);
      expect(res.statusCode, `${what}: ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, what).toBeLessThan(500);
      expect(res.json().error.message, what).toBeTruthy();
    }
    const big = await upload(`Name,Phone\n${'x,07400 123456\n'.repeat(MAX_BYTES / 10)}`);
    expect(big.statusCode, big.body).toBe(413);
    expect(await count('select count(*)::int as n from contact_imports')).toBe(before);
    expect((await readdir(join(dataDir, 'imports'))).filter((f) => f.endsWith('.upload')).sort()).toEqual(
      (await t.database.query<{ id: string }>(`select id from contact_imports where path is not null`))
        .map((r) => `${r.id}.upload`)
        .sort(),
    );
  });

  it('a mapping naming a missing column or field is a 400', async () => {
    const up = await uploadOk(`Name,Phone\nA,${gb(60)}\n`);
    const res = await owner.post(`/api/v1/contacts/imports/${up.id}/preview`, {
      mapping: { phone: 'Mobile', fields: { nope: 'Name' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('no column is called "Mobile"');
  });

  it('exports the contacts as CSV, formula-safe, phones usable; the export imports back', async () => {
    const dangerous = ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tTab', '\rCR'];
    for (const [i, name] of dangerous.entries()) {
      const r = await owner.post('/api/v1/contacts', {
        phone: gb(700 + i),
        name: `${name}`,
        fields: { city: '=evil()' },
      });
      expect(r.statusCode, r.body).toBe(201);
    }
    const res = await owner.get('/api/v1/contacts/export?q=Tab');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    const all = await owner.get('/api/v1/contacts/export');
    const rows = parse(all.body, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual([
      'phone',
      'name',
      'tags',
      'city',
      'age',
      'plan',
      'consent',
      'created_at',
      'user_id',
      'username',
    ]);
    for (const [i, name] of dangerous.entries()) {
      const row = rows.find((r) => r.phone === e164(700 + i));
      expect(row, name).toBeDefined();
      // Leading tab/CR are trimmed on input; what is stored is what must be neutralised.
      const stored = (await contactByPhone(e164(700 + i))).name as string;
      expect(row!.name).toBe(/^[=+\-@\t\r]/.test(stored) ? `'${stored}` : stored);
      expect(row!.city).toBe("'=evil()");
      expect(row!.phone).toMatch(/^\+\d+$/);
    }
    expect(rows.find((r) => r.phone === e164(1))).toMatchObject({ tags: 'imported, Leeds, VIP', age: '40' });

    // The export is an import file: phones read back as they were.
    const again = await uploadOk(all.body, 'export.csv');
    const prev = await owner.post(`/api/v1/contacts/imports/${again.id}/preview`, {
      mapping: { phone: 'phone', name: 'name' },
      on_duplicate: 'skip',
    });
    expect(prev.json().counts).toMatchObject({ total: rows.length, new: 0, invalid: 0, duplicates: 0 });
  });

  it('another organisation sees no import; a viewer may not import or export', async () => {
    const up = await uploadOk(`Name,Phone\nA,${gb(80)}\n`);
    const other = await t.owner();
    const org = await other.post('/api/v1/orgs', { name: 'Import Other' });
    expect(org.statusCode, org.body).toBe(201);
    expect((await other.post('/api/v1/me/org', { org_id: org.json().id })).statusCode).toBe(200);
    const opts = { mapping: { phone: 'Phone' }, on_duplicate: 'update' };
    for (const res of [
      await other.get(`/api/v1/contacts/imports/${up.id}`),
      await other.post(`/api/v1/contacts/imports/${up.id}/preview`, opts),
      await other.post(`/api/v1/contacts/imports/${up.id}/confirm`, opts),
      await other.get(`/api/v1/contacts/imports/${up.id}/rejects.csv`),
    ]) {
      expect(res.statusCode, res.body).toBe(404);
    }
    const otherExport = parse((await other.get('/api/v1/contacts/export')).body, { columns: true });
    expect(otherExport).toEqual([]);

    const viewer = await t.member('viewer');
    expect((await upload(`Name,Phone\nA,${gb(81)}\n`, 'x.csv', viewer)).statusCode).toBe(403);
    expect((await viewer.get('/api/v1/contacts/export')).statusCode).toBe(403);
  });

  it('the job runs the import with progress, records opt-ins and never overrides an opt-out', async () => {
    const stopped = await owner.post('/api/v1/contacts', { phone: gb(90), name: 'Said STOP' });
    await owner.post(`/api/v1/contacts/${stopped.json().id}/consent`, { kind: 'opt_out' });
    await t.app.services.jobs.start({ work: true });
    const up = await uploadOk(`Name,Phone\nStill Stopped,${gb(90)}\nWelcome,${gb(91)}\n`);
    const res = await owner.post(`/api/v1/contacts/imports/${up.id}/confirm`, {
      mapping: { phone: 'Phone', name: 'Name' },
      on_duplicate: 'update',
      opt_in: { proof: 'paper form 2026-11' },
    });
    expect(res.statusCode, res.body).toBe(202);
    let state = '';
    for (let i = 0; i < 120 && state !== 'completed' && state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      state = (await owner.get(`/api/v1/contacts/imports/${up.id}`)).json().state;
    }
    expect(state).toBe('completed');
    expect((await contactByPhone(e164(91))).consent).toMatchObject({ state: 'opted_in', source: 'import' });
    expect((await contactByPhone(e164(90))).consent.state).toBe('opted_out');
    const events = await owner.get('/api/v1/events?since=0&limit=500');
    const progress = events
      .json()
      .data.filter(
        (e: { event: { type: string; data: { import_id?: string } } }) =>
          e.event.type === 'contacts.import_progress' && e.event.data.import_id === up.id,
      );
    expect(progress.map((e: { event: { data: { state: string } } }) => e.event.data.state)).toContain(
      'completed',
    );
  }, 60_000);

  it('the import uses the rows its preview checked only when they would be read the same way', async () => {
    const csv = `Name,Phone,Other\nAda,${gb(60)},${gb(70)}\nBob,${gb(61)},+353 85 123 4567\n`;
    const files = async () => (await readdir(join(dataDir, 'imports'))).filter((f) => f.startsWith(up.id));
    const options = { mapping: { phone: 'Phone', name: 'Name' }, on_duplicate: 'update' };

    // Previewed, then confirmed with another phone column: the import reads the file again.
    let up = await uploadOk(csv);
    expect((await owner.post(`/api/v1/contacts/imports/${up.id}/preview`, options)).statusCode).toBe(200);
    expect(await files()).toEqual([`${up.id}.upload`, `${up.id}.upload.rows`].sort());
    const other = await importNow(up.id, { ...options, mapping: { phone: 'Other', name: 'Name' } });
    expect(other.counts).toMatchObject({ new: 2, invalid: 0 });
    expect(await contactByPhone(e164(70))).toMatchObject({ name: 'Ada' });
    expect(await contactByPhone(e164(60))).toBeUndefined();
    expect(await files()).toEqual([]);

    // Previewed, then the organisation stops allowing Irish numbers: the import applies the new rule.
    up = await uploadOk(csv);
    const prev = await owner.post(`/api/v1/contacts/imports/${up.id}/preview`, {
      ...options,
      mapping: { phone: 'Other', name: 'Name' },
      on_duplicate: 'skip',
    });
    expect(prev.json().counts).toMatchObject({ unchanged: 2, invalid: 0 });
    await owner.patch('/api/v1/org', { settings: { allowed_countries: ['GB'] } });
    try {
      const done = await importNow(up.id, {
        ...options,
        mapping: { phone: 'Other', name: 'Name' },
        on_duplicate: 'skip',
      });
      expect(done.counts).toMatchObject({ unchanged: 1, invalid: 1 });
    } finally {
      await owner.patch('/api/v1/org', { settings: { allowed_countries: ['GB', 'IE'] } });
    }

    // Previewed and confirmed the same way: the checked rows are what is imported — even if the
    // upload itself were damaged afterwards, which this proves by damaging it.
    up = await uploadOk(csv.replaceAll('Ada', 'Ada Two').replace(gb(60), gb(62)));
    expect(
      (await owner.post(`/api/v1/contacts/imports/${up.id}/preview`, options)).json().counts,
    ).toMatchObject({ new: 2, invalid: 0 });
    await writeFile(join(dataDir, 'imports', `${up.id}.upload`), '\u0000\u0001 not a csv any more');
    const same = await importNow(up.id, options);
    expect(same).toMatchObject({ state: 'completed', counts: { new: 2, invalid: 0 } });
    expect(await contactByPhone(e164(62))).toMatchObject({ name: 'Ada Two' });
    expect(await contactByPhone(e164(61))).toMatchObject({ name: 'Bob' });
    expect(await files()).toEqual([]);
  });

  it.skipIf(settings.backend !== 'pg')(
    'a second attempt while the first still runs leaves it alone and keeps its file',
    async () => {
      const up = await uploadOk(`Name,Phone\nLocked,${gb(80)}\n`);
      const options = { mapping: { phone: 'Phone', name: 'Name' }, on_duplicate: 'update' };
      expect((await owner.post(`/api/v1/contacts/imports/${up.id}/confirm`, options)).statusCode).toBe(202);
      // Stands in for the first attempt: holds the import's lock in another connection.
      let locked!: () => void;
      let release!: () => void;
      const taken = new Promise<void>((r) => {
        locked = r;
      });
      const held = new Promise<void>((r) => {
        release = r;
      });
      const first = transaction(t.database.db, async (tx) => {
        await tx.execute(
          sql`select pg_advisory_xact_lock(hashtextextended(${`contact_import:${up.id}`}, 0))`,
        );
        locked();
        await held;
      });
      await taken;
      const second = await t.app.services.contactImports.run(t.orgId, up.id);
      expect(second).toMatchObject({ state: 'running', counts: null, error: null });
      expect(await readdir(join(dataDir, 'imports'))).toContain(`${up.id}.upload`);
      expect(await contactByPhone(e164(80))).toBeUndefined();
      release();
      await first;
      // The import's queued job may take the lock first once it is free: this attempt then leaves
      // that one alone (as above), and the next finds the import done.
      const done = await until('the import completed', async () => {
        const r = await t.app.services.contactImports.run(t.orgId, up.id);
        return r.state === 'running' ? undefined : r;
      });
      expect(done).toMatchObject({ state: 'completed', counts: { new: 1 } });
      expect(await contactByPhone(e164(80))).toMatchObject({ name: 'Locked' });
    },
  );

  it('the purge deletes files of imports left unconfirmed for a day', async () => {
    const up = await uploadOk(`Name,Phone\nA,${gb(95)}\n`);
    await t.database.query(
      `update contact_imports set updated_at = now() - interval '25 hours' where id = $1`,
      [up.id],
    );
    expect(await t.app.services.contactImports.purgeStale(24)).toBeGreaterThanOrEqual(1);
    expect(await readdir(join(dataDir, 'imports'))).not.toContain(`${up.id}.upload`);
    expect((await owner.get(`/api/v1/contacts/imports/${up.id}`)).json()).toMatchObject({ state: 'failed' });
  });

  it('a business-scoped user id in the phone column is a username customer; the export gives it back', async () => {
    const U = 'GB.90210000000000000001';
    // A BSUID already linked to a phone finds that contact (updated, not duplicated).
    const linked = await owner.post('/api/v1/contacts', { phone: e164(96), name: 'Linked' });
    expect(linked.statusCode, linked.body).toBe(201);
    await t.database.query(`update contacts set user_id = 'GB.90210000000000000002' where id = $1`, [
      linked.json().id,
    ]);
    const up = await uploadOk(
      `Name,Phone\nUsername customer,${U}\nLinked again,GB.90210000000000000002\nDuplicate,${U}\n`,
    );
    const options = { mapping: up.suggested_mapping, on_duplicate: 'update' };
    expect(await importNow(up.id, options)).toMatchObject({
      state: 'completed',
      counts: { new: 1, updated: 1, duplicates: 1 },
    });
    const [c] = await t.database.query<{ wa_id: string; phone: string | null; user_id: string }>(
      `select wa_id, phone, user_id from contacts where user_id = $1`,
      [U],
    );
    expect(c).toEqual({ wa_id: U, phone: null, user_id: U });
    expect((await owner.get(`/api/v1/contacts/${linked.json().id}`)).json()).toMatchObject({
      name: 'Linked again',
      phone: e164(96),
    });
    // Search by the BSUID finds it; the export lists it with an empty phone and its user id.
    const found = (await owner.get(`/api/v1/contacts?q=${U}`)).json().data as { user_id: string }[];
    expect(found.map((x) => x.user_id)).toEqual([U]);
    const rows = parse((await owner.get('/api/v1/contacts/export')).body, { columns: true }) as Record<
      string,
      string
    >[];
    expect(rows.find((r) => r.user_id === U)).toMatchObject({ phone: '', name: 'Username customer' });
  });
});
