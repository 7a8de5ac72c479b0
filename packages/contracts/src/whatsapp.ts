import { z } from 'zod';

/**
 * Outbound WhatsApp message content in Meta's own shape (Graph `POST /{phone-number-id}/messages`
 * minus the envelope fields), with Meta's documented limits. Used by the API, the send path and
 * the Graph client.
 */

const Link = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const MediaId = z.string().min(1).max(128);

function media<T extends z.ZodRawShape>(extra: T) {
  return z.strictObject({ id: MediaId.optional(), link: Link.optional(), ...extra }).refine((m) => {
    const ref = m as { id?: string; link?: string };
    return (ref.id === undefined) !== (ref.link === undefined);
  }, 'give exactly one of id or link');
}
const Caption = z.string().max(1024);

export const TextContent = z.strictObject({
  type: z.literal('text'),
  text: z.strictObject({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() }),
});
export const ImageContent = z.strictObject({
  type: z.literal('image'),
  image: media({ caption: Caption.optional() }),
});
export const VideoContent = z.strictObject({
  type: z.literal('video'),
  video: media({ caption: Caption.optional() }),
});
export const AudioContent = z.strictObject({ type: z.literal('audio'), audio: media({}) });
export const StickerContent = z.strictObject({ type: z.literal('sticker'), sticker: media({}) });
export const DocumentContent = z.strictObject({
  type: z.literal('document'),
  document: media({ caption: Caption.optional(), filename: z.string().min(1).max(240).optional() }),
});
export const LocationContent = z.strictObject({
  type: z.literal('location'),
  location: z.strictObject({
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: z.string().max(1000).optional(),
    address: z.string().max(1000).optional(),
  }),
});
export const ContactsContent = z.strictObject({
  type: z.literal('contacts'),
  contacts: z
    .array(
      z.looseObject({
        name: z.looseObject({ formatted_name: z.string().min(1) }),
        phones: z
          .array(
            z.looseObject({
              phone: z.string().optional(),
              wa_id: z.string().optional(),
              type: z.string().optional(),
            }),
          )
          .optional(),
      }),
    )
    .min(1),
});
export const ReactionContent = z.strictObject({
  type: z.literal('reaction'),
  // An empty emoji removes the reaction.
  reaction: z.strictObject({ message_id: z.string().min(1), emoji: z.string().max(16) }),
});

const InteractiveText = (max: number) => z.strictObject({ text: z.string().min(1).max(max) });
const InteractiveHeader = z.union([
  z.strictObject({ type: z.literal('text'), text: z.string().min(1).max(60) }),
  z.strictObject({ type: z.literal('image'), image: media({}) }),
  z.strictObject({ type: z.literal('video'), video: media({}) }),
  z.strictObject({ type: z.literal('document'), document: media({ filename: z.string().optional() }) }),
]);
const ButtonId = z
  .string()
  .min(1)
  .max(256)
  .refine((s) => s.trim() === s, 'must not start or end with spaces');
export const InteractiveButtons = z.strictObject({
  type: z.literal('button'),
  header: InteractiveHeader.optional(),
  body: InteractiveText(1024),
  footer: InteractiveText(60).optional(),
  action: z.strictObject({
    buttons: z
      .array(
        z.strictObject({
          type: z.literal('reply'),
          reply: z.strictObject({ id: ButtonId, title: z.string().min(1).max(20) }),
        }),
      )
      .min(1)
      .max(3)
      .refine((b) => new Set(b.map((x) => x.reply.id)).size === b.length, 'button ids must be unique'),
  }),
});
export const InteractiveList = z.strictObject({
  type: z.literal('list'),
  header: z.strictObject({ type: z.literal('text'), text: z.string().min(1).max(60) }).optional(),
  body: InteractiveText(4096),
  footer: InteractiveText(60).optional(),
  action: z.strictObject({
    button: z.string().min(1).max(20),
    sections: z
      .array(
        z.strictObject({
          title: z.string().max(24).optional(),
          rows: z
            .array(
              z.strictObject({
                id: z.string().min(1).max(200),
                title: z.string().min(1).max(24),
                description: z.string().max(72).optional(),
              }),
            )
            .min(1),
        }),
      )
      .min(1)
      .max(10)
      .refine((s) => s.reduce((n, x) => n + x.rows.length, 0) <= 10, 'at most 10 rows in total')
      .refine(
        (s) => s.length === 1 || s.every((x) => x.title),
        'every section needs a title when there are several',
      ),
  }),
});
export const InteractiveCtaUrl = z.strictObject({
  type: z.literal('cta_url'),
  header: InteractiveHeader.optional(),
  body: InteractiveText(1024),
  footer: InteractiveText(60).optional(),
  action: z.strictObject({
    name: z.literal('cta_url'),
    parameters: z.strictObject({ display_text: z.string().min(1).max(20), url: Link }),
  }),
});
/**
 * Meta's request for the customer's phone number (for a customer known only by their BSUID): a
 * body and WhatsApp's fixed "share phone number" button; the answer comes back as a `contacts`
 * message with the phone.
 */
