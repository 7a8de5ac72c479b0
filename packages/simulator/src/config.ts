import { z } from 'zod';
import { Faults } from './faults.ts';

const rate = z.number().min(0).max(1);
const delay = (max: number) => z.number().int().min(0).max(max);

/** How simulated customers behave. Probabilities are per message; delays are milliseconds. */
export const CustomerBehaviour = z
  .object({
    deliver_rate: rate,
    read_rate: rate,
    reply_rate: rate,
    stop_rate: rate,
    media_reply_rate: rate,
    /** Share of numbers that are not on WhatsApp (their messages fail with 131026). */
    undeliverable_rate: rate,
    /**
     * Share of customers who use a WhatsApp username and hide their phone: their webhooks carry
     * their BSUID (`user_id`, `from_user_id`) and username, and no `wa_id`/`from` — until the
     * business messages their phone or they share it (Meta's contact book). Off by default, so that
     * recorded tests keep their customers (`PUT /_sim/customers` sets it; the sandbox's persona Kenji
     * Sato is a username customer).
     */
    username_rate: rate,
    sent_delay_ms: delay(600_000),
    delivered_delay_ms: delay(600_000),
    read_delay_ms: delay(3_600_000),
    reply_delay_ms: delay(3_600_000),
  })
  .partial()
  .strict();
export type CustomerBehaviour = Required<z.output<typeof CustomerBehaviour>>;

export const DEFAULT_BEHAVIOUR: CustomerBehaviour = {
  deliver_rate: 0.98,
  read_rate: 0.7,
  reply_rate: 0.15,
  stop_rate: 0.01,
  media_reply_rate: 0.05,
  undeliverable_rate: 0.01,
  username_rate: 0,
  sent_delay_ms: 150,
  delivered_delay_ms: 600,
  read_delay_ms: 4000,
  reply_delay_ms: 6000,
};

export const TIERS = ['TIER_50', 'TIER_250', 'TIER_2K', 'TIER_10K', 'TIER_100K', 'TIER_UNLIMITED'] as const;
export const TIER_LIMIT: Record<(typeof TIERS)[number], number> = {
  TIER_50: 50,
  TIER_250: 250,
  TIER_2K: 2000,
  TIER_10K: 10_000,
  TIER_100K: 100_000,
  TIER_UNLIMITED: Number.POSITIVE_INFINITY,
};

export const NumberInput = z
  .object({
    phone_number_id: z.string().regex(/^\d{5,20}$/, 'digits only'),
    waba_id: z.string().regex(/^\d{5,20}$/, 'digits only'),
    display_phone_number: z.string().min(5).max(30),
    verified_name: z.string().min(1).max(100).default('openwaba Sandbox'),
    access_token: z.string().min(8).max(512),
    token_status: z.enum(['valid', 'expired', 'revoked']).default('valid'),
    /**
     * Messages per second the number accepts (80 STANDARD, 1000 HIGH: Meta's most). Above 1000 is
     * "uncapped", for load tests that measure the sender rather than Meta's limit (reported as HIGH).
     */
    throughput_mps: z.number().int().min(1).max(1_000_000).default(80),
    quality_rating: z.enum(['GREEN', 'YELLOW', 'RED', 'UNKNOWN']).default('GREEN'),
    name_status: z
      .enum(['APPROVED', 'AVAILABLE_WITHOUT_REVIEW', 'DECLINED', 'PENDING_REVIEW', 'NONE'])
      .default('APPROVED'),
    messaging_limit_tier: z.enum(TIERS).default('TIER_UNLIMITED'),
    /**
     * The business portfolio owning the number's WABA (`owner_business_info.id`). Numbers of one
     * portfolio share its daily limit of business-initiated unique users; without it the WABA's own
     * (derived) portfolio.
     */
    business_id: z
      .string()
      .regex(/^\d{5,20}$/, 'digits only')
      .optional(),
    /** The WABA is onboarded to the Marketing Messages API (`/marketing_messages` accepts its sends). */
    marketing_messages_onboarded: z.boolean().default(false),
    account_mode: z.enum(['LIVE', 'SANDBOX']).default('SANDBOX'),
    /** A coexistence number (the WhatsApp Business app and the API on it): Graph's `is_on_biz_app`. */
    is_on_biz_app: z.boolean().default(false),
    webhook_url: z.url().optional(),
    app_secret: z.string().min(8).max(256).optional(),
    /** The Meta app the token belongs to (debug_token's app_id). Derived from app_secret when omitted. */
    app_id: z
      .string()
      .regex(/^\d{5,20}$/, 'digits only')
      .optional(),
    customers: CustomerBehaviour.optional(),
  })
  .strict();
