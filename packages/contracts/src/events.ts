import { z } from 'zod';
import { IsoDate, Uuid } from './common.ts';

/**
 * The domain event catalogue. One name drives WebSocket pushes and outbound webhooks (webhooks.ts).
 * Names are `noun.verb` in the past tense. Payloads carry ids and small summaries, never secrets:
 * a client refetches what it needs.
 */
const Ids = { conversation_id: Uuid.optional(), campaign_id: Uuid.optional(), user_id: Uuid.optional() };

export const DomainEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('message.received'),
    data: z.object({ message_id: Uuid, conversation_id: Uuid, contact_id: Uuid.optional() }),
    ...Ids,
  }),
  z.object({
    type: z.literal('message.status_updated'),
    data: z.object({ message_id: Uuid, status: z.string(), conversation_id: Uuid.optional() }),
    ...Ids,
  }),
  z.object({
    type: z.literal('message.media_updated'),
    data: z.object({
      message_id: Uuid,
      conversation_id: Uuid,
      state: z.enum(['pending', 'ready', 'failed']),
    }),
    ...Ids,
  }),
  z.object({
    type: z.literal('conversation.updated'),
    data: z.object({ conversation_id: Uuid, fields: z.array(z.string()).optional() }),
    ...Ids,
  }),
  /** A conversation was given to someone (or unassigned: `assignee_id` null). */
  z.object({
    type: z.literal('conversation.assigned'),
    data: z.object({
      conversation_id: Uuid,
      assignee_id: Uuid.nullable(),
      team_id: Uuid.nullable().optional(),
    }),
    ...Ids,
  }),
  z.object({
    type: z.literal('contact.created'),
    data: z.object({ contact_id: Uuid }),
    ...Ids,
  }),
  z.object({
    type: z.literal('contact.updated'),
    data: z.object({ contact_id: Uuid, fields: z.array(z.string()) }),
    ...Ids,
  }),
  z.object({
    type: z.literal('contact.deleted'),
    data: z.object({ contact_id: Uuid }),
    ...Ids,
  }),
  /** An opt-in or opt-out was recorded (by a keyword, a person, the API or an import). */
  z.object({
    type: z.literal('contact.consent_changed'),
    data: z.object({
      contact_id: Uuid,
      state: z.enum(['opted_in', 'opted_out', 'unknown']),
      source: z.string(),
    }),
    ...Ids,
  }),
  /** A contact opted in (the same moment as `contact.consent_changed` with `opted_in`). */
  z.object({
    type: z.literal('contact.opted_in'),
    data: z.object({ contact_id: Uuid, source: z.string() }),
    ...Ids,
  }),
  /** A contact opted out (STOP, a person, the API, an import): stop messaging them. */
  z.object({
    type: z.literal('contact.opted_out'),
    data: z.object({ contact_id: Uuid, source: z.string() }),
    ...Ids,
  }),
  /** A bulk action changed many contacts at once: refetch lists. */
  z.object({
    type: z.literal('contacts.bulk_updated'),
    data: z.object({ action: z.string(), count: z.number().int() }),
    ...Ids,
  }),
  /** A contact import moved on: at most a few per second while running, and once when it ends. */
  z.object({
    type: z.literal('contacts.import_progress'),
    data: z.object({
      import_id: Uuid,
      processed: z.number().int(),
      total: z.number().int(),
      state: z.enum(['queued', 'running', 'completed', 'failed']),
    }),
    ...Ids,
  }),
  z.object({
    type: z.literal('campaign.progress'),
    data: z.object({
      campaign_id: Uuid,
      state: z.string().optional(),
      sent: z.number().int(),
      queued: z.number().int().optional(),
      delivered: z.number().int().optional(),
      read: z.number().int().optional(),
      failed: z.number().int(),
      skipped: z.number().int().optional(),
      total: z.number().int(),
      rate: z.number().nullable().optional(),
    }),
    ...Ids,
  }),
  /** A campaign sent to everyone it could: its final counts. */
  z.object({
    type: z.literal('campaign.completed'),
    data: z.object({
      campaign_id: Uuid,
      name: z.string(),
      sent: z.number().int(),
      failed: z.number().int(),
      skipped: z.number().int(),
      total: z.number().int(),
    }),
    ...Ids,
  }),
  /** Meta reviewed, paused or disabled a template (`message_template_status_update`). */
  z.object({
    type: z.literal('template.status_updated'),
    data: z.object({
      waba_id: z.string(),
      template_id: z.string().nullable(),
      name: z.string().nullable(),
      language: z.string().nullable(),
      status: z.string(),
      reason: z.string().nullable(),
    }),
    ...Ids,
  }),
  /** Meta changed (or announced a change of) a template's category (`template_category_update`). */
  z.object({
    type: z.literal('template.category_updated'),
    data: z.object({
      waba_id: z.string(),
      template_id: z.string().nullable(),
      name: z.string().nullable(),
      language: z.string().nullable(),
      previous_category: z.string().nullable(),
      new_category: z.string().nullable(),
      /** Set when Meta only announces a change that takes effect later. */
      correct_category: z.string().nullable(),
    }),
    ...Ids,
  }),
  /** A template's quality score changed (`message_template_quality_update`). */
  z.object({
    type: z.literal('template.quality_updated'),
    data: z.object({
      waba_id: z.string(),
      template_id: z.string().nullable(),
      name: z.string().nullable(),
      language: z.string().nullable(),
      previous_quality: z.string().nullable(),
      new_quality: z.string().nullable(),
    }),
    ...Ids,
  }),
  /** A number's quality, messaging limit or account state changed (webhook or health refresh). */
  z.object({
    type: z.literal('number.health_updated'),
    data: z.object({ number_id: Uuid, source: z.string() }),
    ...Ids,
  }),
  z.object({
    type: z.literal('notification.created'),
    data: z.object({ notification_id: Uuid, title: z.string(), unread_count: z.number().int() }),
    ...Ids,
  }),
  z.object({
    type: z.literal('notification.read'),
    data: z.object({ notification_ids: z.array(Uuid), unread_count: z.number().int() }),
    ...Ids,
  }),
  z.object({
    type: z.literal('job.failed'),
    data: z.object({ job_id: z.string(), queue: z.string(), error: z.string() }),
    ...Ids,
  }),
  z.object({
    type: z.literal('org.updated'),
    data: z.object({ fields: z.array(z.string()) }),
    ...Ids,
  }),
  z.object({
    type: z.literal('member.changed'),
    data: z.object({ member_user_id: Uuid, change: z.enum(['joined', 'role_changed', 'removed']) }),
    ...Ids,
  }),
]);
export type DomainEvent = z.infer<typeof DomainEvent>;
export type DomainEventType = DomainEvent['type'];
export const EVENT_TYPES = DomainEvent.options.map((o) => o.shape.type.value) as DomainEventType[];

