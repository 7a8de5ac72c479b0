import { z } from 'zod';

export interface SimTemplate {
  id: string;
  waba_id: string;
  name: string;
  language: string;
  category: 'AUTHENTICATION' | 'MARKETING' | 'UTILITY';
  status: string;
  parameter_format: 'POSITIONAL' | 'NAMED';
  components: Record<string, unknown>[];
  quality_score: { score: string; date: number };
  rejected_reason?: string;
  previous_category?: string;
  sub_category?: string;
  created_at: number;
}

const Component = z
  .object({
    type: z.enum(['HEADER', 'BODY', 'FOOTER', 'BUTTONS', 'CAROUSEL', 'LIMITED_TIME_OFFER']),
    format: z.enum(['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION', 'PRODUCT']).optional(),
    text: z.string().optional(),
    buttons: z
      .array(z.object({ type: z.string(), text: z.string().optional() }).loose())
      .max(10)
      .optional(),
  })
  .loose();

export const CreateTemplateBody = z
  .object({
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'lowercase letters, digits and underscores only'),
    language: z.string().min(2).max(15),
    category: z.enum(['AUTHENTICATION', 'MARKETING', 'UTILITY']),
    parameter_format: z.enum(['POSITIONAL', 'NAMED']).optional(),
    allow_category_change: z.boolean().optional(),
    message_send_ttl_seconds: z.number().int().optional(),
    components: z.array(Component).min(1),
  })
  .loose()
  .refine(
    (t) =>
      t.components.some((c) => c.type === 'BODY' || c.type === 'CAROUSEL') || t.category === 'AUTHENTICATION',
    {
      message: 'a BODY component is required',
      path: ['components'],
    },
  );
export type CreateTemplateBody = z.infer<typeof CreateTemplateBody>;

/** The variables `{{1}}` / `{{name}}` in a text, in order of first appearance. */
export function variablesOf(text: string | undefined): string[] {
  if (!text) return [];
  const seen: string[] = [];
  for (const m of text.matchAll(/\{\{\s*([a-z0-9_]+)\s*\}\}/gi)) if (!seen.includes(m[1]!)) seen.push(m[1]!);
  return seen;
}

export interface Expectation {
  header: { format?: string; variables: string[] } | undefined;
  body: string[];
  /** Button index → number of URL variables. */
  urlButtons: Map<number, number>;
  quickReplies: string[];
}

export function expectationOf(t: SimTemplate): Expectation {
  const header = t.components.find((c) => c.type === 'HEADER');
  const body = t.components.find((c) => c.type === 'BODY');
  const buttons = (t.components.find((c) => c.type === 'BUTTONS')?.buttons ?? []) as Record<
    string,
    unknown
  >[];
  const urlButtons = new Map<number, number>();
  const quickReplies: string[] = [];
  buttons.forEach((b, i) => {
    if (b.type === 'URL' && typeof b.url === 'string') {
      const n = variablesOf(b.url).length;
      if (n) urlButtons.set(i, n);
    }
    if (b.type === 'QUICK_REPLY' && typeof b.text === 'string') quickReplies.push(b.text);
  });
  return {
    header: header
      ? {
          format: header.format as string | undefined,
          variables: variablesOf(header.text as string | undefined),
        }
      : undefined,
    body: variablesOf(body?.text as string | undefined),
    urlButtons,
    quickReplies,
  };
}

type SendComponent = {
  type: string;
  sub_type?: string;
  index?: string | number;
  parameters?: { type: string; parameter_name?: string }[];
};

/** Checks a template send against the stored template: 132000 on a count mismatch, 132012 on a format mismatch. */
export function checkTemplateParams(
  t: SimTemplate,
  components: SendComponent[] | undefined,
): { code: number; details: string } | undefined {
  const exp = expectationOf(t);
  const comps = components ?? [];
  const body = comps.find((c) => c.type === 'body')?.parameters ?? [];
  if (body.length !== exp.body.length) {
    return {
      code: 132000,
      details: `body: number of localizable_params (${body.length}) does not match the expected number of params (${exp.body.length})`,
    };
  }
  if (t.parameter_format === 'NAMED') {
    const names = body.map((p) => p.parameter_name);
    if (names.some((n) => !n || !exp.body.includes(n))) {
      return { code: 132012, details: `body: parameter names must be ${exp.body.join(', ')}` };
    }
  }
  const header = comps.find((c) => c.type === 'header')?.parameters ?? [];
  const format = exp.header?.format;
  if (format === 'PRODUCT') {
    // The product comes from the button's action parameters.
  } else if (format && format !== 'TEXT') {
    if (header.length !== 1)
      return { code: 132000, details: `header: a ${format.toLowerCase()} parameter is required` };
    if (header[0]!.type !== format.toLowerCase()) {
      return {
        code: 132012,
        details: `header: expected a ${format.toLowerCase()} parameter, got ${header[0]!.type}`,
      };
    }
  } else if (header.length !== (exp.header?.variables.length ?? 0)) {
    return {
      code: 132000,
      details: `header: number of params (${header.length}) does not match the expected number (${exp.header?.variables.length ?? 0})`,
    };
  }
  for (const [index, n] of exp.urlButtons) {
    const b = comps.find((c) => c.type === 'button' && Number(c.index) === index);
    if ((b?.parameters?.length ?? 0) !== n) {
      return { code: 132000, details: `button ${index}: expected ${n} url parameter(s)` };
    }
  }
  return undefined;
}

const PROMOTIONAL = /\b(sale|discount|offer|promo|deal|% ?off|buy now|limited time)\b/i;

/**
 * Meta's review, simplified and deterministic: formatting mistakes are rejected, promotional wording in
 * a UTILITY template is recategorised to MARKETING, everything else is approved.
 */
export function reviewTemplate(t: SimTemplate): {
  status: 'APPROVED' | 'REJECTED';
  reason?: string;
  newCategory?: 'MARKETING';
} {
  const body = String(t.components.find((c) => c.type === 'BODY')?.text ?? '');
  if (t.name.startsWith('reject')) return { status: 'REJECTED', reason: 'INVALID_FORMAT' };
  if (/\}\}\s*\{\{/.test(body)) return { status: 'REJECTED', reason: 'INVALID_FORMAT' };
  if (/^\s*\{\{/.test(body) || /\{\{[^}]+\}\}\s*[.!?]?\s*$/.test(body))
    return { status: 'REJECTED', reason: 'INVALID_FORMAT' };
  if (t.category === 'UTILITY' && PROMOTIONAL.test(body))
    return { status: 'APPROVED', newCategory: 'MARKETING' };
  return { status: 'APPROVED' };
}
