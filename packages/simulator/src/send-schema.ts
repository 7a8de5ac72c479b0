import { z } from 'zod';

/**
 * What Meta accepts on POST /{phone-number-id}/messages, with the field limits Meta enforces.
 * Written from Meta's documentation and OpenAPI file, independently of openwaba's own contracts, so
 * that the product is checked against Meta's rules and not against itself.
 */
const url = z.string().regex(/^https?:\/\/\S+$/i, 'must be an http(s) URL');
const media = (caption: boolean, filename = false) =>
  z
    .object({
      id: z.string().min(1).optional(),
      link: url.optional(),
      ...(caption ? { caption: z.string().max(1024).optional() } : {}),
      ...(filename ? { filename: z.string().max(240).optional() } : {}),
    })
    .strict()
    .refine((m) => (m.id ? !m.link : !!m.link), { message: 'exactly one of id or link is required' });

const text = z.object({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() }).strict();
const location = z
  .object({
    latitude: z.union([z.number(), z.string()]),
    longitude: z.union([z.number(), z.string()]),
    name: z.string().optional(),
    address: z.string().optional(),
  })
  .strict();
const contact = z
  .object({
    name: z.object({ formatted_name: z.string().min(1) }).loose(),
    addresses: z.array(z.object({}).loose()).optional(),
    birthday: z.string().optional(),
    emails: z.array(z.object({}).loose()).optional(),
    org: z.object({}).loose().optional(),
    phones: z.array(z.object({ phone: z.string().optional() }).loose()).optional(),
    urls: z.array(z.object({}).loose()).optional(),
  })
  .strict();
const reaction = z.object({ message_id: z.string().min(1), emoji: z.string().max(16) }).strict();

const ibody = z.object({ text: z.string().min(1).max(1024) }).strict();
const ifooter = z.object({ text: z.string().min(1).max(60) }).strict();
const iheader = z
  .object({
    type: z.enum(['text', 'image', 'video', 'document']),
    text: z.string().max(60).optional(),
    image: media(false).optional(),
    video: media(false).optional(),
    document: media(false, true).optional(),
  })
  .strict();
const replyId = z
  .string()
  .min(1)
  .max(256)
  .refine((s) => s.trim() === s, 'must not start or end with a space');
const buttons = z
  .object({
    buttons: z
      .array(
        z
          .object({
            type: z.literal('reply'),
            reply: z.object({ id: replyId, title: z.string().min(1).max(20) }).strict(),
          })
          .strict(),
      )
      .min(1)
      .max(3)
      .refine((b) => new Set(b.map((x) => x.reply.id)).size === b.length, 'button ids must be unique')
      .refine((b) => new Set(b.map((x) => x.reply.title)).size === b.length, 'button titles must be unique'),
  })
  .strict();
const list = z
  .object({
    button: z.string().min(1).max(20),
    sections: z
      .array(
        z
          .object({
            title: z.string().max(24).optional(),
            rows: z
              .array(
                z
                  .object({
                    id: z.string().min(1).max(200),
                    title: z.string().min(1).max(24),
                    description: z.string().max(72).optional(),
                  })
                  .strict(),
              )
              .min(1),
          })
          .strict(),
      )
      .min(1)
      .max(10)
      .refine((s) => s.reduce((n, x) => n + x.rows.length, 0) <= 10, 'at most 10 rows in total')
      .refine(
        (s) => s.length === 1 || s.every((x) => x.title),
        'every section needs a title when there are several',
      ),
  })
  .strict();
const ctaUrl = z
  .object({
    name: z.literal('cta_url'),
    parameters: z.object({ display_text: z.string().min(1).max(20), url }).strict(),
  })
  .strict();
const interactive = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('button'),
      header: iheader.optional(),
      body: ibody,
      footer: ifooter.optional(),
      action: buttons,
    })
    .strict(),
  z
    .object({
      type: z.literal('list'),
      header: iheader.optional(),
      body: ibody,
      footer: ifooter.optional(),
      action: list,
    })
    .strict(),
  z
    .object({
      type: z.literal('cta_url'),
      header: iheader.optional(),
      body: ibody,
      footer: ifooter.optional(),
      action: ctaUrl,
    })
    .strict(),
  // Asks the customer to share their phone number (a username customer): WhatsApp shows a fixed button.
  z
    .object({
      type: z.literal('request_contact_info'),
      body: ibody,
      action: z.object({ name: z.literal('request_contact_info') }).strict(),
    })
    .strict(),
]);

