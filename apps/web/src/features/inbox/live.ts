import type { DomainEvent } from '@openwaba/contracts';
import type { QueryClient } from '@tanstack/react-query';
import { webhookEventKeys } from '../settings/keys.ts';
import { inboxKeys } from './keys.ts';

/** Refetches what an inbox event changed; events carry ids only, the lists are read again. */
export function applyInboxEvent(qc: QueryClient, event: DomainEvent) {
  const messagesOf = (conversationId: string | undefined) =>
    qc.invalidateQueries({
      queryKey: conversationId ? inboxKeys.messages(conversationId) : inboxKeys.allMessages,
    });
  switch (event.type) {
    case 'message.received':
      void qc.invalidateQueries({ queryKey: inboxKeys.lists });
      void messagesOf(event.data.conversation_id);
      void qc.invalidateQueries({ queryKey: inboxKeys.ai(event.data.conversation_id) });
      // A webhook event was processed to deliver it.
      void qc.invalidateQueries({ queryKey: webhookEventKeys.all });
      break;
    case 'conversation.updated':
      void qc.invalidateQueries({ queryKey: inboxKeys.lists });
      // The AI's hand-over, its replies' sources and the customer's labels change with it.
      void qc.invalidateQueries({ queryKey: inboxKeys.ai(event.data.conversation_id) });
      // Messages that are not the customer's new ones (sent from the WhatsApp Business app, history).
      if (event.data.fields?.includes('messages')) void messagesOf(event.data.conversation_id);
      break;
    case 'message.status_updated':
      void messagesOf(event.data.conversation_id ?? event.conversation_id);
      void qc.invalidateQueries({ queryKey: webhookEventKeys.all });
      break;
    case 'message.media_updated':
      void messagesOf(event.data.conversation_id);
      break;
    default:
      break;
  }
}
