import { type ApiKey, type CreateApiKeyBody, can, type Permission, type Role } from '@openwaba/contracts';
import type { z } from 'zod';
import { actorOf, recordAudit } from '../../audit/service.ts';
import type { Db } from '../../db/client.ts';
import { transaction } from '../../db/tx.ts';
import { randomToken, sha256 } from '../../lib/crypto.ts';
import { AppError, forbidden } from '../../lib/errors.ts';
import type { AuthContext } from '../context.ts';
import * as repo from './repo.ts';

/** What every key starts with: tells keys from session tokens, and secret scanners from noise. */
export const KEY_PREFIX = 'owk_';
/** The sessionId of a request made with a key (no session row exists for it). */
export const keySession = (id: string) => `key:${id}`;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function view(r: repo.KeyRow): ApiKey {
  const revoked = r.revoked_at !== null;
  const expired = r.expires_at !== null && new Date(r.expires_at).getTime() <= Date.now();
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes as Permission[],
    created_by: { id: r.created_by, email: r.creator_email },
    created_at: new Date(r.created_at).toISOString(),
    expires_at: iso(r.expires_at),
    last_used_at: iso(r.last_used_at),
    last_used_ip: r.last_used_ip,
    revoked_at: iso(r.revoked_at),
    status: revoked ? 'revoked' : expired ? 'expired' : 'active',
  };
}

/**
 * API keys: created by admins signed in (shown once, stored hashed with a visible prefix), scoped to
 * permissions of the table, optionally expiring, revocable, audited. A key authenticates as its
 * creator with the role they hold now, narrowed to its scopes (auth/access.ts checks both).
 */
export function createApiKeyService(deps: { db: Db }) {
  const { db } = deps;

  /** Keys are managed by people signed in: a key cannot make or revoke keys. */
  const signedIn = (ctx: AuthContext) => {
    if (ctx.apiKeyId) throw forbidden('API keys are managed by a person signed in, not with an API key');
  };

  async function create(ctx: AuthContext, body: z.output<typeof CreateApiKeyBody>) {
    signedIn(ctx);
    const beyond = body.scopes.filter((s) => !can(ctx.role, s));
    if (beyond.length)
      throw new AppError('VALIDATION_FAILED', `Your role (${ctx.role}) cannot grant ${beyond.join(', ')}`, {
        details: beyond.map((s) => ({
          path: ['scopes', body.scopes.indexOf(s)],
          message: `beyond your role: ${s}`,
        })),
      });
    if (body.expires_at && new Date(body.expires_at).getTime() <= Date.now())
      throw new AppError('VALIDATION_FAILED', 'expires_at: must be in the future', {
        details: [{ path: ['expires_at'], message: 'must be in the future' }],
      });
    const key = `${KEY_PREFIX}${randomToken(32)}`;
    const id = await transaction(db, async (tx) => {
      const id = await repo.insertKey(tx, {
        orgId: ctx.orgId,
        createdBy: ctx.userId,
        name: body.name,
        prefix: key.slice(0, KEY_PREFIX.length + 8),
        hash: sha256(key),
        scopes: body.scopes,
        expiresAt: body.expires_at,
      });
      await recordAudit(tx, actorOf(ctx), {
        action: 'api_key.created',
        entityType: 'api_key',
        entityId: id,
        after: { name: body.name, scopes: body.scopes, expires_at: body.expires_at },
      });
      return id;
    });
    return { ...view((await repo.keyOf(db, ctx.orgId, id))!), key };
  }

  async function list(ctx: AuthContext) {
    return { data: (await repo.listKeys(db, ctx.orgId)).map(view) };
  }

  async function revoke(ctx: AuthContext, id: string) {
    signedIn(ctx);
    await transaction(db, async (tx) => {
      const before = await repo.keyOf(tx, ctx.orgId, id);
      if (!before) throw new AppError('NOT_FOUND', 'API key not found');
      if (!(await repo.revokeKey(tx, ctx.orgId, id)))
        throw new AppError('CONFLICT', 'The key is already revoked');
      await recordAudit(tx, actorOf(ctx), {
        action: 'api_key.revoked',
        entityType: 'api_key',
        entityId: id,
        before: { name: before.name, prefix: before.prefix, scopes: before.scopes },
      });
    });
    return view((await repo.keyOf(db, ctx.orgId, id))!);
  }

  const refused = (reason: string, message: string) =>
    new AppError('UNAUTHENTICATED', message, { details: { reason } });

  /** The caller a key stands for; 401 for an unknown, revoked or expired key, or a creator who left. */
  async function authenticate(key: string, ip?: string): Promise<AuthContext> {
    const k = await repo.liveKeyByHash(db, sha256(key));
    if (!k) throw refused('unknown_key', 'Unknown API key');
    if (k.revoked) throw refused('key_revoked', 'This API key was revoked');
    if (k.expired) throw refused('key_expired', 'This API key has expired');
    if (!k.role) throw refused('creator_left', 'The person who made this API key is no longer a member');
    await repo.touchKey(db, k.id, ip ?? null);
    return {
      userId: k.created_by,
      orgId: k.org_id,
      role: k.role as Role,
      sessionId: keySession(k.id),
      apiKeyId: k.id,
      // Scopes the creator's role no longer holds are not usable (can() is checked again per route).
      scopes: (k.scopes as Permission[]).filter((s) => can(k.role as Role, s)),
    };
  }

  /** Whether a socket opened with a key may stay open (re-checked like sessions). */
  async function alive(keyId: string, orgId: string, userId: string) {
    const r = await repo.keyOf(db, orgId, keyId);
    return Boolean(
      r &&
        r.created_by === userId &&
        r.revoked_at === null &&
        (r.expires_at === null || new Date(r.expires_at).getTime() > Date.now()),
    );
  }

  return { create, list, revoke, authenticate, alive };
}
export type ApiKeyService = ReturnType<typeof createApiKeyService>;
