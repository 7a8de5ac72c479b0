import { z } from 'zod';
import { IsoDate, Text, Uuid } from './common.ts';
import { EVENT_TYPES } from './events.ts';

/**
 * Outbound webhooks (issue 24 §4), per the Standard Webhooks specification: each endpoint gets the
 * event types it asked for as `POST { type, timestamp, data }`, signed with `webhook-id`,
 * `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256>` under its `whsec_…` secret.
 * `webhook-id` is the event's id, the same on every retry and replay, so receivers de-duplicate.
 */

/** The catalogue: the WebSocket event names, minus what belongs to one person's session. */
export const WEBHOOK_EVENT_TYPES = EVENT_TYPES.filter((t) => !t.startsWith('notification.'));
export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES as [string, ...string[]]);
export type WebhookEventType = z.infer<typeof WebhookEventType>;
/** Sent by "Send test event"; never by the event stream. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

export const WebhookEventTypeList = z.object({
  data: z.array(z.object({ type: z.string(), description: z.string() })),
});

export const WebhookEndpointStatus = z.enum(['active', 'paused', 'disabled']);

export const WebhookEndpoint = z.object({
  id: Uuid,
  url: z.string(),
  description: z.string(),
  event_types: z.array(WebhookEventType),
  /** `paused` by a person (events are not kept for it); `disabled` by openwaba (410, or failing for days). */
  status: WebhookEndpointStatus,
  disabled_reason: z.string().nullable(),
  /** Deliver one conversation's events one at a time, in order. */
  ordered: z.boolean(),
  /** Requests in flight to this endpoint at most. */
  max_concurrency: z.number().int(),
  /** The secret's first characters, to tell secrets apart (`whsec_` and 6 more). */
  secret_prefix: z.string(),
  /** While set, the previous secret signs too (rotation overlap). */
  previous_secret_expires_at: IsoDate.nullable(),
  /** Since when every delivery has failed; null when the last one succeeded. */
  failing_since: IsoDate.nullable(),
  last_success_at: IsoDate.nullable(),
  created_at: IsoDate,
  updated_at: IsoDate,
  /** Deliveries waiting (first try or retry) and failed for good in the last 24 h. */
  stats: z.object({ pending: z.number().int(), dead_24h: z.number().int(), succeeded_24h: z.number().int() }),
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;
export const WebhookEndpointList = z.object({ data: z.array(WebhookEndpoint) });
/** The whole secret: answered when the endpoint is created, rotated, or by the reveal route. */
export const WebhookSecret = z.object({ secret: z.string(), previous_secret_expires_at: IsoDate.nullable() });
export const CreatedWebhookEndpoint = WebhookEndpoint.extend({ secret: z.string() });

const EventTypes = z
  .array(WebhookEventType)
  .min(1, 'choose at least one event type')
  .refine((s) => new Set(s).size === s.length, 'event types must be unique');

export const CreateWebhookEndpointBody = z.strictObject({
  /** https, or plain http (e.g. n8n on your network); private addresses only when on FETCH_ALLOW_PRIVATE. */
  url: Text(2000).pipe(z.url('must be a URL')),
  description: Text(200).default(''),
  event_types: EventTypes,
  ordered: z.boolean().default(false),
  max_concurrency: z.number().int().min(1).max(50).default(10),
});
export const UpdateWebhookEndpointBody = z.strictObject({
  url: Text(2000).pipe(z.url('must be a URL')).optional(),
  description: Text(200).optional(),
  event_types: EventTypes.optional(),
  ordered: z.boolean().optional(),
  max_concurrency: z.number().int().min(1).max(50).optional(),
  /** `active` re-enables a disabled endpoint (its failing deliveries are not resent: replay them). */
  status: z.enum(['active', 'paused']).optional(),
});
export const RotateWebhookSecretBody = z.strictObject({
  /** How long the previous secret keeps signing too. */
  overlap_hours: z.number().int().min(0).max(72).default(24),
});

export const WebhookDeliveryState = z.enum(['pending', 'delivering', 'succeeded', 'retrying', 'dead']);
export const WebhookDelivery = z.object({
  id: Uuid,
  endpoint_id: Uuid,
  /** The `webhook-id` header: the event's id, the same on retries and replays. */
  event_id: z.string(),
  event_type: z.string(),
  state: WebhookDeliveryState,
  attempts: z.number().int(),
  next_attempt_at: IsoDate.nullable(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  created_at: IsoDate,
  delivered_at: IsoDate.nullable(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
export const WebhookDeliveryPage = z.object({
  data: z.array(WebhookDelivery),
  next_cursor: z.string().nullable(),
});

export const WebhookAttempt = z.object({
  attempted_at: IsoDate,
  status_code: z.number().int().nullable(),
  latency_ms: z.number().int(),
  /** The first 1 KB of the answer's body. */
  response_excerpt: z.string().nullable(),
  /** Time-out, refused address, connection error… when there was no answer. */
  error: z.string().nullable(),
});
export const WebhookDeliveryDetail = WebhookDelivery.extend({
  /** The body as sent: `{ type, timestamp, data }`. */
  payload: z.unknown(),
  attempts_log: z.array(WebhookAttempt),
});

export const WebhookDeliveryQuery = z.strictObject({
  state: WebhookDeliveryState.optional(),
  event_type: z.string().max(100).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Resend the endpoint's deliveries created in a time range (by default only those that failed for good). */
export const ReplayWebhookDeliveriesBody = z
  .strictObject({
    since: IsoDate,
    until: IsoDate.optional(),
    state: z.enum(['dead', 'all']).default('dead'),
  })
  .refine((b) => !b.until || Date.parse(b.until) > Date.parse(b.since), {
    message: 'until must be after since',
    path: ['until'],
  });
export const ReplayResult = z.object({ replayed: z.number().int() });
