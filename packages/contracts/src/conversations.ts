import { z } from 'zod';
import { IsoDate, Uuid } from './common.ts';

export const Conversation = z.object({
  id: Uuid,
  number_id: Uuid,
  contact: z.object({ id: Uuid, wa_id: z.string(), name: z.string().nullable() }),
  status: z.string(),
  unread_count: z.number().int(),
  last_message_at: IsoDate.nullable(),
  last_inbound_at: IsoDate.nullable(),
  /** Free-form replies are allowed until then (24 h after the customer's last message). */
  window_expires_at: IsoDate.nullable(),
  last_message: z.object({ type: z.string(), direction: z.string(), preview: z.string() }).nullable(),
});
export type Conversation = z.infer<typeof Conversation>;

export const ConversationQuery = z.object({
  number_id: Uuid.optional(),
  status: z.enum(['open', 'closed']).optional(),
  unread: z.enum(['true', 'false']).optional(),
  search: z.string().trim().max(100).optional(),
  before: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});
export const ConversationPage = z.object({ data: z.array(Conversation), next_cursor: z.string().nullable() });

/** A received media file: fetched from Meta by a job soon after it arrives, then served at `/api/v1/messages/{id}/media`. */
export const MessageMedia = z.object({
  state: z.enum(['pending', 'ready', 'failed']),
  mime_type: z.string().nullable(),
  size: z.number().int().nullable(),
  /** Why the last download failed (it is retried; the message itself is never blocked). */
  error: z.string().nullable(),
});
export type MessageMedia = z.infer<typeof MessageMedia>;

export const Message = z.object({
  id: Uuid,
  conversation_id: Uuid,
  direction: z.enum(['in', 'out']),
  /** Null while an outbound message waits in the send queue (or failed before Meta accepted it). */
  wamid: z.string().nullable(),
  type: z.string(),
  content: z.record(z.string(), z.unknown()),
  context_wamid: z.string().nullable(),
  status: z.string().nullable(),
  error: z.unknown().nullable(),
  media: MessageMedia.nullable(),
  sent_at: IsoDate,
});
export type Message = z.infer<typeof Message>;
export const MessageQuery = z.object({
  before: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const MessagePage = z.object({ data: z.array(Message), next_cursor: z.string().nullable() });

/** A webhook POST from Meta as stored, with what processing made of it (admin view). */
export const WebhookEvent = z.object({
  id: z.number().int(),
  state: z.enum(['pending', 'processed', 'failed', 'unparseable']),
  result: z.unknown().nullable(),
  error: z.string().nullable(),
  /** The first 4 000 characters of the body as received. */
  raw: z.string(),
  received_at: IsoDate,
  processed_at: IsoDate.nullable(),
});
export const WebhookEventQuery = z.object({
  state: z.enum(['pending', 'processed', 'failed', 'unparseable']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const WebhookEventList = z.object({ data: z.array(WebhookEvent) });