export const InteractiveRequestContactInfo = z.strictObject({
  type: z.literal('request_contact_info'),
  body: InteractiveText(1024),
  action: z.strictObject({ name: z.literal('request_contact_info') }),
});
export const InteractiveContent = z.strictObject({
  type: z.literal('interactive'),
  interactive: z.discriminatedUnion('type', [
    InteractiveButtons,
    InteractiveList,
    InteractiveCtaUrl,
    InteractiveRequestContactInfo,
  ]),
});

// Template parameters ---------------------------------------------------------------------------
const TextParam = z.strictObject({
  type: z.literal('text'),
  text: z.string().max(32768),
  parameter_name: z.string().optional(),
});
const CurrencyParam = z.strictObject({
  type: z.literal('currency'),
  currency: z.strictObject({
    fallback_value: z.string(),
    code: z.string().length(3),
    amount_1000: z.number().int(),
  }),
  parameter_name: z.string().optional(),
});
const DateTimeParam = z.strictObject({
  type: z.literal('date_time'),
  date_time: z.looseObject({ fallback_value: z.string() }),
  parameter_name: z.string().optional(),
});
const MediaParam = (kind: 'image' | 'video' | 'document') =>
  z.strictObject({ type: z.literal(kind), [kind]: media({ filename: z.string().optional() }) } as Record<
    string,
    z.ZodType
  >);
const LocationParam = z.strictObject({
  type: z.literal('location'),
  location: LocationContent.shape.location,
});

export const TemplateComponentParams = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('header'),
    parameters: z
      .array(
        z.union([TextParam, MediaParam('image'), MediaParam('video'), MediaParam('document'), LocationParam]),
      )
      .max(1),
  }),
  z.strictObject({
    type: z.literal('body'),
    parameters: z.array(z.union([TextParam, CurrencyParam, DateTimeParam])),
  }),
  z.strictObject({
    type: z.literal('button'),
    sub_type: z.enum(['quick_reply', 'url', 'copy_code', 'flow', 'catalog']),
    index: z.union([z.string().regex(/^\d$/), z.number().int().min(0).max(9)]),
    parameters: z.array(
      z.union([
        z.strictObject({ type: z.literal('payload'), payload: z.string().max(1000) }),
        z.strictObject({ type: z.literal('text'), text: z.string().max(2000) }),
        z.strictObject({ type: z.literal('coupon_code'), coupon_code: z.string().max(20) }),
        z.strictObject({ type: z.literal('action'), action: z.looseObject({}) }),
      ]),
    ),
  }),
]);
export type TemplateComponentParams = z.infer<typeof TemplateComponentParams>;

export const TemplateContent = z.strictObject({
  type: z.literal('template'),
  template: z.strictObject({
    name: z.string().min(1).max(512),
    language: z.strictObject({
      code: z.string().min(2).max(15),
      policy: z.literal('deterministic').optional(),
    }),
    components: z.array(TemplateComponentParams).optional(),
  }),
});

export const MessageContent = z.discriminatedUnion('type', [
  TextContent,
  ImageContent,
  VideoContent,
  AudioContent,
  StickerContent,
  DocumentContent,
  LocationContent,
  ContactsContent,
  ReactionContent,
  InteractiveContent,
  TemplateContent,
]);
export type MessageContent = z.infer<typeof MessageContent>;
export type MessageType = MessageContent['type'];

/**
 * What an agent may send, by WhatsApp message type: Meta's accepted types and size limits
 * (developers.facebook.com/docs/whatsapp/cloud-api/reference/media#supported-media-types).
 */
export const SENDABLE_MEDIA: Record<
  string,
  { type: 'image' | 'video' | 'audio' | 'document' | 'sticker'; max: number }
> = {
  'image/jpeg': { type: 'image', max: 5 * 1024 * 1024 },
  'image/png': { type: 'image', max: 5 * 1024 * 1024 },
  'image/webp': { type: 'sticker', max: 500 * 1024 },
  'video/mp4': { type: 'video', max: 16 * 1024 * 1024 },
  'video/3gpp': { type: 'video', max: 16 * 1024 * 1024 },
  'audio/aac': { type: 'audio', max: 16 * 1024 * 1024 },
  'audio/amr': { type: 'audio', max: 16 * 1024 * 1024 },
  'audio/mpeg': { type: 'audio', max: 16 * 1024 * 1024 },
  'audio/mp4': { type: 'audio', max: 16 * 1024 * 1024 },
  'audio/ogg': { type: 'audio', max: 16 * 1024 * 1024 },
  'application/pdf': { type: 'document', max: 100 * 1024 * 1024 },
  'application/msword': { type: 'document', max: 100 * 1024 * 1024 },
  'application/vnd.ms-excel': { type: 'document', max: 100 * 1024 * 1024 },
  'application/vnd.ms-powerpoint': { type: 'document', max: 100 * 1024 * 1024 },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
    type: 'document',
    max: 100 * 1024 * 1024,
  },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
    type: 'document',
    max: 100 * 1024 * 1024,
  },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': {
    type: 'document',
    max: 100 * 1024 * 1024,
  },
  'text/plain': { type: 'document', max: 100 * 1024 * 1024 },
};
