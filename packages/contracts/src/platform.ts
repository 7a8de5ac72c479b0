import { z } from 'zod';
import { IsoDate, Uuid } from './common.ts';

// ---- notifications ------------------------------------------------------------------------------

export const Notification = z.object({
  id: Uuid,
  type: z.string(),
  title: z.string(),
  message: z.string(),
  action_url: z.string().nullable(),
  related_entity_type: z.string().nullable(),
  related_entity_id: z.string().nullable(),
  is_read: z.boolean(),
  created_at: IsoDate,
});
export type Notification = z.infer<typeof Notification>;

export const NotificationListQuery = z.object({
  /** Cursor from the previous page's `next_cursor`. */
  before: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(50),
  unread: z.enum(['true', 'false']).optional(),
});
export const NotificationPage = z.object({
  data: z.array(Notification),
  next_cursor: z.string().nullable(),
  unread_count: z.number().int(),
});
export type NotificationPage = z.infer<typeof NotificationPage>;
export const UnreadCount = z.object({ unread_count: z.number().int() });

// ---- audit log ----------------------------------------------------------------------------------

export const AuditEntry = z.object({
  id: z.string(),
  actor_type: z.enum(['user', 'api_key', 'system']),
  actor_id: z.string().nullable(),
  actor_label: z.string().nullable(),
  action: z.string(),
  entity_type: z.string(),
  entity_id: z.string().nullable(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  request_id: z.string().nullable(),
  ip: z.string().nullable(),
  created_at: IsoDate,
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditQuery = z.object({
  action: z.string().max(100).optional(),
  entity_type: z.string().max(100).optional(),
  entity_id: z.string().max(100).optional(),
  actor_id: Uuid.optional(),
  from: IsoDate.optional(),
  to: IsoDate.optional(),
  before: z.string().regex(/^\d+$/, 'must be a cursor from next_cursor').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type AuditQuery = z.infer<typeof AuditQuery>;
export const AuditPage = z.object({ data: z.array(AuditEntry), next_cursor: z.string().nullable() });

// ---- jobs ---------------------------------------------------------------------------------------

export const JobState = z.enum(['created', 'retry', 'active', 'completed', 'cancelled', 'failed']);
export type JobState = z.infer<typeof JobState>;
export const Job = z.object({
  id: z.string(),
  queue: z.string(),
  state: JobState,
  data: z.unknown(),
  output: z.unknown().nullable(),
  retry_count: z.number().int(),
  retry_limit: z.number().int(),
  created_at: IsoDate,
  started_at: IsoDate.nullable(),
  completed_at: IsoDate.nullable(),
});
export type Job = z.infer<typeof Job>;
export const JobListQuery = z.object({
  state: JobState.default('failed'),
  queue: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const JobPage = z.object({ data: z.array(Job) });
export const JobParams = z.object({
  queue: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/),
  id: Uuid,
});
