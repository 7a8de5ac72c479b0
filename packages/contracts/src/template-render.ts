import { z } from 'zod';
import type { TemplateComponentParams } from './whatsapp.ts';

/**
 * One template renderer for the server (send path, validation) and the dashboard (preview): a
 * template as Meta stores it + the values for its variables → exactly what the customer sees, and the
 * Graph `components` payload that makes Meta show it.
 */

// A template as Meta's API returns it (the parts rendering needs; unknown keys are kept). -----------
const Button = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  url: z.string().optional(),
  phone_number: z.string().optional(),
  example: z.union([z.array(z.string()), z.string()]).optional(),
});
export const TemplateComponentDef = z.looseObject({
  type: z.string(),
  format: z.string().optional(),
  text: z.string().optional(),
  buttons: z.array(Button).optional(),
  example: z.unknown().optional(),
});
export const TemplateDef = z.looseObject({
  name: z.string(),
  language: z.string(),
  category: z.string().optional(),
  parameter_format: z.enum(['POSITIONAL', 'NAMED']).optional(),
  components: z.array(TemplateComponentDef),
});
export type TemplateDef = z.infer<typeof TemplateDef>;

// The values a sender supplies. --------------------------------------------------------------------
/** A body/header variable: plain text, or Meta's currency / date-time objects (shown by their fallback). */
export const TemplateValue = z.union([
  z.string(),
  z.strictObject({
    currency: z.strictObject({
      code: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. USD'),
      amount_1000: z.number().int(),
      fallback_value: z.string().min(1),
    }),
  }),
  z.strictObject({ date_time: z.strictObject({ fallback_value: z.string().min(1) }) }),
]);
export type TemplateValue = z.infer<typeof TemplateValue>;

const MediaRef = z.union([
  z.strictObject({ link: z.url({ protocol: /^https?$/ }), filename: z.string().max(240).optional() }),
  z.strictObject({ id: z.string().min(1).max(100), filename: z.string().max(240).optional() }),
]);

export const TemplateParams = z.strictObject({
  /** Header: `text` fills a TEXT header's variable; `media` an IMAGE/VIDEO/DOCUMENT header; `location` a LOCATION header. */
  header: z
    .strictObject({
      text: TemplateValue.optional(),
      media: MediaRef.optional(),
      location: z
        .strictObject({
          latitude: z.number().min(-90).max(90),
          longitude: z.number().min(-180).max(180),
          name: z.string().max(1000).optional(),
          address: z.string().max(1000).optional(),
        })
        .optional(),
    })
    .optional(),
  /** Body variables by key: `"1"`, `"2"`… for positional templates, the parameter name for named ones. */
  body: z.record(z.string(), TemplateValue).default({}),
  /** Per button index: the URL suffix (URL buttons), the payload (quick replies), the code (copy code). */
  buttons: z.record(z.string().regex(/^\d$/), z.string().max(2000)).default({}),
});
export type TemplateParams = z.input<typeof TemplateParams>;

// What the customer sees. ----------------------------------------------------------------------------
export const RenderedTemplate = z.object({
  header: z
    .union([
      z.object({ type: z.literal('text'), text: z.string() }),
      z.object({
        type: z.enum(['image', 'video', 'document']),
        link: z.string().optional(),
        id: z.string().optional(),
        filename: z.string().optional(),
      }),
      z.object({
        type: z.literal('location'),
        latitude: z.number(),
        longitude: z.number(),
        name: z.string().optional(),
        address: z.string().optional(),
      }),
    ])
    .optional(),
  body: z.string(),
  footer: z.string().optional(),
  buttons: z.array(
    z.object({
      /** `quick_reply`, `url`, `phone_number`, `copy_code` (others by Meta's name, lowercased). */
      type: z.string(),
      text: z.string(),
      url: z.string().optional(),
      phone_number: z.string().optional(),
      payload: z.string().optional(),
      /** The code a copy-code button copies. */
      code: z.string().optional(),
    }),
  ),
});
export type RenderedTemplate = z.infer<typeof RenderedTemplate>;

