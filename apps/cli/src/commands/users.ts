import { Email, Password } from '@openwaba/contracts';
import type { Config } from '@openwaba/server';
import { z } from 'zod';
import { parseFlags } from '../flags.ts';
import { formatTable, type Io } from '../output.ts';
import { withLocalServices } from './local.ts';

/** Who the audit log names for what these verbs do (actor type `system`). */
const AUDIT_ACTOR = 'cli';

export const ResetPasswordFlags = z.object({
  email: Email,
  password: Password.optional(),
  json: z.boolean().optional(),
});

/** `openwaba users list`: every account of the install, from its database. */
export async function runUsersList(config: Config, io: Io, opts: { json?: boolean }) {
  const users = await withLocalServices(config, (services) => services.auth.operator.listUsers());
  if (opts.json) {
    return io.out(
      JSON.stringify(
        users.map((u) => ({
          id: u.id,
          email: u.email,
          name: u.name,
          instance_admin: u.instanceAdmin,
          created_at: u.createdAt.toISOString(),
          last_sign_in_at: u.lastSignInAt?.toISOString() ?? null,
          orgs: u.orgs,
        })),
      ),
    );
  }
  if (users.length === 0)
    return io.out('No account yet: `openwaba start` or `openwaba setup` creates the first owner.');
  io.out(
    formatTable(
      ['EMAIL', 'NAME', 'ROLES', 'LAST SIGN-IN'],
      users.map((u) => [
        u.email + (u.instanceAdmin ? ' (instance admin)' : ''),
        u.name || '—',
        u.orgs.map((o) => `${o.role} of "${o.name}"`).join(', ') || 'no organisation',
        u.lastSignInAt ? u.lastSignInAt.toISOString().replace(/\.\d+Z$/, 'Z') : 'never',
      ]),
    ),
  );
}

/**
 * `openwaba users reset-password`: a new password for an account that cannot sign in (the given one,
 * or a generated one printed once). Every session of the account ends; the reset is audited.
 */
export async function runUsersResetPassword(
  config: Config,
  io: Io,
  opts: { email?: string; password?: string; json?: boolean },
) {
  const flags = parseFlags(ResetPasswordFlags, opts);
  const reset = await withLocalServices(config, (services) =>
    services.auth.operator.resetPassword(flags.email, flags.password, AUDIT_ACTOR),
  );
  if (flags.json) {
    return io.out(
      JSON.stringify({
        user_id: reset.userId,
        email: reset.email,
        sessions_revoked: reset.sessionsRevoked,
        ...(reset.generatedPassword ? { password: reset.generatedPassword } : {}),
      }),
    );
  }
  io.out(`Password of ${reset.email} reset; ${reset.sessionsRevoked} signed-in session(s) ended.`);
  if (reset.generatedPassword) {
    io.out(`New password: ${reset.generatedPassword}   (shown once; change it under Settings → Account)`);
  }
  io.out(`Sign in at ${config.publicUrl}/`);
}
