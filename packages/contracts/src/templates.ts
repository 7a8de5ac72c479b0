import { z } from 'zod';
import { IsoDate, Uuid } from './common.ts';
import { TemplateParams, textVariables } from './template-render.ts';

export const TemplateCategory = z.enum(['AUTHENTICATION', 'MARKETING', 'UTILITY']);

export const Template = z.object({
  id: Uuid,
  waba_id: z.string(),
  meta_id: z.string(),
  name: z.string(),
  language: z.string(),
  status: z.string(),
  category: z.string(),
  parameter_format: z.enum(['POSITIONAL', 'NAMED']),
  components: z.array(z.record(z.string(), z.unknown())),
  quality_score: z.string().nullable(),
  rejected_reason: z.string().nullable(),
  /** False once Meta no longer has it (kept for history, never deleted). */
  active: z.boolean(),
  quarantined: z.boolean(),
  quarantine_reason: z.string().nullable(),
  quarantined_at: IsoDate.nullable(),
  /** Active, approved, not quarantined and of a category the campaign policy allows. */
  usable_in_campaigns: z.boolean(),
  last_synced_at: IsoDate.nullable(),
});
export type Template = z.infer<typeof Template>;

export const TemplateQuery = z.object({
  waba_id: z
    .string()
    .regex(/^\d{1,40}$/, 'a WhatsApp Business Account id (digits)')
    .optional(),
  status: z.string().max(40).optional(),
  category: TemplateCategory.optional(),
  quarantined: z.enum(['true', 'false']).optional(),
  /** Only templates a campaign may use. */
  usable: z.enum(['true', 'false']).optional(),
  include_inactive: z.enum(['true', 'false']).optional(),
  search: z.string().trim().max(100).optional(),
});
export const TemplateList = z.object({ data: z.array(Template) });

export const TemplateCategoryChange = z.object({
  from_category: z.string().nullable(),
  to_category: z.string(),
  source: z.enum(['sync', 'webhook', 'announcement']),
  effective_at: IsoDate.nullable(),
  created_at: IsoDate,
});
export const TemplateHistory = z.object({ data: z.array(TemplateCategoryChange) });

export const TemplateSyncResult = z.object({
  wabas: z.number().int(),
  templates: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  deactivated: z.number().int(),
  quarantined: z.number().int(),
  errors: z.array(z.object({ waba_id: z.string(), message: z.string() })),
});
export type TemplateSyncResult = z.infer<typeof TemplateSyncResult>;

/**
 * Where a variable's value comes from, per contact: a fixed text, a contact property, or (campaign
 * CSVs) a column of the recipient's row. Keys are `header.<var>`, `body.<var>`, `buttons.<index>`.
 */
export const VariableSource = z.union([
  z.strictObject({ fixed: z.string().max(2000) }),
  z.strictObject({ contact: z.union([z.enum(['name', 'phone']), z.string().regex(/^field\.[a-z0-9_]+$/)]) }),
  z.strictObject({ column: z.string().min(1).max(200) }),
]);
export type VariableSource = z.infer<typeof VariableSource>;
const MEDIA_HEADERS = new Set(['image', 'video', 'document']);
export const VariableMapping = z.record(
  z.string().regex(/^(header|body|buttons)\.[a-zA-Z0-9_]+$/),
  VariableSource,
);
export type VariableMapping = z.infer<typeof VariableMapping>;

export const RenderTemplateBody = z.union([
  z.strictObject({ params: TemplateParams }),
  z.strictObject({ contact_id: Uuid, mapping: VariableMapping }),
]);

/** A subject for mapping: what a contact (and a CSV row) offers. */
export interface VariableSubject {
  name?: string | null;
  phone?: string | null;
  fields?: Record<string, unknown>;
  row?: Record<string, string>;
}

