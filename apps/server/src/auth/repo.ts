import { and, count, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { authThrottles, memberships, orgs, refreshTokens, sessions, users } from '../db/schema.ts';
import { queryRows } from '../db/tx.ts';

export async function findUserByEmail(db: Db, email: string) {
  const [row] = await db.select().from(users).where(eq(users.email, email));
  return row;
}

/** `firstAdmin`: an instance administrator when none exists yet (decided in the insert itself). */
export async function insertUser(
  db: Db,
  values: { email: string; name: string; passwordHash: string; firstAdmin: boolean },
) {
  const { firstAdmin, ...rest } = values;
  const [row] = await db
    .insert(users)
    .values({
      ...rest,
      instanceAdmin: firstAdmin ? sql`not exists (select 1 from users where instance_admin)` : false,
    })
    .returning();
  return row!;
}

export async function getUserById(db: Db, userId: string) {
  const [row] = await db.select().from(users).where(eq(users.id, userId));
  return row;
}

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

export interface ThrottleRules {
  free: number;
  firstWait: number;
  maxWait: number;
  forgetAfter: number;
}

/**
 * Counts one attempt on each key, unless a key must still wait: then nothing is counted and the
 * longest wait is returned. Atomic across processes: the keys' rows are locked first (created if
 * new, in one order so two callers cannot deadlock), and the decision is made on what the lock
 * holder sees — a snapshot read before the lock would let parallel attempts all pass the check
 * before any of them is counted. The attempt that uses a key's last free try, and every later one,
 * sets how long the next must wait.
 */
export async function reserveThrottleAttempt(
  db: Db,
  keys: string[],
  r: ThrottleRules,
): Promise<{ reserved: boolean; waitSeconds: number }> {
  const list = JSON.stringify([...keys].sort());
  return db.transaction(async (tx) => {
    const [row] = await queryRows<{ wait: number | string | null }>(
      tx,
      sql`with locked as (
            insert into auth_throttles as t (key)
            select k from json_array_elements_text(${list}::json) as k order by k
            on conflict (key) do update set key = excluded.key
            returning t.blocked_until
          )
          select max(ceil(extract(epoch from (blocked_until - now())))) as wait
          from locked where blocked_until > now()`,
    );
    const wait = Number(row?.wait ?? 0);
    if (wait > 0) return { reserved: false, waitSeconds: wait };
    // A key quiet for a day starts over; past the free tries each failure doubles the wait.
    await tx.execute(
      sql`with next as (
            select key, case when last_failure_at < now() - make_interval(secs => ${r.forgetAfter}::int)
                             or failures = 0 then 1 else failures + 1 end as n
            from auth_throttles where key in (select json_array_elements_text(${list}::json))
          )
          update auth_throttles t set failures = next.n, last_failure_at = now(),
            blocked_until = case when next.n >= ${r.free}::int
              then now() + make_interval(secs => least(${r.maxWait}::int,
                     ${r.firstWait}::int * power(2, least(30, next.n - ${r.free}::int))::int))
            end
          from next where t.key = next.key`,
    );
    return { reserved: true, waitSeconds: 0 };
  });
}

/** Forgets keys quiet for longer than `forgetAfter` (they would start over anyway), a batch at a time. */
export async function purgeQuietThrottles(db: Db, r: ThrottleRules, limit = 500) {
  await db.execute(
    sql`delete from auth_throttles where key in (
          select key from auth_throttles
          where last_failure_at < now() - make_interval(secs => ${r.forgetAfter}::int)
            and (blocked_until is null or blocked_until < now())
          limit ${limit})`,
  );
}

/**
 * Forgets the failures of an account's key and every client address and browser key that has used
 * its free attempts (`blocked_until` is set from then on): whoever locked themselves out trying to
 * remember the account's password — from their address, or their browser — may try again.
 */
export async function forgetLockouts(db: Db, accountKey: string) {
  await db.execute(
    sql`delete from auth_throttles
        where key = ${accountKey}
           or (blocked_until is not null and (key like 'ip:%' or key like 'dev:%'))`,
  );
}

/** A right password: `forget` keys start over; `refund` keys get the reserved attempt back. */
export async function releaseThrottleAttempt(db: Db, refund: string[], forget: string[], r: ThrottleRules) {
  if (forget.length) await db.delete(authThrottles).where(inArray(authThrottles.key, forget));
  if (refund.length) {
    await db.execute(
      sql`update auth_throttles set failures = greatest(failures - 1, 0),
            blocked_until = case when failures - 1 >= ${r.free}::int then blocked_until end
          where key in (select json_array_elements_text(${JSON.stringify(refund)}::json))`,
    );
  }
}

export async function insertSession(
  db: Db,
  values: { userId: string; orgId: string; userAgent: string | null; ip: string | null; expiresAt: Date },
) {
  const [row] = await db.insert(sessions).values(values).returning();
  return row!;
}

export async function insertRefreshToken(db: Db, sessionId: string, tokenHash: string) {
  await db.insert(refreshTokens).values({ sessionId, tokenHash });
}

/** Marks a refresh token used, atomically: of two concurrent calls only one gets the row back. */
export async function consumeRefreshToken(db: Db, tokenHash: string) {
  const [row] = await db
    .update(refreshTokens)
    .set({ usedAt: new Date() })
    .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.usedAt)))
    .returning();
  return row;
}

