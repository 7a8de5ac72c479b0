import {
  type Member,
  type Org,
  type OrgSettings,
  type Role,
  roleAtLeast,
  type UpdateOrgBody,
} from '@openwaba/contracts';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { AuthService } from '../auth/service.ts';
import type { Db } from '../db/client.ts';
import { transaction } from '../db/tx.ts';
import type { DomainEventEmitter } from '../events/domain-events.ts';
import type { EventService } from '../events/service.ts';
import { AppError, forbidden, notFound } from '../lib/errors.ts';
import type { NotificationService } from '../notifications/service.ts';
import { createInvitationService } from './invitations.ts';
import * as repo from './repo.ts';

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
      marketing_messages_fallback: (row.settings.marketingMessagesFallback === 'fail'
        ? 'fail'
        : 'fallback') as OrgSettings['marketing_messages_fallback'],
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
  /** Emits `org.campaign_policy_changed` (the templates domain re-checks its catalogue). */
  domainEvents: DomainEventEmitter;
}) {
  const { db, auth, events } = deps;
  const invitations = createInvitationService(deps);

  async function createOrgWithOwner(tx: Db, name: string, userId: string) {
    const org = await repo.insertOrg(tx, name);
    await repo.insertMembership(tx, org.id, userId, 'owner');
    return org;
  }

  /**
   * An instance administrator creates organisations (any signed-in user when ALLOW_ORG_CREATION is
   * on); the creator becomes its owner. Otherwise anyone could mint organisations — and with them
   * numbers whose app secrets they choose.
   */
  async function createOrg(ctx: AuthContext, name: string): Promise<Org> {
    if (!(await auth.canCreateOrgs(ctx.userId))) {
      throw forbidden('Only an instance administrator can create organisations on this install');
    }
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
          marketingMessagesFallback: s.marketing_messages_fallback,
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
      if (s?.campaign_categories) {
        deps.domainEvents.emit(onCommit, 'org.campaign_policy_changed', { orgId: ctx.orgId });
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

  /** First owner of a fresh install (CLI `setup` or first start). */
  async function setupOwner(input: { email: string; password: string; orgName: string; name?: string }) {
    return db.transaction(async (tx) => {
      if (await auth.findUserByEmail(input.email, tx)) {
        throw new AppError('CONFLICT', `A user with email ${input.email} already exists`);
      }
      // The install's first owner is its first instance administrator (see auth.createUser).
      const user = await auth.createUser(
        { email: input.email, name: input.name ?? '', password: input.password, firstAdmin: true },
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
    ...invitations,
    setupOwner,
  };
}
export type OrgService = ReturnType<typeof createOrgService>;
