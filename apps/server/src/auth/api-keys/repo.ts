import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { queryRows } from '../../db/tx.ts';

/** Every statement on `api_keys` (owned by auth, through this folder). Tenant first. */

type Q = Db | Tx;

export interface KeyRow {
  id: string;
  org_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_by: string;
  creator_email: string;
  created_at: Date | string;
  expires_at: Date | string | null;
  last_used_at: Date | string | null;
  last_used_ip: string | null;
  revoked_at: Date | string | null;
}

const COLS = sql.raw(
  `k.id, k.org_id, k.name, k.prefix, k.scopes, k.created_by, u.email as creator_email, k.created_at, k.expires_at,
   k.last_used_at, k.last_used_ip, k.revoked_at`,
);

export async function insertKey(
  q: Q,
  k: {
    orgId: string;
    createdBy: string;
    name: string;
    prefix: string;
    hash: string;
    scopes: string[];
    expiresAt: string | null;
  },
) {
  const [r] = await queryRows<{ id: string }>(
    q,
    sql`insert into api_keys (org_id, created_by, name, prefix, hash, scopes, expires_at)
        values (${k.orgId}, ${k.createdBy}, ${k.name}, ${k.prefix}, ${k.hash}, ${`{${k.scopes.join(',')}}`}::text[],
                ${k.expiresAt}::timestamptz)
        returning id`,
  );
  return r!.id;
}

export function listKeys(q: Q, orgId: string) {
  return queryRows<KeyRow>(
    q,
    sql`select ${COLS} from api_keys k join users u on u.id = k.created_by
        where k.org_id = ${orgId} order by k.created_at desc`,
  );
}

export async function keyOf(q: Q, orgId: string, id: string) {
  const [r] = await queryRows<KeyRow>(
    q,
    sql`select ${COLS} from api_keys k join users u on u.id = k.created_by where k.org_id = ${orgId} and k.id = ${id}`,
  );
  return r ?? null;
}

export async function revokeKey(q: Q, orgId: string, id: string) {
  const rows = await queryRows<{ id: string }>(
    q,
    sql`update api_keys set revoked_at = now() where org_id = ${orgId} and id = ${id} and revoked_at is null returning id`,
  );
  return rows.length > 0;
}

/** A live key by its hash, with its creator's current role in the organisation (null: no longer a member). */
export async function liveKeyByHash(q: Q, hash: string) {
  const [r] = await queryRows<{
    id: string;
    org_id: string;
    created_by: string;
    scopes: string[];
    role: string | null;
    expired: boolean;
    revoked: boolean;
  }>(
    q,
    sql`select k.id, k.org_id, k.created_by, k.scopes, m.role,
               (k.expires_at is not null and k.expires_at <= now()) as expired, (k.revoked_at is not null) as revoked
        from api_keys k left join memberships m on m.org_id = k.org_id and m.user_id = k.created_by
        where k.hash = ${hash}`,
  );
  return r ?? null;
}

/** Last use, written at most once a minute per key (not a write per request). */
export async function touchKey(q: Q, id: string, ip: string | null) {
  await q.execute(
    sql`update api_keys set last_used_at = now(), last_used_ip = ${ip}
        where id = ${id} and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
  );
}