export type NumberInput = z.input<typeof NumberInput>;

export const TemplateSeed = z
  .object({
    waba_id: z.string(),
    id: z.string().regex(/^\d+$/).optional(),
    name: z.string().regex(/^[a-z0-9_]{1,512}$/),
    language: z.string().min(2),
    category: z.enum(['AUTHENTICATION', 'MARKETING', 'UTILITY']),
    status: z.string().default('APPROVED'),
    parameter_format: z.enum(['POSITIONAL', 'NAMED']).default('POSITIONAL'),
    components: z.array(z.looseObject({ type: z.string() })).min(1),
  })
  .strict();

export const CustomerInput = z
  .object({
    name: z.string().min(1).max(100).optional(),
    undeliverable: z.boolean().optional(),
    opted_out_marketing: z.boolean().optional(),
    /** A WhatsApp username: the customer's webhooks then name them by BSUID and username, not phone; null removes it. */
    username: z
      .string()
      .regex(/^[a-z0-9._]{3,35}$/, 'lower-case letters, digits, dots and underscores (3-35)')
      .nullable()
      .optional(),
    /** Opens (or closes) the 24-hour customer service window with every number. */
    window: z.enum(['open', 'closed']).optional(),
  })
  .strict();

export const Seed = z
  .object({
    numbers: z.array(NumberInput).default([]),
    templates: z.array(TemplateSeed).default([]),
    customers: z.array(CustomerInput.extend({ wa_id: z.string().regex(/^\d{6,15}$/) })).default([]),
    faults: Faults.optional(),
  })
  .strict();
export type Seed = z.input<typeof Seed>;

/**
 * The cast: regular customers (personas/) who hold scripted conversations with one number. Delays are
 * milliseconds; the sandbox derives them from its pace setting.
 */
export const CastOptions = z
  .object({
    phone_number_id: z.string().regex(/^\d{5,20}$/, 'digits only'),
    /** How many of the personas take part. */
    personas: z.number().int().min(1).max(6).default(6),
    /** Conversations started at once. */
    opening: z.number().int().min(0).max(6).default(2),
    /** About how often a free persona starts a new conversation (±50 %); 0: only the opening ones. */
    conversation_every_ms: delay(86_400_000).default(180_000),
    /** How long a customer takes to answer the business, at least and at most. */
    reply_delay_ms: z.tuple([delay(3_600_000), delay(3_600_000)]).default([8000, 25_000]),
    /** A customer nobody answers writes once more after this long; 0: never. */
    nudge_after_ms: delay(86_400_000).default(900_000),
    /** Share of campaign (marketing template) messages a persona answers, and of those answers that are STOP. */
    campaign_reply_rate: rate.default(0.3),
    campaign_stop_share: rate.default(0.1),
  })
  .strict()
  .refine((o) => o.reply_delay_ms[0] <= o.reply_delay_ms[1], {
    message: 'reply_delay_ms: the least must not exceed the most',
  });
export type CastOptions = z.input<typeof CastOptions>;

export const SimulatorOptions = z
  .object({
    seed: z.number().int().default(1),
    /** Base URL the simulator is reached at (media URLs, paging links). Set from `listen` when omitted. */
    public_url: z.url().optional(),
    customers: CustomerBehaviour.default({}),
    template_review_ms: z.number().int().min(0).max(3_600_000).default(1500),
    media_url_ttl_ms: z.number().int().min(1000).default(300_000),
    /** Business → one user: sustained rate and burst, like Meta's pair rate limit (1 per 6 s, bursts). */
    pair_rate_per_s: z
      .number()
      .positive()
      .default(1 / 6),
    pair_rate_burst: z.number().int().min(1).default(45),
    webhook_batch_ms: z.number().int().min(0).max(10_000).default(20),
    webhook_max_batch: z.number().int().min(1).max(1000).default(100),
    webhook_retry_ms: z.array(z.number().int().min(0)).default([1000, 5000, 30_000, 120_000, 600_000]),
    webhook_timeout_ms: z.number().int().min(100).default(10_000),
    webhook_concurrency: z.number().int().min(1).max(256).default(8),
    /** Keep at most this many sent messages for /_sim/messages (and customers' messages and their media). */
    message_log_size: z.number().int().min(0).default(200_000),
    logger: z.boolean().default(false),
  })
  .strict();
export type SimulatorOptions = z.input<typeof SimulatorOptions>;
