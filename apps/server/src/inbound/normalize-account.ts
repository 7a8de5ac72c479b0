import { z } from 'zod';
import { epochMsOf, type Json } from './body.ts';
import { type ChangeBase, digits, opt, profileNames, Text } from './shapes.ts';

/**
 * Account-level notices (templates, quality, limits, marketing preferences), read for `normalize.ts`.
 * Pure.
 */

/** Account-level webhook fields that are recorded and published (others are stored raw and skipped). */
export const ACCOUNT_FIELDS = new Set([
  'message_template_status_update',
  'template_category_update',
  'message_template_quality_update',
  'message_template_components_update',
  'phone_number_quality_update',
  'phone_number_name_update',
  'account_update',
  'business_capability_update',
  'user_preferences',
] as const);
export type AccountField = typeof ACCOUNT_FIELDS extends Set<infer F> ? F : never;
export const isAccountField = (f: string): f is AccountField => ACCOUNT_FIELDS.has(f as AccountField);

/** The fields of a template notice the product reads (Meta may send ids as numbers: read as text). */
export interface TemplateRef {
  id: string | null;
  name: string | null;
  language: string | null;
}

/** An account-level notice, typed by its field; `value` is kept whole (recorded, and the templates domain reads it). */
export type AccountUpdate =
  | {
      field: 'phone_number_quality_update';
      displayPhone: string;
      event: string | null;
      currentLimit: string | null;
      /** The business portfolio's limit (`max_daily_conversations_per_business`), as Meta sent it. */
      businessLimit: string | number | null;
    }
  | { field: 'business_capability_update'; businessLimit: string | number | null }
  | {
      field: 'user_preferences';
      /** `metadata.phone_number_id`: the number the customer stopped or resumed. */
      phoneNumberId: string;
      preferences: MarketingPreference[];
    }
  | { field: 'account_update'; event: string | null; currentLimit: string | null }
  | {
      field: 'message_template_status_update';
      template: TemplateRef;
      event: string | null;
      reason: string | null;
    }
  | {
      field: 'template_category_update';
      template: TemplateRef;
      previousCategory: string | null;
      newCategory: string | null;
      correctCategory: string | null;
    }
  | {
      field: 'message_template_quality_update';
      template: TemplateRef;
      previousQuality: string | null;
      newQuality: string | null;
    }
  | {
      field: 'message_template_components_update' | 'phone_number_name_update';
    };

/** A customer's stop or resume of marketing messages (`user_preferences`, category `marketing_messages`). */
export interface MarketingPreference {
  waId: string;
  value: 'stop' | 'resume';
  detail: string | null;
  occurredAtMs: number;
  name: string | null;
}

export interface AccountChange extends ChangeBase {
  kind: 'account';
  update: AccountUpdate;
  value: Json;
}

/** Text fields of notices: a string (empty reads as absent) or a number. */
const Str = opt(Text).transform((v) => v || null);

const TemplateFields = {
  message_template_id: Str,
  message_template_name: Str,
  message_template_language: Str,
};

const Limit = opt(z.union([z.string(), z.number()]));

const NOTICES = {
  phone_number_quality_update: z.looseObject({
    display_phone_number: Str,
    event: Str,
    current_limit: Str,
    max_daily_conversations_per_business: Limit,
  }),
  business_capability_update: z.looseObject({ max_daily_conversations_per_business: Limit }),
  user_preferences: z.looseObject({
    metadata: opt(z.looseObject({ phone_number_id: opt(Text) })),
    contacts: opt(z.array(z.unknown())),
    user_preferences: opt(z.array(z.unknown())),
  }),
  account_update: z.looseObject({ event: Str, current_limit: Str }),
  message_template_status_update: z.looseObject({ ...TemplateFields, event: Str, reason: Str }),
  template_category_update: z.looseObject({
    ...TemplateFields,
    previous_category: Str,
    new_category: Str,
    correct_category: Str,
  }),
  message_template_quality_update: z.looseObject({
    ...TemplateFields,
    previous_quality_score: Str,
    new_quality_score: Str,
  }),
};

export const Preference = z.looseObject({
  wa_id: Text,
  category: opt(Text),
  value: opt(Text),
  detail: opt(Text),
  timestamp: z.unknown().optional(),
});

/** The marketing stops and resumes of a `user_preferences` change (other categories are left out). */
export function preferencesOf(v: z.infer<(typeof NOTICES)['user_preferences']>): AccountUpdate {
  const names = profileNames(v.contacts);
  const preferences: MarketingPreference[] = [];
  for (const raw of v.user_preferences ?? []) {
    const p = Preference.safeParse(raw);
    if (!p.success || p.data.category !== 'marketing_messages') continue;
    if (p.data.value !== 'stop' && p.data.value !== 'resume') continue;
    preferences.push({
      waId: p.data.wa_id,
      value: p.data.value,
      detail: p.data.detail ?? null,
      occurredAtMs: epochMsOf(p.data.timestamp, Date.now()),
      name: names.get(p.data.wa_id) ?? null,
    });
  }
  return { field: 'user_preferences', phoneNumberId: v.metadata?.phone_number_id ?? '', preferences };
}

export function noticeOf(field: AccountField, value: Json): AccountUpdate {
  const templateOf = (v: {
    message_template_id: string | null;
    message_template_name: string | null;
    message_template_language: string | null;
  }): TemplateRef => ({
    id: v.message_template_id,
    name: v.message_template_name,
    language: v.message_template_language,
  });
  switch (field) {
    case 'phone_number_quality_update': {
      const v = NOTICES[field].parse(value);
      return {
        field,
        displayPhone: digits(v.display_phone_number),
        event: v.event,
        currentLimit: v.current_limit,
        businessLimit: v.max_daily_conversations_per_business ?? null,
      };
    }
    case 'business_capability_update': {
      const v = NOTICES[field].parse(value);
      return { field, businessLimit: v.max_daily_conversations_per_business ?? null };
    }
    case 'user_preferences':
      return preferencesOf(NOTICES[field].parse(value));
    case 'account_update': {
      const v = NOTICES[field].parse(value);
      return { field, event: v.event, currentLimit: v.current_limit };
    }
    case 'message_template_status_update': {
      const v = NOTICES[field].parse(value);
      return { field, template: templateOf(v), event: v.event, reason: v.reason };
    }
    case 'template_category_update': {
      const v = NOTICES[field].parse(value);
      return {
        field,
        template: templateOf(v),
        previousCategory: v.previous_category,
        newCategory: v.new_category,
        correctCategory: v.correct_category,
      };
    }
    case 'message_template_quality_update': {
      const v = NOTICES[field].parse(value);
      return {
        field,
        template: templateOf(v),
        previousQuality: v.previous_quality_score,
        newQuality: v.new_quality_score,
      };
    }
    default:
      return { field };
  }
}
