import { z } from 'zod';
import { IsoDate, Text, Uuid } from './common.ts';

// ---- consent ------------------------------------------------------------------------------------

/** Derived from the opt-in ledger: the latest event wins; no event is `unknown` (not opted in). */
export const CONSENT_STATES = ['opted_in', 'opted_out', 'unknown'] as const;
export const ConsentState = z.enum(CONSENT_STATES);
export type ConsentState = z.infer<typeof ConsentState>;
export const CONSENT_SOURCES = ['import', 'api', 'web_form', 'keyword', 'manual'] as const;
export const ConsentSource = z.enum(CONSENT_SOURCES);
export type ConsentSource = z.infer<typeof ConsentSource>;
export const ConsentKind = z.enum(['opt_in', 'opt_out']);
export type ConsentKind = z.infer<typeof ConsentKind>;

/** A contact's consent now: the state and the event it comes from. */
export const ConsentSummary = z.object({
  state: ConsentState,
  source: ConsentSource.nullable(),
  at: IsoDate.nullable(),
});
export type ConsentSummary = z.infer<typeof ConsentSummary>;

/** One entry of the opt-in ledger. */
export const ConsentEvent = z.object({
  id: z.string(),
  contact_id: Uuid.nullable(),
  wa_id: z.string(),
  kind: ConsentKind,
  source: ConsentSource,
  /** What shows the consent: a form URL, the keyword message, a note. */
  proof: z.string().nullable(),
  /** The person who recorded it; null for the system (keywords) and imports run by a job. */
  actor_user_id: Uuid.nullable(),
  actor_email: z.string().nullable(),
  /** The inbound message that carried a keyword. */
  message_id: Uuid.nullable(),
  created_at: IsoDate,
});
export type ConsentEvent = z.infer<typeof ConsentEvent>;
/** A customer's stop or resume of marketing messages from one number (Meta's `user_preferences` webhook). */
export const MarketingPreferenceEvent = z.object({
  id: z.string(),
  number_id: Uuid,
  number_name: z.string(),
  value: z.enum(['stop', 'resume']),
  detail: z.string().nullable(),
  occurred_at: IsoDate,
});
export type MarketingPreferenceEvent = z.infer<typeof MarketingPreferenceEvent>;

export const ConsentLedger = z.object({
  state: ConsentState,
  data: z.array(ConsentEvent),
  /**
   * Marketing preferences per number, newest first: after a `stop` (until a `resume`) MARKETING
   * templates from that number are refused; utility, authentication and service messages still go.
   */
  marketing: z
    .object({
      stopped_number_ids: z.array(Uuid),
      events: z.array(MarketingPreferenceEvent),
    })
    .optional(),
});
export type ConsentLedger = z.infer<typeof ConsentLedger>;

/**
 * A consent change entered by a person or a client system. Keyword and import events are recorded
 * by the server itself. Proof is required to opt someone in; an opt-out is never held up.
 */
export const RecordConsentBody = z
  .strictObject({
    kind: ConsentKind,
    source: z.enum(['manual', 'api', 'web_form']).default('manual'),
    proof: Text(2000).optional(),
  })
  .refine((b) => b.kind === 'opt_out' || (b.proof !== undefined && b.proof.length > 0), {
    message: 'is required to record an opt-in',
    path: ['proof'],
  });
export type RecordConsentBody = z.infer<typeof RecordConsentBody>;

