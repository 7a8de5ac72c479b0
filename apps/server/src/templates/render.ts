import {
  fillTemplate,
  type RenderedTemplate,
  TemplateDef,
  type TemplateParams,
  type TemplateValue,
  textVariables,
} from '@openwaba/contracts';
import { z } from 'zod';

/**
 * A template message as it was sent: Meta's payload (`name`, `language.code`, and `components` with
 * the values). Read loosely: it is our own stored JSON, checked when it was sent, and a field we do
 * not show must not stop the rest from being shown.
 */
const Media = z.looseObject({
  link: z.string().optional(),
  id: z.string().optional(),
  filename: z.string().optional(),
});
const SentParam = z.looseObject({
  type: z.string(),
  parameter_name: z.string().optional(),
  text: z.string().optional(),
  payload: z.string().optional(),
  coupon_code: z.string().optional(),
  currency: z
    .looseObject({ code: z.string(), amount_1000: z.number(), fallback_value: z.string() })
    .optional(),
  date_time: z.looseObject({ fallback_value: z.string() }).optional(),
  image: Media.optional(),
  video: Media.optional(),
  document: Media.optional(),
  location: z
    .looseObject({
      latitude: z.number(),
      longitude: z.number(),
      name: z.string().optional(),
      address: z.string().optional(),
    })
    .optional(),
});
type SentParam = z.infer<typeof SentParam>;
const SentComponent = z.looseObject({
  type: z.string(),
  index: z.union([z.string(), z.number()]).optional(),
  parameters: z.array(SentParam).default([]),
});
export const SentTemplate = z.looseObject({
  name: z.string(),
  language: z.looseObject({ code: z.string() }),
  components: z.array(SentComponent).default([]),
});
export type SentTemplate = z.infer<typeof SentTemplate>;

/** The template of a stored template message (`content.template`), or undefined if it is not one. */
export function sentTemplateOf(type: string, content: unknown): SentTemplate | undefined {
  if (type !== 'template' || !content || typeof content !== 'object') return undefined;
  const parsed = SentTemplate.safeParse((content as { template?: unknown }).template);
  return parsed.success ? parsed.data : undefined;
}

type Values = z.output<typeof TemplateParams>;

function sentValue(p: SentParam): TemplateValue | undefined {
  if (p.type === 'currency' && p.currency) {
    const { code, amount_1000, fallback_value } = p.currency;
    return { currency: { code, amount_1000, fallback_value } };
  }
  if (p.type === 'date_time' && p.date_time)
    return { date_time: { fallback_value: p.date_time.fallback_value } };
  return p.text;
}

/**
 * Values in text order: a named parameter by its name; positional ones were sent in number order
 * ({{1}}, {{2}}…), whatever order the text uses them in.
 */
function textValues(text: string | undefined, params: SentParam[], named: boolean) {
  const vars = textVariables(text);
  const keys = named ? vars : [...vars].sort((a, b) => Number(a) - Number(b));
  const out: Record<string, TemplateValue> = {};
  params.forEach((p, i) => {
    const key = p.parameter_name ?? keys[i];
    const v = sentValue(p);
    if (key !== undefined && v !== undefined) out[key] = v;
  });
  return out;
}

/** The values a sent message carried, in the shape the renderer takes. */
function valuesOf(def: TemplateDef, sent: SentTemplate): Values {
  const named = def.parameter_format === 'NAMED';
  const of = (type: string) => def.components.find((c) => c.type.toUpperCase() === type)?.text;
  const values: Values = { body: {}, buttons: {} };
  for (const c of sent.components) {
    const type = c.type.toLowerCase();
    if (type === 'body') values.body = textValues(of('BODY'), c.parameters, named);
    else if (type === 'header') {
      const p = c.parameters[0];
      if (!p) continue;
      const media = p.type === 'image' || p.type === 'video' || p.type === 'document' ? p[p.type] : undefined;
      if (media?.link || media?.id) {
        const ref = media.link ? { link: media.link } : { id: media.id! };
        values.header = { media: { ...ref, ...(media.filename ? { filename: media.filename } : {}) } };
      } else if (p.type === 'location' && p.location) {
        const { latitude, longitude, name, address } = p.location;
        values.header = {
          location: { latitude, longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) },
        };
      } else {
        const text = Object.values(textValues(of('HEADER'), [p], named))[0];
        if (text !== undefined) values.header = { text };
      }
    } else if (type === 'button' && c.index !== undefined) {
      const p = c.parameters[0];
      const v = p?.payload ?? p?.text ?? p?.coupon_code;
      if (v !== undefined) values.buttons[String(c.index)] = v;
    }
  }
  return values;
}

/**
 * What the customer saw for a template message: the template (as the catalogue has it now) filled
 * with the values the message was sent with — header, body, footer and buttons. A value missing
 * from the message stays visible as `{{1}}`. Null when the template is not in the catalogue (the
 * caller shows the template's name instead) or its stored definition cannot be read.
 *
 * @example
 * renderSentTemplate(
 *   { name: 'order_update', language: 'en', components: [{ type: 'BODY', text: 'Order {{1}} shipped.' }] },
 *   { name: 'order_update', language: { code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'A-1' }] }] },
 * ) // { body: 'Order A-1 shipped.', buttons: [] }
 */
export function renderSentTemplate(
  def: TemplateDef | undefined,
  sent: SentTemplate,
): RenderedTemplate | null {
  if (!def) return null;
  const parsed = TemplateDef.safeParse(def);
  if (!parsed.success) return null;
  return fillTemplate(parsed.data, valuesOf(parsed.data, sent)).rendered;
}
