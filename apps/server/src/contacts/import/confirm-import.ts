import type { ImportOptions } from '@openwaba/contracts';
import type { AuthContext } from '../../auth/context.ts';
import { transaction } from '../../db/tx.ts';
import { AppError } from '../../lib/errors.ts';
import type { ImportDeps } from './deps.ts';
import { importOf } from './find-imports.ts';
import { readerOf } from './import-reader.ts';
import { queueImport } from './repo.ts';
import { fileOf } from './upload-path.ts';

/** Queues the import with these options; a second confirmation is a 409. */
export async function confirmImport(
  deps: Pick<ImportDeps, 'db' | 'fields' | 'orgs' | 'events' | 'schedule'>,
  ctx: AuthContext,
  id: string,
  input: ImportOptions,
  o: { schedule?: boolean } = {},
) {
  const { db, events } = deps;
  const imp = await importOf(db, ctx.orgId, id);
  fileOf(imp);
  // Checks the mapping now, so a mistake is a 400 here rather than a failed job later.
  await readerOf(deps, ctx.orgId, imp, input);
  await transaction(db, async (tx, onCommit) => {
    if (!(await queueImport(tx, ctx.orgId, id, input))) {
      throw new AppError('CONFLICT', 'This import was already confirmed');
    }
    // A caller that runs the import itself (no job; the import bench times it so): `schedule: false`.
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