/** An event as stored and delivered: `id` increases per organisation without gaps in commit order. */
export const StoredEvent = z.object({
  id: z.number().int(),
  created_at: IsoDate,
  event: DomainEvent,
});
export type StoredEvent = z.infer<typeof StoredEvent>;

export const EventPage = z.object({
  data: z.array(StoredEvent),
  /** The newest event id of the organisation; pass it as `since` next time. */
  last_id: z.number().int(),
  /** True when `since` is older than the kept history: refetch state, then continue from `last_id`. */
  resync: z.boolean(),
});
export type EventPage = z.infer<typeof EventPage>;

// ---- WebSocket frames ---------------------------------------------------------------------------

export const ClientFrame = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('subscribe'),
      /** Last event id the client has seen; missed events are replayed, or `resync` is sent. */
      since: z.number().int().min(0).optional(),
      /** Narrow the stream to one conversation or campaign (organisation-wide events still arrive). */
      conversation_id: Uuid.optional(),
      campaign_id: Uuid.optional(),
    })
    .strict(),
  z.object({ type: z.literal('ping') }).strict(),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export const ServerFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), org_id: Uuid, last_id: z.number().int() }),
  z.object({ type: z.literal('event'), id: z.number().int(), created_at: IsoDate, event: DomainEvent }),
  /** Several events at once, in id order (sent when events arrive faster than one frame each). */
  z.object({
    type: z.literal('events'),
    events: z.array(z.object({ id: z.number().int(), created_at: IsoDate, event: DomainEvent })).min(1),
  }),
  z.object({ type: z.literal('resync'), last_id: z.number().int(), reason: z.string() }),
  z.object({ type: z.literal('pong') }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** Close codes the server uses (4000–4999 are application codes). */
export const WS_CLOSE = {
  unauthenticated: 4001,
  badFrame: 4002,
  tooSlow: 4008,
  sessionEnded: 4010,
} as const;
