import {
  ContactFilter,
  type CreateSegmentBody,
  type Segment,
  type UpdateSegmentBody,
} from '@openwaba/contracts';
import { and, eq, sql } from 'drizzle-orm';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import { segments } from '../db/schema.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { FieldService } from './fields.ts';
import { compileFilter } from './filter.ts';
import { isUniqueViolation, type TagService } from './tags.ts';

type Row = typeof segments.$inferSelect;

const toSegment = (r: Row): Segment => ({
  id: r.id,
  name: r.name,
  // Read back through the schema: jsonb is validated like any other input.
  filter: ContactFilter.parse(r.filter),
  created_at: r.createdAt.toISOString(),
  updated_at: r.updatedAt.toISOString(),
});

const taken = (name: string) => new AppError('CONFLICT', `A segment named "${name}" already exists`);

/** Saved contact filters. A filter is checked against the custom fields when it is saved. */
export function createSegmentService(deps: { db: Db; fields: FieldService; tags: TagService }) {
  const { db, fields } = deps;

  async function getRow(tx: Db | Tx, orgId: string, id: string) {
    const [row] = await tx
      .select()
      .from(segments)
      .where(and(eq(segments.orgId, orgId), eq(segments.id, id)));
    if (!row) throw notFound('Segment');
    return row;
  }

  async function get(ctx: Pick<AuthContext, 'orgId'>, id: string, tx: Db | Tx = db): Promise<Segment> {
    return toSegment(await getRow(tx, ctx.orgId, id));
  }

  async function list(ctx: Pick<AuthContext, 'orgId'>): Promise<Segment[]> {
    const rows = await db
      .select()
      .from(segments)
      .where(eq(segments.orgId, ctx.orgId))
      .orderBy(sql`lower(${segments.name})`);
    return rows.map(toSegment);
  }

  /**
   * A filter that is kept (a segment, a campaign's audience) may name only the organisation's own
   * fields and tags: another organisation's tag id is refused, not stored to match nothing.
   */
  async function check(tx: Db | Tx, orgId: string, filter: ContactFilter) {
    compileFilter(filter, await fields.definitions(tx, orgId));
    if (filter.tag_ids?.length) await deps.tags.assertOwn(tx, orgId, filter.tag_ids, 'filter.tag_ids');
  }

  async function create(ctx: AuthContext, body: CreateSegmentBody): Promise<Segment> {
    return db.transaction(async (tx) => {
      await check(tx, ctx.orgId, body.filter);
      const [row] = await tx
        .insert(segments)
        .values({ orgId: ctx.orgId, name: body.name, filter: body.filter, createdBy: ctx.userId })
        .onConflictDoNothing()
        .returning();
      if (!row) throw taken(body.name);
      await recordAudit(tx, actorOf(ctx), {
        action: 'segment.create',
        entityType: 'segment',
        entityId: row.id,
        after: { name: row.name, filter: body.filter },
      });
      return toSegment(row);
    });
  }

  async function update(ctx: AuthContext, id: string, body: UpdateSegmentBody): Promise<Segment> {
    return db.transaction(async (tx) => {
      const before = await getRow(tx, ctx.orgId, id);
      if (body.filter) await check(tx, ctx.orgId, body.filter);
      const [row] = await tx
        .update(segments)
        .set({
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.filter !== undefined ? { filter: body.filter } : {}),
          updatedAt: new Date(),
        })
        .where(and(eq(segments.orgId, ctx.orgId), eq(segments.id, id)))
        .returning()
        .catch((err) => {
          throw isUniqueViolation(err) ? taken(body.name ?? '') : err;
        });
      await recordAudit(tx, actorOf(ctx), {
        action: 'segment.update',
        entityType: 'segment',
        entityId: id,
        before: { name: before.name, filter: before.filter },
        after: { name: row!.name, filter: row!.filter },
      });
      return toSegment(row!);
    });
  }

  async function remove(ctx: AuthContext, id: string) {
    await db.transaction(async (tx) => {
      const before = await getRow(tx, ctx.orgId, id);
      await tx.delete(segments).where(and(eq(segments.orgId, ctx.orgId), eq(segments.id, id)));
      await recordAudit(tx, actorOf(ctx), {
        action: 'segment.delete',
        entityType: 'segment',
        entityId: id,
        before: { name: before.name, filter: before.filter },
      });
    });
  }

  return { get, list, create, update, remove, checkFilter: check };
}
export type SegmentService = ReturnType<typeof createSegmentService>;
