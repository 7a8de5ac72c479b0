import type { Conversation, Message, MessageMedia } from '@openwaba/contracts';
import type { AuthContext } from '../auth/context.ts';
import type { Database } from '../db/client.ts';
import { AppError, notFound } from '../lib/errors.ts';

const cursorOf = (at: Date | string, id: string) =>
  Buffer.from(`${new Date(at).toISOString()}|${id}`).toString('base64url');
/** Messages page by (sent_at, seq): arrival order breaks ties within one second. */
const messageCursorOf = (at: Date | string, seq: string) =>
  Buffer.from(`${new Date(at).toISOString()}|${seq}`).toString('base64url');
function parseMessageCursor(c: string) {
  const [at, seq] = Buffer.from(c, 'base64url').toString().split('|');
  if (!at || !seq || Number.isNaN(Date.parse(at)) || !/^\d{1,19}$/.test(seq)) {
    throw new AppError('VALIDATION_FAILED', 'Invalid cursor; use next_cursor from the previous page');
  }
  return { at, seq };
}
function parseCursor(c: string) {
  const [at, id] = Buffer.from(c, 'base64url').toString().split('|');
  if (!at || !id || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new AppError('VALIDATION_FAILED', 'Invalid cursor; use next_cursor from the previous page');
  }
  return { at, id };
}

/** A short text for lists: the body, a caption, or the kind of message. */
export function previewOf(type: string, content: Record<string, unknown>): string {
  const pick = (o: unknown, k: string) =>
    o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined;
  const text =
    pick(content.text, 'body') ??
    pick(content[type], 'caption') ??
    pick(pick(content.interactive, pick(content.interactive, 'type') as string), 'title') ??
    pick(content.button, 'text') ??
    pick(content.reaction, 'emoji');
  return typeof text === 'string' && text ? text.slice(0, 200) : `[${type}]`;
}

/** Read side of the inbox: conversations and their messages, newest first, with cursors. */
export function createConversationService(deps: { database: Database }) {
  const { database } = deps;

  async function list(
    ctx: Pick<AuthContext, 'orgId'>,
    q: {
      number_id?: string;
      status?: string;
      unread?: 'true' | 'false';
      search?: string;
      before?: string;
      limit: number;
    },
  ): Promise<{ data: Conversation[]; next_cursor: string | null }> {
    const c = q.before ? parseCursor(q.before) : undefined;
    const rows = await database.query<Record<string, unknown>>(
      `select c.id, c.number_id, c.status, c.unread_count, c.last_message_at, c.last_inbound_at, c.window_expires_at, c.created_at,
              k.id as contact_id, k.wa_id, k.name,
              m.type as last_type, m.direction as last_direction, m.content as last_content
       from conversations c
       join contacts k on k.id = c.contact_id
       left join lateral (select type, direction, content from messages where conversation_id = c.id order by sent_at desc, seq desc limit 1) m on true
       where c.org_id = $1
         and ($2::uuid is null or c.number_id = $2)
         and ($3::text is null or c.status = $3)
         and ($4::text is null or ($4 = 'true') = (c.unread_count > 0))
         and ($5::text is null or k.name ilike '%' || $5 || '%' or k.wa_id like '%' || $5 || '%')
         and ($6::timestamptz is null or (coalesce(c.last_message_at, c.created_at), c.id) < ($6::timestamptz, $7::uuid))
       order by coalesce(c.last_message_at, c.created_at) desc, c.id desc
       limit $8`,
      [
        ctx.orgId,
        q.number_id ?? null,
        q.status ?? null,
        q.unread ?? null,
        q.search ? q.search.replace(/[%_\\]/g, '\\$&') : null,
        c?.at ?? null,
        c?.id ?? null,
        q.limit + 1,
      ],
    );
    const page = rows.slice(0, q.limit);
    const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
    const last = page[page.length - 1];
    return {
      data: page.map((r) => ({
        id: r.id as string,
        number_id: r.number_id as string,
        contact: {
          id: r.contact_id as string,
          wa_id: r.wa_id as string,
          name: (r.name as string | null) ?? null,
        },
        status: r.status as string,
        unread_count: Number(r.unread_count),
        last_message_at: iso(r.last_message_at),
        last_inbound_at: iso(r.last_inbound_at),
        window_expires_at: iso(r.window_expires_at),
        last_message: r.last_type
          ? {
              type: r.last_type as string,
              direction: r.last_direction as string,
              preview: previewOf(r.last_type as string, r.last_content as Record<string, unknown>),
            }
          : null,
      })),
      next_cursor:
        rows.length > q.limit && last
          ? cursorOf((last.last_message_at ?? last.created_at) as string, last.id as string)
          : null,
    };
  }

  async function messages(
    ctx: Pick<AuthContext, 'orgId'>,
    conversationId: string,
    q: { before?: string; limit: number },
  ) {
    const exists = await database.query('select 1 from conversations where org_id = $1 and id = $2', [
      ctx.orgId,
      conversationId,
    ]);
    if (!exists.length) throw notFound('Conversation');
    const c = q.before ? parseMessageCursor(q.before) : undefined;
    const rows = await database.query<Record<string, unknown>>(
      `select m.seq::text as seq, m.id, m.conversation_id, m.direction, m.wamid, m.type, m.content, m.context_wamid, m.status, m.error, m.sent_at,
              f.state as media_state, f.mime_type as media_mime_type, f.size as media_size, f.error as media_error
       from messages m left join media_files f on f.message_id = m.id
       where m.org_id = $1 and m.conversation_id = $2 and ($3::timestamptz is null or (m.sent_at, m.seq) < ($3::timestamptz, $4::bigint))
       order by m.sent_at desc, m.seq desc limit $5`,
      [ctx.orgId, conversationId, c?.at ?? null, c?.seq ?? null, q.limit + 1],
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      data: page.map(
        (r): Message => ({
          id: r.id as string,
          conversation_id: r.conversation_id as string,
          direction: r.direction as Message['direction'],
          wamid: (r.wamid as string | null) ?? null,
          type: r.type as string,
          content: r.content as Record<string, unknown>,
          context_wamid: (r.context_wamid as string | null) ?? null,
          status: (r.status as string | null) ?? null,
          error: r.error ?? null,
          media: r.media_state
            ? {
                state: r.media_state as MessageMedia['state'],
                mime_type: (r.media_mime_type as string | null) ?? null,
                size: (r.media_size as number | null) ?? null,
                error: (r.media_error as string | null) ?? null,
              }
            : null,
          sent_at: new Date(r.sent_at as string).toISOString(),
        }),
      ),
      next_cursor:
        rows.length > q.limit && last ? messageCursorOf(last.sent_at as string, last.seq as string) : null,
    };
  }

  return { list, messages };
}
export type ConversationService = ReturnType<typeof createConversationService>;
