import {
  type AcceptInvitationBody,
  type Invitation,
  Password,
  type Role,
  roleAtLeast,
} from '@openwaba/contracts';
import { type Actor, actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { AuthService, ClientInfo, IssuedTokens } from '../auth/service.ts';
import type { Db } from '../db/client.ts';
import { transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { randomToken, sha256 } from '../lib/crypto.ts';
import { AppError, forbidden, notFound } from '../lib/errors.ts';
import type { NotificationService } from '../notifications/service.ts';
import * as repo from './repo.ts';

const INVITATION_TTL_MS = 7 * 86_400_000;

function isUniqueViolation(err: unknown) {
  const e = err as { code?: string; cause?: { code?: string } } | undefined;
  return e?.code === '23505' || e?.cause?.code === '23505';
}

/**
 * Invitations: an admin invites an email with a role; the token is shown once (only its hash is
 * kept) and whoever proves to be that email's owner joins the organisation with it.
 */
export function createInvitationService(deps: {
  db: Db;
  auth: AuthService;
  events: EventService;
  notifications: NotificationService;
}) {
  const { db, auth, events, notifications } = deps;

  async function listInvitations(ctx: AuthContext): Promise<Invitation[]> {
    const rows = await repo.listPendingInvitations(db, ctx.orgId);
    return rows.map((r) => ({
      id: r.invitation.id,
      email: r.invitation.email,
      role: r.invitation.role as Role,
      invited_by: r.invitedByEmail,
      expires_at: r.invitation.expiresAt.toISOString(),
      created_at: r.invitation.createdAt.toISOString(),
    }));
  }

  async function createInvitation(ctx: AuthContext, email: string, role: Role) {
    if (!roleAtLeast(ctx.role, role)) throw forbidden(`You cannot invite someone as ${role}`);
    const existing = await auth.findUserByEmail(email);
    if (existing && (await repo.getMember(db, ctx.orgId, existing.id))) {
      throw new AppError('CONFLICT', `${email} is already a member of this organisation`);
    }
    const token = randomToken();
    const row = await db.transaction(async (tx) => {
      await repo.revokePendingInvitationsFor(tx, ctx.orgId, email);
      const inv = await repo.insertInvitation(tx, {
        orgId: ctx.orgId,
        email,
        role,
        tokenHash: sha256(token),
        invitedBy: ctx.userId,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
      });
      await recordAudit(tx, actorOf(ctx), {
        action: 'invitation.create',
        entityType: 'invitation',
        entityId: inv.id,
        after: { email, role, expires_at: inv.expiresAt },
      });
      return inv;
    });
    const me = await auth.getMe(ctx);
    return {
      id: row.id,
      email: row.email,
      role: row.role as Role,
      invited_by: me.user.email,
      expires_at: row.expiresAt.toISOString(),
      created_at: row.createdAt.toISOString(),
      token,
      // In the fragment: browsers never send it, so the token stays out of server and proxy logs.
      accept_path: `/accept-invitation#token=${encodeURIComponent(token)}`,
    };
  }

  async function revokeInvitation(ctx: AuthContext, invitationId: string) {
    await db.transaction(async (tx) => {
      if (!(await repo.revokeInvitation(tx, ctx.orgId, invitationId))) throw notFound('Invitation');
      await recordAudit(tx, actorOf(ctx), {
        action: 'invitation.revoke',
        entityType: 'invitation',
        entityId: invitationId,
      });
    });
  }

  async function findUsableInvitation(token: string) {
    const row = await repo.findInvitationByTokenHash(db, sha256(token));
    const inv = row?.invitation;
    if (!row || !inv || inv.acceptedAt || inv.revokedAt || inv.expiresAt.getTime() <= Date.now()) {
      throw notFound('Invitation (it may have expired or been used)');
    }
    return row;
  }

  /** What the invitation is for; whether the email already has an account is not said. */
  async function lookupInvitation(token: string) {
    const { invitation, orgName } = await findUsableInvitation(token);
    return { org_name: orgName, email: invitation.email, role: invitation.role as Role };
  }

  /**
   * Who accepts: the invited email's account, proven by being signed in as it or by its password —
   * checked through the sign-in throttle, because the inviter holds the token and could otherwise
   * guess the password of anyone they invite — or, for an email without an account, a new account
   * with the given password. Asking for "a password" whether or not an account exists keeps the
   * two cases alike until a password is actually checked.
   */
  async function proveInvitee(
    email: string,
    body: AcceptInvitationBody,
    client: ClientInfo,
    signedIn: AuthContext | null,
  ) {
    const existing = await auth.findUserByEmail(email);
    if (existing && signedIn?.userId === existing.id) return { user: existing, viaSession: true };
    if (!body.password) {
      throw new AppError('VALIDATION_FAILED', `Sign in as ${email}, or enter a password`, {
        details: [{ path: ['body', 'password'], message: 'required' }],
      });
    }
    if (existing) {
      const user = await auth.checkPassword(email, body.password, client);
      if (!user) {
        // 400 like a wrong current password, not 401: a 401 would make clients refresh their own
        // session and send the guess again.
        throw new AppError(
          'VALIDATION_FAILED',
          `Wrong password for ${email}. Enter that account's password, or sign in as ${email} first.`,
          { details: [{ path: ['body', 'password'], message: 'incorrect' }] },
        );
      }
      return { user, viaSession: false };
    }
    const fresh = Password.safeParse(body.password);
    if (!fresh.success) {
      throw new AppError('VALIDATION_FAILED', 'Choose a password of at least 10 characters', {
        details: [{ path: ['body', 'password'], message: fresh.error.issues[0]?.message ?? 'invalid' }],
      });
    }
    return { user: null, viaSession: false };
  }

  /**
   * Joins the invitee to the organisation. Signed in as the invitee, the current session moves to
   * the organisation (null); otherwise the person is signed in to it (the new session's tokens).
   */
  async function acceptInvitation(
    body: AcceptInvitationBody,
    client: ClientInfo & { requestId?: string },
    signedIn: AuthContext | null,
  ): Promise<IssuedTokens | null> {
    const { invitation } = await findUsableInvitation(body.token);
    const proof = await proveInvitee(invitation.email, body, client, signedIn);
    const user = await transaction(db, async (tx, onCommit) => {
      if (!(await repo.markInvitationAccepted(tx, invitation.id))) throw notFound('Invitation');
      const joined =
        proof.user ??
        (await auth
          .createUser({ email: invitation.email, name: body.name ?? '', password: body.password ?? '' }, tx)
          .catch((err) => {
            // Another invitation for the same new email was accepted a moment ago.
            if (isUniqueViolation(err))
              throw new AppError('CONFLICT', 'This email just got an account; sign in');
            throw err;
          }));
      const id = joined.id;
      if (await repo.getMember(tx, invitation.orgId, id))
        throw new AppError('CONFLICT', 'You are already a member');
      await repo.insertMembership(tx, invitation.orgId, id, invitation.role);
      const actor: Actor = {
        orgId: invitation.orgId,
        userId: id,
        ...(client.ip ? { ip: client.ip } : {}),
        ...(client.requestId ? { requestId: client.requestId } : {}),
      };
      await recordAudit(tx, actor, {
        action: 'member.join',
        entityType: 'member',
        entityId: id,
        after: { email: invitation.email, role: invitation.role, invitation_id: invitation.id },
      });
      await notifications.notifyRole(
        invitation.orgId,
        'admin',
        {
          type: 'member.joined',
          title: 'A new member joined',
          message: `${invitation.email} accepted the invitation and joined as ${invitation.role}.`,
          actionUrl: '/settings/members',
          relatedEntityType: 'member',
          relatedEntityId: id,
        },
        { tx, onCommit },
      );
      onCommit(() =>
        events.publish(invitation.orgId, [
          { type: 'member.changed', data: { member_user_id: id, change: 'joined' } },
        ]),
      );
      return joined;
    });
    if (proof.viaSession && signedIn) {
      await auth.switchOrg(signedIn, invitation.orgId);
      return null;
    }
    return auth.startPasswordSession(user, invitation.orgId, client);
  }

  return {
    listInvitations,
    createInvitation,
    revokeInvitation,
    lookupInvitation,
    acceptInvitation,
  };
}
