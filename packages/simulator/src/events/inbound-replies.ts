import { asyncError } from '../errors.ts';
import { type Builder, inboundMessage, messagesValue, str, userId } from './context.ts';

/** A customer's answers to what the business sent: template buttons, interactive replies, flows. */
export const REPLY_KINDS: Record<string, Builder> = {
  /** The answer to a `request_contact_info` message: the customer shares their own phone number. */
  contact_request: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        {
          ...inboundMessage(
            ctx,
            'contacts',
            {
              contacts: [
                {
                  name: { formatted_name: ctx.customer.name, first_name: ctx.customer.name.split(' ')[0] },
                  phones: [{ phone: `+${ctx.customer.wa_id}`, wa_id: ctx.customer.wa_id, type: 'CELL' }],
                },
              ],
            },
            { context: { id: str(p, 'context_message_id', ctx.wamid()) } },
          ),
          origin: 'contact_request',
        },
      ],
    }),
  button: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        {
          ...inboundMessage(ctx, 'button', {
            button: { payload: str(p, 'payload', 'yes'), text: str(p, 'text', 'Yes') },
          }),
          from_user_id: userId(ctx.customer.wa_id),
        },
      ],
    }),
  button_reply: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(ctx, 'interactive', {
          interactive: {
            type: 'button_reply',
            button_reply: { id: str(p, 'id', 'yes'), title: str(p, 'title', 'Yes') },
          },
        }),
      ],
    }),
  list_reply: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(ctx, 'interactive', {
          interactive: {
            type: 'list_reply',
            list_reply: {
              id: str(p, 'id', 'row-1'),
              title: str(p, 'title', 'First'),
              description: str(p, 'description', 'The first row'),
            },
          },
        }),
      ],
    }),
  nfm_reply: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(ctx, 'interactive', {
          interactive: {
            type: 'nfm_reply',
            nfm_reply: {
              response_json: JSON.stringify(p.response ?? { flow_token: 'sim-flow', rating: '5' }),
              body: 'Sent',
              name: 'flow',
            },
          },
        }),
      ],
    }),
  call_permission_reply: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(ctx, 'interactive', {
          interactive: {
            type: 'call_permission_reply',
            call_permission_reply: {
              response: str(p, 'response', 'accept'),
              expiration_timestamp: ctx.now + 7 * 86400,
              response_source: 'user_action',
            },
          },
        }),
      ],
    }),
  interactive_error: (ctx) => {
    const m = inboundMessage(ctx, 'interactive', {});
    return messagesValue(ctx, {
      messages: [m],
      errors: [{ ...asyncError(131000), error_data: { details: 'Unsupported webhook payload' } }],
    });
  },
};
