import { z } from 'zod';
import { IsoDate, Text, Uuid } from './common.ts';
import { ContactFilter } from './contacts.ts';
import { VariableMapping } from './templates.ts';

// Campaigns (SPEC F6). Lifecycle: draft → scheduled → running ⇄ paused → completed | stopped | failed.
// The audience is fixed when the campaign is created: every recipient is stored with its validation
// result and rendered template parameters.

export const CAMPAIGN_STATES = [
  'draft',
  'scheduled',
  'running',
  'paused',
  'completed',
  'stopped',
  'failed',
] as const;
export const CampaignState = z.enum(CAMPAIGN_STATES);
export type CampaignState = z.infer<typeof CampaignState>;

export const RECIPIENT_STATES = ['pending', 'queued', 'sent', 'failed', 'skipped', 'invalid'] as const;

/** One template of the campaign and where each of its variables comes from. */
export const CampaignTemplateInput = z.strictObject({
  template_id: Uuid,
  /** `body.1` → `{ contact: 'name' }`, `{ fixed: '…' }` or `{ column: 'Code' }` (a recipient variable). */
  mapping: VariableMapping.default({}),
  /** A/B split: this template's share of the recipients, in percent (the shares add up to 100). */
  share: z.number().int().min(1).max(99).optional(),
});

const RecipientInput = z.strictObject({
  /** A phone, or the business-scoped user id (`CC.…`) of a customer known by their username. */
  phone: z.string().trim().min(1, 'is required').max(140),
  /** Values for `{ column: … }` mappings, by name. */
  variables: z.record(z.string().max(100), z.string().max(1000)).optional(),
});

export const CampaignAudience = z.discriminatedUnion('kind', [
  /** Contacts of the organisation matching a filter and/or a saved segment. */
  z.strictObject({
    kind: z.literal('contacts'),
    filter: ContactFilter.default({}),
    segment_id: Uuid.optional(),
  }),
  /**
   * A CSV/XLSX file uploaded to `POST /api/v1/campaigns/audience-files`: one recipient per row, the
   * phone in `phone_column`, every column a recipient variable by its name (map `{ column: '{{1}}' }`,
   * a media header from `{ column: '{{Media}}' }`). The file is read once and deleted.
   */
  z.strictObject({
    kind: z.literal('file'),
    file_id: Uuid,
    phone_column: z.string().trim().min(1, 'is required').max(200),
  }),
  /** Phones given with the request (API), each with its own variables. */
  z.strictObject({
    kind: z.literal('recipients'),
    recipients: z.array(RecipientInput).min(1).max(100_000),
  }),
]);
export type CampaignAudience = z.infer<typeof CampaignAudience>;

export const CreateCampaignBody = z
  .strictObject({
    name: Text(200).pipe(z.string().min(1, 'is required')),
    number_id: Uuid,
    audience: CampaignAudience,
    templates: z.array(CampaignTemplateInput).min(1).max(10),
    /** sequential: even chunks in order (remainder to the last); ab: at random, by `share`. */
    split: z.enum(['sequential', 'ab']).default('sequential'),
    /**
     * Time-to-live of MARKETING templates sent through the Marketing Messages API (seconds, 12 hours
     * to 30 days): Meta stops trying to deliver after it. Ignored for other sends.
     */
    marketing_ttl_seconds: z.number().int().min(43_200).max(2_592_000).optional(),
    /** Most this campaign may spend (rate-card currency): it refuses to start, or pauses, before crossing it. */
    spend_cap: z.number().min(0).max(100_000_000).nullable().optional(),
  })
  .refine(
    (b) =>
      b.split !== 'ab' ||
      (b.templates.length >= 2 &&
        b.templates.every((t) => t.share !== undefined) &&
        b.templates.reduce((s, t) => s + (t.share ?? 0), 0) === 100),
    { message: 'an A/B split needs two or more templates whose shares add up to 100', path: ['templates'] },
  );
export type CreateCampaignBody = z.infer<typeof CreateCampaignBody>;

export const ScheduleCampaignBody = z.strictObject({
  /** When to start; in the future. Shown in the organisation's timezone. */
  at: IsoDate,
});

export const CampaignCounts = z.object({
  total: z.number().int(),
  pending: z.number().int(),
  queued: z.number().int(),
  sent: z.number().int(),
  delivered: z.number().int(),
  read: z.number().int(),
  replied: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  invalid: z.number().int(),
});
export type CampaignCounts = z.infer<typeof CampaignCounts>;

