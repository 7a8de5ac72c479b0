import { type ContactImport, ImportOptions } from '@openwaba/contracts';
import type { Actor } from '../../audit/service.ts';
import { recordAudit } from '../../audit/service.ts';
import type { Tx } from '../../db/client.ts';
import { type OnCommit, transaction } from '../../db/tx.ts';
import { AppError } from '../../lib/errors.ts';
import { readAhead } from '../../lib/read-ahead.ts';
import type { ImportDeps } from './deps.ts';
import { getImport } from './find-imports.ts';
import { batchesOf, readerOf } from './import-reader.ts';
import { formatCount } from './limits.ts';
import { emptyCounts } from './plan.ts';
import {
  analyzeImportedTables,
  clearRejects,
  completeImport,
  failImport,
  type ImportRow,
  lockImport,
  setImportProgress,
  startImport,
  stateOfImport,
} from './repo.ts';
import { cachedBatches } from './row-cache.ts';
import { fileOf, removeUpload } from './upload-path.ts';
import { writeBatch } from './write-batch.ts';

const ALREADY_RUNNING = Symbol('import already running');

/** At most this often a running import reports progress. */
const PROGRESS_MS = 300;

type RunDeps = Pick<
  ImportDeps,
  | 'db'
  | 'database'
  | 'fields'
  | 'orgs'
  | 'consent'
  | 'tombstones'
  | 'events'
  | 'notifications'
  | 'log'
  | 'limits'
  | 'live'
>;

async function reportProgress(deps: RunDeps, imp: ImportRow, processed: number) {
  deps.live.set(imp.id, processed);
  // On PGlite the import's transaction holds the only connection: progress stays in memory there.
  if (deps.database.kind !== 'pg') return;
  await setImportProgress(deps.db, imp.org_id, imp.id, processed);
  await deps.events.publish(imp.org_id, [
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
export async function runImport(
  deps: RunDeps,
  orgId: string,
  id: string,
  onProgress?: (processed: number, total: number) => void,
): Promise<ContactImport> {
  const { db, events, notifications, log, live } = deps;
  const imp = await startImport(db, orgId, id);
  if (!imp) return getImport(deps, { orgId }, id);
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
  const notify = (tx: Tx | undefined, onCommit: OnCommit | undefined, ok: boolean, text: string) =>
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
    const { read, key } = await readerOf(deps, orgId, imp, options);
    const path = fileOf(imp);
    const source = (await cachedBatches(path, key)) ?? batchesOf(path, read, deps.limits);
    const counts = await transaction(db, async (tx, onCommit) => {
      // One attempt at a time: a retry while the first attempt still works (its job outlived its
      // expiry) leaves it alone.
      if (!(await lockImport(tx, id))) throw ALREADY_RUNNING;
      // Another attempt may have finished it since this one started (a job and a direct run, or a
      // retry): it is done, and is not imported a second time.
      if ((await stateOfImport(tx, orgId, id)) !== 'running') throw ALREADY_RUNNING;
      await clearRejects(tx, orgId, id);
      const counts = emptyCounts();
      const tagCache = new Map<string, string>();
      const consentActor: Actor = { orgId, actorType: 'system', label: `contact import ${id}` };
      let optedIn = 0;
      let last = performance.now();
      let written = 0;
      let analyzedAt = 0;
      for await (const batch of readAhead(source)) {
        const out = await writeBatch(deps, tx, imp, options, batch, counts, tagCache, consentActor, onCommit);
        optedIn += out.optedIn;
        written += out.written;
        // Fresh statistics as the contacts grow (see analyzeImportedTables), not after every batch.
        if (written - analyzedAt >= Math.max(5000, analyzedAt)) {
          await analyzeImportedTables(tx);
          analyzedAt = written;
        }
        if (performance.now() - last >= PROGRESS_MS) {
          last = performance.now();
          onProgress?.(counts.total, imp.total_rows);
          await reportProgress(deps, imp, counts.total);
        }
      }
      await completeImport(tx, orgId, id, counts);
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
      return getImport(deps, { orgId }, id);
    }
    const message = err instanceof AppError ? err.message : 'The database refused a row';
    log.warn({ importId: id, orgId, err }, 'contact import failed; nothing was imported');
    if (await failImport(db, orgId, id, `${message}. Nothing was imported.`)) {
      await notify(undefined, undefined, false, `${message}. Nothing was imported.`).catch(() => {});
      await publishState('failed', live.get(id) ?? 0).catch(() => {});
    }
  } finally {
    if (!busy) {
      live.delete(id);
      if (imp.path) await removeUpload(imp.path);
    }
  }
  return getImport(deps, { orgId }, id);
}
