import { asyncError } from '../errors.ts';
import { type Builder, inboundMessage, mediaBody, messagesValue, num, str } from './context.ts';

const PHRASES = [
  'Hi! Is this still available?',
  'Thanks, got it 👍',
  'What time do you open tomorrow?',
  'Can you send me the price list?',
  'Perfect, see you then',
  '¿Tienen envío a domicilio?',
  'ok',
  'Where is my order?',
];

/** Plain messages a customer sends: text, media, reactions, locations, contacts, orders. */
export const MESSAGE_KINDS: Record<string, Builder> = {
  text: (ctx, p) =>
    messagesValue(ctx, {
      messages: [inboundMessage(ctx, 'text', { text: { body: str(p, 'text', ctx.rnd.pick(PHRASES)) } })],
    }),
  forwarded: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(
          ctx,
          'text',
          { text: { body: str(p, 'text', 'Look at this') } },
          {
            context: p.frequently ? { frequently_forwarded: true } : { forwarded: true },
          },
        ),
      ],
    }),
  referral: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        {
          referral: {
            source_url: 'https://fb.me/3cr4Wqqkv',
            source_id: '120226305854810726',
            source_type: 'ad',
            headline: 'Summer sale',
            body: 'Up to 50% off',
            media_type: 'video',
            image_url: 'https://scontent.xx.fbcdn.net/ad.jpg',
            video_url: 'https://video.xx.fbcdn.net/ad.mp4',
            thumbnail_url: 'https://scontent.xx.fbcdn.net/thumb.jpg',
            ctwa_clid: `Aff-${ctx.rnd.hex(24)}`,
            welcome_message: { text: 'Hi! How can we help?' },
          },
          ...inboundMessage(ctx, 'text', { text: { body: str(p, 'text', 'I saw your ad') } }),
        },
      ],
    }),
  image: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(ctx, 'image', {
          image: mediaBody(ctx.media('image', str(p, 'sample', 'mug')), {
            caption: str(p, 'caption', 'Photo'),
          }),
        }),
      ],
    }),
  video: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(ctx, 'video', {
          video: mediaBody(ctx.media('video'), { caption: str(p, 'caption', 'Video') }),
        }),
      ],
    }),
  document: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(ctx, 'document', {
          document: mediaBody(ctx.media('document'), {
            caption: str(p, 'caption', 'Invoice'),
            filename: str(p, 'filename', 'invoice.pdf'),
          }),
        }),
      ],
    }),
  audio: (ctx) =>
    messagesValue(ctx, {
      messages: [inboundMessage(ctx, 'audio', { audio: mediaBody(ctx.media('audio'), { voice: false }) })],
    }),
  voice: (ctx) =>
    messagesValue(ctx, {
      messages: [inboundMessage(ctx, 'audio', { audio: mediaBody(ctx.media('voice'), { voice: true }) })],
    }),
  sticker: (ctx) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(ctx, 'sticker', { sticker: mediaBody(ctx.media('sticker'), { animated: false }) }),
      ],
    }),
  animated_sticker: (ctx) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(ctx, 'sticker', {
          sticker: mediaBody(ctx.media('animated_sticker'), { animated: true }),
        }),
      ],
    }),
  reaction: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(
          ctx,
          'reaction',
          {
            reaction: {
              message_id: str(p, 'message_id', ctx.replyTo ?? ctx.wamid()),
              emoji: str(p, 'emoji', '👍'),
            },
          },
          {
            context: null,
          },
        ),
      ],
    }),
  unreaction: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(
          ctx,
          'reaction',
          { reaction: { message_id: str(p, 'message_id', ctx.replyTo ?? ctx.wamid()), emoji: '' } },
          { context: null },
        ),
      ],
    }),
  location: (ctx, p) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(ctx, 'location', {
          location: p.current
            ? { latitude: num(p, 'latitude', 37.4422), longitude: num(p, 'longitude', -122.1617) }
            : typeof p.place === 'string'
              ? {
                  latitude: num(p, 'latitude', 0),
                  longitude: num(p, 'longitude', 0),
                  name: p.place,
                  address: str(p, 'address', ''),
                }
              : {
                  latitude: 37.44221496582,
                  longitude: -122.16165924072,
                  name: 'Philz Coffee',
                  address: '101 Forest Ave, Palo Alto, CA 94301',
                  url: 'https://philzcoffee.com/',
                },
        }),
      ],
    }),
  contacts: (ctx) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(ctx, 'contacts', {
          contacts: [
            {
              name: { first_name: 'Ana', last_name: 'Silva', formatted_name: 'Ana Silva' },
              org: { company: 'Acme' },
              phones: [{ phone: '+1 555-555-0101', wa_id: '15555550101', type: 'CELL' }],
            },
          ],
        }),
      ],
    }),
  order: (ctx) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(ctx, 'order', {
          order: {
            catalog_id: '194836987003835',
            text: 'Please deliver after 6pm',
            product_items: [{ product_retailer_id: 'SKU-1', quantity: 2, item_price: 30, currency: 'USD' }],
          },
        }),
      ],
    }),
  unsupported: (ctx) =>
    messagesValue(ctx, {
      messages: [
        inboundMessage(ctx, 'unsupported', { errors: [asyncError(131051)], unsupported: { type: 'pool' } }),
      ],
    }),
};
