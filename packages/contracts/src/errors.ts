import { z } from 'zod';

/** The small, generic set of error codes every edge answers with. Meta's own codes go in `details`. */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  /** A message refused by consent: no opt-in for a business-initiated message, or an opt-out. */
  'CONSENT_REQUIRED',
  /** Free-form message outside the 24-hour customer-service window: only a template may be sent. */
  'WINDOW_CLOSED',
  /** A MARKETING template to a customer who stopped marketing messages from the number (Meta's user_preferences). */
  'MARKETING_STOPPED',
  /** A spend or message cap (campaign, organisation per day or month) would be crossed. */
  'CAP_REACHED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  /** An `Idempotency-Key` used again with a different request. */
  'IDEMPOTENCY_MISMATCH',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ERROR_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  // A specific code comes before the generic one of its status: the error handler answers a bare
  // 409 with the last code listed for it (CONFLICT).
  CONSENT_REQUIRED: 409,
  WINDOW_CLOSED: 409,
  MARKETING_STOPPED: 409,
  CAP_REACHED: 409,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_MISMATCH: 422,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export const ErrorBody = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
