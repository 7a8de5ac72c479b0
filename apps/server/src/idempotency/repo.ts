import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';

/** Every statement on `idempotency_keys`. Tenant first. */

export interface KeyRow {
  fingerprint: string;
  status: number | null;
  content_type: string | null;
  body: string | null;
}

/** Claims the key for a new request (true), or returns what is stored for it (a claim older than 24 h is replaced). */
export async function claim(
  db: Db,
  orgId: string,
  scope: string,
  fingerprint: string,
): Promise<true | KeyRow> {
  await db.execute(
    sql`delete from idempotency_keys where org_id = ${orgId} and scope = ${scope} and created_at < now() - interval '24 hours'`,
  );
  const won = await queryRows<{ scope: string }>(
    db,
    sql`insert into idempotency_keys (org_id, scope, fingerprint) values (${orgId}, ${scope}, ${fingerprint})
        on conflict do nothing returning scope`,
  );
  if (won.length) return true;
  const [row] = await queryRows<KeyRow>(
    db,
    sql`select fingerprint, status, content_type, body from idempotency_keys where org_id = ${orgId} and scope = ${scope}`,
  );
  // Gone between the two statements (released by a failed first request): try again as new.
  return row ?? claim(db, orgId, scope, fingerprint);
}

export async function store(
  db: Db,
  orgId: string,
  scope: string,
  a: { status: number; contentType: string | null; body: string },
) {
  await db.execute(
    sql`update idempotency_keys set status = ${a.status}, content_type = ${a.contentType}, body = ${a.body}
        where org_id = ${orgId} and scope = ${scope}`,
  );
}

/** The first request failed (5xx) or answered with a stream: the key may be used again. */
export async function release(db: Db, orgId: string, scope: string) {
  await db.execute(
    sql`delete from idempotency_keys where org_id = ${orgId} and scope = ${scope} and status is null`,
  );
}

export async function purge(db: Db) {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`with d as (delete from idempotency_keys where created_at < now() - interval '24 hours' returning 1)
        select count(*)::int as n from d`,
  );
  return rows[0]?.n ?? 0;
}