/**
 * Fills template params from a mapping for one contact. `missing` names what this contact lacks,
 * so a campaign can say "12 contacts have no value for {{1}} (field city)".
 *
 * @example
 * resolveTemplateParams({ 'body.1': { contact: 'name' } }, { name: 'Ana' }) // { params: { body: { '1': 'Ana' } }, missing: [] }
 */
export function resolveTemplateParams(
  mapping: VariableMapping,
  subject: VariableSubject,
): { params: z.input<typeof TemplateParams>; missing: { key: string; source: string }[] } {
  const params: {
    header?: { text?: string; media?: { link: string } | { id: string } };
    body: Record<string, string>;
    buttons: Record<string, string>;
  } = {
    body: {},
    buttons: {},
  };
  const missing: { key: string; source: string }[] = [];
  for (const [key, src] of Object.entries(mapping)) {
    let value: string | undefined;
    let label: string;
    if ('fixed' in src) {
      value = src.fixed;
      label = 'fixed text';
    } else if ('contact' in src) {
      label = `contact ${src.contact}`;
      const raw =
        src.contact === 'name'
          ? subject.name
          : src.contact === 'phone'
            ? subject.phone
            : subject.fields?.[src.contact.slice('field.'.length)];
      value = raw === null || raw === undefined || raw === '' ? undefined : String(raw);
    } else {
      label = `column ${src.column}`;
      const raw = subject.row?.[src.column];
      value = raw === undefined || raw === '' ? undefined : raw;
    }
    if (value === undefined) {
      missing.push({ key, source: label });
      continue;
    }
    const [part, name] = key.split('.') as [string, string];
    if (part === 'header' && MEDIA_HEADERS.has(name)) {
      // A media header from a link or an uploaded media id (a CSV's {{Media}} column holds either).
      params.header = { media: /^https?:\/\//i.test(value) ? { link: value } : { id: value } };
    } else if (part === 'header') params.header = { text: value };
    else if (part === 'body') params.body[name] = value;
    else params.buttons[name] = value;
  }
  return { params, missing };
}

// Authoring: Meta's rules, checked before anything is submitted. --------------------------------
const NAME = /^[a-z0-9_]{1,512}$/;
const Btn = z.looseObject({
  type: z.enum(['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE']),
  text: z.string().min(1).max(25),
  url: z.url({ protocol: /^https$/ }).optional(),
  phone_number: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, 'E.164, e.g. +15550783881')
    .optional(),
  example: z.array(z.string()).optional(),
});
export const CreateTemplateBody = z
  .strictObject({
    number_id: Uuid,
    name: z.string().regex(NAME, 'lowercase letters, digits and underscores only'),
    language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a language code such as en or en_US'),
    category: TemplateCategory,
    parameter_format: z.enum(['POSITIONAL', 'NAMED']).default('POSITIONAL'),
    header: z
      .union([
        z.strictObject({
          format: z.literal('TEXT'),
          text: z.string().min(1).max(60),
          example: z.string().optional(),
        }),
        z.strictObject({ format: z.enum(['IMAGE', 'VIDEO', 'DOCUMENT']), example_handle: z.string().min(1) }),
      ])
      .optional(),
    body: z.strictObject({
      text: z.string().min(1).max(1024),
      /** One example per variable, in order (positional) or by name (named). */
      examples: z.union([z.array(z.string().min(1)), z.record(z.string(), z.string().min(1))]).optional(),
    }),
    footer: z.string().min(1).max(60).optional(),
    buttons: z.array(Btn).max(10).optional(),
  })
  .superRefine((t, ctx) => {
    const vars = textVariables(t.body.text);
    if (t.parameter_format === 'POSITIONAL') {
      const expected = vars.map((_, i) => String(i + 1));
      if (
        vars.some((v) => !/^\d+$/.test(v)) ||
        [...vars].sort((a, b) => +a - +b).join() !== expected.join()
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['body', 'text'],
          message: 'variables must be {{1}}, {{2}}, … in sequence',
        });
      }
    } else if (vars.some((v) => !/^[a-z_][a-z0-9_]*$/.test(v))) {
      ctx.addIssue({
        code: 'custom',
        path: ['body', 'text'],
        message: 'named variables use lowercase letters, digits and _',
      });
    }
    const trimmed = t.body.text.trim();
    // Meta treats a variable followed only by closing punctuation ("… at {{2}}.") as trailing too.
    if (/^\{\{[^}]+\}\}/.test(trimmed) || /\{\{[^}]+\}\}\s*[.!?]?$/.test(trimmed)) {
      ctx.addIssue({
        code: 'custom',
        path: ['body', 'text'],
        message: 'the body cannot start or end with a variable',
      });
    }
    if (/\{\{[^}]+\}\}\s*\{\{[^}]+\}\}/.test(t.body.text)) {
      ctx.addIssue({ code: 'custom', path: ['body', 'text'], message: 'put words between variables' });
    }
    const given = t.body.examples
      ? Array.isArray(t.body.examples)
        ? t.body.examples.length
        : Object.keys(t.body.examples).length
      : 0;
    if (vars.length && given !== vars.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['body', 'examples'],
        message: `Meta needs an example for each of the ${vars.length} variables`,
      });
    }
    const buttons = t.buttons ?? [];
    if (buttons.filter((b) => b.type === 'URL').length > 2) {
      ctx.addIssue({ code: 'custom', path: ['buttons'], message: 'at most 2 URL buttons' });
    }
    if (buttons.filter((b) => b.type === 'PHONE_NUMBER').length > 1) {
      ctx.addIssue({ code: 'custom', path: ['buttons'], message: 'at most 1 phone number button' });
    }
    buttons.forEach((b, i) => {
      if (b.type === 'URL' && !b.url)
        ctx.addIssue({ code: 'custom', path: ['buttons', i, 'url'], message: 'required' });
      if (b.type === 'PHONE_NUMBER' && !b.phone_number) {
        ctx.addIssue({ code: 'custom', path: ['buttons', i, 'phone_number'], message: 'required' });
      }
      if (b.type === 'URL' && b.url && textVariables(b.url).length && !b.example?.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['buttons', i, 'example'],
          message: 'a URL with a variable needs an example',
        });
      }
    });
    if (t.category === 'AUTHENTICATION') {
      ctx.addIssue({
        code: 'custom',
        path: ['category'],
        message: 'authentication templates use Meta’s fixed OTP format; create them in WhatsApp Manager',
      });
    }
  });