export async function findRefreshToken(db: Db, tokenHash: string) {
  const [row] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash));
  return row;
}

/** The token issued right after `tokenId` in its session (its successor in the rotation chain). */
export async function findSuccessor(db: Db, sessionId: string, tokenId: string) {
  // Compared in SQL: timestamptz has microseconds, a JS Date only milliseconds.
  const [row] = await db
    .select()
    .from(refreshTokens)
    .where(
      and(
        eq(refreshTokens.sessionId, sessionId),
        sql`${refreshTokens.createdAt} > (select r.created_at from refresh_tokens r where r.id = ${tokenId})`,
      ),
    )
    .orderBy(refreshTokens.createdAt)
    .limit(1);
  return row;
}

export async function getSession(db: Db, sessionId: string) {
  const [row] = await db.select().from(sessions).where(eq(sessions.id, sessionId));
  return row;
}

/** The session with its user and the user's role in the session's current org (null if no longer a member). */
export async function getSessionContext(db: Db, sessionId: string) {
  const [row] = await db
    .select({ session: sessions, user: users, role: memberships.role })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(
      memberships,
      and(eq(memberships.orgId, sessions.orgId), eq(memberships.userId, sessions.userId)),
    )
    .where(eq(sessions.id, sessionId));
  return row;
}

export async function touchSession(db: Db, sessionId: string) {
  await db.update(sessions).set({ lastSeenAt: new Date() }).where(eq(sessions.id, sessionId));
}

export async function setSessionOrg(db: Db, sessionId: string, orgId: string) {
  await db.update(sessions).set({ orgId }).where(eq(sessions.id, sessionId));
}

export async function revokeSession(db: Db, userId: string, sessionId: string, reason: string) {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

/** Ends the user's live sessions (but `exceptSessionId`); how many were ended. */
export async function revokeUserSessions(db: Db, userId: string, reason: string, exceptSessionId?: string) {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        exceptSessionId ? sql`${sessions.id} <> ${exceptSessionId}` : undefined,
      ),
    )
    .returning({ id: sessions.id });
  return rows.length;
}

export async function listActiveSessions(db: Db, userId: string) {
  return db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date())))
    .orderBy(desc(sessions.lastSeenAt));
}

export async function updatePassword(db: Db, userId: string, passwordHash: string) {
  await db
    .update(users)
    .set({ passwordHash, passwordChangedAt: new Date(), updatedAt: new Date() })
    .where(eq(users.id, userId));
}

export async function listUserOrgs(db: Db, userId: string) {
  return db
    .select({ id: orgs.id, name: orgs.name, role: memberships.role })
    .from(memberships)
    .innerJoin(orgs, eq(orgs.id, memberships.orgId))
    .where(eq(memberships.userId, userId))
    .orderBy(orgs.name);
}

export async function getMembershipRole(db: Db, orgId: string, userId: string) {
  const [row] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
  return row?.role;
}

/** Every account of the install with its last sign-in (its newest session), by email. */
export async function listUsersWithLastSignIn(db: Db) {
  return db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      instanceAdmin: users.instanceAdmin,
      createdAt: users.createdAt,
      // Spelled out: drizzle writes a column of a one-table select unqualified (`"id"`), which in
      // the subquery would name the session's id. Mapped like the column it reads (text from drivers).
      lastSignInAt:
        sql<Date | null>`(select max(s.created_at) from sessions s where s.user_id = users.id)`.mapWith(
          sessions.createdAt,
        ),
    })
    .from(users)
    .orderBy(users.email);
}

/** Every membership of the install with its organisation's name, by organisation name. */
export async function listAllMemberships(db: Db) {
  return db
    .select({ userId: memberships.userId, orgId: orgs.id, orgName: orgs.name, role: memberships.role })
    .from(memberships)
    .innerJoin(orgs, eq(orgs.id, memberships.orgId))
    .orderBy(orgs.name);
}
