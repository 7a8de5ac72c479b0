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
  health: NumberHealth,
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
  .extend({ system_prompt: Text(8000).nullable().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type UpdateNumberBody = z.infer<typeof UpdateNumberBody>;

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
