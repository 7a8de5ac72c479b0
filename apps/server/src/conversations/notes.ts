import { sql } from 'drizzle-orm';
import type { AuthContext } from '../auth/context.ts';
import type { Db } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import type { Log } from '../lib/log.ts';
import type { NotificationService } from '../notifications/service.ts';

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

/** Internal notes on a conversation: members only, never sent; `@email` mentions notify. */
export function createConversationNotes(deps: {
  db: Db;
  notifications: NotificationService;
  log: Log;
  /** Throws not found unless the conversation is the organisation's. */
  rowOf: (orgId: string, id: string) => Promise<unknown>;
  changed: (orgId: string, id: string, fields: string[]) => Promise<unknown>;
}) {
  const { db, notifications, log, rowOf, changed } = deps;

  type NoteRow = {
    id: string;
    conversation_id: string;
    body: string;
    mentions: string[];
    created_at: string | Date;
    author_id: string | null;
    author_name: string | null;
    author_email: string | null;
  };
  const toNote = (n: NoteRow) => ({
    id: n.id,
    conversation_id: n.conversation_id,
    author: n.author_id
      ? { id: n.author_id, name: n.author_name || null, email: n.author_email ?? '' }
      : null,
    body: n.body,
    mentions: n.mentions,
    created_at: iso(n.created_at)!,
  });

  /** Notes of a conversation, oldest first (or just `noteId`). */
  async function notesOf(orgId: string, id: string, noteId?: string) {
    const rows = await queryRows<NoteRow>(
      db,
      sql`select n.id, n.conversation_id, n.body, n.mentions, n.created_at, u.id as author_id, u.name as author_name,
                 u.email as author_email
          from conversation_notes n left join users u on u.id = n.author_id
          where n.org_id = ${orgId} and n.conversation_id = ${id} ${noteId ? sql`and n.id = ${noteId}` : sql``}
          order by n.created_at, n.id`,
    );
    return rows.map(toNote);
  }

  async function notes(ctx: Pick<AuthContext, 'orgId'>, id: string) {
    await rowOf(ctx.orgId, id);
    return { data: await notesOf(ctx.orgId, id) };
  }

  /** An internal note; `@email` of a member mentions them, and each one mentioned is notified. */
  async function addNote(ctx: AuthContext, id: string, body: string) {
    await rowOf(ctx.orgId, id);
    const emails = [
      ...new Set([...body.matchAll(/@([^\s@]+@[^\s@]+\.[^\s@.,;:!?]+)/g)].map((m) => m[1]!.toLowerCase())),
    ];
    const mentioned = emails.length
      ? await queryRows<{ id: string }>(
          db,
          sql`select u.id from users u join memberships m on m.user_id = u.id and m.org_id = ${ctx.orgId}
              where lower(u.email) = any(${sql.param(emails)}::text[])`,
        )
      : [];
    const mentions = mentioned.map((m) => m.id);
    const [row] = await queryRows<{ id: string }>(
      db,
      sql`insert into conversation_notes (org_id, conversation_id, author_id, body, mentions)
          values (${ctx.orgId}, ${id}, ${ctx.userId}, ${body}, ${JSON.stringify(mentions)}::jsonb) returning id`,
    );
    const others = mentions.filter((u) => u !== ctx.userId);
    if (others.length) {
      await notifications
        .notify(
          { orgId: ctx.orgId, userIds: others },
          {
            type: 'conversation.mentioned',
            title: 'You were mentioned in a note',
            message: body.slice(0, 200),
            actionUrl: `/inbox/${id}`,
            relatedEntityType: 'conversation',
            relatedEntityId: id,
          },
        )
        .catch((err) => log.warn({ err }, 'mention notification failed'));
    }
    await changed(ctx.orgId, id, ['notes']);
    const [note] = await notesOf(ctx.orgId, id, row!.id);
    return note!;
  }

  return { notes, addNote };
}
