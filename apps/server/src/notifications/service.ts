import type { Notification, NotificationPage, Role } from '@openwaba/contracts';
import { ROLES, roleAtLeast } from '@openwaba/contracts';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { AuthContext } from '../auth/context.ts';
import type { Database, Db } from '../db/client.ts';
import { memberships, notifications } from '../db/schema.ts';
import type { OnCommit } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { AppError, notFound } from '../lib/errors.ts';

export interface NewNotification {
  type: string;
  title: string;
  message: string;
  actionUrl?: string | null;
  relatedEntityType?: string | null;
  relatedEntityId?: string | null;
}

type Row = typeof notifications.$inferSelect;

const toNotification = (r: Row): Notification => ({
  id: r.id,
  type: r.type,
  title: r.title,
  message: r.message,
  action_url: r.actionUrl,
  related_entity_type: r.relatedEntityType,
  related_entity_id: r.relatedEntityId,
  is_read: r.isRead,
  created_at: r.createdAt.toISOString(),
});

const encodeCursor = (r: { createdAt: Date; id: string }) =>
  Buffer.from(`${r.createdAt.toISOString()}|${r.id}`).toString('base64url');
function decodeCursor(c: string): { at: string; id: string } {
  const [at, id] = Buffer.from(c, 'base64url').toString().split('|');
  if (!at || !id || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new AppError('VALIDATION_FAILED', 'Invalid cursor; use next_cursor from the previous page');
  }
  return { at, id };
}

/** In-app notifications: one row per recipient, pushed live as `notification.created`. */
export function createNotificationService(deps: { db: Db; database: Database; events: EventService }) {
  const { db, database, events } = deps;

  async function unreadCount(orgId: string, userId: string): Promise<number> {
    const rows = await database.query<{ n: string | number }>(
      'select count(*) as n from notifications where org_id = $1 and user_id = $2 and not is_read',
      [orgId, userId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Stores a notification for each user (in `tx` when given) and pushes it after commit. */
  async function notify(
    target: { orgId: string; userIds: string[] },
    n: NewNotification,
    inTx?: { tx: Db; onCommit: OnCommit },
  ) {
    if (!target.userIds.length) return [];
    const rows = await (inTx?.tx ?? db)
      .insert(notifications)
      .values(
        target.userIds.map((userId) => ({
          orgId: target.orgId,
          userId,
          type: n.type,
          title: n.title,
          message: n.message,
          actionUrl: n.actionUrl ?? null,
          relatedEntityType: n.relatedEntityType ?? null,
          relatedEntityId: n.relatedEntityId ?? null,
        })),
      )
      .returning();
    const push = async () => {
      const evs = await Promise.all(
        rows.map(async (r) => ({
          type: 'notification.created' as const,
          user_id: r.userId,
          data: { notification_id: r.id, title: r.title, unread_count: await unreadCount(r.orgId, r.userId) },
        })),
      );
      await events.publish(target.orgId, evs);
    };
    if (inTx) inTx.onCommit(push);
    else await push();
    return rows.map(toNotification);
  }

  /** Notifies every member whose role is at least `minRole`. */
  async function notifyRole(
    orgId: string,
    minRole: Role,
    n: NewNotification,
    inTx?: { tx: Db; onCommit: OnCommit },
  ) {
    const roles = ROLES.filter((r) => roleAtLeast(r, minRole));
    const members = await (inTx?.tx ?? db)
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.orgId, orgId), inArray(memberships.role, [...roles])));
    return notify({ orgId, userIds: members.map((m) => m.userId) }, n, inTx);
  }

  async function list(
    ctx: Pick<AuthContext, 'orgId' | 'userId'>,
    q: { before?: string; limit: number; unread?: 'true' | 'false' },
  ): Promise<NotificationPage> {
    const cursor = q.before ? decodeCursor(q.before) : undefined;
    const rows = await db
      .select()
      .from(notifications)
      .where(
        and(
          eq(notifications.orgId, ctx.orgId),
          eq(notifications.userId, ctx.userId),
          q.unread === 'true' ? eq(notifications.isRead, false) : undefined,
          cursor
            ? sql`(${notifications.createdAt}, ${notifications.id}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`
            : undefined,
        ),
      )
      .orderBy(sql`${notifications.createdAt} desc, ${notifications.id} desc`)
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    return {
      data: page.map(toNotification),
      next_cursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!) : null,
      unread_count: await unreadCount(ctx.orgId, ctx.userId),
    };
  }

  async function markRead(ctx: Pick<AuthContext, 'orgId' | 'userId'>, ids: string[] | 'all') {
    const changed = await db
      .update(notifications)
      .set({ isRead: true })
      .where(
        and(
          eq(notifications.orgId, ctx.orgId),
          eq(notifications.userId, ctx.userId),
          eq(notifications.isRead, false),
          ids === 'all' ? undefined : inArray(notifications.id, ids),
        ),
      )
      .returning({ id: notifications.id });
    if (ids !== 'all' && changed.length === 0) {
      const exists = await db
        .select({ id: notifications.id })
        .from(notifications)
        .where(
          and(
            eq(notifications.orgId, ctx.orgId),
            eq(notifications.userId, ctx.userId),
            inArray(notifications.id, ids),
          ),
        );
      if (!exists.length) throw notFound('Notification');
    }
    const unread = await unreadCount(ctx.orgId, ctx.userId);
    if (changed.length) {
      await events.publish(ctx.orgId, [
        {
          type: 'notification.read',
          user_id: ctx.userId,
          data: { notification_ids: changed.map((c) => c.id), unread_count: unread },
        },
      ]);
    }
    return { unread_count: unread };
  }

  async function purgeOlderThan(days: number) {
    const rows = await database.query<{ n: string | number }>(
      `with d as (delete from notifications where created_at < now() - make_interval(days => $1) returning 1) select count(*) as n from d`,
      [days],
    );
    return Number(rows[0]?.n ?? 0);
  }

  return {
    notify,
    notifyRole,
    list,
    markRead,
    unreadCount: (ctx: Pick<AuthContext, 'orgId' | 'userId'>) => unreadCount(ctx.orgId, ctx.userId),
    purgeOlderThan,
  };
}
export type NotificationService = ReturnType<typeof createNotificationService>;
