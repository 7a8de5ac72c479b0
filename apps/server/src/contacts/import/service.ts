import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type ContactImport,
  type ImportCounts,
  ImportOptions,
  type ImportPreview,
  type ImportUpload,
  type PreviewRow,
} from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import { type Actor, recordAudit } from '../../audit/service.ts';
import type { AuthContext } from '../../auth/context.ts';
import type { Config } from '../../config.ts';
import type { Database, Db, Tx } from '../../db/client.ts';
import { queryRows, transaction } from '../../db/tx.ts';
import type { EventService } from '../../events/service.ts';
import { csvLine } from '../../lib/csv-safe.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import type { Log } from '../../lib/log.ts';
import { readAhead } from '../../lib/read-ahead.ts';
import type { NotificationService } from '../../notifications/service.ts';
import type { OrgService } from '../../orgs/service.ts';
import type { ConsentService } from '../consent.ts';
import type { FieldService } from '../fields.ts';
import type { Tombstones } from '../tombstones.ts';
import { formatBytes, formatCount, type ImportLimits } from './limits.ts';
import { resolveColumns, suggestMapping } from './mapping.ts';
import {
  type BadRow,
  countOutcome,
  createRowReader,
  emptyCounts,
  findExisting,
  type GoodRow,
  outcomeOf,
  type ReadRow,
  toPreviewRow,
} from './plan.ts';
import { type FileInspection, inspectFile, readRows } from './read-file.ts';
import { cachedBatches, cachePathOf, writeThrough } from './row-cache.ts';

const ALREADY_RUNNING = Symbol('import already running');

/** Rows per statement: big enough to amortise round trips, small enough for bounded memory. */
const BATCH = 2500;
const PREVIEW_ROWS = 20;
/** At most this often a running import reports progress. */
const PROGRESS_MS = 300;

type Inspection = Pick<
  FileInspection,
  'encoding' | 'headers' | 'sampleRows' | 'totalRows' | 'warnings' | 'headerRowNumber'
>;

interface ImportRow {
  id: string;
  org_id: string;
  created_by: string | null;
  filename: string;
  path: string | null;
  format: 'csv' | 'xlsx';
  inspection: Inspection;
  state: ContactImport['state'];
  options: unknown;
  total_rows: number;
  processed: number;
  counts: ImportCounts | null;
  error: string | null;
  created_at: string | Date;
  finished_at: string | Date | null;
}

const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());

/**
 * Contact files: uploaded to a temporary file (never held in memory), previewed with the counts of the
 * whole file, then imported by the `contacts.import-file` job in one transaction — all or nothing —
 * with the rejected rows kept for a report.
 */
