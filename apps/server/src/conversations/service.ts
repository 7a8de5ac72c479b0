import { type Conversation, can, type Message, type MessageMedia } from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import type { AuthContext } from '../auth/context.ts';
import type { Db } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import { MEDIA_TYPES, type MediaService } from '../media/service.ts';
import type { OutboundService } from '../messages/service.ts';
import type { NotificationService } from '../notifications/service.ts';
import type { NumberService } from '../numbers/service.ts';
import { AGENT_ROLES } from './teams.ts';

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
    pick(content.reaction, 'emoji') ??
    pick(content.template, 'name');
  return typeof text === 'string' && text ? text.slice(0, 200) : `[${type}]`;
}

/** What a snoozed conversation is once its time has come: open again (no job needed to wake it). */
const STATUS = sql`case when c.status = 'snoozed' and c.snoozed_until <= now() then 'open' else c.status end`;
/** Agents who may be given conversations: members who can reply. */
/** An agent seen within this long counts as online for round-robin. */
const ONLINE_MINUTES = 15;

type ListQuery = {
  assigned?: 'me' | 'unassigned' | 'all';
  number_id?: string | undefined;
  status?: string | undefined;
  tag_id?: string | undefined;
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

/**
 * The team inbox (SPEC F7): conversations with their assignee, tags, status and each agent's own
 * unread count; replies through the one outbound path (the 24-hour rule is enforced there); reading,
 * assignment (by hand or round-robin among online agents), status, tags and internal notes.
 */
export function createConversationService(deps: {
  db: Db;
  outbound: OutboundService;
  numbers: NumberService;
  notifications: NotificationService;
  events: EventService;
  media: MediaService;
  log: Log;
}) {
  const { db, outbound, numbers, notifications, events, media, log } = deps;

  const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

  async function select(ctx: Pick<AuthContext, 'orgId' | 'userId'>, where: SQL, limit: number) {
    return queryRows<Record<string, unknown>>(
      db,
      sql`select c.id, c.number_id, ${STATUS} as status, c.snoozed_until, c.last_message_at, c.last_inbound_at,
                 c.window_expires_at, c.created_at,
                 k.id as contact_id, k.wa_id, k.name,
                 u.id as assignee_id, u.name as assignee_name, u.email as assignee_email,
                 case when coalesce(c.last_inbound_seq, 0) > coalesce(r.last_read_seq, 0)
                      then (select count(*)::int from (select 1 from messages mm
                             where mm.conversation_id = c.id and mm.direction = 'in'
                               and mm.seq > coalesce(r.last_read_seq, 0) limit 99) x)
                      else 0 end as unread,
                 coalesce((select json_agg(json_build_object('id', t.id, 'name', t.name) order by lower(t.name))
                           from conversation_tags ct join tags t on t.id = ct.tag_id
                           where ct.conversation_id = c.id), '[]'::json) as tags,
                 m.type as last_type, m.direction as last_direction, m.content as last_content
          from conversations c
          join contacts k on k.id = c.contact_id
          left join users u on u.id = c.assignee_id
          left join conversation_reads r on r.conversation_id = c.id and r.user_id = ${ctx.userId}
          left join lateral (select type, direction, content from messages
                             where conversation_id = c.id order by sent_at desc, seq desc limit 1) m on true
          where c.org_id = ${ctx.orgId} and (${where})
          order by coalesce(c.last_message_at, c.created_at) desc, c.id desc
          limit ${limit}`,
    );
  }

  function toConversation(r: Record<string, unknown>): Conversation {
    return {
      id: r.id as string,
      number_id: r.number_id as string,
      contact: {
        id: r.contact_id as string,
        wa_id: r.wa_id as string,
        name: (r.name as string | null) ?? null,
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
            preview: previewOf(r.last_type as string, r.last_content as Record<string, unknown>),
          }
        : null,
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
          ? sql`k.name ilike ${search}`
          : sql`(k.name ilike ${search} or k.wa_id like ${search})`;
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
      data: page.map(toConversation),
      next_cursor:
        rows.length > q.limit && last
          ? cursorOf((last.last_message_at ?? last.created_at) as string, last.id as string)
          : null,
    };
  }

  async function get(ctx: Pick<AuthContext, 'orgId' | 'userId'>, id: string): Promise<Conversation> {
    const [row] = await select(ctx, sql`c.id = ${id}`, 1);
    if (!row) throw notFound('Conversation');
    return toConversation(row);
  }

  async function rowOf(orgId: string, id: string) {
    const [c] = await queryRows<{
      id: string;
      number_id: string;
      contact_id: string;
      assignee_id: string | null;
      last_inbound_seq: number | null;
    }>(
      db,
      sql`select id, number_id, contact_id, assignee_id, last_inbound_seq from conversations where org_id = ${orgId} and id = ${id}`,
    );
    if (!c) throw notFound('Conversation');
    return c;
  }

  const changed = (orgId: string, id: string, fields: string[]) =>
    events
      .publish(orgId, [{ type: 'conversation.updated', data: { conversation_id: id, fields } }])
      .catch((err) => log.warn({ err }, 'conversation event not published'));

  async function messages(
    ctx: Pick<AuthContext, 'orgId'>,
    conversationId: string,
    q: { before?: string | undefined; limit: number },
  ) {
    await rowOf(ctx.orgId, conversationId);
    const c = q.before ? parseMessageCursor(q.before) : undefined;
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`select m.seq::text as seq, m.id, m.conversation_id, m.direction, m.wamid, m.type, m.content, m.context_wamid,
                 m.status, m.error, m.sent_at,
                 f.state as media_state, f.mime_type as media_mime_type, f.size as media_size, f.error as media_error
          from messages m left join media_files f on f.message_id = m.id
          where m.org_id = ${ctx.orgId} and m.conversation_id = ${conversationId}
            ${c ? sql`and (m.sent_at, m.seq) < (${c.at}::timestamptz, ${c.seq}::bigint)` : sql``}
          order by m.sent_at desc, m.seq desc limit ${q.limit + 1}`,
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

  /**
   * A reply through the one outbound path: free-form only inside the 24-hour window (else 409
   * WINDOW_CLOSED), a template at any time, consent and the number's state checked there. An
   * unassigned conversation becomes the replying agent's.
   */
  async function reply(
    ctx: AuthContext,
    id: string,
    body: { content: unknown; reply_to?: string | undefined },
  ) {
    const c = await rowOf(ctx.orgId, id);
    let replyTo: string | null = null;
    if (body.reply_to) {
      const [m] = await queryRows<{ wamid: string | null }>(
        db,
        sql`select wamid from messages where org_id = ${ctx.orgId} and conversation_id = ${id} and id = ${body.reply_to}`,
      );
      if (!m) throw notFound('Message to reply to');
      if (!m.wamid)
        throw new AppError('CONFLICT', 'That message has not reached WhatsApp yet; it cannot be quoted');
      replyTo = m.wamid;
    }
    // Links are checked (a DNS lookup) before the transaction holds a connection; send repeats the
    // check from the guard's cached answer.
    await outbound.checkLinks(body.content);
    const queued = await transaction(db, async (tx, onCommit) => {
      const q = await outbound.send(
        ctx.orgId,
        {
          numberId: c.number_id,
          to: { contactId: c.contact_id },
          content: body.content,
          source: 'inbox',
          authorUserId: ctx.userId,
          replyTo,
        },
        { tx, onCommit },
      );
      // A file this organisation uploaded: the thread shows the stored copy.
      const sent = body.content as { type?: string } & Record<string, { id?: unknown } | undefined>;
      const file = sent?.type && MEDIA_TYPES.has(sent.type) ? sent[sent.type]?.id : undefined;
      if (typeof file === 'string')
        await media.attachOutbound(tx, {
          orgId: ctx.orgId,
          numberId: c.number_id,
          messageId: q.message_id,
          metaMediaId: file,
        });
      const [taken] = await queryRows<{ id: string }>(
        tx,
        sql`update conversations set assignee_id = ${ctx.userId}, updated_at = now()
            where id = ${id} and assignee_id is null returning id`,
      );
      if (taken)
        await tx.execute(
          sql`update memberships set last_assigned_at = now() where org_id = ${ctx.orgId} and user_id = ${ctx.userId}`,
        );
      return q;
    });
    await changed(ctx.orgId, id, ['last_message_at', 'assignee']);
    return { message_id: queued.message_id, conversation_id: queued.conversation_id, status: queued.status };
  }

  /** A file to send in the conversation: checked, stored and uploaded to Meta once (see media). */
  async function uploadMedia(
    ctx: AuthContext,
    id: string,
    file: { data: Buffer; mimeType: string; filename?: string | undefined },
  ) {
    const c = await rowOf(ctx.orgId, id);
    return media.prepareOutbound(ctx.orgId, c.number_id, file);
  }

  /** The message of this conversation that an agent acts on (reacts to, retries). */
  async function messageOf(orgId: string, id: string, messageId: string) {
    const [m] = await queryRows<{
      wamid: string | null;
      direction: string;
      status: string;
      content: unknown;
    }>(
      db,
      sql`select wamid, direction, status, content from messages
          where org_id = ${orgId} and conversation_id = ${id} and id = ${messageId}`,
    );
    if (!m) throw notFound('Message');
    return m;
  }

  /** Reacts to a message with an emoji (an empty one removes the reaction); inside the 24-hour window. */
  async function react(ctx: AuthContext, id: string, messageId: string, emoji: string) {
    const m = await messageOf(ctx.orgId, id, messageId);
    if (!m.wamid)
      throw new AppError('CONFLICT', 'That message has not reached WhatsApp yet; it cannot be reacted to');
    return reply(ctx, id, { content: { type: 'reaction', reaction: { message_id: m.wamid, emoji } } });
  }

  /** Sends a failed outbound message again, as a new message (the failed one keeps Meta's reason). */
  async function retry(ctx: AuthContext, id: string, messageId: string) {
    const m = await messageOf(ctx.orgId, id, messageId);
    if (m.direction !== 'out' || m.status !== 'failed') {
      throw new AppError('CONFLICT', 'Only a message that failed can be sent again');
    }
    return reply(ctx, id, { content: m.content });
  }

  /**
   * The agent has read the conversation: their own unread count resets (nobody else's), and — when
   * the organisation sends read receipts — WhatsApp is told the customer's newest message was read.
   */
  async function read(ctx: AuthContext, id: string) {
    const c = await rowOf(ctx.orgId, id);
    const [state] = await queryRows<{ before: number | null; receipts: boolean | null }>(
      db,
      sql`with prev as (select last_read_seq from conversation_reads where conversation_id = ${id} and user_id = ${ctx.userId}),
          up as (
            insert into conversation_reads (org_id, conversation_id, user_id, last_read_seq)
            select ${ctx.orgId}, ${id}, ${ctx.userId}, coalesce(max(seq), 0) from messages where conversation_id = ${id}
            on conflict (conversation_id, user_id) do update
              set last_read_seq = greatest(conversation_reads.last_read_seq, excluded.last_read_seq), read_at = now()),
          clear as (update conversations set unread_count = 0 where id = ${id} and unread_count > 0)
          select (select last_read_seq from prev) as before,
                 (select s.read_receipts from org_settings s where s.org_id = ${ctx.orgId}) as receipts`,
    );
    const fresh = Number(c.last_inbound_seq ?? 0) > Number(state?.before ?? 0);
    // A viewer's reading is theirs alone: only someone who can answer tells the customer it was read.
    if (state?.receipts !== false && fresh && can(ctx.role, 'conversations.reply')) {
      const [last] = await queryRows<{ wamid: string }>(
        db,
        sql`select wamid from messages where conversation_id = ${id} and direction = 'in' and wamid is not null
            order by seq desc limit 1`,
      );
      const n = last && (await numbers.findRow(ctx.orgId, c.number_id));
      if (last && n && n.status === 'active') {
        await numbers
          .providerFor(n)
          .markRead(numbers.credentials(n), last.wamid)
          .catch((err) => log.warn({ err, conversationId: id }, 'read receipt not sent'));
      }
    }
    await changed(ctx.orgId, id, ['unread_count']);
    return { ok: true as const };
  }

  /** Assigns to an agent of the organisation, unassigns (null), or gives it to the next online agent in turn. */
  async function assign(
    ctx: AuthContext,
    id: string,
    assignee: string | null | 'round_robin',
    teamId?: string | undefined,
  ) {
    await rowOf(ctx.orgId, id);
    let userId: string | null = null;
    if (assignee === 'round_robin') {
      if (teamId) {
        const [team] = await queryRows<{ id: string }>(
          db,
          sql`select id from teams where org_id = ${ctx.orgId} and id = ${teamId}`,
        );
        if (!team) throw notFound('Team');
      }
      // The online agent (of the team, if one is named) whose last assignment is the oldest.
      const [next] = await queryRows<{ user_id: string }>(
        db,
        sql`select m.user_id from memberships m
            where m.org_id = ${ctx.orgId} and m.role = any(${sql.param(AGENT_ROLES)}::text[])
              ${teamId ? sql`and exists (select 1 from team_members tm where tm.team_id = ${teamId} and tm.user_id = m.user_id)` : sql``}
              and exists (select 1 from sessions s where s.user_id = m.user_id and s.revoked_at is null
                            and s.expires_at > now() and s.last_seen_at > now() - make_interval(mins => ${ONLINE_MINUTES}))
            order by m.last_assigned_at asc nulls first, m.created_at, m.user_id
            limit 1`,
      );
      if (!next)
        throw new AppError(
          'CONFLICT',
          `No agent${teamId ? ' of that team' : ''} is online to take it; assign it to someone by name`,
        );
      userId = next.user_id;
    } else if (assignee) {
      const [member] = await queryRows<{ role: string }>(
        db,
        sql`select role from memberships where org_id = ${ctx.orgId} and user_id = ${assignee}`,
      );
      if (!member) throw notFound('Member');
      if (!AGENT_ROLES.includes(member.role)) {
        throw new AppError('VALIDATION_FAILED', 'assignee_id: a viewer cannot reply, so cannot be assigned', {
          details: [{ path: ['assignee_id'], message: 'a viewer cannot be assigned' }],
        });
      }
      userId = assignee;
    }
    await transaction(db, async (tx) => {
      await tx.execute(
        sql`update conversations set assignee_id = ${userId}, updated_at = now() where org_id = ${ctx.orgId} and id = ${id}`,
      );
      if (userId)
        await tx.execute(
          sql`update memberships set last_assigned_at = now() where org_id = ${ctx.orgId} and user_id = ${userId}`,
        );
    });
    if (userId && userId !== ctx.userId) {
      await notifications
        .notify(
          { orgId: ctx.orgId, userIds: [userId] },
          {
            type: 'conversation.assigned',
            title: 'A conversation was assigned to you',
            message: 'Open it in the inbox.',
            actionUrl: `/inbox/${id}`,
            relatedEntityType: 'conversation',
            relatedEntityId: id,
          },
        )
        .catch((err) => log.warn({ err }, 'assignment notification failed'));
    }
    await changed(ctx.orgId, id, ['assignee']);
    return get(ctx, id);
  }

  async function setStatus(ctx: AuthContext, id: string, status: string, snoozedUntil?: string) {
    await rowOf(ctx.orgId, id);
    if (status === 'snoozed' && Date.parse(snoozedUntil!) <= Date.now()) {
      throw new AppError('VALIDATION_FAILED', 'snoozed_until: must be in the future', {
        details: [{ path: ['snoozed_until'], message: 'must be in the future' }],
      });
    }
    await db.execute(
      sql`update conversations set status = ${status}, snoozed_until = ${status === 'snoozed' ? snoozedUntil! : null},
                 updated_at = now() where org_id = ${ctx.orgId} and id = ${id}`,
    );
    await changed(ctx.orgId, id, ['status']);
    return get(ctx, id);
  }

  async function setTags(ctx: AuthContext, id: string, tagIds: string[]) {
    await rowOf(ctx.orgId, id);
    const ids = [...new Set(tagIds)];
    await transaction(db, async (tx) => {
      const found = await queryRows<{ id: string }>(
        tx,
        sql`select id from tags where org_id = ${ctx.orgId} and id = any(${sql.param(ids)}::uuid[])`,
      );
      if (found.length !== ids.length) throw notFound('Tag');
      await tx.execute(sql`delete from conversation_tags where conversation_id = ${id}`);
      if (ids.length)
        await tx.execute(
          sql`insert into conversation_tags (org_id, conversation_id, tag_id)
              select ${ctx.orgId}, ${id}, t from unnest(${sql.param(ids)}::uuid[]) t`,
        );
    });
    await changed(ctx.orgId, id, ['tags']);
    return get(ctx, id);
  }

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

  return {
    list,
    get,
    messages,
    reply,
    uploadMedia,
    react,
    retry,
    read,
    assign,
    setStatus,
    setTags,
    notes,
    addNote,
  };
}
export type ConversationService = ReturnType<typeof createConversationService>;
