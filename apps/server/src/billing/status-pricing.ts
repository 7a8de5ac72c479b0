import { z } from 'zod';

/**
 * The `pricing` object of a status webhook (Meta, per-message pricing): whether Meta bills the
 * message, the model (`PMP`), the category it billed (marketing, utility, authentication,
 * authentication_international, service, referral_conversion, marketing_lite) and the type
 * (`regular`, `free_customer_service`, `free_entry_point`). Every field is optional: Meta adds and
 * deprecates them (`billable` is deprecated with per-message pricing, still sent).
 */
const StatusPricing = z.object({
  billable: z.boolean().optional(),
  pricing_model: z.string().max(40).optional(),
  category: z.string().max(60).optional(),
  type: z.string().max(60).optional(),
});

/** Categories and types Meta uses for a message it does not charge. */
const FREE = new Set(['free_entry_point', 'free_customer_service', 'referral_conversion']);

/** The billing facts of a status (its raw JSON), or null when it has none or they are not readable. */
export function statusPricingOf(raw: unknown) {
  const p = (raw as { pricing?: unknown } | null)?.pricing;
  if (!p) return null;
  const parsed = StatusPricing.safeParse(p);
  if (!parsed.success) return null;
  const { billable, pricing_model, category, type } = parsed.data;
  // Without `billable`, a free type or category says the message is not charged; `regular` that it is.
  const free = FREE.has(type ?? '') || FREE.has(category ?? '');
  return {
    billable: billable ?? (free ? false : type === 'regular' ? true : null),
    pricing_model: pricing_model ?? null,
    category: category ?? null,
    type: type ?? null,
  };
}
