import { z } from 'zod';
import { IsoDate, Uuid } from './common.ts';
import { RenderedTemplate } from './template-render.ts';
import { MessageContent } from './whatsapp.ts';

export const CONVERSATION_STATUSES = ['open', 'pending', 'resolved', 'snoozed'] as const;
export const ConversationStatus = z.enum(CONVERSATION_STATUSES);

/** The Click-to-WhatsApp ad or post a customer came from (Meta's `referral`, kept as Meta sent it). */
export const Referral = z.looseObject({
  source_url: z.string().optional(),
  source_id: z.string().optional(),
  /** `ad` or `post`. */
  source_type: z.string().optional(),
  headline: z.string().optional(),
  body: z.string().optional(),
  media_type: z.string().optional(),
  image_url: z.string().optional(),
  video_url: z.string().optional(),
  thumbnail_url: z.string().optional(),
  /** The click id the ad platform reports conversions with. */
  ctwa_clid: z.string().optional(),
});
export type Referral = z.infer<typeof Referral>;

export const Conversation = z.object({
  id: Uuid,
  number_id: Uuid,
  /**
   * `wa_id`: the customer's address (phone digits, or their BSUID when no phone is known);
   * `username`: their WhatsApp username, shown where the phone would be when there is none.
   */
  contact: z.object({
    id: Uuid,
    wa_id: z.string(),
    name: z.string().nullable(),
    username: z.string().nullable().default(null),
  }),
  /** A snoozed conversation whose time has come is open again. */
  status: ConversationStatus,
  snoozed_until: IsoDate.nullable(),
  assignee: z.object({ id: Uuid, name: z.string().nullable(), email: z.string() }).nullable(),
  tags: z.array(z.object({ id: Uuid, name: z.string() })),
  /** Inbound messages the signed-in agent has not read (their own count; opening it resets only theirs). */
  unread_count: z.number().int(),
  last_message_at: IsoDate.nullable(),
  last_inbound_at: IsoDate.nullable(),
  /** Free-form replies are allowed until then (24 h after the customer's last message). */
  window_expires_at: IsoDate.nullable(),
  /** `source`: who sent it (campaign, inbox, api, automation, ai, system, business_app, history; null for a customer's). */
  last_message: z
    .object({ type: z.string(), direction: z.string(), source: z.string().nullable(), preview: z.string() })
    .nullable(),
  /** The first Click-to-WhatsApp ad or post the customer came from. */
  referral: Referral.nullable(),
  /** Until then messages are free: the 72 h entry-point window a referral opened. */
  free_entry_until: IsoDate.nullable(),
});
export type Conversation = z.infer<typeof Conversation>;

export const ConversationQuery = z.strictObject({
  /** mine: assigned to the signed-in agent; unassigned; all (the default). */
  assigned: z.enum(['me', 'unassigned', 'all']).default('all'),
  number_id: Uuid.optional(),
  status: ConversationStatus.optional(),
  tag_id: Uuid.optional(),
  /** Conversations with a customer message the AI labelled so (Settings → AI labels). */
  label: z.string().trim().min(1).max(40).optional(),
  /** Only conversations with messages the signed-in agent has not read. */
  unread: z.enum(['true', 'false']).optional(),
  /** Contact name or phone, or words in the messages. */
  search: z.string().trim().max(100).optional(),
  before: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});
export const ConversationPage = z.object({ data: z.array(Conversation), next_cursor: z.string().nullable() });

/**
 * What `POST /conversations/{id}/typing` did: `sent` — WhatsApp shows the customer that you are typing
 * (up to 25 s, or until your reply). Not sent when the organisation sends no read receipts
 * (`read_receipts`), when the customer has written nothing yet, or when it was sent for this
 * conversation less than 20 s ago.
 */
export const TypingResult = z.object({
  sent: z.boolean(),
  reason: z.enum(['read_receipts_off', 'no_inbound_message', 'too_soon', 'number_inactive']).nullable(),
});
export type TypingResult = z.infer<typeof TypingResult>;

/** A reply from the inbox: free-form only inside the 24-hour window, a template at any time. */
export const ReplyBody = z.strictObject({
  content: MessageContent,
  /** Our id of the message this answers (shown as a quote on WhatsApp). */
  reply_to: Uuid.optional(),
});
export const ReplyQueued = z.object({
  message_id: Uuid,
  conversation_id: Uuid,
  status: z.literal('pending'),
});

/**
 * `POST /api/v1/messages`: a message from code, through the same checks as every send (consent, the
 * 24-hour window, template rules, cost, caps). To a phone (E.164 or national in the organisation's
 * region; the contact is made if new), a BSUID, or a contact; on a number, or the organisation's
 * first active one.
 */
export const SendMessageBody = z.strictObject({
  number_id: Uuid.optional(),
  to: z.union([
    z.strictObject({ phone: z.string().trim().min(3).max(32) }),
    z.strictObject({ bsuid: z.string().trim().min(3).max(200) }),
    z.strictObject({ contact_id: Uuid }),
  ]),
  content: MessageContent,
});
export const SentMessage = z.object({
  message_id: Uuid,
  conversation_id: Uuid,
  contact_id: Uuid,
  status: z.literal('pending'),
});

