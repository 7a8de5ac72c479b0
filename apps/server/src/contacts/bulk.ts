import type { BulkContactsBody, BulkContactsResult, ContactFilter } from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { AppError } from '../lib/errors.ts';
import type { MediaService } from '../media/service.ts';
import type { TagService } from './tags.ts';

/** A delete by filter or segment whose count is not the one the person confirmed. */
function countChanged(count: number, confirmed: number | undefined) {
  return new AppError(
    'CONFLICT',
    confirmed === undefined
      ? `Deleting by a filter or a segment needs confirm_count, the number of contacts you were shown; ${count} match now`
      : `${count} contact${count === 1 ? '' : 's'} match now, not the ${confirmed} you confirmed: check the selection and confirm again`,
    { details: { count } },
  );
}

/**
 * Tags, untags or deletes the contacts chosen by ids, a filter or a segment: one transaction, one
 * audit entry, one event. Ids of other organisations simply match nothing. A filter or a segment
 * can match every contact, so deleting by one needs `confirm_count`: it must be both what matches
 * before the delete and what the delete removed (a contact added meanwhile is a 409, all undone).
 * Deleted contacts' stored media files go after commit.
 */
export function createBulkContacts(deps: {
  db: Db;
  tags: TagService;
  media: MediaService;
  events: EventService;
  whereOf(orgId: string, filter: ContactFilter, segmentId?: string, tx?: Db | Tx): Promise<SQL>;
}) {
  const { db, tags, media, events, whereOf } = deps;

  return async function bulk(ctx: AuthContext, body: BulkContactsBody): Promise<BulkContactsResult> {
    return transaction(db, async (tx, onCommit) => {
      const chosen = body.ids
        ? sql`c.id in (${sql.join(
            [...new Set(body.ids)].map((i) => sql`${i}::uuid`),
            sql`, `,
          )})`
        : await whereOf(ctx.orgId, body.filter ?? {}, body.segment_id, tx);
      const where = sql`c.org_id = ${ctx.orgId} and (${chosen})`;
      const tagIds = body.tag_ids ? await tags.assertOwn(tx, ctx.orgId, body.tag_ids) : [];
      const tagList = sql.join(
        tagIds.map((t) => sql`${t}::uuid`),
        sql`, `,
      );
      const [m] = await queryRows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from contacts c where ${where}`,
      );
      const matched = m?.n ?? 0;
      const confirming = body.action === 'delete' && !body.ids;
      if (confirming && body.confirm_count !== matched) throw countChanged(matched, body.confirm_count);
      const count = (q: SQL) =>
        queryRows<{ n: number }>(tx, sql`with changed as (${q}) select count(*)::int as n from changed`);
      let files: string[] = [];
      if (body.action === 'delete') {
        files = await media.filesOf(
          tx,
          ctx.orgId,
          sql`m.conversation_id in (select cv.id from conversations cv join contacts c on c.id = cv.contact_id
                                    where cv.org_id = ${ctx.orgId} and ${where})`,
        );
      }
      const [a] =
        body.action === 'tag'
          ? await count(
              sql`insert into contact_tags (org_id, contact_id, tag_id)
                  select c.org_id, c.id, t.id from contacts c cross join tags t
                  where ${where} and t.org_id = ${ctx.orgId} and t.id in (${tagList})
                  on conflict do nothing returning 1`,
            )
          : body.action === 'untag'
            ? await count(
                sql`delete from contact_tags ct using contacts c
                    where ct.contact_id = c.id and ${where} and ct.tag_id in (${tagList}) returning 1`,
              )
            : await count(sql`delete from contacts c where ${where} returning 1`);
      const result = { matched, affected: a?.n ?? 0 };
      // Contacts added since the count: the delete took more than was confirmed; nothing happens.
      if (confirming && result.affected !== body.confirm_count)
        throw countChanged(result.affected, body.confirm_count);
      await recordAudit(tx, actorOf(ctx), {
        action: `contact.bulk_${body.action}`,
        entityType: 'contact',
        after: {
          ...result,
          ...(tagIds.length ? { tag_ids: tagIds } : {}),
          ...(body.ids ? { ids: body.ids.length <= 1000 ? body.ids : `${body.ids.length} ids` } : {}),
          ...(body.filter ? { filter: body.filter } : {}),
          ...(body.segment_id ? { segment_id: body.segment_id } : {}),
          ...(body.confirm_count !== undefined ? { confirm_count: body.confirm_count } : {}),
          ...(body.action === 'delete' ? { media_files: files.length } : {}),
        },
      });
      if (result.affected) {
        onCommit(() =>
          events.publish(ctx.orgId, [
            { type: 'contacts.bulk_updated', data: { action: body.action, count: result.affected } },
          ]),
        );
      }
      if (files.length) onCommit(() => media.releaseFiles(ctx.orgId, files, { dropUploads: true }));
      return result;
    });
  };
}
