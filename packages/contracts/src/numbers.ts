import { z } from 'zod';
import { IsoDate, Text, Uuid } from './common.ts';

const GraphId = z
  .string()
  .trim()
  .regex(/^\d{5,25}$/, 'must be the numeric id shown in Meta’s WhatsApp Manager');
const Secret = (what: string) => z.string().trim().min(8, `${what} looks too short`).max(1024);

export const NumberHealth = z.object({
  display_phone_number: z.string().nullable(),
  verified_name: z.string().nullable(),
  quality_rating: z.string().nullable(),
  throughput_level: z.string().nullable(),
  messaging_limit_tier: z.string().nullable(),
  name_status: z.string().nullable(),
  checked_at: IsoDate.nullable(),
});
export type NumberHealth = z.infer<typeof NumberHealth>;

/** A connected number as the API shows it: never its token, app secret or verify token. */
export const WaNumber = z.object({
  id: Uuid,
  display_name: z.string(),
  phone_number_id: z.string(),
  waba_id: z.string(),
  system_prompt: z.string().nullable(),
  status: z.enum(['active', 'inactive']),
  inactive_reason: z.string().nullable(),
  is_sandbox: z.boolean(),
  /**
   * A coexistence number: the WhatsApp Business app and the API share it (Graph's `is_on_biz_app`,
   * or set by hand). Meta fixes its throughput at 20 msg/s; the sender paces it so.
   */
  coexistence: z.boolean(),
  /** The Meta app the access token belongs to (proven with the app secret when connected). */
  app_id: z.string().nullable(),
  health: NumberHealth,
  /**
   * The Meta business portfolio the number belongs to (its WABA's owner business, or set by hand):
   * its numbers share one daily limit of business-initiated unique users. Null id: unknown.
   */
  business: z.object({
    id: z.string().nullable(),
    name: z.string().nullable(),
    /** meta: read from the Graph; manual: set in the number's settings. */
    source: z.enum(['meta', 'manual']).nullable(),
  }),
  /** MARKETING templates go through the Marketing Messages API (needs the WABA onboarded). */
  marketing_messages: z.object({
    enabled: z.boolean(),
    /** The WABA's onboarding status as Meta last said (ONBOARDED, …); null: never asked. */
    onboarding_status: z.string().nullable(),
  }),
  has_access_token: z.literal(true),
  created_at: IsoDate,
  updated_at: IsoDate,
});
export type WaNumber = z.infer<typeof WaNumber>;
export const WaNumberList = z.object({ data: z.array(WaNumber) });

export const CreateNumberBody = z
  .object({
    display_name: Text(100).pipe(z.string().min(1, 'is required')),
    phone_number_id: GraphId,
    waba_id: GraphId,
    access_token: Secret('The access token'),
    app_secret: Secret('The app secret'),
    verify_token: Secret('The verify token'),
    system_prompt: Text(8000).optional(),
  })
  .strict();
export type CreateNumberBody = z.infer<typeof CreateNumberBody>;

export const UpdateNumberBody = CreateNumberBody.omit({ phone_number_id: true, waba_id: true })
  .partial()
  .extend({
    system_prompt: Text(8000).nullable().optional(),
    /** A coexistence number (the WhatsApp Business app on the same number), set by hand. */
    coexistence: z.boolean().optional(),
    /** The business portfolio, set by hand (null: read it from Meta again). */
    business_id: GraphId.nullable().optional(),
    /** Send MARKETING templates through the Marketing Messages API; turning it on asks Meta whether the WABA is onboarded. */
    marketing_messages_api: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type UpdateNumberBody = z.infer<typeof UpdateNumberBody>;

/** What deleting a number deletes with it. The client shows these and sends back the ones it showed. */
export const NumberDeletionCounts = z.strictObject({
  conversations: z.number().int().min(0),
  messages: z.number().int().min(0),
  campaigns: z.number().int().min(0),
  /** Files received or sent on the number (they leave the media store too). */
  media_files: z.number().int().min(0),
});
export type NumberDeletionCounts = z.infer<typeof NumberDeletionCounts>;

/** Deleting is confirmed with the counts the client showed; other counts now answer 409 with them. */
export const DeleteNumberBody = z.strictObject({ confirm: NumberDeletionCounts });
export type DeleteNumberBody = z.infer<typeof DeleteNumberBody>;

/** A business portfolio's shared daily limit of business-initiated unique users, and its use. */
export const NumberPortfolio = z.object({
  business_id: z.string().nullable(),
  business_name: z.string().nullable(),
  /** The portfolio's tier (Meta's whatsapp_business_manager_messaging_limit). */
  messaging_limit_tier: z.string().nullable(),
  /** Unique users per rolling 24 hours; null: unlimited or unknown. */
  limit: z.number().int().nullable(),
  /** Unique users messaged with templates in the last 24 hours by the portfolio's numbers. */
  used: z.number().int(),
  numbers: z.array(z.object({ id: Uuid, display_name: z.string() })),
});
export type NumberPortfolio = z.infer<typeof NumberPortfolio>;

/** What Meta answered to "Test connection". */
export const NumberTestResult = z.object({
  ok: z.boolean(),
  health: NumberHealth.optional(),
  error: z
    .object({
      code: z.union([z.number(), z.string()]),
      title: z.string(),
      details: z.string().nullable(),
      kind: z.string(),
    })
    .optional(),
});
export type NumberTestResult = z.infer<typeof NumberTestResult>;
