import {
  type Builder,
  type Change,
  digits,
  type EventContext,
  messagesValue,
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
