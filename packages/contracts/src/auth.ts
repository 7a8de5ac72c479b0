import { z } from 'zod';
import { Email, IsoDate, Password, Text, Uuid } from './common.ts';
import { PermissionName, Role } from './permissions.ts';

export const LoginBody = z.strictObject({ email: Email, password: z.string().min(1).max(200) });
export type LoginBody = z.infer<typeof LoginBody>;
export const LoginResult = z.object({ ok: z.literal(true), expires_in: z.number().int() });

export const ChangePasswordBody = z.strictObject({
  current_password: z.string().min(1).max(200),
  new_password: Password,
});
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const SwitchOrgBody = z.strictObject({ org_id: Uuid });

export const User = z.object({ id: Uuid, email: z.string(), name: z.string(), created_at: IsoDate });
export type User = z.infer<typeof User>;

export const OrgSummary = z.object({ id: Uuid, name: z.string(), role: Role });
export type OrgSummary = z.infer<typeof OrgSummary>;

export const Me = z.object({
  user: User,
  org: OrgSummary,
  role: Role,
  permissions: z.array(PermissionName),
  orgs: z.array(OrgSummary),
  session_id: Uuid,
  /** May create organisations: an instance administrator, or anyone when the install allows it. */
  can_create_orgs: z.boolean(),
});
export type Me = z.infer<typeof Me>;

export const Session = z.object({
  id: Uuid,
  user_agent: z.string().nullable(),
  /** The browser read from the user agent ("Chrome 141"); null when it names none (a script, the CLI). */
  browser: z.string().nullable(),
  /** The operating system read from the user agent ("Linux", "iOS"); null when it names none. */
  os: z.string().nullable(),
  ip: z.string().nullable(),
  created_at: IsoDate,
  last_seen_at: IsoDate,
  current: z.boolean(),
});
export type Session = z.infer<typeof Session>;
export const SessionList = z.object({ data: z.array(Session) });

/**
 * Whether this browser is signed in, asked without failing: `needs_refresh` when the access token
 * has expired but the session can be refreshed (the dashboard refreshes before asking for /me).
 */
export const SessionState = z.object({ signed_in: z.boolean(), needs_refresh: z.boolean() });
export type SessionState = z.infer<typeof SessionState>;

export const OrgName = Text(100).pipe(z.string().min(1, 'must not be empty'));
export const PersonName = Text(100);