const Keyword = Text(40).pipe(z.string().min(1, 'must not be empty'));
/** Consent settings of the organisation: the keywords read in inbound messages, and the reply to a STOP. */
export const ContactSettings = z.object({
  opt_out_keywords: z.array(z.string()),
  opt_in_keywords: z.array(z.string()),
  /** Sent back after an opt-out keyword once the send path exists; null: no reply. */
  stop_confirmation_text: z.string().nullable(),
});
export type ContactSettings = z.infer<typeof ContactSettings>;
export const ContactSettingsPatch = z
  .strictObject({
    /** null restores the built-in list. */
    opt_out_keywords: z.array(Keyword).min(1).max(50).nullable(),
    opt_in_keywords: z.array(Keyword).min(1).max(50).nullable(),
    stop_confirmation_text: Text(1024).nullable(),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type ContactSettingsPatch = z.infer<typeof ContactSettingsPatch>;

// ---- tags and custom fields ---------------------------------------------------------------------

const Color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a hex colour such as #25d366');

export const Tag = z.object({
  id: Uuid,
  name: z.string(),
  color: z.string().nullable(),
  /** How many contacts carry it. */
  contact_count: z.number().int(),
  created_at: IsoDate,
});
export type Tag = z.infer<typeof Tag>;
export const TagList = z.object({ data: z.array(Tag) });
const TagName = Text(50).pipe(z.string().min(1, 'is required'));
export const CreateTagBody = z.strictObject({ name: TagName, color: Color.nullable().optional() });
export type CreateTagBody = z.infer<typeof CreateTagBody>;
export const UpdateTagBody = z
  .strictObject({ name: TagName.optional(), color: Color.nullable().optional() })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type UpdateTagBody = z.infer<typeof UpdateTagBody>;
/** A tag as shown on a contact. */
export const TagRef = z.object({ id: Uuid, name: z.string(), color: z.string().nullable() });

export const FIELD_TYPES = ['text', 'number', 'date', 'boolean', 'enum'] as const;
export const FieldType = z.enum(FIELD_TYPES);
export type FieldType = z.infer<typeof FieldType>;
/** Built-in contact properties that filters understand; custom fields cannot take these keys. */
export const BUILT_IN_KEYS = [
  'id',
  'phone',
  'wa_id',
  'name',
  'country',
  'tags',
  'consent',
  'created_at',
  'updated_at',
  'last_inbound_at',
  'last_outbound_at',
] as const;
export const FieldKey = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must start with a-z and use only a-z, 0-9 and _ (at most 40)');
/**
 * A custom field value as sent: the server checks it against the field's type (number, ISO date
 * `YYYY-MM-DD`, boolean, one of the enum's options) and stores it typed. Strings are read
 * leniently ("42", "yes") so that imported cells work too; an empty string or null clears it.
 */
export const FieldValue = z.union([z.string().max(1000), z.number(), z.boolean()]);
export type FieldValue = z.infer<typeof FieldValue>;

export const CustomField = z.object({
  id: Uuid,
  key: z.string(),
  label: z.string(),
  type: FieldType,
  /** The allowed values of an enum field. */
  options: z.array(z.string()).nullable(),
  created_at: IsoDate,
  updated_at: IsoDate,
});
export type CustomField = z.infer<typeof CustomField>;
export const CustomFieldList = z.object({ data: z.array(CustomField) });
const Label = Text(100).pipe(z.string().min(1, 'is required'));
const Options = z
  .array(Text(100).pipe(z.string().min(1, 'must not be empty')))
  .min(1)
  .max(200)
  .refine((o) => new Set(o.map((x) => x.toLowerCase())).size === o.length, 'must not repeat an option');
export const CreateFieldBody = z
  .strictObject({
    key: FieldKey.refine(
      (k) => !(BUILT_IN_KEYS as readonly string[]).includes(k),
      'is a built-in contact property',
    ),
    label: Label,
    type: FieldType,
    options: Options.optional(),
  })
  .refine((b) => (b.type === 'enum') === (b.options !== undefined), {
    message: 'enum fields need options; other types take none',
    path: ['options'],
  });
export type CreateFieldBody = z.infer<typeof CreateFieldBody>;
/** The key and type are fixed once created: stored values keep their meaning. */
export const UpdateFieldBody = z
  .strictObject({ label: Label.optional(), options: Options.optional() })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type UpdateFieldBody = z.infer<typeof UpdateFieldBody>;

// ---- filters and segments -----------------------------------------------------------------------

export const FIELD_OPS = ['eq', 'neq', 'contains', 'gt', 'gte', 'lt', 'lte', 'is_set', 'not_set'] as const;
/**
 * One condition on a custom field or a built-in property (`name`, `created_at`, `last_inbound_at`,
 * `last_outbound_at`). `contains` is for text; `gt`/`gte`/`lt`/`lte` for numbers
 * and dates; `neq` also matches contacts without a value.
 */
export const FieldCondition = z.strictObject({
  key: FieldKey,
  op: z.enum(FIELD_OPS),
  value: FieldValue.optional(),
});
export type FieldCondition = z.infer<typeof FieldCondition>;

/** Which contacts: the one filter the list, bulk actions, segments and (later) campaigns share. */
export const ContactFilter = z.strictObject({
  /** Name, phone digits, or any custom field value. */
  q: z.string().trim().max(100).optional(),
  tag_ids: z.array(Uuid).max(50).optional(),
  /** any (default): at least one of the tags; all: every one; none: none of them. */
  tag_match: z.enum(['any', 'all', 'none']).optional(),
  fields: z.array(FieldCondition).max(20).optional(),
  consent: ConsentState.optional(),
});
export type ContactFilter = z.infer<typeof ContactFilter>;

const commaList = (v: unknown) => (typeof v === 'string' ? v.split(',').filter(Boolean) : v);
const jsonParam = (v: unknown) => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};
/** The list's query string: the filter flattened (`tag_ids` comma-separated, `fields` as JSON). */
export const ContactQuery = z.strictObject({
  q: z.string().trim().max(100).optional(),
  tag_ids: z.preprocess(commaList, z.array(Uuid).max(50)).optional(),
  tag_match: z.enum(['any', 'all', 'none']).optional(),
  fields: z.preprocess(jsonParam, z.array(FieldCondition).max(20)).optional(),
  consent: ConsentState.optional(),
  /** A saved segment's filter, combined with the other parameters. */
  segment_id: Uuid.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Also count every match (costs one more query). */
  with_total: z.enum(['true', 'false']).optional(),
});
export type ContactQuery = z.infer<typeof ContactQuery>;

export const Segment = z.object({
  id: Uuid,
  name: z.string(),
  filter: ContactFilter,
  created_at: IsoDate,
  updated_at: IsoDate,
});
export type Segment = z.infer<typeof Segment>;
export const SegmentList = z.object({ data: z.array(Segment) });
const SegmentName = Text(100).pipe(z.string().min(1, 'is required'));
export const CreateSegmentBody = z.strictObject({ name: SegmentName, filter: ContactFilter });
export type CreateSegmentBody = z.infer<typeof CreateSegmentBody>;
export const UpdateSegmentBody = z
  .strictObject({ name: SegmentName.optional(), filter: ContactFilter.optional() })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type UpdateSegmentBody = z.infer<typeof UpdateSegmentBody>;

// ---- contacts -----------------------------------------------------------------------------------

export const Contact = z.object({
  id: Uuid,
  /** E.164; null for a customer known only by their business-scoped user id (a username customer). */
  phone: z.string().nullable(),
  /**
   * The customer's WhatsApp address: the phone as E.164 digits without `+`, or the BSUID when no
   * phone is known (what sends go to: `to` for a phone, `recipient` for a BSUID).
   */
  wa_id: z.string(),
  country: z.string().nullable(),
  name: z.string().nullable(),
  /** Meta's business-scoped user id (BSUID), when Meta sent one. */
  user_id: z.string().nullable(),
  /** The customer's WhatsApp username (shown where the phone would be when there is none). */
  username: z.string().nullable(),
  /** The parent BSUID (`CC.ENT.…`) of managed portfolios, when Meta sent one. */
  parent_user_id: z.string().nullable(),
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  tags: z.array(TagRef),
  consent: ConsentSummary,
  last_inbound_at: IsoDate.nullable(),
  last_outbound_at: IsoDate.nullable(),
  /**
   * The latest message either way (a customer's, an agent's reply or a campaign's) on any of the
   * organisation's numbers: the newest activity of the contact's conversations.
   */
  last_message_at: IsoDate.nullable(),
  created_at: IsoDate,
  updated_at: IsoDate,
});
export type Contact = z.infer<typeof Contact>;
export const ContactPage = z.object({
  data: z.array(Contact),
  next_cursor: z.string().nullable(),
  /** Every match, when `with_total=true` was asked. */
  total: z.number().int().nullable(),
});
export type ContactPage = z.infer<typeof ContactPage>;

/** A phone in any common format; on creation, also a business-scoped user id (`CC.…`). */
const Phone = z.string().trim().min(1, 'is required').max(140);
const Name = Text(200);
const FieldValues = z.record(FieldKey, FieldValue.nullable());

export const CreateContactBody = z.strictObject({
  /** Any common format; read in the organisation's default region and checked against its allowed countries. */
  phone: Phone,
  name: Name.optional(),
  fields: FieldValues.optional(),
  tag_ids: z.array(Uuid).max(50).optional(),
  /** Record the contact's opt-in in the same step. */
  opt_in: z
    .strictObject({
      source: z.enum(['api', 'web_form', 'manual']).default('api'),
      proof: Text(2000).pipe(z.string().min(1, 'is required')),
    })
    .optional(),
});
export type CreateContactBody = z.infer<typeof CreateContactBody>;

export const UpdateContactBody = z
  .strictObject({
    phone: Phone.optional(),
    name: Name.nullable().optional(),
    /** Merged into the stored values; null removes one. */
    fields: FieldValues.optional(),
    /** Replaces the contact's tags. */
    tag_ids: z.array(Uuid).max(50).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type UpdateContactBody = z.infer<typeof UpdateContactBody>;

/** One action over many contacts, all or nothing: by ids, by a filter, or by a saved segment. */
export const BulkContactsBody = z
  .strictObject({
    action: z.enum(['tag', 'untag', 'delete']),
    tag_ids: z.array(Uuid).min(1).max(50).optional(),
    ids: z.array(Uuid).min(1).max(10_000).optional(),
    filter: ContactFilter.optional(),
    segment_id: Uuid.optional(),
    /**
     * Deleting by a filter or a segment (which can match every contact) needs the number of contacts
     * the person was shown: a different count now is a 409 whose `details.count` is the current one.
     */
    confirm_count: z.number().int().min(0).optional(),
  })
  .refine((b) => [b.ids, b.filter, b.segment_id].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of ids, filter or segment_id',
  })
  .refine((b) => b.action === 'delete' || b.tag_ids !== undefined, {
    message: 'is required to tag or untag',
    path: ['tag_ids'],
  });
export type BulkContactsBody = z.infer<typeof BulkContactsBody>;
export const BulkContactsResult = z.object({
  /** Contacts selected by the ids, filter or segment. */
  matched: z.number().int(),
  /** Rows changed: tags added or removed, or contacts deleted. */
  affected: z.number().int(),
});
export type BulkContactsResult = z.infer<typeof BulkContactsResult>;

// ---- timeline -----------------------------------------------------------------------------------

/** The contact page's activity, newest first: messages, consent changes and edits (campaigns later). */
export const TimelineItem = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('message'),
    id: z.string(),
    at: IsoDate,
    message: z.object({
      id: Uuid,
      conversation_id: Uuid,
      number_id: Uuid,
      direction: z.enum(['in', 'out']),
      type: z.string(),
      preview: z.string(),
      status: z.string().nullable(),
    }),
  }),
  z.object({ kind: z.literal('consent'), id: z.string(), at: IsoDate, consent: ConsentEvent }),
  z.object({
    kind: z.literal('change'),
    id: z.string(),
    at: IsoDate,
    change: z.object({
      action: z.string(),
      actor_type: z.string(),
      actor_id: z.string().nullable(),
      actor_label: z.string().nullable(),
      before: z.unknown().nullable(),
      after: z.unknown().nullable(),
    }),
  }),
]);
export type TimelineItem = z.infer<typeof TimelineItem>;
export const TimelineQuery = z.object({
  cursor: z.string().max(300).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const TimelinePage = z.object({ data: z.array(TimelineItem), next_cursor: z.string().nullable() });
export type TimelinePage = z.infer<typeof TimelinePage>;