/** A variable the template needs, for mapping UIs and per-contact validation. */
export interface TemplateVariable {
  component: 'header' | 'body' | 'button';
  /** `"1"` / the parameter name; for buttons the button index. */
  key: string;
  kind: 'text' | 'media' | 'location' | 'url_suffix' | 'payload' | 'coupon_code';
  example?: string;
  /** Optional variables may be left out (a quick-reply payload defaults to Meta's own). */
  optional?: boolean;
}

export type RenderProblem = { path: string; message: string };
export type RenderResult =
  | { ok: true; rendered: RenderedTemplate; components: TemplateComponentParams[] }
  | { ok: false; problems: RenderProblem[] };

const VARIABLE = /\{\{\s*([a-zA-Z0-9_]+)\s*\}\}/g;

/** Variables of a text in order of first appearance: `Hi {{1}}, {{2}}` → ['1', '2']. */
export function textVariables(text: string | undefined): string[] {
  const seen: string[] = [];
  for (const m of (text ?? '').matchAll(VARIABLE)) if (!seen.includes(m[1]!)) seen.push(m[1]!);
  return seen;
}

const componentOf = (def: TemplateDef, type: string) =>
  def.components.find((c) => c.type.toUpperCase() === type);

function exampleOf(c: z.infer<typeof TemplateComponentDef> | undefined, key: string, i: number) {
  const ex = c?.example as Record<string, unknown> | undefined;
  if (!ex) return undefined;
  const named = (ex.body_text_named_params ?? ex.header_text_named_params) as
    | { param_name: string; example: string }[]
    | undefined;
  const hit = named?.find((p) => p.param_name === key)?.example;
  if (hit) return hit;
  const positional =
    (ex.body_text as string[][] | undefined)?.[0] ?? (ex.header_text as string[] | undefined);
  return positional?.[i];
}

/** Every variable the template needs, in order: header, body, then buttons. */
export function templateVariables(def: TemplateDef): TemplateVariable[] {
  const out: TemplateVariable[] = [];
  const header = componentOf(def, 'HEADER');
  const format = header?.format?.toUpperCase();
  if (header && format === 'TEXT') {
    textVariables(header.text).forEach((key, i) => {
      out.push({ component: 'header', key, kind: 'text', ...opt('example', exampleOf(header, key, i)) });
    });
  } else if (format === 'IMAGE' || format === 'VIDEO' || format === 'DOCUMENT') {
    out.push({ component: 'header', key: format.toLowerCase(), kind: 'media' });
  } else if (format === 'LOCATION') {
    out.push({ component: 'header', key: 'location', kind: 'location' });
  }
  const body = componentOf(def, 'BODY');
  textVariables(body?.text).forEach((key, i) => {
    out.push({ component: 'body', key, kind: 'text', ...opt('example', exampleOf(body, key, i)) });
  });
  (componentOf(def, 'BUTTONS')?.buttons ?? []).forEach((b, index) => {
    const type = b.type.toUpperCase();
    const key = String(index);
    if (type === 'URL' && textVariables(b.url).length) {
      const ex = Array.isArray(b.example) ? b.example[0] : b.example;
      out.push({ component: 'button', key, kind: 'url_suffix', ...opt('example', ex) });
    } else if (type === 'COPY_CODE') {
      const ex = Array.isArray(b.example) ? b.example[0] : b.example;
      out.push({ component: 'button', key, kind: 'coupon_code', ...opt('example', ex) });
    } else if (type === 'QUICK_REPLY') {
      out.push({ component: 'button', key, kind: 'payload', optional: true });
    }
  });
  return out;
}

const opt = <K extends string, V>(k: K, v: V | undefined) =>
  (v === undefined ? {} : { [k]: v }) as Partial<Record<K, V>>;

