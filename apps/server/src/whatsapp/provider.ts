import type { MessageContent } from '@openwaba/contracts';
import { z } from 'zod';

/** The one seam to Meta. The product calls these; `cloud-api.provider.ts` implements them over HTTP. */
export interface NumberCredentials {
  phoneNumberId: string;
  accessToken: string;
  /**
   * The Meta app's secret. When given, the number check and `debugToken` carry `appsecret_proof`, so
   * Meta refuses them unless the token belongs to that app.
   */
  appSecret?: string;
}
export interface WabaCredentials {
  wabaId: string;
  accessToken: string;
}

export interface SendOptions {
  /** wamid of the message this one replies to. */
  replyTo?: string;
  /** Echoed back by Meta in this message's status webhooks. */
  bizOpaqueCallbackData?: string;
  /**
   * Send through the Marketing Messages API (`/{phone-number-id}/marketing_messages`: MARKETING
   * templates only, the WABA onboarded), with an optional time-to-live (`message_send_ttl_seconds`).
   */
  marketingMessages?: { ttlSeconds?: number | null };
}

export const SendResult = z.object({
  messaging_product: z.literal('whatsapp'),
  contacts: z
    .array(z.looseObject({ input: z.string(), wa_id: z.string().optional(), user_id: z.string().optional() }))
    .min(1),
  messages: z.array(z.looseObject({ id: z.string().min(1), message_status: z.string().optional() })).min(1),
});
export interface SentMessage {
  wamid: string;
  waId: string | undefined;
  /** The recipient's business-scoped user id, when the send named one (`recipient`). */
  userId?: string | undefined;
  input: string;
  messageStatus: string | undefined;
}

export const MediaInfo = z.looseObject({
  id: z.string(),
  url: z.url(),
  mime_type: z.string(),
  sha256: z.string().optional(),
  file_size: z.union([z.string(), z.number()]).transform(Number).optional(),
  messaging_product: z.string().optional(),
});
export type MediaInfo = z.infer<typeof MediaInfo>;

export const PhoneNumberInfo = z.looseObject({
  id: z.string(),
  display_phone_number: z.string().optional(),
  verified_name: z.string().optional(),
  quality_rating: z.string().optional(),
  name_status: z.string().optional(),
  code_verification_status: z.string().optional(),
  platform_type: z.string().optional(),
  /** A coexistence number: the WhatsApp Business app and the API on one number. */
  is_on_biz_app: z.boolean().optional(),
  status: z.string().optional(),
  account_mode: z.string().optional(),
  throughput: z.looseObject({ level: z.string() }).optional(),
  messaging_limit_tier: z.string().optional(),
  whatsapp_business_manager_messaging_limit: z.unknown().optional(),
});
export type PhoneNumberInfo = z.infer<typeof PhoneNumberInfo>;

/** A WhatsApp Business Account: its owner business (the business portfolio) and Marketing Messages API onboarding. */
export const WabaInfo = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  owner_business_info: z.looseObject({ id: z.string(), name: z.string().optional() }).optional(),
  marketing_messages_onboarding_status: z.string().optional(),
});
export type WabaInfo = z.infer<typeof WabaInfo>;

/** What `debug_token` says about a token: the app it belongs to, whether it is valid. */
export const TokenInfo = z.looseObject({
  app_id: z.string().optional(),
  type: z.string().optional(),
  application: z.string().optional(),
  is_valid: z.boolean(),
  expires_at: z.number().optional(),
  scopes: z.array(z.string()).optional(),
  error: z.looseObject({ code: z.number().optional(), message: z.string().optional() }).optional(),
});
export type TokenInfo = z.infer<typeof TokenInfo>;

/** A template as Meta describes it. Loose: Meta adds fields over time and we keep them. */
export const MetaTemplate = z.looseObject({
  id: z.string(),
  name: z.string(),
  language: z.string(),
  status: z.string(),
  category: z.string(),
  parameter_format: z.string().optional(),
  components: z.array(z.looseObject({ type: z.string() })).default([]),
  quality_score: z.looseObject({ score: z.string() }).optional(),
  rejected_reason: z.string().optional(),
  previous_category: z.string().optional(),
  sub_category: z.string().optional(),
});
export type MetaTemplate = z.infer<typeof MetaTemplate>;

export const Paged = <T extends z.ZodType>(item: T) =>
  z.looseObject({
    data: z.array(item),
    paging: z
      .looseObject({
        cursors: z.looseObject({ before: z.string().optional(), after: z.string().optional() }).optional(),
        next: z.url().optional(),
      })
      .optional(),
  });

export interface TemplateDefinition {
  name: string;
  language: string;
  category: 'AUTHENTICATION' | 'MARKETING' | 'UTILITY';
  parameter_format?: 'POSITIONAL' | 'NAMED';
  components: Record<string, unknown>[];
}
export const CreatedTemplate = z.looseObject({
  id: z.string(),
  status: z.string(),
  category: z.string().optional(),
});
export type CreatedTemplate = z.infer<typeof CreatedTemplate>;

export interface UploadFile {
  data: Uint8Array;
  mimeType: string;
  filename?: string;
}

export interface WhatsAppProvider {
  sendMessage(
    creds: NumberCredentials,
    /** The customer's address: phone digits (sent as `to`) or a BSUID (sent as `recipient`). */
    to: string,
    content: MessageContent,
    opts?: SendOptions,
  ): Promise<SentMessage>;
  markRead(creds: NumberCredentials, wamid: string, opts?: { typingIndicator?: boolean }): Promise<void>;
  uploadMedia(creds: NumberCredentials, file: UploadFile): Promise<{ id: string }>;
  getMedia(creds: NumberCredentials, mediaId: string): Promise<MediaInfo>;
  /** Downloads from a URL that `getMedia` returned; refuses hosts that are not Meta's (or the configured Graph host). */
  downloadMedia(
    creds: NumberCredentials,
    url: string,
    opts?: { maxBytes?: number },
  ): Promise<{ data: Buffer; mimeType: string }>;
  deleteMedia(creds: NumberCredentials, mediaId: string): Promise<void>;
  getPhoneNumber(creds: NumberCredentials, fields?: string[]): Promise<PhoneNumberInfo>;
  /** Meta's `debug_token` on the credentials' own token (with `appsecret_proof` when the secret is given). */
  debugToken(creds: Pick<NumberCredentials, 'accessToken' | 'appSecret'>): Promise<TokenInfo>;
  listPhoneNumbers(creds: WabaCredentials): Promise<PhoneNumberInfo[]>;
  /** The WABA's owner business (portfolio) and Marketing Messages API onboarding status. */
  getWaba(creds: WabaCredentials, fields?: string[]): Promise<WabaInfo>;
  /** Every template of the WABA, following `paging.next` to the end. */
  listTemplates(
    creds: WabaCredentials,
    opts?: { pageSize?: number; maxPages?: number },
  ): Promise<MetaTemplate[]>;
  createTemplate(creds: WabaCredentials, def: TemplateDefinition): Promise<CreatedTemplate>;
  /** Deletes one language (with `id`) or every language of a name. */
  deleteTemplate(creds: WabaCredentials, t: { name: string; id?: string }): Promise<void>;
  close(): Promise<void>;
}