/** A file uploaded to send: reply with `{ type, [type]: { id, caption?, filename? } }`. */
export const UploadedMedia = z.object({
  /** Meta's media id, to put in the reply's content. */
  id: z.string(),
  type: z.enum(['image', 'video', 'audio', 'document', 'sticker']),
  mime_type: z.string(),
  size: z.number().int(),
  filename: z.string().nullable(),
  /** The same file was uploaded on this number before: Meta's id is reused, nothing was uploaded. */
  reused: z.boolean(),
});
export type UploadedMedia = z.infer<typeof UploadedMedia>;
export const MediaUploadQuery = z.object({ filename: z.string().max(240).optional() });
export const ReactionBody = z.strictObject({
  /** One emoji; an empty string removes the reaction. */
  emoji: z.string().max(16),
});

export const AssignBody = z
  .strictObject({
    /** An agent of the organisation, null to unassign, or "round_robin": the next agent in turn. */
    assignee_id: z.union([Uuid, z.null(), z.literal('round_robin')]),
    /** With "round_robin": the next online agent of this team only. */
    team_id: Uuid.optional(),
  })
  .refine((b) => b.team_id === undefined || b.assignee_id === 'round_robin', {
    message: 'is only for assignee_id "round_robin"',
    path: ['team_id'],
  });

/** A team of agents (round-robin assignment within it). */
export const TeamBody = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(80),
  /** Agents, managers, admins or owners of the organisation (viewers cannot reply). */
  member_ids: z.array(Uuid).max(200),
});
export const Team = z.object({
  id: Uuid,
  name: z.string(),
  members: z.array(z.object({ id: Uuid, name: z.string().nullable(), email: z.string() })),
  created_at: IsoDate,
});
export type Team = z.infer<typeof Team>;
export const TeamList = z.object({ data: z.array(Team) });
export const ConversationStatusBody = z
  .strictObject({
    status: ConversationStatus,
    /** With `snoozed`: when it opens again (in the future). */
    snoozed_until: IsoDate.optional(),
  })
  .refine((b) => (b.status === 'snoozed') === (b.snoozed_until !== undefined), {
    message: 'snoozed_until goes with status snoozed, and only with it',
    path: ['snoozed_until'],
  });
export const ConversationTagsBody = z.strictObject({ tag_ids: z.array(Uuid).max(20) });

export const NoteBody = z.strictObject({
  /** Plain text; `@email` of a member mentions them (they are notified). */
  body: z.string().trim().min(1, 'is required').max(5000),
});
export const Note = z.object({
  id: Uuid,
  conversation_id: Uuid,
  author: z.object({ id: Uuid, name: z.string().nullable(), email: z.string() }).nullable(),
  body: z.string(),
  mentions: z.array(Uuid),
  created_at: IsoDate,
});
export const NoteList = z.object({ data: z.array(Note) });

export const QuickReplyBody = z.strictObject({
  shortcut: z
    .string()
    .trim()
    .regex(/^[a-z0-9_-]{1,32}$/, 'lowercase letters, digits, - and _ (typed after /)'),
  /** `{{contact.name}}`, `{{contact.phone}}` and `{{contact.field.<key>}}` are filled in per conversation. */
  body: z.string().trim().min(1, 'is required').max(4096),
});
export const QuickReply = z.object({
  id: Uuid,
  shortcut: z.string(),
  body: z.string(),
  created_at: IsoDate,
  updated_at: IsoDate,
});
export type QuickReply = z.infer<typeof QuickReply>;
export const QuickReplyList = z.object({ data: z.array(QuickReply) });
/** A quick reply filled in for one conversation's contact; `missing` names variables it has no value for. */
export const RenderedQuickReply = z.object({ text: z.string(), missing: z.array(z.string()) });

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
  /**
   * A template message as the customer saw it: the template's header, body, footer and buttons filled
   * with the values it was sent with. Null for other messages, and when the template is no longer in
   * the catalogue (`content.template.name` says which it was).
   */
  template: RenderedTemplate.nullable(),
  /**
   * Who sent it: `inbox`, `campaign`, `api`, `automation`, `system`; `business_app`: sent from the
   * WhatsApp Business app of a coexistence number (not by openwaba); `history`: a customer's message
   * back-filled from the app's chat history. Null for customers' messages.
   */
  source: z.string().nullable(),
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
  /**
   * What processing made of the event, for your organisation: counts, `skipped`, and `foreign` —
   * your numbers (or WABAs) it named that another Meta app signed (stored, not applied).
   */
  result: z.unknown().nullable(),
  error: z.string().nullable(),
  /**
   * The entries and changes of the body that concern your numbers, re-serialised (another
   * organisation's never show): the first 4 000 characters; empty when the body is too large to show.
   */
  raw: z.string(),
  received_at: IsoDate,
  processed_at: IsoDate.nullable(),
});
const EventId = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export const WebhookEventQuery = z
  .object({
    state: z.enum(['pending', 'processed', 'failed', 'unparseable']).optional(),
    /** Only events with this id or a later one (ids grow as events arrive). */
    from_id: EventId.optional(),
    /** Only events with this id or an earlier one; with `from_id`, a range, paged newest first. */
    to_id: EventId.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .refine((q) => q.from_id === undefined || q.to_id === undefined || q.from_id <= q.to_id, {
    path: ['to_id'],
    message: 'must not be before from_id',
  });
export const WebhookEventList = z.object({ data: z.array(WebhookEvent) });
