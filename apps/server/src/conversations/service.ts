import { can, type SendMessageBody, type TypingResult } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { AuthContext } from '../auth/context.ts';
import type { Db } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import { MEDIA_TYPES, type MediaService } from '../media/service.ts';
import type { OutboundService, SendInput } from '../messages/service.ts';
import type { NotificationService } from '../notifications/service.ts';
import type { NumberService } from '../numbers/service.ts';
import type { TemplateService } from '../templates/service.ts';
import { createConversationNotes } from './notes.ts';
import { AGENT_ROLES } from './teams.ts';
import { createConversationView } from './view.ts';

/** An agent seen within this long counts as online for round-robin. */
const ONLINE_MINUTES = 15;
/** A typing indicator shows up to 25 s: one every 20 s keeps it up while the agent types. */
const TYPING_EVERY_MS = 20_000;

/**
 * The team inbox (SPEC F7): conversations with their assignee, tags, status and each agent's own
 * unread count (view.ts); replies through the one outbound path (the 24-hour rule is enforced there);
 * reading, assignment (by hand or round-robin among online agents), status, tags and internal notes
 * (notes.ts). The rules a conversation follows are in rules.ts.
 */
export function createConversationService(deps: {
  db: Db;
  outbound: OutboundService;
  numbers: NumberService;
  notifications: NotificationService;
  events: EventService;
  media: MediaService;
  templates: Pick<TemplateService, 'renderMessages'>;
  log: Log;
}) {
  const { db, outbound, numbers, notifications, events, media, templates, log } = deps;
  const view = createConversationView({ db, templates });
  const { get, rowOf } = view;

  const changed = (orgId: string, id: string, fields: string[]) =>
    events
      .publish(orgId, [{ type: 'conversation.updated', data: { conversation_id: id, fields } }])
      .catch((err) => log.warn({ err }, 'conversation event not published'));

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

  /** When a typing indicator was last sent per conversation (this process): at most one every 20 s. */
  const typingSent = new Map<string, number>();

  /**
   * An agent is typing a reply: the customer's last message is marked read with a typing indicator
   * (WhatsApp shows it up to 25 s, or until the reply) — only when the organisation sends read
   * receipts (a typing indicator is a read receipt), and at most once every 20 s per conversation.
   */
  async function typing(ctx: AuthContext, id: string): Promise<TypingResult> {
    const c = await rowOf(ctx.orgId, id);
    const [state] = await queryRows<{ receipts: boolean | null; wamid: string | null }>(
      db,
      sql`select (select s.read_receipts from org_settings s where s.org_id = ${ctx.orgId}) as receipts,
                 (select wamid from messages where conversation_id = ${id} and direction = 'in' and wamid is not null
                    and source is distinct from 'history'
                  order by seq desc limit 1) as wamid`,
    );
    if (state?.receipts === false) return { sent: false, reason: 'read_receipts_off' };
    if (!state?.wamid) return { sent: false, reason: 'no_inbound_message' };
    const now = Date.now();
    if (now - (typingSent.get(id) ?? 0) < TYPING_EVERY_MS) return { sent: false, reason: 'too_soon' };
    const n = await numbers.findRow(ctx.orgId, c.number_id);
    if (n?.status !== 'active') return { sent: false, reason: 'number_inactive' };
    typingSent.set(id, now);
    if (typingSent.size > 10_000) {
      for (const [k, at] of typingSent) if (now - at >= TYPING_EVERY_MS) typingSent.delete(k);
    }
    try {
      await numbers.providerFor(n).markRead(numbers.credentials(n), state.wamid, { typingIndicator: true });
    } catch (err) {
      log.warn({ err, conversationId: id }, 'typing indicator not sent');
    }
    return { sent: true, reason: null };
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
    await events
      .publish(ctx.orgId, [
        {
          type: 'conversation.assigned',
          conversation_id: id,
          data: { conversation_id: id, assignee_id: userId, team_id: teamId ?? null },
        },
      ])
      .catch((err) => log.warn({ err }, 'conversation event not published'));
    return get(ctx, id);
  }

  async function setStatus(ctx: AuthContext, id: string, status: string, snoozedUntil?: string) {
    await rowOf(ctx.orgId, id);
    if (status === 'snoozed' && Date.parse(snoozedUntil!) <= Date.now()) {
      throw new AppError('VALIDATION_FAILED', 'snoozed_until: must be in the future', {
        details: [{ path: ['snoozed_until'], message: 'must be in the future' }],
      });
    }
    // Resolving records the resolution (who, the assignee then) in the same statement: the agents
    // report's resolution times are read from that record (docs/reports.md).
    await db.execute(
      sql`with old as (select id, number_id, status, assignee_id from conversations
                       where org_id = ${ctx.orgId} and id = ${id} for update),
          upd as (update conversations c set status = ${status},
                    snoozed_until = ${status === 'snoozed' ? snoozedUntil! : null}, updated_at = now()
                  from old where c.id = old.id),
          res as (insert into conversation_resolutions (org_id, conversation_id, number_id, resolved_by, assignee_id)
                  select ${ctx.orgId}, old.id, old.number_id,
                         (select u.id from users u where u.id = ${ctx.userId}::uuid), old.assignee_id
                  from old where ${status} = 'resolved' and old.status <> 'resolved')
          select 1`,
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

  const { notes, addNote } = createConversationNotes({ db, notifications, log, rowOf, changed });

  /**
   * A message from code (`POST /api/v1/messages`): to a phone, a BSUID or a contact, on a number or
   * the organisation's first active one, through the one send path as `source = api`.
   */
  async function sendFromApi(ctx: AuthContext, body: z.output<typeof SendMessageBody>) {
    let numberId = body.number_id;
    if (!numberId) {
      const [n] = await queryRows<{ id: string }>(
        db,
        sql`select id from numbers where org_id = ${ctx.orgId} and status = 'active'
            order by is_sandbox, created_at limit 1`,
      );
      if (!n) throw new AppError('CONFLICT', 'The organisation has no active number to send from');
      numberId = n.id;
    }
    let to: SendInput['to'];
    if ('phone' in body.to) to = { phone: body.to.phone };
    else {
      const [c] = await queryRows<{ id: string }>(
        db,
        'bsuid' in body.to
          ? sql`select id from contacts where org_id = ${ctx.orgId} and user_id = ${body.to.bsuid}`
          : sql`select id from contacts where org_id = ${ctx.orgId} and id = ${body.to.contact_id}`,
      );
      if (!c) throw notFound('Contact');
      to = { contactId: c.id };
    }
    await outbound.checkLinks(body.content);
    const q = await outbound.send(ctx.orgId, {
      numberId,
      to,
      content: body.content,
      source: 'api',
      authorUserId: ctx.userId,
    });
    await changed(ctx.orgId, q.conversation_id, ['last_message_at']);
    return {
      message_id: q.message_id,
      conversation_id: q.conversation_id,
      contact_id: q.contact_id,
      status: q.status,
    };
  }

  return {
    sendFromApi,
    list: view.list,
    get,
    messages: view.messages,
    message: view.message,
    /** Read by the sandbox's simulated customers: they stop writing once an agent resolved the conversation. */
    statusWith: view.statusWith,
    reply,
    uploadMedia,
    react,
    retry,
    read,
    typing,
    assign,
    setStatus,
    setTags,
    notes,
    addNote,
  };
}
export type ConversationService = ReturnType<typeof createConversationService>;