const param = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('text'),
      text: z.string().min(1).max(32768),
      parameter_name: z.string().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('currency'),
      currency: z
        .object({ fallback_value: z.string(), code: z.string().length(3), amount_1000: z.number().int() })
        .strict(),
      parameter_name: z.string().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('date_time'),
      date_time: z.object({ fallback_value: z.string() }).loose(),
      parameter_name: z.string().optional(),
    })
    .strict(),
  z.object({ type: z.literal('image'), image: media(false) }).strict(),
  z.object({ type: z.literal('video'), video: media(false) }).strict(),
  z.object({ type: z.literal('document'), document: media(false, true) }).strict(),
  z.object({ type: z.literal('location'), location: location }).strict(),
  z.object({ type: z.literal('payload'), payload: z.string().min(1).max(1000) }).strict(),
  z.object({ type: z.literal('action'), action: z.object({}).loose() }).strict(),
  z.object({ type: z.literal('coupon_code'), coupon_code: z.string().max(15) }).strict(),
]);
const templateComponent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), parameters: z.array(param).max(1) }).strict(),
  z.object({ type: z.literal('body'), parameters: z.array(param) }).strict(),
  z
    .object({
      type: z.literal('button'),
      sub_type: z.enum(['quick_reply', 'url', 'catalog', 'copy_code', 'flow', 'otp']),
      index: z.union([z.string().regex(/^[0-9]$/), z.number().int().min(0).max(9)]),
      parameters: z.array(param),
    })
    .strict(),
]);
const template = z
  .object({
    name: z.string().min(1).max(512),
    language: z.object({ code: z.string().min(2), policy: z.literal('deterministic').optional() }).strict(),
    components: z.array(templateComponent).optional(),
  })
  .strict();

const base = {
  messaging_product: z.literal('whatsapp'),
  recipient_type: z.enum(['individual', 'group']).optional(),
  /** The phone; or `recipient`, a business-scoped user id (`to` wins when both are given). */
  to: z.string().min(1).optional(),
  recipient: z.string().min(1).optional(),
  context: z
    .object({ message_id: z.string().min(1) })
    .strict()
    .optional(),
  biz_opaque_callback_data: z.string().max(512).optional(),
};
export const SendBody = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('text'), text }).strict(),
  z.object({ ...base, type: z.literal('image'), image: media(true) }).strict(),
  z.object({ ...base, type: z.literal('video'), video: media(true) }).strict(),
  z.object({ ...base, type: z.literal('audio'), audio: media(false) }).strict(),
  z.object({ ...base, type: z.literal('sticker'), sticker: media(false) }).strict(),
  z.object({ ...base, type: z.literal('document'), document: media(true, true) }).strict(),
  z.object({ ...base, type: z.literal('location'), location }).strict(),
  z.object({ ...base, type: z.literal('contacts'), contacts: z.array(contact).min(1) }).strict(),
  z.object({ ...base, type: z.literal('reaction'), reaction }).strict(),
  z.object({ ...base, type: z.literal('interactive'), interactive }).strict(),
  z.object({ ...base, type: z.literal('template'), template }).strict(),
]);
export type SendBody = z.infer<typeof SendBody>;

export const MarkReadBody = z
  .object({
    messaging_product: z.literal('whatsapp'),
    status: z.literal('read'),
    message_id: z.string().min(1),
    typing_indicator: z
      .object({ type: z.literal('text') })
      .strict()
      .optional(),
  })
  .strict();

/** Maps a zod failure to Meta's code: unknown key → 100, missing → 131008, anything else → 131009. */
export function classifyIssues(error: z.ZodError): { code: number; details: string } {
  const issue = error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'body';
  if (issue.code === 'unrecognized_keys') {
    return { code: 100, details: `Unexpected key "${issue.keys[0]}" on param "${where}".` };
  }
  const missing =
    issue.code === 'invalid_type' && /received undefined/.test(issue.message)
      ? true
      : issue.code === 'invalid_union' && issue.path.length === 0;
  if (missing) return { code: 131008, details: `The parameter ${where} is required.` };
  return { code: 131009, details: `Parameter ${where} is not valid: ${issue.message}.` };
}
