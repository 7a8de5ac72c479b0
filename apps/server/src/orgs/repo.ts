import { and, count, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { invitations, memberships, orgSettings, orgs, users } from '../db/schema.ts';

export async function insertOrg(db: Db, name: string) {
  const [org] = await db.insert(orgs).values({ name }).returning();
  await db.insert(orgSettings).values({ orgId: org!.id });
  return org!;
}

export async function getOrg(db: Db, orgId: string) {
  const [row] = await db
    .select({ org: orgs, settings: orgSettings })
    .from(orgs)
    .innerJoin(orgSettings, eq(orgSettings.orgId, orgs.id))
    .where(eq(orgs.id, orgId));
  return row;
}

/** Locks the org row for the rest of the transaction (serialises role changes). */
export async function lockOrg(db: Db, orgId: string) {
  await db.select({ id: orgs.id }).from(orgs).where(eq(orgs.id, orgId)).for('update');
}

export async function updateOrgName(db: Db, orgId: string, name: string) {
  await db.update(orgs).set({ name, updatedAt: new Date() }).where(eq(orgs.id, orgId));
}

export async function updateOrgSettings(
  db: Db,
  orgId: string,
  values: Partial<typeof orgSettings.$inferInsert>,
) {
  await db
    .update(orgSettings)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(orgSettings.orgId, orgId));
}

export async function insertMembership(db: Db, orgId: string, userId: string, role: string) {
  await db.insert(memberships).values({ orgId, userId, role });
}

const memberColumns = {
  userId: users.id,
  email: users.email,
  name: users.name,
  role: memberships.role,
  joinedAt: memberships.createdAt,
};

export async function listMembers(db: Db, orgId: string) {
  return db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.orgId, orgId))
    .orderBy(users.email);
}

export async function getMember(db: Db, orgId: string, userId: string) {
  const [row] = await db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
  return row;
}

export async function countOwners(db: Db, orgId: string) {
  const [row] = await db
    .select({ n: count() })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.role, 'owner')));
  return row?.n ?? 0;
}

export async function updateMemberRole(db: Db, orgId: string, userId: string, role: string) {
  await db
    .update(memberships)
    .set({ role })
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
}

export async function deleteMember(db: Db, orgId: string, userId: string) {
  await db.delete(memberships).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
}

const pending = (orgId: string) =>
  and(
    eq(invitations.orgId, orgId),
    isNull(invitations.acceptedAt),
    isNull(invitations.revokedAt),
    gt(invitations.expiresAt, new Date()),
  );

export async function listPendingInvitations(db: Db, orgId: string) {
  return db
    .select({ invitation: invitations, invitedByEmail: users.email })
    .from(invitations)
    .leftJoin(users, eq(users.id, invitations.invitedBy))
    .where(pending(orgId))
    .orderBy(invitations.createdAt);
}

export async function insertInvitation(db: Db, values: typeof invitations.$inferInsert) {
  const [row] = await db.insert(invitations).values(values).returning();
  return row!;
}

export async function revokePendingInvitationsFor(db: Db, orgId: string, email: string) {
  await db
    .update(invitations)
    .set({ revokedAt: new Date() })
    .where(and(pending(orgId), eq(invitations.email, email)));
}

export async function revokeInvitation(db: Db, orgId: string, invitationId: string) {
  const rows = await db
    .update(invitations)
    .set({ revokedAt: new Date() })
    .where(and(pending(orgId), eq(invitations.id, invitationId)))
    .returning({ id: invitations.id });
  return rows.length > 0;
}

/** Not org-scoped on purpose: the token itself is the capability. */
export async function findInvitationByTokenHash(db: Db, tokenHash: string) {
  const [row] = await db
    .select({ invitation: invitations, orgName: orgs.name })
    .from(invitations)
    .innerJoin(orgs, eq(orgs.id, invitations.orgId))
    .where(eq(invitations.tokenHash, tokenHash));
  return row;
}

export async function markInvitationAccepted(db: Db, invitationId: string) {
  const rows = await db
    .update(invitations)
    .set({ acceptedAt: new Date() })
    .where(
      and(eq(invitations.id, invitationId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)),
    )
    .returning({ id: invitations.id });
  return rows.length > 0;
}
