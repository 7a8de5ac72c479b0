import type { NumberDeletionCounts } from '@openwaba/contracts';
import { and, eq, sql } from 'drizzle-orm';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import { numbers } from '../db/schema.ts';
import { queryRows, transaction } from '../db/tx.ts';
import { AppError, notFound } from '../lib/errors.ts';

type Row = typeof numbers.$inferSelect;

/** What the media domain does for a number that goes (see media/stored-files.ts). */
export interface NumberMediaFiles {
  filesOfNumber(tx: Tx | Db, orgId: string, numberId: string): Promise<{ count: number; keys: string[] }>;
  /** After commit: deletes the stored bytes no remaining row refers to; never throws. */
  releaseFiles(orgId: string, keys: string[]): Promise<number>;
}

/**
 * Deleting a number cascades to its conversations, messages, campaigns and media: the client shows
 * the counts first and sends back the ones it showed. The counts are taken again with the number
 * locked (a message arriving meanwhile waits for the delete), so what is deleted is what was shown —
 * or nothing, with a 409 carrying the counts as they are now. The files leave the media store after
 * the rows are committed gone.
 */
export function createNumberDeletion(deps: {
  db: Db;
  media: NumberMediaFiles;
  toAudit(row: Row): unknown;
  /** After a delete commits: the webhook secrets cache forgets the number at once. */
  onDeleted(numberId: string): Promise<unknown>;
}) {
  async function countsOf(
    tx: Tx | Db,
    orgId: string,
    id: string,
  ): Promise<NumberDeletionCounts & { keys: string[] }> {
    const [c] = await queryRows<{ conversations: number; messages: number; campaigns: number }>(
      tx,
      sql`select (select count(*) from conversations where org_id = ${orgId} and number_id = ${id})::int as conversations,
                 (select count(*) from messages where org_id = ${orgId} and number_id = ${id})::int as messages,
                 (select count(*) from campaigns where org_id = ${orgId} and number_id = ${id})::int as campaigns`,
    );
    const files = await deps.media.filesOfNumber(tx, orgId, id);
    return { ...c!, media_files: files.count, keys: files.keys };
  }

  async function lockRow(tx: Tx | Db, orgId: string, id: string, lock: boolean): Promise<Row> {
    const q = tx
      .select()
      .from(numbers)
      .where(and(eq(numbers.orgId, orgId), eq(numbers.id, id)));
    const [row] = lock ? await q.for('update') : await q;
    if (!row) throw notFound('Number');
    return row;
  }

  /** What deleting the number would delete with it, now. */
  async function deletionCounts(orgId: string, id: string): Promise<NumberDeletionCounts> {
    await lockRow(deps.db, orgId, id, false);
    const { keys: _k, ...counts } = await countsOf(deps.db, orgId, id);
    return counts;
  }

  async function deleteNumber(ctx: AuthContext, id: string, confirm: NumberDeletionCounts) {
    const keys = await transaction(deps.db, async (tx, onCommit) => {
      const row = await lockRow(tx, ctx.orgId, id, true);
      const { keys, ...counts } = await countsOf(tx, ctx.orgId, id);
      const same = (Object.keys(counts) as (keyof NumberDeletionCounts)[]).every(
        (k) => counts[k] === confirm[k],
      );
      if (!same) {
        throw new AppError('CONFLICT', 'The number holds different data than you confirmed: look again', {
          details: { current: counts },
        });
      }
      await tx.execute(sql`delete from numbers where org_id = ${ctx.orgId} and id = ${id}`);
      await recordAudit(tx, actorOf(ctx), {
        action: 'number.delete',
        entityType: 'number',
        entityId: id,
        before: deps.toAudit(row),
        after: { deleted: counts },
      });
      onCommit(() => deps.onDeleted(id));
      return keys;
    });
    if (keys.length) {
      await deps.media.releaseFiles(ctx.orgId, keys);
    }
  }

  return { deletionCounts, deleteNumber };
}