/** Meta refuses text parameters with new lines, tabs or more than 4 spaces in a row (error 132018). */
function textProblem(text: string): string | undefined {
  if (!text.trim()) return 'is empty';
  if (/[\n\r\t]/.test(text)) return 'cannot contain new lines or tabs';
  if (/ {5,}/.test(text)) return 'cannot contain more than 4 spaces in a row';
  if (text.length > 32768) return 'is longer than 32,768 characters';
  return undefined;
}

const shown = (v: TemplateValue) =>
  typeof v === 'string' ? v : 'currency' in v ? v.currency.fallback_value : v.date_time.fallback_value;

function param(v: TemplateValue, named: string | undefined) {
  const name = named ? { parameter_name: named } : {};
  if (typeof v === 'string') return { type: 'text' as const, text: v, ...name };
  if ('currency' in v) return { type: 'currency' as const, currency: v.currency, ...name };
  return { type: 'date_time' as const, date_time: v.date_time, ...name };
}

/**
 * Renders a template with its values. Every problem is reported at once (missing values, text Meta
 * would refuse, a header of the wrong kind), with a path a form can point at.
 *
 * @example
 * const r = renderTemplate(def, { body: { '1': 'Ana', '2': 'FALL25' } });
 * if (r.ok) send({ type: 'template', template: { name: def.name, language: { code: def.language }, components: r.components } });
 */
export function renderTemplate(defInput: TemplateDef, paramsInput: TemplateParams): RenderResult {
  const def = TemplateDef.parse(defInput);
  const parsedParams = TemplateParams.safeParse(paramsInput);
  if (!parsedParams.success) {
    return {
      ok: false,
      problems: parsedParams.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    };
  }
  const { rendered, components, problems } = fillTemplate(def, parsedParams.data);
  return problems.length ? { ok: false, problems } : { ok: true, rendered, components };
}

/**
 * The work of `renderTemplate` on values already read: the rendering is always made, a missing value
 * left showing as `{{1}}`, and `problems` says what Meta would refuse. For showing a message that was
 * sent (its values were checked then); anything about to be sent goes through `renderTemplate`.
 */
