import {
  AssignBody,
  Conversation,
  ConversationPage,
  ConversationQuery,
  ConversationStatusBody,
  ConversationTagsBody,
  MediaUploadQuery,
  Message,
  MessagePage,
  MessageQuery,
  Note,
  NoteBody,
  NoteList,
  Ok,
  QuickReply,
  QuickReplyBody,
  QuickReplyList,
  ReactionBody,
  RenderedQuickReply,
  ReplyBody,
  ReplyQueued,
  SENDABLE_MEDIA as SENDABLE,
  SendMessageBody,
  SentMessage,
  Team,
  TeamBody,
  TeamList,
  TypingResult,
  UploadedMedia,
  Uuid,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PhonePrivacy } from '../contacts/phone-privacy.ts';
import { AppError } from '../lib/errors.ts';
import { authOf } from '../lib/http.ts';
import { asCaller, conversationFor, messageFor } from './phone-view.ts';
import type { QuickReplyService } from './quick-replies.ts';
import type { ConversationService } from './service.ts';
import type { TeamService } from './teams.ts';

const IdParams = z.object({ id: Uuid });
const MessageParams = z.object({ id: Uuid, messageId: Uuid });
/** Largest file WhatsApp sends (documents); each type's own limit is checked by the media service. */
const MAX_SEND_BYTES = 100 * 1024 * 1024;

