import { type Builder, type Change, contactOf, digits, type EventContext, metadata, str } from './context.ts';

/** Business calling: a call connects, ends, or rings (field `calls`). */
export const CALL_KINDS: Record<string, Builder> = {
  call_connect: (ctx, p) => {
    const business = p.direction === 'BUSINESS_INITIATED';
    return calls(ctx, {
      id: `wacid.${ctx.rnd.hex(24)}`,
      from: business ? digits(ctx.number.display_phone_number) : ctx.customer.wa_id,
      to: business ? ctx.customer.wa_id : digits(ctx.number.display_phone_number),
      event: 'connect',
      timestamp: String(ctx.now),
      direction: business ? 'BUSINESS_INITIATED' : 'USER_INITIATED',
      session: { sdp: 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n', sdp_type: business ? 'answer' : 'offer' },
    });
  },
  call_terminate: (ctx) => {
    const change = calls(ctx, {
      id: `wacid.${ctx.rnd.hex(24)}`,
      to: digits(ctx.number.display_phone_number),
      from: ctx.customer.wa_id,
      event: 'terminate',
      direction: 'USER_INITIATED',
      biz_opaque_callback_data: 'sim',
      timestamp: String(ctx.now),
      status: 'COMPLETED',
      start_time: String(ctx.now - 120),
      end_time: String(ctx.now),
      duration: 120,
    });
    change.value.errors = [
      {
        code: 12455,
        message: 'Call ended',
        href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
        error_data: { details: 'The call ended.' },
      },
    ];
    return change;
  },
  call_status: (ctx, p) => ({
    field: 'calls',
    value: {
      messaging_product: 'whatsapp',
      metadata: metadata(ctx.number),
      contacts: [contactOf(ctx.customer)],
      statuses: [
        {
          id: `wacid.${ctx.rnd.hex(24)}`,
          timestamp: String(ctx.now),
          type: 'call',
          status: str(p, 'status', 'RINGING'),
          recipient_id: ctx.customer.wa_id,
          biz_opaque_callback_data: 'sim',
        },
      ],
    },
  }),
};

function calls(ctx: EventContext, call: Record<string, unknown>): Change {
  return {
    field: 'calls',
    value: {
      messaging_product: 'whatsapp',
      metadata: metadata(ctx.number),
      contacts: [contactOf(ctx.customer)],
      calls: [call],
    },
  };
}
