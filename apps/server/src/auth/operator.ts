import type { Role } from '@openwaba/contracts';
import { recordAudit } from '../audit/service.ts';
import type { Db } from '../db/client.ts';
import { generatePassword, hashPassword } from '../lib/crypto.ts';
import { AppError } from '../lib/errors.ts';
import * as repo from './repo.ts';

export interface InstallUser {
  id: string;
  email: string;
  name: string;
  instanceAdmin: boolean;
  createdAt: Date;
  /** When the account last signed in (its newest session), or null: never. */
  lastSignInAt: Date | null;
  orgs: { id: string; name: string; role: Role }[];
}

export interface PasswordReset {
  userId: string;
  email: string;
  /** The generated password when none was given (shown once to the operator), else null. */
  generatedPassword: string | null;
  sessionsRevoked: number;
}

/**
 * What the operator of the install does from its machine (`openwaba users list`,
 * `openwaba users reset-password`), with no session and no organisation: whoever runs the server
 * may already read and write its database, so these need no other proof. They are how a lost first
 * password is recovered, and are part of the auth service (the owner of users and sessions).
 */
export function createOperatorActions(deps: { db: Db }) {
  const { db } = deps;

  async function listUsers(): Promise<InstallUser[]> {
    const [users, memberships] = await Promise.all([
      repo.listUsersWithLastSignIn(db),
      repo.listAllMemberships(db),
    ]);
    return users.map((u) => ({
      id: u.id,
      email: u.email,
      name: u.name,
      instanceAdmin: u.instanceAdmin,
      createdAt: u.createdAt,
      lastSignInAt: u.lastSignInAt,
      orgs: memberships
        .filter((m) => m.userId === u.id)
        .map((m) => ({ id: m.orgId, name: m.orgName, role: m.role as Role })),
    }));
  }

  /**
   * Sets a new password (the one given, or a generated one), ends every session of the account —
   * whoever held the old password is out — and lifts the throttle's lockouts (the account's, and
   * those of addresses and browsers that used their free attempts), so the new password works at
   * once. Audited in each of the account's organisations, as `actorLabel`.
   */
  async function resetPassword(email: string, password: string | undefined, actorLabel: string) {
    const user = await repo.findUserByEmail(db, email);
    if (!user) {
      throw new AppError(
        'NOT_FOUND',
        `No account with email ${email} (\`openwaba users list\` shows them all)`,
      );
    }
    const next = password ?? generatePassword();
    const hash = await hashPassword(next);
    const sessionsRevoked = await db.transaction(async (tx) => {
      await repo.updatePassword(tx, user.id, hash);
      const revoked = await repo.revokeUserSessions(tx, user.id, 'password_reset');
      // The throttle (auth/throttle.ts): a lockout from trying to remember ends with the reset.
      await repo.forgetLockouts(tx, `acct:${user.email}`);
      for (const org of await repo.listUserOrgs(tx, user.id)) {
        await recordAudit(
          tx,
          { orgId: org.id, actorType: 'system', label: actorLabel },
          {
            action: 'user.password_reset',
            entityType: 'user',
            entityId: user.id,
            after: { email: user.email, sessions_revoked: revoked },
          },
        );
      }
      return revoked;
    });
    return {
      userId: user.id,
      email: user.email,
      generatedPassword: password === undefined ? next : null,
      sessionsRevoked,
    } satisfies PasswordReset;
  }

  return { listUsers, resetPassword };
}
