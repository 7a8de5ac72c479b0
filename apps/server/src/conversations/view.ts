import type { Conversation, Message, MessageMedia, RenderedTemplate } from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import type { AuthContext } from '../auth/context.ts';
import type { Db } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { TemplateService } from '../templates/service.ts';
import { effectiveStatus } from './rules.ts';

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

/**
 * A short text for lists: the body, a caption, a template's rendered body (`template`, from the
 * templates service), or the kind of message.
 */
export function previewOf(
  type: string,
  content: Record<string, unknown>,
  template?: RenderedTemplate | null,
): string {
  const pick = (o: unknown, k: string) =>
    o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined;
  const text =
    pick(content.text, 'body') ??
    pick(content[type], 'caption') ??
    pick(pick(content.interactive, pick(content.interactive, 'type') as string), 'title') ??
    pick(content.button, 'text') ??
    pick(content.reaction, 'emoji') ??
    (template?.body || pick(content.template, 'name'));
  return typeof text === 'string' && text ? text.slice(0, 200) : `[${type}]`;
}

type ListQuery = {
  assigned?: 'me' | 'unassigned' | 'all';
  number_id?: string | undefined;
  status?: string | undefined;
  tag_id?: string | undefined;
  label?: string | undefined;
  unread?: 'true' | 'false' | undefined;
  search?: string | undefined;
  before?: string | undefined;
  limit: number;
};
/** `phoneSearch: false` for a caller who may not see phones: a search never matches phone digits. */
type SearchOptions = { phoneSearch?: boolean };
/**
 * A search matching at most this many contacts reads their conversations; one matching more walks the
 * list (and reads at most limit × contacts / CONTACT_HITS conversations to fill a page).
 */
const CONTACT_HITS = 2000;

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

/**
 * Reading the team inbox: the list (filters, search, pages), one conversation with each agent's own
 * unread count, and its messages page by page.
 */
