import type { CreateTagBody, Tag, UpdateTagBody } from '@openwaba/contracts';
import { and, eq, sql } from 'drizzle-orm';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import { tags } from '../db/schema.ts';
import { queryRows } from '../db/tx.ts';
import type { DomainEvents } from '../events/domain-events.ts';
import { AppError, notFound } from '../lib/errors.ts';

interface TagRow {
  id: string;
  name: string;
  color: string | null;
  contact_count: number;
  created_at: string | Date;
}

const toTag = (r: TagRow): Tag => ({
  id: r.id,
  name: r.name,
  color: r.color,
  contact_count: Number(r.contact_count),
  created_at: new Date(r.created_at).toISOString(),
});

const taken = (name: string) => new AppError('CONFLICT', `A tag named "${name}" already exists`);

/** A unique constraint refused the row (a concurrent writer won the race). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } } | null;
  return e?.code === '23505' || e?.cause?.code === '23505';
}

/** Contact tags per organisation; names are unique whatever their case. */
export function createTagService(deps: { db: Db; domainEvents: Pick<DomainEvents, 'emitCommitted'> }) {
  const { db } = deps;

  async function find(tx: Db | Tx, orgId: string, id?: string) {
    return queryRows<TagRow>(
      tx,
      sql`select t.id, t.name, t.color, t.created_at,
                 (select count(*)::int from contact_tags ct where ct.tag_id = t.id) as contact_count
          from tags t where t.org_id = ${orgId} ${id ? sql`and t.id = ${id}` : sql``}
          order by lower(t.name)`,
    );
  }

  async function get(orgId: string, id: string, tx: Db | Tx = db): Promise<Tag> {
    const [row] = await find(tx, orgId, id);
    if (!row) throw notFound('Tag');
    return toTag(row);
  }

  /** Whether the tag is one of the organisation's (one primary-key lookup, no contact count). */
  async function exists(orgId: string, id: string) {
    const rows = await queryRows<{ id: string }>(
      db,
      sql`select id from tags where org_id = ${orgId} and id = ${id}`,
    );
    return rows.length > 0;
  }

  async function list(ctx: Pick<AuthContext, 'orgId'>): Promise<Tag[]> {
    return (await find(db, ctx.orgId)).map(toTag);
  }

  /**
   * Checks that every id is one of the organisation's tags (400 naming the others), so a tag of
   * another organisation can never be attached.
   */
  async function assertOwn(tx: Db | Tx, orgId: string, ids: string[], path = 'tag_ids') {
    const unique = [...new Set(ids)];
    if (!unique.length) return unique;
    const rows = await queryRows<{ id: string }>(
      tx,
      sql`select id from tags where org_id = ${orgId} and id in (${sql.join(
        unique.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`,
    );
    const found = new Set(rows.map((r) => r.id));
    const missing = unique.filter((id) => !found.has(id));
    if (missing.length) {
      throw new AppError('VALIDATION_FAILED', `Unknown tag(s): ${missing.join(', ')}`, {
        details: missing.map((id) => ({ path: [path], message: `no tag has the id ${id}` })),
      });
    }
    return unique;
  }

  async function create(ctx: AuthContext, body: CreateTagBody): Promise<Tag> {
    return db.transaction(async (tx) => {
      const [row] = await tx
        .insert(tags)
        .values({ orgId: ctx.orgId, name: body.name, color: body.color ?? null })
        .onConflictDoNothing()
        .returning({ id: tags.id });
      if (!row) throw taken(body.name);
      const tag = await get(ctx.orgId, row.id, tx);
      await recordAudit(tx, actorOf(ctx), {
        action: 'tag.create',
        entityType: 'tag',
        entityId: row.id,
        after: { name: tag.name, color: tag.color },
      });
      return tag;
    });
  }

  async function update(ctx: AuthContext, id: string, body: UpdateTagBody): Promise<Tag> {
    return db.transaction(async (tx) => {
      const before = await get(ctx.orgId, id, tx);
      if (body.name !== undefined) {
        const [clash] = await queryRows<{ id: string }>(
          tx,
          sql`select id from tags where org_id = ${ctx.orgId} and lower(name) = lower(${body.name}) and id <> ${id}`,
        );
        if (clash) throw taken(body.name);
      }
      await tx
        .update(tags)
        .set({
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.color !== undefined ? { color: body.color } : {}),
          updatedAt: new Date(),
        })
        .where(and(eq(tags.orgId, ctx.orgId), eq(tags.id, id)))
        .catch((err) => {
          throw isUniqueViolation(err) ? taken(body.name ?? '') : err;
        });
      const after = await get(ctx.orgId, id, tx);
      await recordAudit(tx, actorOf(ctx), {
        action: 'tag.update',
        entityType: 'tag',
        entityId: id,
        before: { name: before.name, color: before.color },
        after: { name: after.name, color: after.color },
      });
      return after;
    });
  }

  /** Deletes the tag; contacts lose it (their other tags stay), and the reports its figures. */
  async function remove(ctx: AuthContext, id: string) {
    await db.transaction(async (tx) => {
      const before = await get(ctx.orgId, id, tx);
      await tx.delete(tags).where(and(eq(tags.orgId, ctx.orgId), eq(tags.id, id)));
      await recordAudit(tx, actorOf(ctx), {
        action: 'tag.delete',
        entityType: 'tag',
        entityId: id,
        before,
      });
    });
    await deps.domainEvents.emitCommitted('tag.deleted', { orgId: ctx.orgId, tagId: id });
  }

  return { list, get, exists, assertOwn, create, update, remove };
}
export type TagService = ReturnType<typeof createTagService>;
