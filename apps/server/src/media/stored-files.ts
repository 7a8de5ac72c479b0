import { type SQL, sql } from 'drizzle-orm';
import type { Database, Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import type { Log } from '../lib/log.ts';
import type { MediaStore } from './store.ts';

/**
 * The media store's side of deleting rows: which stored files the rows being deleted hold (read in
 * the deleting transaction), and deleting the bytes nothing refers to any more once it has
 * committed. Apart from the media service because it needs no number: the numbers service uses it to
 * delete a number, and the media service (built after it) uses numbers.
 */
export function createStoredFiles(deps: { database: Database; store: MediaStore; log: Log }) {
  const { database, store, log } = deps;

  /**
   * Inside a transaction about to delete messages (with their media rows): the stored files of the
   * messages matching `where` (a condition on `messages m`, scoped to the organisation here), to
   * give to `releaseFiles` once the deletion has committed.
   */
  async function filesOf(tx: Db | Tx, orgId: string, where: SQL): Promise<string[]> {
    const rows = await queryRows<{ storage_key: string }>(
      tx,
      sql`select distinct f.storage_key from media_files f join messages m on m.id = f.message_id
          where f.org_id = ${orgId} and m.org_id = ${orgId} and f.storage_key is not null and (${where})`,
    );
    return rows.map((r) => r.storage_key);
  }

  /**
   * After the rows are gone: deletes the stored bytes of these files. A received file's key is its
   * own row's (`<org>/<month>/<file id>`), so it goes at once; a sent file's copy (`…/out-<sha>`) is
   * shared by every message that sent the same bytes and by the upload cache, so it goes only when
   * nothing refers to it any more. `dropUploads`: the upload cache's rows of files no message uses
   * any more go too (erasing a contact takes what was sent to them). Returns how many were deleted;
   * a file the store cannot delete is logged and left (bytes without a row are never served).
   */
  async function releaseFiles(
    orgId: string,
    keys: string[],
    o: { dropUploads?: boolean } = {},
  ): Promise<number> {
    // Called after commit: the deletion it follows has happened, so it never fails its caller.
    return deleteUnused(orgId, keys, o).catch((err) => {
      log.warn({ err, orgId, files: keys.length }, 'stored media files not released');
      return 0;
    });
  }

  async function deleteUnused(orgId: string, keys: string[], o: { dropUploads?: boolean }) {
    const unique = [...new Set(keys)];
    const shared = unique.filter((k) => /\/out-[^/]+$/.test(k));
    const inUse = new Set<string>();
    for (let i = 0; i < shared.length; i += 500) {
      const chunk = shared.slice(i, i + 500);
      if (o.dropUploads) {
        await database.query(
          `delete from outbound_media o where o.org_id = $1 and o.storage_key = any($2::text[])
             and not exists (select 1 from media_files f where f.storage_key = o.storage_key)`,
          [orgId, chunk],
        );
      }
      const used = await database.query<{ storage_key: string }>(
        `select storage_key from media_files where storage_key = any($1::text[])
         union select storage_key from outbound_media where storage_key = any($1::text[])`,
        [chunk],
      );
      for (const r of used) inUse.add(r.storage_key);
    }
    let deleted = 0;
    for (const key of unique) {
      if (inUse.has(key)) continue;
      try {
        await store.delete(key);
        deleted++;
      } catch (err) {
        log.warn({ err, orgId, key }, 'stored media file not deleted');
      }
    }
    return deleted;
  }

  /**
   * The files a number holds, received and sent: counted as stored (one file however many rows point
   * at it; a pending download counts too). For deleting a number (numbers/delete-number.ts).
   */
  async function filesOfNumber(tx: Tx | Db, orgId: string, numberId: string) {
    const rows = await queryRows<{ key: string | null; id: string }>(
      tx,
      sql`select storage_key as key, id::text as id from media_files where org_id = ${orgId} and number_id = ${numberId}
          union all
          select storage_key, id::text from outbound_media where org_id = ${orgId} and number_id = ${numberId}`,
    );
    const keys = [...new Set(rows.flatMap((r) => (r.key ? [r.key] : [])))];
    return { count: new Set(rows.map((r) => r.key ?? `pending:${r.id}`)).size, keys };
  }

  return { filesOf, releaseFiles, filesOfNumber };
}
export type StoredFiles = ReturnType<typeof createStoredFiles>;
