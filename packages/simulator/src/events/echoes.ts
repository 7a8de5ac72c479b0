import {
  type Builder,
  type Change,
  digits,
  type EventContext,
  messagesValue,
  metadata,
  num,
  str,
  userId,
} from './context.ts';

/** Messages the business sent from the WhatsApp Business app on a coexistence number (field `smb_message_echoes`). */
export const ECHO_KINDS: Record<string, Builder> = {
  echo: (ctx, p) =>
    echo(ctx, 'text', { text: { body: str(p, 'text', 'Sent from the WhatsApp Business app') } }),
  echo_edit: (ctx, p) =>
    echo(ctx, 'edit', {
      edit: {
        original_message_id: str(p, 'original_message_id', ctx.wamid()),
        message: { type: 'text', text: { body: str(p, 'text', 'Edited') } },
      },
    }),
  echo_revoke: (ctx, p) =>
    echo(ctx, 'revoke', { revoke: { original_message_id: str(p, 'original_message_id', ctx.wamid()) } }),
};

function echo(ctx: EventContext, type: string, body: Record<string, unknown>): Change {
  const uid = userId(ctx.customer.wa_id);
  return messagesValue(
    ctx,
    {
      message_echoes: [
        {
          from: digits(ctx.number.display_phone_number),
          to: ctx.customer.wa_id,
          to_user_id: uid,
          to_parent_user_id: uid.replace('US.', 'US.ENT.'),
          id: ctx.wamid(),
          timestamp: String(ctx.now),
          type,
          ...body,
        },
      ],
    },
    true,
    'smb_message_echoes',
  );
}

/**
 * The WhatsApp Business app's chat history, back-filled after onboarding (field `history`, Meta's
 * history webhook reference): one chunk with one thread (the customer) holding a message from the
 * customer and the business's answer (`to` only on the business's), with their own (older) device
 * times and `history_context.status`. Params: `phase` (0–2), `chunk_order`, `progress` (100: done),
 * `days_ago` (how old the thread is), `text`. `history_declined`: the business declined sharing.
 */
export const HISTORY_KINDS: Record<string, Builder> = {
  history: (ctx, p) => {
    const at = ctx.now - Math.round(num(p, 'days_ago', 30) * 86_400);
    const business = digits(ctx.number.display_phone_number);
    return {
      field: 'history',
      value: {
        messaging_product: 'whatsapp',
        metadata: metadata(ctx.number),
        history: [
          {
            metadata: {
              phase: num(p, 'phase', 1),
              chunk_order: num(p, 'chunk_order', 1),
              progress: num(p, 'progress', 100),
            },
            threads: [
              {
                id: ctx.customer.wa_id,
                messages: [
                  {
                    from: ctx.customer.wa_id,
                    id: ctx.wamid(),
                    timestamp: String(at),
                    type: 'text',
                    text: { body: str(p, 'text', 'Do you deliver on Saturdays?') },
                    history_context: { status: 'read' },
                  },
                  {
                    from: business,
                    to: ctx.customer.wa_id,
                    id: ctx.wamid(),
                    timestamp: String(at + 120),
                    type: 'text',
                    text: { body: str(p, 'reply', 'Yes, until 2 pm.') },
                    history_context: { status: 'read' },
                  },
                ],
              },
            ],
          },
        ],
      },
    };
  },
  history_declined: (ctx) => ({
    field: 'history',
    value: {
      messaging_product: 'whatsapp',
      metadata: metadata(ctx.number),
      history: [
        {
          errors: [
            {
              code: 2593109,
              title: 'History sync is turned off by the business from the WhatsApp Business app',
              message: 'History sync is turned off by the business from the WhatsApp Business app',
              error_data: {
                details: 'History sync is turned off by the business from the WhatsApp Business app',
              },
            },
          ],
        },
      ],
    },
  }),
};

/**
 * A contact of the business's WhatsApp Business app address book added, edited or removed (field
 * `smb_app_state_sync`, Meta's reference). Params: `action` (`add` | `remove`), `name` (full name).
 */
export const STATE_SYNC_KINDS: Record<string, Builder> = {
  app_contact: (ctx, p) => {
    const action = str(p, 'action', 'add') === 'remove' ? 'remove' : 'add';
    const full = str(p, 'name', ctx.customer.name);
    return {
      field: 'smb_app_state_sync',
      value: {
        messaging_product: 'whatsapp',
        metadata: metadata(ctx.number),
        state_sync: [
          {
            type: 'contact',
            contact: {
              ...(action === 'add' ? { full_name: full, first_name: full.split(' ')[0] } : {}),
              phone_number: ctx.customer.wa_id,
            },
            action,
            metadata: { timestamp: String(ctx.now) },
          },
        ],
      },
    };
  },
};
