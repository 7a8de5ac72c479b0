import type { Random } from './random.ts';

/** Meta's error catalogue, as far as the simulator produces it. HTTP statuses follow Meta's older table. */
const CATALOGUE: Record<number, { status: number; title: string; details: string; type?: string }> = {
  1: {
    status: 400,
    title: 'Invalid request or possible server error',
    details: 'An unknown error occurred.',
  },
  2: {
    status: 503,
    title: 'Service temporarily unavailable',
    details: 'Temporary due to downtime or due to being overloaded.',
  },
  100: {
    status: 400,
    title: 'Invalid parameter',
    details: 'One or more parameters are unsupported or misspelled.',
  },
  104: { status: 401, title: 'An access token is required to request this resource', details: '' },
  131000: {
    status: 500,
    title: 'Something went wrong',
    details: 'Message failed to send due to an unknown error.',
  },
  131008: {
    status: 400,
    title: 'Required parameter is missing',
    details: 'The request is missing a required parameter.',
  },
  131009: {
    status: 400,
    title: 'Parameter value is not valid',
    details: 'One or more parameter values are invalid.',
  },
  131021: {
    status: 400,
    title: 'Recipient cannot be sender',
    details: 'Sender and recipient phone number is the same.',
  },
  131026: {
    status: 400,
    title: 'Message undeliverable',
    details:
      "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted WhatsApp's new Terms of Service.",
  },
  131047: {
    status: 400,
    title: 'Re-engagement message',
    details:
      'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  },
  131049: {
    status: 400,
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
  },
  131050: {
    status: 400,
    title:
      'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business',
    details: 'The user has stopped marketing messages from this business.',
  },
  // Not verified against Meta's table: the Marketing Messages API's refusal of a WABA whose
  // business has not accepted its terms (onboarding).
  134100: {
    status: 400,
    title: 'Marketing Messages API terms of service not accepted',
    details:
      'The business portfolio of this WhatsApp Business Account is not onboarded to the Marketing Messages API.',
  },
  131062: {
    status: 400,
    title: 'Business-scoped User ID recipients are not supported for this message',
    details:
      'Authentication templates (one-tap, zero-tap and copy-code) can only be sent to a phone number, not to a business-scoped user ID.',
  },
  131051: { status: 400, title: 'Message type unknown', details: 'Message type is currently not supported.' },
  131053: {
    status: 400,
    title: 'Media upload error',
    details: 'Unable to upload the media used in the message.',
  },
  131056: {
    status: 429,
    title: '(Business Account, Consumer Account) pair rate limit hit',
    details:
      'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
  },
  130429: {
    status: 429,
    title: 'Rate limit hit',
    details: 'Cloud API message throughput has been reached.',
  },
  132000: {
    status: 400,
    title: 'Number of parameters does not match the expected number of params',
    details:
      'The number of variable parameter values included in the request did not match the number of variable parameters defined in the template.',
  },
  132001: {
    status: 404,
    title: 'Template name does not exist in the translation',
    details: 'The template does not exist in the specified language or the template has not been approved.',
  },
  132005: { status: 400, title: 'Translated text too long', details: 'Translated text is too long.' },
  132012: {
    status: 400,
    title: 'Parameter format does not match format in the created template',
    details: 'Variable parameter values formatted incorrectly.',
  },
  132015: {
    status: 400,
    title: 'Template is Paused',
    details: 'Template is paused due to low quality so it cannot be sent in a template message.',
  },
  132016: {
    status: 400,
    title: 'Template is Disabled',
    details: 'Template has been paused too many times due to low quality and is now permanently disabled.',
  },
  133010: {
    status: 400,
    title: 'Phone number Not Registered',
    details: 'Phone number not registered on the Whatsapp Business Platform.',
  },
  2388019: {
    status: 400,
    title: 'Message template limit exceeded',
    details: 'The WhatsApp Business Account has reached the limit of 250 message templates.',
  },
  2388024: {
    status: 400,
    title: 'Content in this language already exists',
    details: 'A template with this name and language already exists.',
  },
  803: {
    status: 404,
    title: 'Some of the aliases you requested do not exist',
    details: '',
    type: 'GraphMethodException',
  },
};

export interface GraphFailure {
  status: number;
  body: { error: Record<string, unknown> };
}

/** A synchronous Graph error, shaped like Meta's: `message` is "(#code) title". */
export function graphError(
  code: number,
  rnd: Random,
  o: {
    details?: string;
    subcode?: number;
    status?: number;
    message?: string;
    transient?: boolean;
    type?: string;
  } = {},
): GraphFailure {
  const c = CATALOGUE[code] ?? { status: 400, title: 'Error', details: '' };
  const details = o.details ?? c.details;
  return {
    status: o.status ?? c.status,
    body: {
      error: {
        message: o.message ?? `(#${code}) ${c.title}`,
        type: o.type ?? c.type ?? 'OAuthException',
        code,
        ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
        ...(o.subcode !== undefined ? { error_subcode: o.subcode } : {}),
        ...(o.transient ? { is_transient: true } : {}),
        fbtrace_id: traceId(rnd),
      },
    },
  };
}

/** Token errors: 104 without a token, 190 (401) for unknown, 190/463 expired, 190/460 revoked. */
export function tokenError(kind: 'missing' | 'invalid' | 'expired' | 'revoked', rnd: Random): GraphFailure {
  if (kind === 'missing')
    return graphError(104, rnd, { message: 'An access token is required to request this resource.' });
  const message =
    kind === 'invalid'
      ? 'Invalid OAuth access token - Cannot parse access token'
      : kind === 'expired'
        ? `Error validating access token: Session has expired on ${new Date(Date.now() - 3600_000).toUTCString()}. The current time is ${new Date().toUTCString()}.`
        : 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.';
  const failure = graphError(190, rnd, {
    status: 401,
    message,
    details: '',
    ...(kind === 'expired' ? { subcode: 463 } : kind === 'revoked' ? { subcode: 460 } : {}),
  });
  return failure;
}

/** The asynchronous error object carried by failed statuses and inbound messages. */
export function asyncError(code: number) {
  const c = CATALOGUE[code] ?? { title: 'Error', details: '' };
  return {
    code,
    title: c.title,
    message: c.title,
    error_data: { details: c.details },
    href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
  };
}

export function traceId(rnd: Random): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let s = 'A';
  for (let i = 0; i < 22; i++) s += alphabet[Math.floor(rnd.next() * alphabet.length)];
  return s;
}