export function fillTemplate(
  def: TemplateDef,
  params: z.output<typeof TemplateParams>,
): { rendered: RenderedTemplate; components: TemplateComponentParams[]; problems: RenderProblem[] } {
  const named = def.parameter_format === 'NAMED';
  const problems: RenderProblem[] = [];
  const components: TemplateComponentParams[] = [];
  const rendered: RenderedTemplate = { body: '', buttons: [] };

  const fill = (text: string, values: Record<string, TemplateValue>, path: string) => {
    // Positional parameters go in number order ({{1}}, {{2}}…), whatever order the text uses them in.
    const keys = named ? textVariables(text) : textVariables(text).sort((a, b) => Number(a) - Number(b));
    const used: ReturnType<typeof param>[] = [];
    for (const key of keys) {
      const v = values[key];
      if (v === undefined) {
        problems.push({ path: `${path}.${key}`, message: `needs a value for {{${key}}}` });
        continue;
      }
      const why = textProblem(shown(v));
      if (why) problems.push({ path: `${path}.${key}`, message: `{{${key}}} ${why}` });
      used.push(param(v, named ? key : undefined));
    }
    const out = text.replace(VARIABLE, (_m, key: string) => {
      const v = values[key];
      return v === undefined ? `{{${key}}}` : shown(v);
    });
    return { out, used };
  };

  // Header
  const header = componentOf(def, 'HEADER');
  const format = header?.format?.toUpperCase();
  if (header && (format === 'TEXT' || (!format && header.text))) {
    const values: Record<string, TemplateValue> = {};
    const keys = textVariables(header.text);
    if (keys.length && params.header?.text !== undefined) values[keys[0]!] = params.header.text;
    const { out, used } = fill(header.text ?? '', values, 'header');
    rendered.header = { type: 'text', text: out };
    if (used.length) components.push({ type: 'header', parameters: used } as TemplateComponentParams);
  } else if (format === 'IMAGE' || format === 'VIDEO' || format === 'DOCUMENT') {
    const kind = format.toLowerCase() as 'image' | 'video' | 'document';
    const media = params.header?.media;
    if (!media) {
      problems.push({ path: 'header.media', message: `needs a ${kind} (a link or an uploaded media id)` });
      rendered.header = { type: kind };
    } else {
      const { filename, ...ref } = media;
      const value = { ...ref, ...(kind === 'document' && filename ? { filename } : {}) };
      rendered.header = { type: kind, ...value };
      components.push({
        type: 'header',
        parameters: [{ type: kind, [kind]: value }],
      } as TemplateComponentParams);
    }
  } else if (format === 'LOCATION') {
    const loc = params.header?.location;
    if (!loc) problems.push({ path: 'header.location', message: 'needs a location' });
    else {
      rendered.header = { type: 'location', ...loc };
      components.push({
        type: 'header',
        parameters: [{ type: 'location', location: loc }],
      } as TemplateComponentParams);
    }
  }

  // Body
  const body = componentOf(def, 'BODY');
  if (body?.text) {
    const { out, used } = fill(body.text, params.body, 'body');
    rendered.body = out;
    if (used.length) components.push({ type: 'body', parameters: used } as TemplateComponentParams);
  }

  // Footer
  const footer = componentOf(def, 'FOOTER');
  if (footer?.text) rendered.footer = footer.text;

  // Buttons
  (componentOf(def, 'BUTTONS')?.buttons ?? []).forEach((b, index) => {
    const type = b.type.toUpperCase();
    const value = params.buttons[String(index)];
    const text = b.text ?? '';
    const path = `buttons.${index}`;
    if (type === 'URL') {
      if (textVariables(b.url).length) {
        if (value === undefined) {
          problems.push({ path, message: `needs the end of the link for “${text}”` });
          rendered.buttons.push({ type: 'url', text, ...opt('url', b.url) });
          return;
        }
        const url = (b.url ?? '').replace(VARIABLE, value);
        rendered.buttons.push({ type: 'url', text, url });
        components.push({
          type: 'button',
          sub_type: 'url',
          index: String(index),
          parameters: [{ type: 'text', text: value }],
        });
      } else rendered.buttons.push({ type: 'url', text, ...opt('url', b.url) });
    } else if (type === 'QUICK_REPLY') {
      rendered.buttons.push({ type: 'quick_reply', text, ...opt('payload', value) });
      if (value !== undefined) {
        components.push({
          type: 'button',
          sub_type: 'quick_reply',
          index: String(index),
          parameters: [{ type: 'payload', payload: value }],
        });
      }
    } else if (type === 'COPY_CODE') {
      if (value === undefined) problems.push({ path, message: 'needs the code to copy' });
      else if (value.length > 20) problems.push({ path, message: 'the code is longer than 20 characters' });
      else {
        components.push({
          type: 'button',
          sub_type: 'copy_code',
          index: String(index),
          parameters: [{ type: 'coupon_code', coupon_code: value }],
        });
      }
      rendered.buttons.push({ type: 'copy_code', text: text || 'Copy code', ...opt('code', value) });
    } else if (type === 'PHONE_NUMBER') {
      rendered.buttons.push({ type: 'phone_number', text, ...opt('phone_number', b.phone_number) });
    } else rendered.buttons.push({ type: type.toLowerCase(), text });
  });

  // Values given for variables the template does not have are a mistake worth reporting.
  const bodyKeys = new Set(textVariables(body?.text));
  for (const key of Object.keys(params.body)) {
    if (!bodyKeys.has(key)) problems.push({ path: `body.${key}`, message: `the template has no {{${key}}}` });
  }

  return { rendered, components, problems };
}