export function createContactImportService(deps: {
  db: Db;
  database: Database;
  config: Config;
  orgs: OrgService;
  fields: FieldService;
  consent: ConsentService;
  tombstones: Tombstones;
  events: EventService;
  notifications: NotificationService;
  log: Log;
  /** Queues the import job (after the confirmation is committed). */
  schedule(orgId: string, importId: string): Promise<unknown>;
}) {
  const { db, database, config, orgs, fields, consent, tombstones, events, notifications, log } = deps;
  const dir = join(config.DATA_DIR, 'imports');
  const limits: Partial<ImportLimits> = {
    maxBytes: config.IMPORT_MAX_BYTES,
    maxRows: config.IMPORT_MAX_ROWS,
  };
  /** Progress of imports running in this process (PGlite cannot be written to while the import's transaction holds it). */
  const live = new Map<string, number>();

  const tooLarge = () =>
    new AppError(
      'PAYLOAD_TOO_LARGE',
      `The file is larger than ${formatBytes(config.IMPORT_MAX_BYTES)}, the most one import takes. Split it into smaller files.`,
      { details: { reason: 'file_too_large', max_bytes: config.IMPORT_MAX_BYTES } },
    );

  async function getRow(tx: Db | Tx, orgId: string, id: string): Promise<ImportRow> {
    const [row] = await queryRows<ImportRow>(
      tx,
      sql`select * from contact_imports where org_id = ${orgId} and id = ${id} and purpose = 'contacts'`,
    );
    if (!row) throw notFound('Import');
    return row;
  }

  function toImport(r: ImportRow, hasRejects: boolean): ContactImport {
    const options = r.options ? ImportOptions.safeParse(r.options) : undefined;
    return {
      id: r.id,
      filename: r.filename,
      format: r.format,
      state: r.state,
      options: options?.success ? options.data : null,
      total_rows: r.total_rows,
      processed: Math.max(r.processed, live.get(r.id) ?? 0),
      counts: r.counts,
      error: r.error,
      has_rejects: hasRejects,
      created_by: r.created_by,
      created_at: iso(r.created_at)!,
      finished_at: iso(r.finished_at),
    };
  }

  /**
   * Streams the body to a file under DATA_DIR (counting bytes: a body over the limit is a 413 and
   * leaves nothing behind), reads it once to describe it, and suggests a mapping.
   */
  async function upload(
    ctx: AuthContext,
    input: { body: Readable; filename?: string | undefined; contentLength?: number | undefined },
    purpose: 'contacts' | 'campaign' = 'contacts',
  ): Promise<ImportUpload> {
    if (input.contentLength !== undefined && input.contentLength > config.IMPORT_MAX_BYTES) throw tooLarge();
    await mkdir(dir, { recursive: true });
    const id = randomUUID();
    const path = join(dir, `${id}.upload`);
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done(bytes > config.IMPORT_MAX_BYTES ? tooLarge() : null, chunk);
      },
    });
    let inspection: FileInspection;
    try {
      await pipeline(input.body, count, createWriteStream(path));
      inspection = await inspectFile(path, limits);
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
    const filename = input.filename?.trim() || `contacts.${inspection.format}`;
    const stored: Inspection = {
      ...(inspection.encoding ? { encoding: inspection.encoding } : {}),
      ...(inspection.headerRowNumber ? { headerRowNumber: inspection.headerRowNumber } : {}),
      headers: inspection.headers,
      sampleRows: inspection.sampleRows,
      totalRows: inspection.totalRows,
      warnings: inspection.warnings,
    };
    try {
      await db.execute(
        sql`insert into contact_imports (id, org_id, created_by, filename, path, format, inspection, total_rows, purpose)
            values (${id}, ${ctx.orgId}, ${ctx.userId}, ${filename}, ${path}, ${inspection.format},
                    ${JSON.stringify(stored)}::jsonb, ${inspection.totalRows}, ${purpose})`,
      );
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
    const defs = await fields.list(ctx);
    return {
      id,
      filename,
      format: inspection.format,
      encoding: inspection.encoding ?? null,
      headers: inspection.headers,
      sample_rows: inspection.sampleRows,
      total_rows: inspection.totalRows,
      warnings: inspection.warnings,
      suggested_mapping: suggestMapping(inspection.headers, defs),
    };
  }

  /** How rows of this import are read: the mapping checked against its headers and the org's fields. */
  async function readerOf(orgId: string, imp: ImportRow, options: ImportOptions, tx: Db | Tx = db) {
    const columns = resolveColumns(imp.inspection.headers, options.mapping);
    const defs = await fields.definitions(tx, orgId);
    const unknown = columns.fields.filter(([key]) => !defs.has(key));
    if (unknown.length) {
      const issues = unknown.map(([key]) => ({
        path: ['mapping', 'fields', key],
        message: `no custom field has the key "${key}"`,
      }));
      throw new AppError(
        'VALIDATION_FAILED',
        issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        {
          details: issues,
        },
      );
    }
    const { settings } = await orgs.getOrg({ orgId });
    const setup = {
      // In key order: options come back from jsonb with their keys reordered, and the first failing
      // field names a row's reason, so the order must not depend on how the options were stored.
      columns: { ...columns, fields: columns.fields.toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) },
      defs,
      region: settings.default_region,
      allowedCountries: settings.allowed_countries,
      addTags: options.add_tags ?? [],
    };
    // Everything reading depends on: the preview's cached rows serve an import with the same key.
    const key = JSON.stringify({
      ...setup,
      defs: [...defs.values()].sort((a, b) => (a.key < b.key ? -1 : 1)),
    });
    return { read: createRowReader(setup), key };
  }

  /** The file's rows, read and checked, a batch at a time. */
  async function* batchesOf(path: string, read: (row: { rowNumber: number; cells: string[] }) => ReadRow) {
    let batch: ReadRow[] = [];
    for await (const row of readRows(path, limits)) {
      batch.push(read(row));
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }

  const removeUpload = (path: string) =>
    Promise.all([rm(path, { force: true }), rm(cachePathOf(path), { force: true })]);

  function fileOf(imp: ImportRow): string {
    if (!imp.path) throw new AppError('CONFLICT', 'The uploaded file is gone; upload it again');
    return imp.path;
  }

  /** The first rows as they will be stored and the counts of the whole file; nothing is written. */
  async function preview(ctx: AuthContext, id: string, input: ImportOptions): Promise<ImportPreview> {
    const imp = await getRow(db, ctx.orgId, id);
    if (imp.state !== 'uploaded') {
      throw new AppError(
        'CONFLICT',
        `This import is already ${imp.state}; upload the file again to change it`,
      );
    }
    const { read, key } = await readerOf(ctx.orgId, imp, input);
    const counts = emptyCounts();
    const rows: PreviewRow[] = [];
    const path = fileOf(imp);
    for await (const batch of readAhead(writeThrough(path, key, batchesOf(path, read)))) {
      const good = batch.filter((r): r is GoodRow => r.ok);
      const existing = await findExisting(
        db,
        ctx.orgId,
        good.map((r) => r.waId),
      );
      for (const r of batch) {
        const outcome = r.ok ? outcomeOf(r, existing.get(r.waId), input.on_duplicate) : r.outcome;
        countOutcome(counts, outcome);
        if (rows.length < PREVIEW_ROWS) rows.push(toPreviewRow(r, outcome));
      }
    }
    return { rows, counts };
  }

  /** Queues the import with these options; a second confirmation is a 409. */
  async function confirm(ctx: AuthContext, id: string, input: ImportOptions, o: { schedule?: boolean } = {}) {
    const imp = await getRow(db, ctx.orgId, id);
    fileOf(imp);
    // Checks the mapping now, so a mistake is a 400 here rather than a failed job later.
    await readerOf(ctx.orgId, imp, input);
    await transaction(db, async (tx, onCommit) => {
      const [claimed] = await queryRows<{ id: string }>(
        tx,
        sql`update contact_imports set state = 'queued', options = ${JSON.stringify(input)}::jsonb, updated_at = now()
            where org_id = ${ctx.orgId} and id = ${id} and state = 'uploaded' returning id`,
      );
      if (!claimed) throw new AppError('CONFLICT', 'This import was already confirmed');
      // The CLI runs the import itself (no job): `schedule: false`.
      if (o.schedule !== false) onCommit(() => deps.schedule(ctx.orgId, id));
      onCommit(() =>
        events.publish(ctx.orgId, [
          {
            type: 'contacts.import_progress',
            data: { import_id: id, processed: 0, total: imp.total_rows, state: 'queued' },
          },
        ]),
      );
    });
    return { id, state: 'queued' as const };
  }

  async function hasRejects(orgId: string, id: string) {
    const [r] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from (select 1 from contact_import_rejects
          where org_id = ${orgId} and import_id = ${id} limit 1) x`,
    );
    return (r?.n ?? 0) > 0;
  }

  async function get(ctx: Pick<AuthContext, 'orgId'>, id: string): Promise<ContactImport> {
    const row = await getRow(db, ctx.orgId, id);
    return toImport(row, await hasRejects(ctx.orgId, id));
  }

  async function list(ctx: Pick<AuthContext, 'orgId'>): Promise<ContactImport[]> {
    const rows = await queryRows<ImportRow & { has_rejects: boolean }>(
      db,
      sql`select i.*, exists (select 1 from contact_import_rejects r where r.import_id = i.id) as has_rejects
          from contact_imports i where i.org_id = ${ctx.orgId} and i.purpose = 'contacts'
          order by i.created_at desc limit 50`,
    );
    return rows.map((r) => toImport(r, r.has_rejects));
  }

  /** The reject report: row number, value, reason — a CSV safe to open in a spreadsheet. */
  async function* rejectsCsv(ctx: Pick<AuthContext, 'orgId'>, id: string): AsyncGenerator<string> {
    await getRow(db, ctx.orgId, id);
    yield csvLine(['row_number', 'value', 'reason']);
    let after = 0;
    for (;;) {
      const rows = await queryRows<{ row_number: number; value: string; reason: string }>(
        db,
        sql`select row_number, value, reason from contact_import_rejects
            where org_id = ${ctx.orgId} and import_id = ${id} and row_number > ${after}
            order by row_number limit ${BATCH}`,
      );
      if (!rows.length) return;
      yield rows.map((r) => csvLine([r.row_number, r.value, r.reason])).join('');
      after = rows[rows.length - 1]!.row_number;
    }
  }

  /** A tag id per lower-cased name, creating the missing tags (cached for the whole import). */
  async function tagIdsOf(tx: Tx, orgId: string, names: string[], cache: Map<string, string>) {
    const missing = [
      ...new Map(names.filter((n) => !cache.has(n.toLowerCase())).map((n) => [n.toLowerCase(), n])).values(),
    ];
    if (missing.length) {
      await tx.execute(
        sql`insert into tags (org_id, name) select ${orgId}, n from unnest(${sql.param(missing)}::text[]) n
            on conflict do nothing`,
      );
      const rows = await queryRows<{ id: string; key: string }>(
        tx,
        sql`select id, lower(name) as key from tags
            where org_id = ${orgId} and lower(name) = any(${sql.param(missing.map((m) => m.toLowerCase()))}::text[])`,
      );
      for (const r of rows) cache.set(r.key, r.id);
    }
  }

  /** Writes one batch: rejects, new contacts, updated contacts, their tags. Returns the phones imported and how many contacts were written. */
  async function writeBatch(
    tx: Tx,
    imp: ImportRow,
    options: ImportOptions,
    batch: ReadRow[],
    counts: ImportCounts,
    tagCache: Map<string, string>,
    actor: Actor,
    onCommit: (f: () => unknown) => void,
  ): Promise<{ optedIn: number; written: number }> {
    const orgId = imp.org_id;
    const good = batch.filter((r): r is GoodRow => r.ok);
    const bad = batch.filter((r): r is BadRow => !r.ok);
    const existing = await findExisting(
      tx,
      orgId,
      good.map((r) => r.waId),
    );
    const fresh: GoodRow[] = [];
    const changed: GoodRow[] = [];
    /** Rows whose contact gets the import's opt-in: every row written, and every row on file in update mode. */
    const consenting: GoodRow[] = [];
    for (const r of batch) {
      const outcome = r.ok ? outcomeOf(r, existing.get(r.waId), options.on_duplicate) : r.outcome;
      countOutcome(counts, outcome);
      if (!r.ok) continue;
      if (outcome === 'new') fresh.push(r);
      if (outcome === 'updated') changed.push(r);
      if (outcome !== 'unchanged' || options.on_duplicate === 'update') consenting.push(r);
    }
    if (bad.length) {
      await tx.execute(
        sql`insert into contact_import_rejects (import_id, org_id, row_number, value, reason)
            select ${imp.id}, ${orgId}, u.n, u.v, u.r
              from unnest(${sql.param(bad.map((r) => r.rowNumber))}::int[], ${sql.param(bad.map((r) => r.value))}::text[],
                          ${sql.param(bad.map((r) => r.reason))}::text[]) as u(n, v, r)`,
      );
    }
    /** The id of every contact written, by phone. */
    const ids = new Map<string, string>();
    if (fresh.length) {
      const rows = await queryRows<{ id: string; wa_id: string }>(
        tx,
        sql`insert into contacts (org_id, wa_id, name, country, fields)
            select ${orgId}, u.w, u.n, u.c, u.f
              from unnest(${sql.param(fresh.map((r) => r.waId))}::text[], ${sql.param(fresh.map((r) => r.name))}::text[],
                          ${sql.param(fresh.map((r) => r.country))}::text[],
                          ${sql.param(fresh.map((r) => JSON.stringify(r.fields)))}::jsonb[]) as u(w, n, c, f)
            on conflict (org_id, wa_id) do nothing
            returning id, wa_id`,
      );
      for (const r of rows) ids.set(r.wa_id, r.id);
      // An erased contact's phone in the file stays opted out (its kept opt-out goes back on file;
      // the import's opt-in below then leaves it alone).
      await tombstones.restore(
        tx,
        onCommit,
        imp.org_id,
        rows.map((r) => r.wa_id),
      );
    }
    if (changed.length) {
      for (const r of changed) ids.set(r.waId, existing.get(r.waId)!.id);
      await tx.execute(
        sql`update contacts c set name = coalesce(u.n, c.name), fields = c.fields || u.f,
                   country = coalesce(c.country, u.c), updated_at = now()
              from unnest(${sql.param(changed.map((r) => ids.get(r.waId)!))}::uuid[], ${sql.param(changed.map((r) => r.name))}::text[],
                          ${sql.param(changed.map((r) => r.country))}::text[],
                          ${sql.param(changed.map((r) => JSON.stringify(r.fields)))}::jsonb[]) as u(id, n, c, f)
             where c.org_id = ${orgId} and c.id = u.id`,
      );
    }
    const tagged = [...fresh, ...changed].filter((r) => r.tags.length && ids.has(r.waId));
    if (tagged.length) {
      await tagIdsOf(
        tx,
        orgId,
        tagged.flatMap((r) => r.tags),
        tagCache,
      );
      const pairs = tagged.flatMap((r) =>
        r.tags.map((t) => [ids.get(r.waId)!, tagCache.get(t.toLowerCase())!] as const),
      );
      await tx.execute(
        sql`insert into contact_tags (org_id, contact_id, tag_id)
            select ${orgId}, u.c, u.t
              from unnest(${sql.param(pairs.map((p) => p[0]))}::uuid[], ${sql.param(pairs.map((p) => p[1]))}::uuid[]) as u(c, t)
            on conflict do nothing`,
      );
    }
    let optedIn = 0;
    const consentIds = consenting
      .map((r) => ids.get(r.waId) ?? existing.get(r.waId)?.id)
      .filter((id) => id !== undefined);
    if (options.opt_in && consentIds.length) {
      optedIn = await consent.recordBulk(tx, onCommit, actor, {
        // A semi-join on the list: `= any(array)` would compare every contact with every id.
        where: sql`c.id in (select unnest(${sql.param(consentIds)}::uuid[]))`,
        kind: 'opt_in',
        source: 'import',
        proof: options.opt_in.proof,
        report: false,
      });
    }
    return { optedIn, written: fresh.length + changed.length };
  }

  async function reportProgress(imp: ImportRow, processed: number) {
    live.set(imp.id, processed);
    // On PGlite the import's transaction holds the only connection: progress stays in memory there.
    if (database.kind !== 'pg') return;
    await db.execute(
      sql`update contact_imports set processed = ${processed}, updated_at = now()
          where id = ${imp.id} and state = 'running'`,
    );
    await events.publish(imp.org_id, [
      {
        type: 'contacts.import_progress',
        data: { import_id: imp.id, processed, total: imp.total_rows, state: 'running' },
      },
    ]);
  }

  /**
   * The job's work: every row in ONE transaction, so a failure anywhere (a bad file discovered late,
   * the database refusing a row, a crash) leaves the organisation's contacts exactly as they were.
   */
  async function run(
    orgId: string,
    id: string,
    onProgress?: (processed: number, total: number) => void,
  ): Promise<ContactImport> {
    const [imp] = await queryRows<ImportRow>(
      db,
      sql`update contact_imports set state = 'running', processed = 0, updated_at = now()
          where org_id = ${orgId} and id = ${id} and state in ('queued', 'running') returning *`,
    );
    if (!imp) return get({ orgId }, id);
    const options = ImportOptions.parse(imp.options);
    const user: Actor = imp.created_by
      ? { orgId, actorType: 'user', userId: imp.created_by, label: 'contact import' }
      : { orgId, actorType: 'system', label: 'contact import' };
    const publishState = (state: 'completed' | 'failed', processed: number) =>
      events.publish(orgId, [
        {
          type: 'contacts.import_progress',
          data: { import_id: id, processed, total: imp.total_rows, state },
        },
      ]);
    const notify = (
      tx: Tx | undefined,
      onCommit: ((f: () => unknown) => void) | undefined,
      ok: boolean,
      text: string,
    ) =>
      imp.created_by
        ? notifications.notify(
            { orgId, userIds: [imp.created_by] },
            {
              type: ok ? 'contacts.import_completed' : 'contacts.import_failed',
              title: ok ? `Import of ${imp.filename} finished` : `Import of ${imp.filename} failed`,
              message: text,
              actionUrl: `/contacts/imports/${id}`,
              relatedEntityType: 'contact_import',
              relatedEntityId: id,
            },
            tx && onCommit ? { tx, onCommit } : undefined,
          )
        : Promise.resolve([]);
    let busy = false;
    try {
      // Read before the transaction: on PGlite nothing outside it can run until it ends.
      const { read, key } = await readerOf(orgId, imp, options);
      const path = fileOf(imp);
      const source = (await cachedBatches(path, key)) ?? batchesOf(path, read);
      const counts = await transaction(db, async (tx, onCommit) => {
        // One attempt at a time: a retry while the first attempt still works (its job outlived its
        // expiry) leaves it alone. The lock dies with the first attempt's connection if it crashes.
        const [lock] = await queryRows<{ ok: boolean }>(
          tx,
          sql`select pg_try_advisory_xact_lock(hashtextextended(${`contact_import:${id}`}, 0)) as ok`,
        );
        if (!lock?.ok) throw ALREADY_RUNNING;
        // Another attempt may have finished it since this one started (a job and a direct run, or a
        // retry): it is done, and is not imported a second time.
        const [now] = await queryRows<{ state: string }>(
          tx,
          sql`select state from contact_imports where id = ${id}`,
        );
        if (now?.state !== 'running') throw ALREADY_RUNNING;
        await tx.execute(sql`delete from contact_import_rejects where import_id = ${id}`);
        const counts = emptyCounts();
        const tagCache = new Map<string, string>();
        const consentActor: Actor = { orgId, actorType: 'system', label: `contact import ${id}` };
        let optedIn = 0;
        let last = performance.now();
        let written = 0;
        let analyzedAt = 0;
        for await (const batch of readAhead(source)) {
          const out = await writeBatch(tx, imp, options, batch, counts, tagCache, consentActor, onCommit);
          optedIn += out.optedIn;
          written += out.written;
          // The planner knows nothing of the rows this transaction added: without fresh statistics it
          // scans every contact of the org for each batch (quadratic). ANALYZE sees our own rows.
          if (written - analyzedAt >= Math.max(5000, analyzedAt)) {
            await tx.execute(sql`analyze contacts, contact_tags, opt_in_events`);
            analyzedAt = written;
          }
          if (performance.now() - last >= PROGRESS_MS) {
            last = performance.now();
            onProgress?.(counts.total, imp.total_rows);
            await reportProgress(imp, counts.total);
          }
        }
        await tx.execute(
          sql`update contact_imports set state = 'completed', counts = ${JSON.stringify(counts)}::jsonb,
                     processed = ${counts.total}, total_rows = ${counts.total}, finished_at = now(), updated_at = now(), path = null
              where id = ${id}`,
        );
        await recordAudit(tx, user, {
          action: 'contact.import',
          entityType: 'contact_import',
          entityId: id,
          after: { filename: imp.filename, format: imp.format, options, counts, opted_in: optedIn },
        });
        await notify(
          tx,
          onCommit,
          true,
          `${formatCount(counts.new)} new, ${formatCount(counts.updated)} updated, ${formatCount(counts.unchanged)} unchanged, ${formatCount(counts.invalid + counts.duplicates)} left out.`,
        );
        onCommit(() => publishState('completed', counts.total));
        onCommit(() =>
          events.publish(orgId, [
            { type: 'contacts.bulk_updated', data: { action: 'import', count: counts.new + counts.updated } },
          ]),
        );
        return counts;
      });
      log.info({ importId: id, orgId, counts }, 'contact import completed');
    } catch (err) {
      if (err === ALREADY_RUNNING) {
        log.warn({ importId: id, orgId }, 'contact import running or done in another attempt; left to it');
        busy = true;
        return get({ orgId }, id);
      }
      const message = err instanceof AppError ? err.message : 'The database refused a row';
      log.warn({ importId: id, orgId, err }, 'contact import failed; nothing was imported');
      // Only an import still running fails: one another attempt completed meanwhile stays completed.
      const failed = await queryRows<{ id: string }>(
        db,
        sql`update contact_imports set state = 'failed', error = ${`${message}. Nothing was imported.`},
                   finished_at = now(), updated_at = now(), path = null
            where id = ${id} and state = 'running' returning id`,
      );
      if (failed.length) {
        await notify(undefined, undefined, false, `${message}. Nothing was imported.`).catch(() => {});
        await publishState('failed', live.get(id) ?? 0).catch(() => {});
      }
    } finally {
      if (!busy) {
        live.delete(id);
        if (imp.path) await removeUpload(imp.path);
      }
    }
    return get({ orgId }, id);
  }

  /** Deletes the files of imports left unconfirmed (or never run) for more than `hours`; they become failed. */
  async function purgeStale(hours: number) {
    const h = Math.floor(hours);
    const rows = await queryRows<{ id: string; path: string }>(
      db,
      sql`with stale as (
            select id, path from contact_imports
             where path is not null and state in ('uploaded', 'queued', 'completed', 'failed')
               and updated_at < now() - make_interval(hours => ${h})
             for update skip locked)
          update contact_imports i set path = null,
                 state = case when i.state in ('uploaded', 'queued') then 'failed' else i.state end,
                 error = case when i.state in ('uploaded', 'queued') then ${`Not imported within ${h} hours; the file was deleted.`} else i.error end,
                 finished_at = coalesce(i.finished_at, now()), updated_at = now()
            from stale where i.id = stale.id
          returning stale.id, stale.path`,
    );
    for (const r of rows) if (r.path) await removeUpload(r.path);
    // A campaign's audience file that no campaign took leaves no record behind.
    await db.execute(sql`delete from contact_imports where purpose = 'campaign' and path is null`);
    return rows.length;
  }

  /**
   * A campaign's audience file (uploaded with purpose `campaign`): its column names and its rows, read
   * once. `discard` deletes the file and its record — the rows live on as campaign recipients.
   */
  async function audienceFile(orgId: string, id: string) {
    const [imp] = await queryRows<ImportRow>(
      db,
      sql`select * from contact_imports where org_id = ${orgId} and id = ${id} and purpose = 'campaign'`,
    );
    if (!imp) throw notFound('Audience file');
    const path = fileOf(imp);
    return {
      filename: imp.filename,
      headers: imp.inspection.headers,
      rows: () => readRows(path, limits),
      discard: async () => {
        await db.execute(sql`delete from contact_imports where org_id = ${orgId} and id = ${id}`);
        await removeUpload(path);
      },
    };
  }

  return { upload, preview, confirm, get, list, rejectsCsv, run, purgeStale, readerOf, audienceFile };
}
export type ContactImportService = ReturnType<typeof createContactImportService>;
