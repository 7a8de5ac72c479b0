import {
  type Builder,
  type EventContext,
  inboundMessage,
  mediaBody,
  messagesValue,
  str,
  userId,
} from './context.ts';

/** A system message of an identity change: Meta sends it without the contacts array. */
const systemChange = (ctx: EventContext, system: Record<string, string>) =>
  messagesValue(ctx, { messages: [inboundMessage(ctx, 'system', { system }, { context: null })] }, false);

/** System messages and changes to earlier messages: welcome requests, number and identity changes, revokes, edits. */
export const SYSTEM_KINDS: Record<string, Builder> = {
  request_welcome: (ctx) =>
    messagesValue(ctx, { messages: [inboundMessage(ctx, 'request_welcome', {}, { context: null })] }),
  system: (ctx, p) => {
    const to = str(p, 'new_wa_id', `${ctx.customer.wa_id.slice(0, -2)}99`);
    return systemChange(ctx, {
      body: `User ${ctx.customer.name} changed from ${ctx.customer.wa_id} to ${to}`,
      wa_id: to,
      type: 'user_changed_number',
    });
  },
  /** The customer's BSUID changed (`user_changed_user_id`): only the new BSUID is told, no phone. */
  user_id_change: (ctx, p) =>
    systemChange(ctx, {
      body: `User ${ctx.customer.name} changed their user ID`,
      user_id: str(p, 'new_user_id', `${userId(ctx.customer.wa_id)}9`),
      type: 'user_changed_user_id',
    }),
  identity_change: (ctx) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(
          ctx,
          'system',
          {
            identity: { acknowledged: true, created_timestamp: String(ctx.now), hash: ctx.rnd.hex(16) },
            system: { body: 'User identity changed', type: 'customer_identity_changed' },
          },
          { context: null },
        ),
      ],
    }),
  revoke: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(
          ctx,
          'revoke',
          { revoke: { original_message_id: str(p, 'original_message_id', ctx.wamid()) } },
          { context: null },
        ),
      ],
    }),
  edit: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(
          ctx,
          'edit',
          {
            edit: {
              original_message_id: str(p, 'original_message_id', ctx.wamid()),
              message: {
                context: { id: 'M0' },
                type: 'image',
                image: mediaBody(ctx.media('image'), { caption: str(p, 'caption', 'Edited caption') }),
              },
            },
          },
          { context: null },
        ),
      ],
    }),
};
