import { z } from 'zod';
import { IsoDate, Uuid } from './common.ts';
import { ConsentEvent, Contact } from './contacts.ts';

/** Everything held about one contact (GDPR access request), as JSON. */
export const ContactDataExport = z.object({
  exported_at: IsoDate,
  contact: Contact,
  /** Every consent event of the contact's phone, oldest first. */
  consent: z.array(ConsentEvent),
  conversations: z.array(
    z.object({
      id: Uuid,
      number_id: Uuid,
      status: z.string(),
      created_at: IsoDate,
      last_message_at: IsoDate.nullable(),
      messages: z.array(
        z.object({
          id: Uuid,
          direction: z.enum(['in', 'out']),
          type: z.string(),
          content: z.unknown(),
          status: z.string().nullable(),
          error: z.unknown().nullable(),
          source: z.string().nullable(),
          sent_at: IsoDate,
        }),
      ),
      notes: z.array(
        z.object({ id: Uuid, author_email: z.string().nullable(), body: z.string(), created_at: IsoDate }),
      ),
    }),
  ),
  campaign_sends: z.array(
    z.object({
      campaign_id: Uuid,
      campaign_name: z.string(),
      state: z.string(),
      reason: z.string().nullable(),
      params: z.unknown().nullable(),
      sent_at: IsoDate.nullable(),
    }),
  ),
  /** Files received or sent in the contact's conversations: what is stored, not the bytes. */
  media: z.array(
    z.object({
      message_id: Uuid,
      state: z.string(),
      mime_type: z.string().nullable(),
      size: z.number().int().nullable(),
      sha256: z.string().nullable(),
      created_at: IsoDate,
    }),
  ),
  /** Edits of the contact from the audit log, oldest first. */
  changes: z.array(
    z.object({
      action: z.string(),
      before: z.unknown().nullable(),
      after: z.unknown().nullable(),
      at: IsoDate,
    }),
  ),
});
export type ContactDataExport = z.infer<typeof ContactDataExport>;

/** Erasure is irreversible: the caller says so in the body. */
export const EraseContactBody = z.strictObject({ confirm: z.literal('erase') });
export const ContactErasure = z.object({
  erased: z.literal(true),
  deleted: z.object({
    conversations: z.number().int(),
    messages: z.number().int(),
    media_files: z.number().int(),
    notes: z.number().int(),
    campaign_recipients: z.number().int(),
    consent_events: z.number().int(),
    webhook_events: z.number().int(),
  }),
  /** The contact had opted out: the proof is kept under a hashed phone, so they stay opted out if they come back. */
  opt_out_kept: z.boolean(),
});
export type ContactErasure = z.infer<typeof ContactErasure>;
