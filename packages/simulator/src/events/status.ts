import { asyncError } from '../errors.ts';
import { type Builder, type Change, type EventContext, messagesValue, str, userId } from './context.ts';

const CONVERSATION_ORIGIN: Record<string, string> = {
  MARKETING: 'marketing',
  UTILITY: 'utility',
  AUTHENTICATION: 'authentication',
};

export interface StatusInput {
  wamid: string;
  status: 'sent' | 'delivered' | 'read' | 'failed' | 'played';
  recipient: string;
  /** The message was sent to the customer's BSUID (`recipient`): the status names it as `recipient_user_id`. */
  recipientUserId?: string;
  /** Template category, or undefined for a service (free-form) message. */
  category?: string;
  conversationId?: string;
  bizOpaqueCallbackData?: string;
  errorCode?: number;
  group?: boolean;
}

/** A status change for a message the business sent. Failed statuses carry errors and no pricing. */
export function statusChange(ctx: EventContext, s: StatusInput): Change {
  const category = s.category ? (CONVERSATION_ORIGIN[s.category] ?? 'service') : 'service';
  const status: Record<string, unknown> = {
    id: s.wamid,
    status: s.status,
    timestamp: String(ctx.now),
    // Sent to a BSUID: `recipient_user_id`, and no phone (none was used).
    ...(s.recipientUserId ? { recipient_user_id: s.recipientUserId } : { recipient_id: s.recipient }),
  };
  if (s.group) {
    Object.assign(status, {
      recipient_type: 'group',
      recipient_participant_id: ctx.customer.wa_id,
      recipient_participant_user_id: userId(ctx.customer.wa_id),
      recipient_participant_parent_user_id: userId(ctx.customer.wa_id).replace('US.', 'US.ENT.'),
    });
  }
  if (s.bizOpaqueCallbackData) status.biz_opaque_callback_data = s.bizOpaqueCallbackData;
  if (s.status === 'failed') {
    status.errors = [asyncError(s.errorCode ?? 131026)];
  } else if (!s.group) {
    status.conversation = {
      id: s.conversationId ?? ctx.rnd.hex(32),
      ...(s.status === 'sent' ? { expiration_timestamp: String(ctx.now + 86400) } : {}),
      origin: { type: category },
    };
    status.pricing = {
      billable: category !== 'service',
      pricing_model: 'PMP',
      type: category === 'service' ? 'free_customer_service' : 'regular',
      category,
    };
  }
  // Meta leaves the contacts out of a failed status.
  return messagesValue(ctx, { statuses: [status] }, !s.recipientUserId || s.status !== 'failed');
}

export const STATUS_KINDS: Record<string, Builder> = {
  status: (ctx, p) =>
    statusChange(ctx, {
      wamid: str(p, 'wamid', ctx.wamid()),
      status: (p.status as StatusInput['status']) ?? 'delivered',
      recipient: ctx.customer.wa_id,
      bizOpaqueCallbackData:
        typeof p.biz_opaque_callback_data === 'string' ? p.biz_opaque_callback_data : undefined,
      errorCode: typeof p.error_code === 'number' ? p.error_code : undefined,
      group: p.group === true,
    }),
};