export function createConversationView({
  db,
  templates,
}: {
  db: Db;
  /** Template messages are shown as the customer saw them, one lookup per page. */
  templates: Pick<TemplateService, 'renderMessages'>;
}) {
  async function select(ctx: Pick<AuthContext, 'orgId' | 'userId'>, where: SQL, limit: number) {
    return queryRows<Record<string, unknown>>(
      db,
      sql`select c.id, c.number_id, ${effectiveStatus} as status, c.snoozed_until, c.last_message_at, c.last_inbound_at,
                 c.window_expires_at, c.created_at, c.referral, c.free_entry_until,
                 k.id as contact_id, k.wa_id, k.name, k.username,
                 u.id as assignee_id, u.name as assignee_name, u.email as assignee_email,
                 case when coalesce(c.last_inbound_seq, 0) > coalesce(r.last_read_seq, 0)
                      then (select count(*)::int from (select 1 from messages mm
                             where mm.conversation_id = c.id and mm.direction = 'in'
                               and mm.source is distinct from 'history' and mm.seq > coalesce(r.last_read_seq, 0) limit 99) x)
                      else 0 end as unread,
                 coalesce((select json_agg(json_build_object('id', t.id, 'name', t.name) order by lower(t.name))
                           from conversation_tags ct join tags t on t.id = ct.tag_id
                           where ct.conversation_id = c.id), '[]'::json) as tags,
                 m.type as last_type, m.direction as last_direction, m.content as last_content, m.source as last_source,
                 (select n.waba_id from numbers n where n.id = c.number_id) as waba_id
          from conversations c
          join contacts k on k.id = c.contact_id
          left join users u on u.id = c.assignee_id
          left join conversation_reads r on r.conversation_id = c.id and r.user_id = ${ctx.userId}
          left join lateral (select type, direction, content, source from messages
                             where conversation_id = c.id order by sent_at desc, seq desc limit 1) m on true
          where c.org_id = ${ctx.orgId} and (${where})
          order by coalesce(c.last_message_at, c.created_at) desc, c.id desc
          limit ${limit}`,
    );
  }

  /** The page's conversations, their last template messages rendered with one lookup. */
  async function toConversations(orgId: string, rows: Record<string, unknown>[]): Promise<Conversation[]> {
    const rendered = await templates.renderMessages(
      orgId,
      rows.map((r) => ({
        type: (r.last_type as string | null) ?? '',
        content: r.last_content,
        wabaId: (r.waba_id as string | null) ?? null,
      })),
    );
    return rows.map((r, i) => toConversation(r, rendered[i]));
  }

  function toConversation(
    r: Record<string, unknown>,
    template: RenderedTemplate | null | undefined,
  ): Conversation {
    return {
      id: r.id as string,
      number_id: r.number_id as string,
      contact: {
        id: r.contact_id as string,
        wa_id: r.wa_id as string,
        name: (r.name as string | null) ?? null,
        username: (r.username as string | null) ?? null,
      },
      status: r.status as Conversation['status'],
      snoozed_until: r.status === 'snoozed' ? iso(r.snoozed_until) : null,
      assignee: r.assignee_id
        ? {
            id: r.assignee_id as string,
            name: (r.assignee_name as string | null) || null,
            email: r.assignee_email as string,
          }
        : null,
      tags: r.tags as Conversation['tags'],
      unread_count: Number(r.unread),
      last_message_at: iso(r.last_message_at),
      last_inbound_at: iso(r.last_inbound_at),
      window_expires_at: iso(r.window_expires_at),
      last_message: r.last_type
        ? {
            type: r.last_type as string,
            direction: r.last_direction as string,
            source: (r.last_source as string | null) ?? null,
            preview: previewOf(r.last_type as string, r.last_content as Record<string, unknown>, template),
          }
        : null,
      referral: (r.referral as Conversation['referral']) ?? null,
      free_entry_until: iso(r.free_entry_until),
    };
  }

  async function list(
    ctx: Pick<AuthContext, 'orgId' | 'userId'>,
    q: ListQuery,
    o: SearchOptions = {},
  ): Promise<{ data: Conversation[]; next_cursor: string | null }> {
    const c = q.before ? parseCursor(q.before) : undefined;
    const search = q.search ? `%${q.search.replace(/[%_\\]/g, '\\$&')}%` : null;
    const where: SQL[] = [sql`true`];
    if (q.assigned === 'me') where.push(sql`c.assignee_id = ${ctx.userId}`);
    if (q.assigned === 'unassigned') where.push(sql`c.assignee_id is null`);
    if (q.number_id) where.push(sql`c.number_id = ${q.number_id}`);
    // The same as STATUS = q.status, written on the stored column so that a rare status (snoozed) is
    // read off conversations_org_status_recent_idx.
    if (q.status === 'open')
      where.push(sql`(c.status = 'open' or (c.status = 'snoozed' and c.snoozed_until <= now()))`);
    else if (q.status === 'snoozed')
      where.push(sql`(c.status = 'snoozed' and (c.snoozed_until is null or c.snoozed_until > now()))`);
    else if (q.status) where.push(sql`c.status = ${q.status}`);
    if (q.tag_id)
      where.push(
        sql`exists (select 1 from conversation_tags ct where ct.conversation_id = c.id and ct.tag_id = ${q.tag_id})`,
      );
    // An AI intent label on any of the customer's messages (ai/: ai_message_labels, read here).
    if (q.label)
      where.push(
        sql`exists (select 1 from ai_message_labels l where l.conversation_id = c.id and l.label = ${q.label})`,
      );
    if (q.unread) {
      const unread = sql`coalesce(c.last_inbound_seq, 0) > coalesce(r.last_read_seq, 0)`;
      where.push(q.unread === 'true' ? unread : sql`not (${unread})`);
    }
    if (c)
      where.push(
        sql`(coalesce(c.last_message_at, c.created_at), c.id) < (${c.at}::timestamptz, ${c.id}::uuid)`,
      );
    if (search) {
      // Contacts and messages are searched apart, one page of each in the list's order, so that each can
      // be planned on its own: along the list when matches are many, from the trigram indexes (migration
      // 0015) when they are few. The page is the best of both.
      const filters = sql.join(where, sql` and `);
      const pageOf = (join: SQL, match: SQL) =>
        sql`(select c.id from conversations c ${join}
             left join conversation_reads r on r.conversation_id = c.id and r.user_id = ${ctx.userId}
             where c.org_id = ${ctx.orgId} and ${filters} and ${match}
             order by coalesce(c.last_message_at, c.created_at) desc, c.id desc limit ${q.limit + 1})`;
      const contactMatch =
        o.phoneSearch === false
          ? sql`(k.name ilike ${search} or k.username ilike ${search})`
          : sql`(k.name ilike ${search} or k.wa_id like ${search} or k.username ilike ${search})`;
      // For contacts the cheaper way depends on how many match, so that is counted, not estimated: the
      // planner's estimate comes from a sample, where one value matching makes a rare name look like 1%
      // of the contacts, and it then walked the whole list to fill a page (a second at 100k). The
      // matches are read first (off the trigram indexes), up to CONTACT_HITS: if that is all of them,
      // their conversations are the candidates; if there are more, the list is walked and soon fills a
      // page. Only one of the two runs: the other one's count test fails before it reads a row.
      const byContact = sql`(with hits as materialized (
          select k.id from contacts k where k.org_id = ${ctx.orgId} and ${contactMatch} limit ${CONTACT_HITS + 1})
        ${pageOf(sql`join hits h on h.id = c.contact_id`, sql`(select count(*) from hits) <= ${CONTACT_HITS}`)}
        union all
        ${pageOf(sql`join contacts k on k.id = c.contact_id`, sql`${contactMatch} and (select count(*) from hits) > ${CONTACT_HITS}`)})`;
      const byMessage = pageOf(
        sql``,
        sql`exists (select 1 from messages mm where mm.conversation_id = c.id
                      and (mm.content->'text'->>'body' ilike ${search}
                           or mm.content->(mm.type)->>'caption' ilike ${search}))`,
      );
      where.push(sql`c.id in (${byContact} union all ${byMessage})`);
    }
    const rows = await select(ctx, sql.join(where, sql` and `), q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      data: await toConversations(ctx.orgId, page),
      next_cursor:
        rows.length > q.limit && last
          ? cursorOf((last.last_message_at ?? last.created_at) as string, last.id as string)
          : null,
    };
  }

  async function get(ctx: Pick<AuthContext, 'orgId' | 'userId'>, id: string): Promise<Conversation> {
    const [row] = await select(ctx, sql`c.id = ${id}`, 1);
    if (!row) throw notFound('Conversation');
    const [c] = await toConversations(ctx.orgId, [row]);
    return c!;
  }

  async function rowOf(orgId: string, id: string) {
    const [c] = await queryRows<{
      id: string;
      number_id: string;
      contact_id: string;
      assignee_id: string | null;
      last_inbound_seq: number | null;
      waba_id: string | null;
    }>(
      db,
      sql`select c.id, c.number_id, c.contact_id, c.assignee_id, c.last_inbound_seq, n.waba_id
          from conversations c left join numbers n on n.id = c.number_id
          where c.org_id = ${orgId} and c.id = ${id}`,
    );
    if (!c) throw notFound('Conversation');
    return c;
  }

  /** The status of the number's conversation with a customer (by wa_id), if they have one. */
  async function statusWith(orgId: string, numberId: string, waId: string): Promise<string | undefined> {
    const [row] = await queryRows<{ status: string }>(
      db,
      sql`select c.status from conversations c join contacts k on k.id = c.contact_id
          where c.org_id = ${orgId} and c.number_id = ${numberId} and k.org_id = ${orgId} and k.wa_id = ${waId}`,
    );
    return row?.status;
  }

  const MESSAGE_COLS = sql`m.seq::text as seq, m.id, m.conversation_id, m.direction, m.wamid, m.type, m.content,
    m.context_wamid, m.status, m.error, m.sent_at, m.source, f.state as media_state, f.mime_type as media_mime_type,
    f.size as media_size, f.error as media_error`;

  /** Message rows as the API shows them (templates rendered as the customer sees them). */
  async function messageViews(orgId: string, wabaId: string | null, rows: Record<string, unknown>[]) {
    const rendered = await templates.renderMessages(
      orgId,
      rows.map((r) => ({ type: r.type as string, content: r.content, wabaId })),
    );
    return rows.map(
      (r, i): Message => ({
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
        template: rendered[i] ?? null,
        source: (r.source as string | null) ?? null,
        sent_at: new Date(r.sent_at as string).toISOString(),
      }),
    );
  }

  async function messages(
    ctx: Pick<AuthContext, 'orgId'>,
    conversationId: string,
    q: { before?: string | undefined; limit: number },
  ) {
    const conversation = await rowOf(ctx.orgId, conversationId);
    const c = q.before ? parseMessageCursor(q.before) : undefined;
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`select ${MESSAGE_COLS}
          from messages m left join media_files f on f.message_id = m.id
          where m.org_id = ${ctx.orgId} and m.conversation_id = ${conversationId}
            ${c ? sql`and (m.sent_at, m.seq) < (${c.at}::timestamptz, ${c.seq}::bigint)` : sql``}
          order by m.sent_at desc, m.seq desc limit ${q.limit + 1}`,
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      data: await messageViews(ctx.orgId, conversation.waba_id, page),
      next_cursor:
        rows.length > q.limit && last ? messageCursorOf(last.sent_at as string, last.seq as string) : null,
    };
  }

  /** One message of the organisation, with its state (`GET /api/v1/messages/{id}`). */
  async function message(ctx: Pick<AuthContext, 'orgId'>, id: string) {
    const [row] = await queryRows<Record<string, unknown>>(
      db,
      sql`select ${MESSAGE_COLS} from messages m left join media_files f on f.message_id = m.id
          where m.org_id = ${ctx.orgId} and m.id = ${id}`,
    );
    if (!row) throw new AppError('NOT_FOUND', 'Message not found');
    const conversation = await rowOf(ctx.orgId, row.conversation_id as string);
    return (await messageViews(ctx.orgId, conversation.waba_id, [row]))[0]!;
  }

  return { list, get, rowOf, messages, message, statusWith };
}
export type ConversationView = ReturnType<typeof createConversationView>;
