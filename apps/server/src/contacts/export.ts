import type { ContactFilter, ContactQuery } from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import type { AuthContext } from '../auth/context.ts';
import type { Db } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import { csvLine } from '../lib/csv-safe.ts';
import type { FieldService } from './fields.ts';
import type { ContactService } from './service.ts';

const PAGE = 1000;

export type ExportQuery = Omit<ContactQuery, 'cursor' | 'limit' | 'with_total'>;

/**
 * Contacts as CSV: phone (E.164), name, tags, every custom field (by key), consent state and
 * created_at, newest first — the same filter as the list. Streamed a page at a time; every text cell
 * is neutralised against spreadsheet formulas, phones stay dialable.
 */
export function createContactExport(deps: { db: Db; contacts: ContactService; fields: FieldService }) {
  const { db, contacts, fields } = deps;

  /** Checks the filter (an unknown segment is a 404 before anything is sent), then streams the rows. */
  async function csv(ctx: Pick<AuthContext, 'orgId'>, q: ExportQuery): Promise<AsyncGenerator<string>> {
    const filter: ContactFilter = {
      ...(q.q ? { q: q.q } : {}),
      ...(q.tag_ids ? { tag_ids: q.tag_ids } : {}),
      ...(q.tag_match ? { tag_match: q.tag_match } : {}),
      ...(q.fields ? { fields: q.fields } : {}),
      ...(q.consent ? { consent: q.consent } : {}),
    };
    const where = await contacts.whereOf(ctx.orgId, filter, q.segment_id);
    const keys = (await fields.list(ctx)).map((f) => f.key);
    return rowsOf(ctx.orgId, where, keys);
  }

  async function* rowsOf(orgId: string, where: SQL, keys: string[]): AsyncGenerator<string> {
    // `user_id` and `username`: a customer known by their WhatsApp username (phone empty) is exported
    // by their business-scoped user id, which an import reads back in the phone column.
    yield csvLine(['phone', 'name', 'tags', ...keys, 'consent', 'created_at', 'user_id', 'username']);
    let cursor: { at: string; id: string } | undefined;
    for (;;) {
      const rows = await queryRows<{
        id: string;
        phone: string | null;
        user_id: string | null;
        username: string | null;
        name: string | null;
        fields: Record<string, string | number | boolean> | null;
        tags: string | null;
        consent_kind: string | null;
        created_at: string | Date;
        created_key: string;
      }>(
        db,
        sql`select c.id, c.phone, c.user_id, c.username, c.name, c.fields, c.created_at, c.created_at::text as created_key,
                   (select string_agg(t.name, ', ' order by lower(t.name)) from contact_tags ct
                      join tags t on t.id = ct.tag_id where ct.contact_id = c.id) as tags,
                   (select e.kind from opt_in_events e where e.org_id = c.org_id and e.wa_id = c.wa_id
                     order by e.id desc limit 1) as consent_kind
              from contacts c
             where c.org_id = ${orgId} and (${where})
               ${cursor ? sql`and (c.created_at, c.id) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)` : sql``}
             order by c.created_at desc, c.id desc limit ${PAGE}`,
      );
      if (!rows.length) return;
      yield rows
        .map((r) =>
          csvLine([
            r.phone,
            r.name,
            r.tags,
            ...keys.map((k) => r.fields?.[k]),
            r.consent_kind === 'opt_in' ? 'opted_in' : r.consent_kind === 'opt_out' ? 'opted_out' : 'unknown',
            new Date(r.created_at).toISOString(),
            r.user_id,
            r.username,
          ]),
        )
        .join('');
      if (rows.length < PAGE) return;
      const last = rows[rows.length - 1]!;
      cursor = { at: last.created_key, id: last.id };
    }
  }

  return { csv };
}
export type ContactExport = ReturnType<typeof createContactExport>;
