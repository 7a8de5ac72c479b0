import { ConversationPage, ConversationQuery, MessagePage, MessageQuery, Uuid } from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOf } from '../lib/http.ts';
import type { ConversationService } from './service.ts';

export const conversationRoutes =
  (deps: { conversations: ConversationService }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['conversations'];
    app.get(
      '/api/v1/conversations',
      {
        config: { access: 'conversations.read' },
        schema: {
          tags,
          summary: 'Conversations, most recent first (filters, search, cursor)',
          querystring: ConversationQuery,
          response: { 200: ConversationPage },
        },
      },
      async (req) => deps.conversations.list(authOf(req), req.query),
    );
    app.get(
      '/api/v1/conversations/:id/messages',
      {
        config: { access: 'conversations.read' },
        schema: {
          tags,
          summary: 'Messages of a conversation, newest first',
          params: z.object({ id: Uuid }),
          querystring: MessageQuery,
          response: { 200: MessagePage },
        },
      },
      async (req) => deps.conversations.messages(authOf(req), req.params.id, req.query),
    );
  };
