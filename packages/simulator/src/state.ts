import type { z } from 'zod';
import type { CustomerBehaviour, NumberInput, NumberInput as NumberInputSchema } from './config.ts';
import type { RateMeter, TokenBucket } from './limits.ts';
import type { Random } from './random.ts';

export type SimNumber = Omit<z.output<typeof NumberInputSchema>, 'customers'> & {
  customers: Partial<CustomerBehaviour>;
  bucket: TokenBucket;
  meter: RateMeter;
  accepted: number;
  /** wa_id → when this number last started a business-initiated conversation with them (tier accounting). */
  initiated: Map<string, number>;
};

export interface CustomerState {
  wa_id: string;
  name: string;
  /** Their business-scoped user id (stable per customer: see `userId`). */
  user_id: string;
  /** A username customer: webhooks name them by BSUID and username, not by phone… */
  username?: string;
  /** …unless the business has their phone (it messaged it, or they shared it): Meta's contact book. */
  contactBook?: boolean;
  rnd: Random;
  /** When the customer last messaged the business, per phone number id (opens the 24 h window). */
  lastInboundAt: Map<string, number>;
  windowOverride?: 'open' | 'closed';
  undeliverable: boolean;
  optedOutMarketing: boolean;
}

export type MessageStatus = 'accepted' | 'sent' | 'delivered' | 'read' | 'failed';

export interface SentRecord {
  wamid: string;
  phone_number_id: string;
  to: string;
  type: string;
  category?: string;
  body: Record<string, unknown>;
  status: MessageStatus;
  error_code?: number;
  biz_opaque_callback_data?: string;
  /** Sent through the Marketing Messages API (`/marketing_messages`), with its time-to-live. */
  via?: 'marketing_messages';
  ttl_seconds?: number;
  at: number;
}

export interface InboundRecord {
  wamid: string;
  phone_number_id: string;
  from: string;
  kind: string;
  read: boolean;
  /** How many times the business showed the customer it is typing (a read with `typing_indicator`). */
  typing: number;
  at: number;
}

export type { NumberInput };