export const conversationRoutes =
  (deps: {
    conversations: ConversationService;
    quickReplies: QuickReplyService;
    teams: TeamService;
    phones: PhonePrivacy;
  }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['conversations'];
    const { conversations, quickReplies, teams, phones } = deps;
    const viewOf = (req: Parameters<typeof authOf>[0]) => phones.viewFor(authOf(req));
    const read = { access: 'conversations.read' as const };
    const reply = { access: 'conversations.reply' as const };
    const manage = { access: 'conversations.manage' as const };
    app.get(
      '/api/v1/conversations',
      {
        config: read,
        schema: {
          tags,
          summary:
            'Conversations, most recent first: mine / unassigned / all, status, number, tag, my unread, search in contacts and messages; cursor paging',
          querystring: ConversationQuery,
          response: { 200: ConversationPage },
        },
      },
      async (req) => {
        const view = await viewOf(req);
        const page = await conversations.list(authOf(req), req.query, { phoneSearch: !view.masked });
        return { ...page, data: page.data.map((c) => conversationFor(view, c)) };
      },
    );
    app.get(
      '/api/v1/conversations/:id',
      {
        config: read,
        schema: {
          tags,
          summary: 'A conversation with its assignee, tags, status and your unread count',
          params: IdParams,
          response: { 200: Conversation },
        },
      },
      async (req) => conversationFor(await viewOf(req), await conversations.get(authOf(req), req.params.id)),
    );
    app.post(
      '/api/v1/messages',
      {
        config: reply,
        schema: {
          tags: ['messages'],
          summary:
            'Send a message from code: to a phone, a BSUID or a contact, on a number or the first active one; the same checks as every send (consent 409, window 409, caps 409); answers at once with the message id (state `pending`). Honours `Idempotency-Key`.',
          body: SendMessageBody,
          response: { 202: SentMessage },
        },
      },
      async (req, res) => res.code(202).send(await conversations.sendFromApi(authOf(req), req.body)),
    );
    app.get(
      '/api/v1/messages/:id',
      {
        config: read,
        schema: {
          tags: ['messages'],
          summary: 'One message and its state (pending, sent, delivered, read, failed with the reason)',
          params: IdParams,
          response: { 200: Message },
        },
      },
      async (req) => messageFor(await viewOf(req), await conversations.message(authOf(req), req.params.id)),
    );
    app.get(
      '/api/v1/conversations/:id/messages',
      {
        config: read,
        schema: {
          tags,
          summary: 'Messages of a conversation, newest first',
          params: IdParams,
          querystring: MessageQuery,
          response: { 200: MessagePage },
        },
      },
      async (req) => {
        const view = await viewOf(req);
        const page = await conversations.messages(authOf(req), req.params.id, req.query);
        return { ...page, data: page.data.map((m) => messageFor(view, m)) };
      },
    );
    app.post(
      '/api/v1/conversations/:id/reply',
      {
        config: reply,
        schema: {
          tags,
          summary:
            'Reply: free-form only inside the 24-hour window (else 409 WINDOW_CLOSED), an approved template at any time; queued as pending',
          params: IdParams,
          body: ReplyBody,
          response: { 202: ReplyQueued },
        },
      },
      async (req, res) => {
        const view = await viewOf(req);
        const queued = await asCaller(view, () => conversations.reply(authOf(req), req.params.id, req.body));
        return res.code(202).send(queued);
      },
    );
    // Files to send arrive as the raw body with their own type (only in this plugin's scope); any
    // other type is refused by Fastify with 415 before it is read.
    app.removeContentTypeParser(['text/plain']);
    app.addContentTypeParser(
      Object.keys(SENDABLE),
      { parseAs: 'buffer', bodyLimit: MAX_SEND_BYTES },
      (_req, body, done) => done(null, body),
    );
    app.post(
      '/api/v1/conversations/:id/media',
      {
        config: reply,
        bodyLimit: MAX_SEND_BYTES,
        schema: {
          tags,
          summary:
            'Upload a file to send (the raw body, Content-Type its type, ?filename=): type and size are checked against WhatsApp’s rules (415/413), it is uploaded to Meta once per number (the same file again reuses the id); then reply with { type, [type]: { id } }',
          params: IdParams,
          querystring: MediaUploadQuery,
          consumes: Object.keys(SENDABLE),
          response: { 201: UploadedMedia },
        },
      },
      async (req, res) => {
        if (!Buffer.isBuffer(req.body)) {
          throw new AppError(
            'UNSUPPORTED_MEDIA_TYPE',
            `Send the file itself as the body with its type (one of ${Object.keys(SENDABLE).join(', ')})`,
          );
        }
        const uploaded = await conversations.uploadMedia(authOf(req), req.params.id, {
          data: req.body,
          mimeType: String(req.headers['content-type'] ?? ''),
          filename: req.query.filename,
        });
        return res.code(201).send(uploaded);
      },
    );
    app.post(
      '/api/v1/conversations/:id/messages/:messageId/reaction',
      {
        config: reply,
        schema: {
          tags,
          summary: 'React to a message with an emoji (empty removes it); inside the 24-hour window',
          params: MessageParams,
          body: ReactionBody,
          response: { 202: ReplyQueued },
        },
      },
      async (req, res) => {
        const view = await viewOf(req);
        const { id, messageId } = req.params;
        const queued = await asCaller(view, () =>
          conversations.react(authOf(req), id, messageId, req.body.emoji),
        );
        return res.code(202).send(queued);
      },
    );
    app.post(
      '/api/v1/conversations/:id/messages/:messageId/retry',
      {
        config: reply,
        schema: {
          tags,
          summary: 'Send a failed message again as a new message (the rules apply again: window, consent)',
          params: MessageParams,
          response: { 202: ReplyQueued },
        },
      },
      async (req, res) => {
        const view = await viewOf(req);
        const { id, messageId } = req.params;
        const queued = await asCaller(view, () => conversations.retry(authOf(req), id, messageId));
        return res.code(202).send(queued);
      },
    );
    app.post(
      '/api/v1/conversations/:id/typing',
      {
        config: reply,
        schema: {
          tags,
          summary:
            'You are typing a reply: the customer’s last message is marked read with a typing indicator, if the organisation sends read receipts (at most every 20 s)',
          params: IdParams,
          response: { 200: TypingResult },
        },
      },
      async (req) => conversations.typing(authOf(req), req.params.id),
    );
    app.post(
      '/api/v1/conversations/:id/read',
      {
        config: read,
        schema: {
          tags,
          summary:
            'You have read it: your unread count resets (not other agents’), and WhatsApp gets a read receipt if the organisation sends them',
          params: IdParams,
          response: { 200: Ok },
        },
      },
      async (req) => conversations.read(authOf(req), req.params.id),
    );
    app.get(
      '/api/v1/teams',
      { config: read, schema: { tags, summary: 'Teams of agents, by name', response: { 200: TeamList } } },
      async (req) => ({ data: await teams.list(authOf(req)) }),
    );
    app.post(
      '/api/v1/teams',
      {
        config: manage,
        schema: { tags, summary: 'Create a team of agents', body: TeamBody, response: { 201: Team } },
      },
      async (req, res) => res.code(201).send(await teams.create(authOf(req), req.body)),
    );
    app.put(
      '/api/v1/teams/:id',
      {
        config: manage,
        schema: {
          tags,
          summary: 'Rename a team and set its members',
          params: IdParams,
          body: TeamBody,
          response: { 200: Team },
        },
      },
      async (req) => teams.update(authOf(req), req.params.id, req.body),
    );
    app.delete(
      '/api/v1/teams/:id',
      { config: manage, schema: { tags, summary: 'Delete a team', params: IdParams, response: { 200: Ok } } },
      async (req) => {
        await teams.remove(authOf(req), req.params.id);
        return { ok: true as const };
      },
    );
    app.post(
      '/api/v1/conversations/:id/assign',
      {
        config: reply,
        schema: {
          tags,
          summary:
            'Assign to an agent, unassign (null), or "round_robin": the online agent who waited longest (of team_id, if given)',
          params: IdParams,
          body: AssignBody,
          response: { 200: Conversation },
        },
      },
      async (req) => {
        const view = await viewOf(req);
        const { assignee_id, team_id } = req.body;
        return conversationFor(
          view,
          await conversations.assign(authOf(req), req.params.id, assignee_id, team_id),
        );
      },
    );
    app.post(
      '/api/v1/conversations/:id/status',
      {
        config: reply,
        schema: {
          tags,
          summary: 'open, pending, resolved, or snoozed until a time (then open again)',
          params: IdParams,
          body: ConversationStatusBody,
          response: { 200: Conversation },
        },
      },
      async (req) => {
        const view = await viewOf(req);
        const { status, snoozed_until } = req.body;
        return conversationFor(
          view,
          await conversations.setStatus(authOf(req), req.params.id, status, snoozed_until),
        );
      },
    );
    app.put(
      '/api/v1/conversations/:id/tags',
      {
        config: reply,
        schema: {
          tags,
          summary: 'Replace the conversation’s tags',
          params: IdParams,
          body: ConversationTagsBody,
          response: { 200: Conversation },
        },
      },
      async (req) =>
        conversationFor(
          await viewOf(req),
          await conversations.setTags(authOf(req), req.params.id, req.body.tag_ids),
        ),
    );
    app.get(
      '/api/v1/conversations/:id/notes',
      {
        config: read,
        schema: {
          tags,
          summary: 'Internal notes, oldest first',
          params: IdParams,
          response: { 200: NoteList },
        },
      },
      async (req) => conversations.notes(authOf(req), req.params.id),
    );
    app.post(
      '/api/v1/conversations/:id/notes',
      {
        config: reply,
        schema: {
          tags,
          summary: 'Add an internal note (never sent); @email mentions a member, who is notified',
          params: IdParams,
          body: NoteBody,
          response: { 201: Note },
        },
      },
      async (req, res) =>
        res.code(201).send(await conversations.addNote(authOf(req), req.params.id, req.body.body)),
    );
    const qr = ['quick replies'];
    app.get(
      '/api/v1/quick-replies',
      {
        config: read,
        schema: { tags: qr, summary: 'Canned answers, by shortcut', response: { 200: QuickReplyList } },
      },
      async (req) => quickReplies.list(authOf(req)),
    );
    app.post(
      '/api/v1/quick-replies',
      {
        config: manage,
        schema: {
          tags: qr,
          summary:
            'Add a canned answer; {{contact.name}}, {{contact.phone}}, {{contact.field.<key>}} are filled in',
          body: QuickReplyBody,
          response: { 201: QuickReply },
        },
      },
      async (req, res) => res.code(201).send(await quickReplies.create(authOf(req), req.body)),
    );
    app.put(
      '/api/v1/quick-replies/:id',
      {
        config: manage,
        schema: {
          tags: qr,
          summary: 'Change a canned answer',
          params: IdParams,
          body: QuickReplyBody,
          response: { 200: QuickReply },
        },
      },
      async (req) => quickReplies.update(authOf(req), req.params.id, req.body),
    );
    app.delete(
      '/api/v1/quick-replies/:id',
      {
        config: manage,
        schema: { tags: qr, summary: 'Delete a canned answer', params: IdParams, response: { 200: Ok } },
      },
      async (req) => quickReplies.remove(authOf(req), req.params.id),
    );
    app.get(
      '/api/v1/quick-replies/:id/render',
      {
        config: read,
        schema: {
          tags: qr,
          summary:
            'The canned answer filled in for a conversation’s contact; missing names variables it has no value for',
          params: IdParams,
          querystring: z.strictObject({ conversation_id: Uuid }),
          response: { 200: RenderedQuickReply },
        },
      },
      async (req) => {
        const view = await viewOf(req);
        return quickReplies.render(authOf(req), req.params.id, req.query.conversation_id, {
          phone: view.phone,
        });
      },
    );
  };
