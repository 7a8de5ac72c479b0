import type { Random } from '../random.ts';

/**
 * The building blocks every webhook builder shares, shaped like Meta's (see shared/reference/cloud-api.md
 * §3 and the pywa fixtures). Each builder returns one `{field, value}` change; `envelope.ts` wraps changes
 * into the POST body.
 */
export interface Change {
  field: string;
  value: Record<string, unknown>;
}

export interface NumberRef {
  phone_number_id: string;
  display_phone_number: string;
  waba_id: string;
}

export interface Customer {
  wa_id: string;
  name: string;
  /** A username customer: webhooks carry their username… */
  username?: string;
  /** …and, when their phone is hidden from the business, their BSUID without the phone. */
  phoneHidden?: boolean;
}

export interface MediaRef {
  id: string;
  mime_type: string;
  sha256: string;
  url?: string;
}

export interface EventContext {
  number: NumberRef;
  customer: Customer;
  rnd: Random;
  /** Unix seconds. */
  now: number;
  wamid(): string;
  /** Stores sample bytes as downloadable media and returns its reference (`sample`: which photo). */
  media(
    kind: 'image' | 'video' | 'document' | 'audio' | 'voice' | 'sticker' | 'animated_sticker',
    sample?: string,
  ): MediaRef;
  /** The business message being replied to, when there is one. */
  replyTo?: string;
  /** The customer forwarded this message. */
  forwarded?: boolean;
}

export const digits = (s: string) => s.replace(/\D/g, '');

export function userId(waId: string): string {
  // A stable business-scoped user id per wa_id, in Meta's "CC.<digits>" form.
  let h = 0n;
  for (const c of waId) h = (h * 131n + BigInt(c.charCodeAt(0))) % 10n ** 20n;
  return `US.${h.toString().padStart(20, '1')}`;
}

export type Params = Record<string, unknown>;
export type Builder = (ctx: EventContext, p: Params) => Change;

export const str = (p: Params, k: string, fallback: string) =>
  typeof p[k] === 'string' ? (p[k] as string) : fallback;
export const num = (p: Params, k: string, fallback: number) =>
  typeof p[k] === 'number' ? (p[k] as number) : fallback;

export function metadata(n: NumberRef) {
  return { display_phone_number: digits(n.display_phone_number), phone_number_id: n.phone_number_id };
}

export function contactOf(c: Customer) {
  const uid = userId(c.wa_id);
  return {
    profile: { name: c.name, ...(c.username ? { username: c.username } : {}) },
    // A username customer's phone is withheld (Meta's contact book aside).
    ...(c.phoneHidden ? {} : { wa_id: c.wa_id }),
    user_id: uid,
    parent_user_id: uid.replace('US.', 'US.ENT.'),
  };
}

/** Who sent a message: `from` (the phone), or for a username customer `from_user_id` (the BSUID) alone. */
export function senderOf(c: Customer) {
  return c.phoneHidden ? { from_user_id: userId(c.wa_id) } : { from: c.wa_id };
}

/** A change whose value carries the number's metadata (and the customer's contact): field `messages` and kin. */
export function messagesValue(
  ctx: EventContext,
  extra: Record<string, unknown>,
  withContacts = true,
  field = 'messages',
): Change {
  return {
    field,
    value: {
      messaging_product: 'whatsapp',
      metadata: metadata(ctx.number),
      ...(withContacts ? { contacts: [contactOf(ctx.customer)] } : {}),
      ...extra,
    },
  };
}

/** One message from the customer: context (reply or forward), sender, id and timestamp around `body`. */
export function inboundMessage(
  ctx: EventContext,
  type: string,
  body: Record<string, unknown>,
  opts: { context?: Record<string, unknown> | null } = {},
) {
  const context =
    opts.context === null
      ? undefined
      : (opts.context ??
        (ctx.forwarded
          ? { forwarded: true }
          : ctx.replyTo
            ? { from: digits(ctx.number.display_phone_number), id: ctx.replyTo }
            : undefined));
  return {
    ...(context ? { context } : {}),
    ...senderOf(ctx.customer),
    id: ctx.wamid(),
    timestamp: String(ctx.now),
    type,
    ...body,
  };
}

export const mediaBody = (m: MediaRef, extra: Record<string, unknown> = {}) => ({
  mime_type: m.mime_type,
  sha256: m.sha256,
  id: m.id,
  ...(m.url ? { url: m.url } : {}),
  ...extra,
});
