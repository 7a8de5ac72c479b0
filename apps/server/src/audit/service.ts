import type { AuditEntry, AuditQuery } from '@openwaba/contracts';
import type { AuthContext } from '../auth/context.ts';
import type { Database, Db } from '../db/client.ts';
import { auditLog } from '../db/schema.ts';
import { csvLine } from '../lib/csv-safe.ts';

/** Who did it: a user (through a session), an API key, or the system (jobs, cron). */
export interface Actor {
  orgId: string;
  actorType?: 'user' | 'api_key' | 'system';
  userId?: string;
  apiKeyId?: string;
  label?: string;
  requestId?: string;
  ip?: string;
}

export interface AuditChange {
  action: string;
  entityType: string;
  entityId?: string | null;
  before?: unknown;
  after?: unknown;
}

const SECRET_KEY = /pass(word)?|secret|token|api[_-]?key|authorization|credential|private/i;

/** Replaces the value of every key that looks like a secret, at any depth. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value instanceof Date) return value.toISOString();
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      SECRET_KEY.test(k) && v !== null && v !== undefined ? '[redacted]' : redact(v),
    ]),
  );
}

export function actorOf(ctx: AuthContext & { requestId?: string; ip?: string }): Actor {
  return {
    orgId: ctx.orgId,
    actorType: ctx.apiKeyId ? 'api_key' : 'user',
    userId: ctx.userId,
    ...(ctx.apiKeyId ? { apiKeyId: ctx.apiKeyId } : {}),
    ...(ctx.via ? { label: `via ${ctx.via}` } : {}),
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    ...(ctx.ip ? { ip: ctx.ip } : {}),
  };
}

/** Writes one audit row in the caller's transaction, so the record exists exactly when the change does. */
export async function recordAudit(tx: Db, actor: Actor, change: AuditChange) {
  await tx.insert(auditLog).values({
    orgId: actor.orgId,
    actorType: actor.actorType ?? (actor.apiKeyId ? 'api_key' : actor.userId ? 'user' : 'system'),
    actorId: actor.apiKeyId ?? actor.userId ?? null,
    actorLabel: actor.label ?? null,
    action: change.action,
    entityType: change.entityType,
    entityId: change.entityId ?? null,
    before: change.before === undefined ? null : redact(change.before),
    after: change.after === undefined ? null : redact(change.after),
    requestId: actor.requestId ?? null,
    ip: actor.ip ?? null,
  });
}

interface AuditRow {
  id: string | number;
  actor_type: AuditEntry['actor_type'];
  actor_id: string | null;
  actor_label: string | null;
  user_email: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  before: unknown;
  after: unknown;
  request_id: string | null;
  ip: string | null;
  created_at: string | Date;
}

export function createAuditService(deps: { database: Database }) {
  const { database } = deps;

  async function list(
    orgId: string,
    q: AuditQuery,
  ): Promise<{ data: AuditEntry[]; next_cursor: string | null }> {
    const rows = await database.query<AuditRow>(
      `select a.id::text as id, a.actor_type, a.actor_id, a.actor_label, u.email as user_email, a.action, a.entity_type,
              a.entity_id, a.before, a.after, a.request_id, a.ip, a.created_at
       from audit_log a left join users u on a.actor_type = 'user' and u.id::text = a.actor_id
       where a.org_id = $1
         and ($2::text is null or a.action = $2 or a.action like $2 || '.%')
         and ($3::text is null or a.entity_type = $3)
         and ($4::text is null or a.entity_id = $4)
         and ($5::text is null or a.actor_id = $5)
         and ($6::timestamptz is null or a.created_at >= $6)
         and ($7::timestamptz is null or a.created_at < $7)
         and ($8::bigint is null or a.id < $8)
       order by a.id desc limit $9`,
      [
        orgId,
        q.action ?? null,
        q.entity_type ?? null,
        q.entity_id ?? null,
        q.actor_id ?? null,
        q.from ?? null,
        q.to ?? null,
        q.before ?? null,
        q.limit + 1,
      ],
    );
    const page = rows.slice(0, q.limit);
    return {
      data: page.map((r) => ({
        id: String(r.id),
        actor_type: r.actor_type,
        actor_id: r.actor_id,
        actor_label: r.actor_label ?? r.user_email,
        action: r.action,
        entity_type: r.entity_type,
        entity_id: r.entity_id,
        before: r.before ?? null,
        after: r.after ?? null,
        request_id: r.request_id,
        ip: r.ip,
        created_at: new Date(r.created_at).toISOString(),
      })),
      next_cursor: rows.length > q.limit ? String(page[page.length - 1]!.id) : null,
    };
  }

  /** Every matching entry as CSV (RFC 4180), streamed page by page. */
  async function* csv(orgId: string, q: Omit<AuditQuery, 'before' | 'limit'>): AsyncGenerator<string> {
    yield csvLine(AUDIT_CSV_COLUMNS);
    let before: string | undefined;
    for (;;) {
      const page = await list(orgId, { ...q, limit: 200, ...(before ? { before } : {}) });
      for (const e of page.data) {
        yield csvLine([
          e.id,
          e.created_at,
          e.actor_type,
          e.actor_label ?? e.actor_id ?? '',
          e.action,
          e.entity_type,
          e.entity_id ?? '',
          e.request_id ?? '',
          e.ip ?? '',
          e.before === null ? '' : JSON.stringify(e.before),
          e.after === null ? '' : JSON.stringify(e.after),
        ]);
      }
      if (!page.next_cursor) return;
      before = page.next_cursor;
    }
  }

  return { list, csv };
}
export type AuditService = ReturnType<typeof createAuditService>;

const AUDIT_CSV_COLUMNS = [
  'id',
  'created_at',
  'actor_type',
  'actor',
  'action',
  'entity_type',
  'entity_id',
  'request_id',
  'ip',
  'before',
  'after',
] as const;