export type CreateTemplateBody = z.infer<typeof CreateTemplateBody>;

/** The Graph `message_templates` body for an authored template. */
export function toMetaTemplate(t: CreateTemplateBody) {
  const components: Record<string, unknown>[] = [];
  if (t.header?.format === 'TEXT') {
    components.push({
      type: 'HEADER',
      format: 'TEXT',
      text: t.header.text,
      ...(t.header.example ? { example: { header_text: [t.header.example] } } : {}),
    });
  } else if (t.header) {
    components.push({
      type: 'HEADER',
      format: t.header.format,
      example: { header_handle: [t.header.example_handle] },
    });
  }
  const ex = t.body.examples;
  components.push({
    type: 'BODY',
    text: t.body.text,
    ...(ex === undefined
      ? {}
      : Array.isArray(ex)
        ? { example: { body_text: [ex] } }
        : {
            example: {
              body_text_named_params: Object.entries(ex).map(([param_name, example]) => ({
                param_name,
                example,
              })),
            },
          }),
  });
  if (t.footer) components.push({ type: 'FOOTER', text: t.footer });
  if (t.buttons?.length) components.push({ type: 'BUTTONS', buttons: t.buttons });
  return {
    name: t.name,
    language: t.language,
    category: t.category,
    parameter_format: t.parameter_format,
    components,
  };
}