export const CampaignPreflight = z.object({
  ok: z.boolean(),
  checked_at: IsoDate,
  problems: z.array(z.string()),
  /** Recipients left out, by reason (no opt-in, opted out, stopped marketing messages). */
  skipped: z.record(z.string(), z.number().int()),
  ready: z.number().int(),
  /**
   * Recipients the number may still send templates to today: Meta's tier limit less the unique
   * recipients it sent templates to in the last 24 hours. Null when the tier is unlimited or unknown
   * (`messaging_limit` tells which).
   */
  budget: z.number().int().nullable(),
  /**
   * Meta's messaging limit as the check saw it: the tier, the unique recipients per rolling 24 hours it
   * allows (null: unlimited) and those messaged in the last 24 hours. Null when Meta has not told the
   * tier; absent in pre-flights stored before it was recorded.
   */
  messaging_limit: z
    .object({
      tier: z.string(),
      limit: z.number().int().nullable(),
      used: z.number().int(),
      /** The business portfolio whose numbers share the limit (null: the number counts alone). */
      business_id: z.string().nullable().optional(),
      /** How many numbers share it. */
      numbers: z.number().int().optional(),
    })
    .nullable()
    .optional(),
  estimated_cost: z.object({
    currency: z.string(),
    total: z.number(),
    by_category: z.record(z.string(), z.number()),
  }),
});
export type CampaignPreflight = z.infer<typeof CampaignPreflight>;

export const Campaign = z.object({
  id: Uuid,
  name: z.string(),
  number_id: Uuid,
  state: CampaignState,
  audience: z.object({ kind: z.string() }).loose(),
  templates: z.array(
    z.object({
      template_id: Uuid,
      name: z.string(),
      language: z.string(),
      category: z.string(),
      share: z.number().int().nullable(),
    }),
  ),
  split: z.enum(['sequential', 'ab']),
  marketing_ttl_seconds: z.number().int().nullable(),
  /** Most the campaign may spend (rate-card currency); null: no cap. */
  spend_cap: z.number().nullable(),
  scheduled_at: IsoDate.nullable(),
  started_at: IsoDate.nullable(),
  finished_at: IsoDate.nullable(),
  paused_reason: z.string().nullable(),
  failure_reason: z.string().nullable(),
  preflight: CampaignPreflight.nullable(),
  counts: CampaignCounts,
  /** Messages per second the number sends at now (while running). */
  rate: z.number().nullable(),
  /** Seconds until every queued recipient is sent, at the current rate. */
  eta_seconds: z.number().nullable(),
  created_at: IsoDate,
});
export type Campaign = z.infer<typeof Campaign>;
export const CampaignList = z.object({ data: z.array(Campaign) });

/** The campaigns a contact was sent, newest first, with what became of their message. */
export const ContactCampaigns = z.object({
  data: z.array(
    z.object({
      campaign_id: Uuid,
      name: z.string(),
      campaign_state: z.string(),
      message_status: z.string().nullable(),
      sent_at: IsoDate.nullable(),
    }),
  ),
});
export type ContactCampaigns = z.infer<typeof ContactCampaigns>;

export const CampaignRecipient = z.object({
  id: z.number().int(),
  contact_id: Uuid.nullable(),
  /** The contact's name (shown to every role: only phones are masked when the organisation hides them). */
  name: z.string().nullable(),
  phone: z.string().nullable(),
  input: z.string(),
  /** Its place in the audience: the row in the uploaded file (as a spreadsheet shows it), else its position. */
  row_number: z.number().int(),
  template_index: z.number().int(),
  state: z.enum(RECIPIENT_STATES),
  /** The message's delivery status once sent: sent, delivered, read, failed. */
  status: z.string().nullable(),
  reason: z.string().nullable(),
  error: z.unknown().nullable(),
  sent_at: IsoDate.nullable(),
});
export const CampaignRecipientQuery = z.strictObject({
  state: z.enum(RECIPIENT_STATES).optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const CampaignRecipientPage = z.object({
  data: z.array(CampaignRecipient),
  next_cursor: z.number().int().nullable(),
});

export const CampaignReport = z.object({
  campaign: Campaign,
  funnel: CampaignCounts,
  rates: z.object({ delivered: z.number(), read: z.number(), replied: z.number(), failed: z.number() }),
  failures: z.array(z.object({ code: z.string(), title: z.string(), count: z.number().int() })),
  per_template: z.array(
    z.object({
      template_index: z.number().int(),
      name: z.string(),
      sent: z.number().int(),
      delivered: z.number().int(),
      read: z.number().int(),
      failed: z.number().int(),
    }),
  ),
  duration_seconds: z.number().nullable(),
  average_rate: z.number().nullable(),
  note: z.string(),
});
