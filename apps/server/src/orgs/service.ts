import {
  type AcceptInvitationBody,
  type Invitation,
  type Member,
  type Org,
  type OrgSettings,
  type Role,
  roleAtLeast,
  type UpdateOrgBody,
} from '@openwaba/contracts';
import { type Actor, actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { AuthService, ClientInfo } from '../auth/service.ts';
import type { Db } from '../db/client.ts';
import { transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { randomToken, sha256 } from '../lib/crypto.ts';
import { AppError, forbidden, notFound } from '../lib/errors.ts';
import type { NotificationService } from '../notifications/service.ts';
import * as repo from './repo.ts';

const INVITATION_TTL_MS = 7 * 86_400_000;

type OrgRow = NonNullable<Awaited<ReturnType<typeof repo.getOrg>>>;
type MemberRow = NonNullable<Awaited<ReturnType<typeof repo.getMember>>>;

function toOrg(row: OrgRow): Org {
  return {
    id: row.org.id,
    name: row.org.name,
    created_at: row.org.createdAt.toISOString(),
    settings: {
      timezone: row.settings.timezone,
      default_region: row.settings.defaultRegion,
      allowed_countries: row.settings.allowedCountries,
      retention_days: row.settings.retentionDays,
      campaign_categories: row.settings.campaignCategories as OrgSettings['campaign_categories'],
      read_receipts: row.settings.readReceipts,
      hide_phone_numbers: row.settings.hidePhoneNumbers,
    },
  };
}

function toMember(row: MemberRow): Member {
  return {
    user_id: row.userId,
    email: row.email,
    name: row.name,
    role: row.role as Role,
    joined_at: row.joinedAt.toISOString(),
  };
}

export function createOrgService(deps: {
  db: Db;
  auth: AuthService;
  events: EventService;
  notifications: NotificationService;
  /** The templates domain re-checks its catalogue against a new campaign policy. */
  onCampaignPolicyChanged?(orgId: string): Promise<unknown>;
}) {
  const { db, auth, events, notifications } = deps;

  async function createOrgWithOwner(tx: Db, name: string, userId: string) {
    const org = await repo.insertOrg(tx, name);
    await repo.insertMembership(tx, org.id, userId, 'owner');
    return org;
  }

  /** Any signed-in user may create an organisation; they become its owner. */
  async function createOrg(ctx: AuthContext, name: string): Promise<Org> {
    const org = await db.transaction(async (tx) => {
      const created = await createOrgWithOwner(tx, name, ctx.userId);
      await recordAudit(
        tx,
        { ...actorOf(ctx), orgId: created.id },
        {
          action: 'org.create',
          entityType: 'org',
          entityId: created.id,
          after: { name },
        },
      );
      return created;
    });
    return getOrg({ orgId: org.id });
  }

  async function getOrg(ctx: Pick<AuthContext, 'orgId'>): Promise<Org> {
    const row = await repo.getOrg(db, ctx.orgId);
    if (!row) throw notFound('Organisation');
    return toOrg(row);
  }

  async function updateOrg(ctx: AuthContext, body: UpdateOrgBody): Promise<Org> {
    const before = await getOrg(ctx);
    await transaction(db, async (tx, onCommit) => {
      if (body.name !== undefined) await repo.updateOrgName(tx, ctx.orgId, body.name);
      const s = body.settings;
      if (s && Object.keys(s).length > 0) {
        await repo.updateOrgSettings(tx, ctx.orgId, {
          timezone: s.timezone,
          defaultRegion: s.default_region,
          allowedCountries: s.allowed_countries ? [...new Set(s.allowed_countries)] : undefined,
          retentionDays: s.retention_days,
          campaignCategories: s.campaign_categories ? [...new Set(s.campaign_categories)] : undefined,
          readReceipts: s.read_receipts,
          hidePhoneNumbers: s.hide_phone_numbers,
        });
      }
      const row = await repo.getOrg(tx, ctx.orgId);
      const after = row ? toOrg(row) : before;
      await recordAudit(tx, actorOf(ctx), {
        action: 'org.update',
        entityType: 'org',
        entityId: ctx.orgId,
        before: { name: before.name, settings: before.settings },
        after: { name: after.name, settings: after.settings },
      });
      const fields = [
        ...(body.name !== undefined ? ['name'] : []),
        ...Object.keys(s ?? {}).map((k) => `settings.${k}`),
      ];
      onCommit(() => events.publish(ctx.orgId, [{ type: 'org.updated', data: { fields } }]));
      if (s?.campaign_categories && deps.onCampaignPolicyChanged) {
        onCommit(() => deps.onCampaignPolicyChanged?.(ctx.orgId));
      }
    });
    return getOrg(ctx);
  }

  async function listMembers(ctx: AuthContext): Promise<Member[]> {
    return (await repo.listMembers(db, ctx.orgId)).map(toMember);
  }

  /**
   * Role rules: nobody grants a role above their own; only owners touch owners; the last owner can
   * neither be demoted nor removed.
   */
  async function checkCanManage(tx: Db, ctx: AuthContext, target: MemberRow, newRole?: Role) {
    const targetRole = target.role as Role;
    if (targetRole === 'owner' && ctx.role !== 'owner')
      throw forbidden('Only an owner can change another owner');
    if (newRole && !roleAtLeast(ctx.role, newRole)) throw forbidden(`You cannot grant the ${newRole} role`);
    const losesOwner = targetRole === 'owner' && newRole !== 'owner';
    if (losesOwner && (await repo.countOwners(tx, ctx.orgId)) <= 1) {
      throw new AppError(
        'CONFLICT',
        'An organisation needs at least one owner; make someone else owner first',
      );
    }
  }

  async function updateMemberRole(ctx: AuthContext, userId: string, role: Role): Promise<Member> {
    return transaction(db, async (tx, onCommit) => {
      await repo.lockOrg(tx, ctx.orgId);
      const target = await repo.getMember(tx, ctx.orgId, userId);
      if (!target) throw notFound('Member');
      await checkCanManage(tx, ctx, target, role);
      await repo.updateMemberRole(tx, ctx.orgId, userId, role);
      await recordAudit(tx, actorOf(ctx), {
        action: 'member.role_change',
        entityType: 'member',
        entityId: userId,
        before: { email: target.email, role: target.role },
        after: { email: target.email, role },
      });
      onCommit(() =>
        events.publish(ctx.orgId, [
          { type: 'member.changed', data: { member_user_id: userId, change: 'role_changed' } },
        ]),
      );
      return toMember({ ...target, role });
    });
  }

  async function removeMember(ctx: AuthContext, userId: string): Promise<void> {
    await transaction(db, async (tx, onCommit) => {
      await repo.lockOrg(tx, ctx.orgId);
      const target = await repo.getMember(tx, ctx.orgId, userId);
      if (!target) throw notFound('Member');
      await checkCanManage(tx, ctx, target);
      await repo.deleteMember(tx, ctx.orgId, userId);
      await recordAudit(tx, actorOf(ctx), {
        action: 'member.remove',
        entityType: 'member',
        entityId: userId,
        before: toMember(target),
      });
      onCommit(() =>
        events.publish(ctx.orgId, [
          { type: 'member.changed', data: { member_user_id: userId, change: 'removed' } },
        ]),
      );
    });
  }

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
      accept_path: `/accept-invitation?token=${encodeURIComponent(token)}`,
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

  async function lookupInvitation(token: string) {
    const { invitation, orgName } = await findUsableInvitation(token);
    const user = await auth.findUserByEmail(invitation.email);
    return {
      org_name: orgName,
      email: invitation.email,
      role: invitation.role as Role,
      user_exists: Boolean(user),
    };
  }

  /**
   * Accepting creates the account (new email) or, for an existing account, proves it with the
   * password; then adds the membership and signs the person in to the invited org.
   */
  async function acceptInvitation(body: AcceptInvitationBody, client: ClientInfo & { requestId?: string }) {
    const { invitation } = await findUsableInvitation(body.token);
    const userId = await transaction(db, async (tx, onCommit) => {
      if (!(await repo.markInvitationAccepted(tx, invitation.id))) throw notFound('Invitation');
      const existing = await auth.findUserByEmail(invitation.email, tx);
      let id: string;
      if (existing) {
        const user = await auth.verifyCredentials(invitation.email, body.password, tx);
        if (!user) {
          throw new AppError(
            'UNAUTHENTICATED',
            'This email already has an account; enter its password to accept',
          );
        }
        id = user.id;
        if (await repo.getMember(tx, invitation.orgId, id))
          throw new AppError('CONFLICT', 'You are already a member');
      } else {
        const user = await auth.createUser(
          { email: invitation.email, name: body.name ?? '', password: body.password },
          tx,
        );
        id = user.id;
      }
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
      return id;
    });
    return auth.startSession(userId, invitation.orgId, client);
  }

  /** First owner of a fresh install (CLI `setup` or first start). */
  async function setupOwner(input: { email: string; password: string; orgName: string; name?: string }) {
    return db.transaction(async (tx) => {
      if (await auth.findUserByEmail(input.email, tx)) {
        throw new AppError('CONFLICT', `A user with email ${input.email} already exists`);
      }
      const user = await auth.createUser(
        { email: input.email, name: input.name ?? '', password: input.password },
        tx,
      );
      const org = await createOrgWithOwner(tx, input.orgName, user.id);
      await recordAudit(
        tx,
        { orgId: org.id, actorType: 'system', label: 'setup' },
        {
          action: 'org.create',
          entityType: 'org',
          entityId: org.id,
          after: { name: input.orgName, owner_email: input.email },
        },
      );
      return { userId: user.id, orgId: org.id };
    });
  }

  return {
    createOrg,
    getOrg,
    updateOrg,
    listMembers,
    updateMemberRole,
    removeMember,
    listInvitations,
    createInvitation,
    revokeInvitation,
    lookupInvitation,
    acceptInvitation,
    setupOwner,
  };
}
export type OrgService = ReturnType<typeof createOrgService>;
