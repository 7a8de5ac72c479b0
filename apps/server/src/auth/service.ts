import { type Me, permissionsOf, type Role, type Session } from '@openwaba/contracts';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { DUMMY_PASSWORD_HASH, hashPassword, randomToken, sha256, verifyPassword } from '../lib/crypto.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { createApiKeyService, KEY_PREFIX } from './api-keys/service.ts';
import type { AuthContext } from './context.ts';
import type { DeviceCookies } from './device-cookie.ts';
import { createOperatorActions } from './operator.ts';
import * as repo from './repo.ts';
import { createPasswordThrottle } from './throttle.ts';
import type { TokenSigner } from './tokens.ts';
import { describeUserAgent } from './user-agent.ts';

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  /** After a password sign-in: the browser's new device cookie (see device-cookie.ts). */
  device?: string;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  /** The device cookie the browser presented, if any. */
  device?: string | null;
}

type UserRow = NonNullable<Awaited<ReturnType<typeof repo.getUserById>>>;

/** A refresh token used again within this window is a benign race between tabs, not theft. */
const REFRESH_RACE_GRACE_MS = 10_000;

export function createAuthService(deps: {
  db: Db;
  config: Config;
  signer: TokenSigner;
  devices: DeviceCookies;
  throttleFirstWaitSeconds?: number;
}) {
  const { db, config, signer, devices } = deps;
  const apiKeys = createApiKeyService({ db });
  const throttle = createPasswordThrottle({
    db,
    free: config.LOGIN_MAX_FAILURES,
    maxWaitSeconds: config.LOGIN_LOCKOUT_MINUTES * 60,
    firstWaitSeconds: deps.throttleFirstWaitSeconds,
  });

  async function issueTokens(userId: string, sessionId: string): Promise<IssuedTokens> {
    const refreshToken = randomToken();
    await repo.insertRefreshToken(db, sessionId, sha256(refreshToken));
    const accessToken = await signer.sign({ userId, sessionId });
    return { accessToken, refreshToken, sessionId };
  }

  /** Opens a session for a user in an org and returns fresh tokens. */
  async function startSession(userId: string, orgId: string, client: ClientInfo): Promise<IssuedTokens> {
    const session = await repo.insertSession(db, {
      userId,
      orgId,
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 500) ?? null,
      expiresAt: new Date(Date.now() + config.SESSION_TTL_DAYS * 86_400_000),
    });
    return issueTokens(userId, session.id);
  }

  /**
   * The one way a password is checked (sign-in, invitation acceptance, password change): counted
   * by the throttle before the check, per account and per client address — or, from a browser whose
   * device cookie the account earned by signing in before, per device only, so guesses from
   * elsewhere never lock the owner out of their own browser. The user, or null when the email or
   * password is wrong (429 when the throttle says wait).
   */
  async function checkPassword(email: string, password: string, client: ClientInfo): Promise<UserRow | null> {
    const deviceKey = devices.trustedKey(email, client.device ?? undefined);
    const proof = deviceKey ?? `acct:${email}`;
    const attempt = await throttle.attempt(
      deviceKey ? [deviceKey] : [proof, ...(client.ip ? [`ip:${client.ip}`] : [])],
    );
    const user = await repo.findUserByEmail(db, email);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!user || !ok) return null;
    await attempt.passed([proof]);
    return user;
  }

  /** A password sign-in's session, with the device cookie that remembers this browser for the account. */
  async function startPasswordSession(user: UserRow, orgId: string, client: ClientInfo) {
    const tokens = await startSession(user.id, orgId, client);
    return { ...tokens, device: devices.remember(user.email, client.device ?? undefined) };
  }

  async function login(email: string, password: string, client: ClientInfo): Promise<IssuedTokens> {
    const user = await checkPassword(email, password, client);
    if (!user) throw new AppError('UNAUTHENTICATED', 'Email or password is incorrect');
    const orgs = await repo.listUserOrgs(db, user.id);
    const org = orgs[0];
    if (!org) throw new AppError('FORBIDDEN', 'This account is not a member of any organisation');
    return startPasswordSession(user, org.id, client);
  }

  async function refresh(refreshToken: string): Promise<IssuedTokens> {
    const hash = sha256(refreshToken);
    const consumed = await repo.consumeRefreshToken(db, hash);
    if (!consumed) {
      const known = await repo.findRefreshToken(db, hash);
      if (!known)
        throw new AppError('UNAUTHENTICATED', 'Sign in again', { details: { reason: 'refresh_invalid' } });
      const session = await repo.getSession(db, known.sessionId);
      const usedAt = known.usedAt?.getTime() ?? 0;
      const successor = session ? await repo.findSuccessor(db, session.id, known.id) : undefined;
      if (
        session &&
        !session.revokedAt &&
        Date.now() - usedAt < REFRESH_RACE_GRACE_MS &&
        successor &&
        !successor.usedAt
      ) {
        throw new AppError('CONFLICT', 'This session was just refreshed; retry the request', {
          details: { reason: 'refresh_race' },
        });
      }
      // A used token presented again: someone holds a copy. End the whole session.
      if (session) await repo.revokeSession(db, session.userId, session.id, 'refresh_token_reuse');
      throw new AppError('UNAUTHENTICATED', 'Session ended: this refresh token was already used', {
        details: { reason: 'refresh_reuse' },
      });
    }
    const ctx = await repo.getSessionContext(db, consumed.sessionId);
    if (!ctx || ctx.session.revokedAt || ctx.session.expiresAt.getTime() <= Date.now()) {
      throw new AppError('UNAUTHENTICATED', 'Session ended; sign in again', {
        details: { reason: 'session_ended' },
      });
    }
    await repo.touchSession(db, ctx.session.id);
    return issueTokens(ctx.user.id, ctx.session.id);
  }

  /**
   * Whether this refresh token's session is live, without consuming the token: the sign-in probe
   * asks it so a signed-out browser makes no failing request. A token already used still says yes
   * while its session lives, so presenting it to `refresh` keeps ending a stolen session.
   */
  async function canRefresh(refreshToken: string): Promise<boolean> {
    const known = await repo.findRefreshToken(db, sha256(refreshToken));
    const session = known && (await repo.getSession(db, known.sessionId));
    return Boolean(session && !session.revokedAt && session.expiresAt.getTime() > Date.now());
  }

  /** Verifies an access token and loads the live session; revocation takes effect at once. */
  /** The caller of a session token, or of an API key (`owk_…`: auth/api-keys). */
  async function authenticate(accessToken: string, ip?: string): Promise<AuthContext> {
    if (accessToken.startsWith(KEY_PREFIX)) return apiKeys.authenticate(accessToken, ip);
    const claims = await signer.verify(accessToken);
    const row = await repo.getSessionContext(db, claims.sessionId);
    if (
      !row ||
      row.session.revokedAt ||
      row.session.expiresAt.getTime() <= Date.now() ||
      row.user.id !== claims.userId
    ) {
      throw new AppError('UNAUTHENTICATED', 'Session ended; sign in again', {
        details: { reason: 'session_ended' },
      });
    }
    if (row.role) {
      return {
        userId: row.user.id,
        orgId: row.session.orgId,
        role: row.role as Role,
        sessionId: row.session.id,
      };
    }
    // Removed from the current org: move the session to another org the user still belongs to.
    const [other] = await repo.listUserOrgs(db, row.user.id);
    if (!other) throw new AppError('UNAUTHENTICATED', 'You are no longer a member of any organisation');
    await repo.setSessionOrg(db, row.session.id, other.id);
    return { userId: row.user.id, orgId: other.id, role: other.role as Role, sessionId: row.session.id };
  }

  /** True while the session is live and still in the organisation (long-lived sockets re-check this). */
  async function sessionAlive(ctx: Pick<AuthContext, 'userId' | 'sessionId' | 'orgId'>): Promise<boolean> {
    if (ctx.sessionId.startsWith('key:')) return apiKeys.alive(ctx.sessionId.slice(4), ctx.orgId, ctx.userId);
    const row = await repo.getSessionContext(db, ctx.sessionId);
    return Boolean(
      row &&
        !row.session.revokedAt &&
        row.session.expiresAt.getTime() > Date.now() &&
        row.user.id === ctx.userId &&
        row.session.orgId === ctx.orgId &&
        row.role,
    );
  }

  async function logout(ctx: Pick<AuthContext, 'userId' | 'sessionId'>) {
    await repo.revokeSession(db, ctx.userId, ctx.sessionId, 'logout');
  }

  async function logoutByRefreshToken(refreshToken: string) {
    const known = await repo.findRefreshToken(db, sha256(refreshToken));
    if (!known) return;
    const session = await repo.getSession(db, known.sessionId);
    if (session) await repo.revokeSession(db, session.userId, session.id, 'logout');
  }

  async function getMe(ctx: AuthContext): Promise<Me> {
    const user = await repo.getUserById(db, ctx.userId);
    if (!user) throw new AppError('UNAUTHENTICATED', 'Account no longer exists');
    const orgs = (await repo.listUserOrgs(db, ctx.userId)).map((o) => ({ ...o, role: o.role as Role }));
    const org = orgs.find((o) => o.id === ctx.orgId);
    if (!org) throw new AppError('UNAUTHENTICATED', 'Session ended; sign in again');
    return {
      user: { id: user.id, email: user.email, name: user.name, created_at: user.createdAt.toISOString() },
      org,
      role: ctx.role,
      permissions: permissionsOf(ctx.role),
      orgs,
      session_id: ctx.sessionId,
      can_create_orgs: config.ALLOW_ORG_CREATION || user.instanceAdmin,
    };
  }

  async function switchOrg(ctx: AuthContext, orgId: string) {
    const role = await repo.getMembershipRole(db, orgId, ctx.userId);
    if (!role) throw notFound('Organisation');
    await repo.setSessionOrg(db, ctx.sessionId, orgId);
    return getMe({ ...ctx, orgId, role: role as Role });
  }

  /** Changes the password (the current one checked through the throttle) and ends every other session. */
  async function changePassword(ctx: AuthContext, current: string, next: string, client: ClientInfo) {
    const user = await repo.getUserById(db, ctx.userId);
    if (!user) throw new AppError('UNAUTHENTICATED', 'Account no longer exists');
    if (!(await checkPassword(user.email, current, client))) {
      throw new AppError('VALIDATION_FAILED', 'Current password is incorrect', {
        details: [{ path: ['current_password'], message: 'incorrect' }],
      });
    }
    await db.transaction(async (tx) => {
      await repo.updatePassword(tx, ctx.userId, await hashPassword(next));
      await repo.revokeUserSessions(tx, ctx.userId, 'password_changed', ctx.sessionId);
      await recordAudit(tx, actorOf(ctx), {
        action: 'user.password_change',
        entityType: 'user',
        entityId: ctx.userId,
      });
    });
  }

  async function listSessions(ctx: AuthContext): Promise<Session[]> {
    const rows = await repo.listActiveSessions(db, ctx.userId);
    return rows.map((s) => ({
      id: s.id,
      ip: s.ip,
      user_agent: s.userAgent,
      ...describeUserAgent(s.userAgent),
      created_at: s.createdAt.toISOString(),
      last_seen_at: s.lastSeenAt.toISOString(),
      current: s.id === ctx.sessionId,
    }));
  }

  async function revokeSession(ctx: AuthContext, sessionId: string) {
    const ok = await db.transaction(async (tx) => {
      const revoked = await repo.revokeSession(tx, ctx.userId, sessionId, 'revoked_by_user');
      if (revoked) {
        await recordAudit(tx, actorOf(ctx), {
          action: 'session.revoke',
          entityType: 'session',
          entityId: sessionId,
        });
      }
      return revoked;
    });
    if (!ok) throw notFound('Session');
  }

  async function findUserByEmail(email: string, tx: Db = db) {
    return repo.findUserByEmail(tx, email);
  }

  /** `firstAdmin`: the user becomes an instance administrator if the install has none yet. */
  async function createUser(
    values: { email: string; name: string; password: string; firstAdmin?: boolean },
    tx: Db = db,
  ) {
    return repo.insertUser(tx, {
      email: values.email,
      name: values.name,
      passwordHash: await hashPassword(values.password),
      firstAdmin: values.firstAdmin ?? false,
    });
  }

  /** Instance administrators create organisations; anyone does when ALLOW_ORG_CREATION is on. */
  async function canCreateOrgs(userId: string): Promise<boolean> {
    if (config.ALLOW_ORG_CREATION) return true;
    return (await repo.getUserById(db, userId))?.instanceAdmin ?? false;
  }

  /** Whether the user administers the whole install (instance-wide settings, e.g. the rate card). */
  async function isInstanceAdmin(userId: string): Promise<boolean> {
    return (await repo.getUserById(db, userId))?.instanceAdmin ?? false;
  }

  async function countUsers() {
    return repo.countUsers(db);
  }

  return {
    apiKeys,
    sessionAlive,
    checkPassword,
    startPasswordSession,
    findUserByEmail,
    createUser,
    canCreateOrgs,
    isInstanceAdmin,
    countUsers,
    login,
    refresh,
    canRefresh,
    authenticate,
    logout,
    logoutByRefreshToken,
    startSession,
    getMe,
    switchOrg,
    changePassword,
    listSessions,
    revokeSession,
    /** The operator's verbs on the server's machine (`openwaba users …`). */
    operator: createOperatorActions({ db }),
  };
}
export type AuthService = ReturnType<typeof createAuthService>;
