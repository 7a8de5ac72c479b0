import { z } from 'zod';
import { OrgName, PersonName } from './auth.ts';
import { Email, IsoDate, Uuid } from './common.ts';
import { Role } from './permissions.ts';

/** Template categories a campaign may use. AUTHENTICATION is never allowed in campaigns. */
export const CAMPAIGN_CATEGORIES = ['UTILITY', 'MARKETING'] as const;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const Region = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as US or IN');

export const OrgSettings = z.object({
  timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris or Asia/Kolkata'),
  default_region: Region,
  allowed_countries: z.array(Region).max(250),
  retention_days: z.number().int().min(1).max(36500).nullable(),
  campaign_categories: z.array(z.enum(CAMPAIGN_CATEGORIES)).min(1).max(2),
  /** An agent opening a conversation sends WhatsApp read receipts (blue ticks) for its messages. */
  read_receipts: z.boolean(),
  /**
   * Customers' phone numbers are masked (`+44 ••• ••• 4321`) for roles without `contacts.phones`
   * (agents and viewers): in the dashboard, the API, exports and search.
   */
  hide_phone_numbers: z.boolean(),
  /**
   * A MARKETING template meant for the Marketing Messages API when the number's WABA is not (or no
   * longer) onboarded: `fallback` sends it through /messages, `fail` does not send it (with the reason).
   */
  marketing_messages_fallback: z.enum(['fallback', 'fail']),
});
export type OrgSettings = z.infer<typeof OrgSettings>;
export const OrgSettingsPatch = OrgSettings.partial().strict();
export type OrgSettingsPatch = z.infer<typeof OrgSettingsPatch>;

export const Org = z.object({ id: Uuid, name: z.string(), created_at: IsoDate, settings: OrgSettings });
export type Org = z.infer<typeof Org>;
export const CreateOrgBody = z.strictObject({ name: OrgName });
export const UpdateOrgBody = z.strictObject({
  name: OrgName.optional(),
  settings: OrgSettingsPatch.optional(),
});
export type UpdateOrgBody = z.infer<typeof UpdateOrgBody>;

export const Member = z.object({
  user_id: Uuid,
  email: z.string(),
  name: z.string(),
  role: Role,
  joined_at: IsoDate,
});
export type Member = z.infer<typeof Member>;
export const MemberList = z.object({ data: z.array(Member) });
export const UpdateMemberBody = z.strictObject({ role: Role });

export const Invitation = z.object({
  id: Uuid,
  email: z.string(),
  role: Role,
  invited_by: z.string().nullable(),
  expires_at: IsoDate,
  created_at: IsoDate,
});
export type Invitation = z.infer<typeof Invitation>;
export const InvitationList = z.object({ data: z.array(Invitation) });
export const CreateInvitationBody = z.strictObject({ email: Email, role: Role });
/** The token is shown once, at creation; only its hash is stored. */
export const CreatedInvitation = Invitation.extend({ token: z.string(), accept_path: z.string() });
/** What an invitation is for. It does not say whether the email already has an account. */
export const InvitationLookup = z.object({
  org_name: z.string(),
  email: z.string(),
  role: Role,
});
/** The token travels in a body, never in a URL (URLs end up in logs and browser history). */
export const InvitationLookupBody = z.strictObject({ token: z.string().min(20).max(200) });
/**
 * Accepting: signed in as the invited email, nothing else is needed; otherwise `password` is the
 * existing account's (checked through the sign-in throttle) or, for a new email, the new account's
 * (at least 10 characters).
 */
export const AcceptInvitationBody = z.strictObject({
  token: z.string().min(20).max(200),
  name: PersonName.optional(),
  password: z.string().min(1).max(200).optional(),
});
export type AcceptInvitationBody = z.infer<typeof AcceptInvitationBody>;
