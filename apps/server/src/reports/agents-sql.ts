import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import { bucketValue } from './agents-fold.ts';
import { periodOf, type RollupScope } from './repo.ts';

/**
 * Reads of the agents rollups (agents-fold.ts writes them), and of who the agents and teams are
 * (users, memberships, teams: read-only, by the organisation's keys).
 */

export interface AgentScope extends RollupScope {
  /** Only these agents (a team's members); undefined: everyone. */
  userIds?: string[] | undefined;
}

const scoped = (orgId: string, q: AgentScope) =>
  sql`org_id = ${orgId} and day between ${q.from}::date and ${q.to}::date
      ${q.numberId ? sql`and number_id = ${q.numberId}` : sql``}
      ${q.userIds ? sql`and user_id = any(${sql.param(q.userIds)}::uuid[])` : sql``}`;

export interface AgentDay {
  day: string;
  user_id: string;
  handled: number;
  replies: number;
  notes: number;
  first_responses: number;
  first_response_seconds: number;
  resolutions: number;
  resolution_seconds: number;
}

/** Per agent per day, or per week (from Monday, the first week cut to the range): those with something counted. */
export function agentDays(db: Db, orgId: string, q: AgentScope, group: 'day' | 'week') {
  return queryRows<AgentDay>(
    db,
    sql`select to_char(p, 'YYYY-MM-DD') as day, user_id, sum(handled)::int as handled, sum(replies)::int as replies,
               sum(notes)::int as notes, sum(first_responses)::int as first_responses,
               sum(first_response_seconds)::float8 as first_response_seconds, sum(resolutions)::int as resolutions,
               sum(resolution_seconds)::float8 as resolution_seconds
        from (select ${periodOf(q, group)} as p, * from ${q.numberId ? sql`report_agent_daily` : sql`report_agent_daily_all`}
              where ${scoped(orgId, q)}) x
        group by p, user_id order by p, user_id`,
  );
}

export interface Histogram {
  user_id: string;
  kind: 'first_response' | 'resolution';
  bucket: number;
  n: number;
}

/** The durations' histograms of the range per agent. */
export function agentHistograms(db: Db, orgId: string, q: AgentScope) {
  return queryRows<Histogram>(
    db,
    sql`select user_id, kind, bucket, sum(n)::int as n
        from ${q.numberId ? sql`report_agent_durations` : sql`report_agent_durations_all`} where ${scoped(orgId, q)}
        group by 1, 2, 3 having sum(n) > 0`,
  );
}

/** The first response times' histogram of the range over every agent (the overview's KPI). */
export function firstResponseHistogram(db: Db, orgId: string, q: AgentScope) {
  return queryRows<{ bucket: number; n: number }>(
    db,
    sql`select bucket, sum(n)::int as n
        from ${q.numberId ? sql`report_agent_durations` : sql`report_agent_durations_all`}
        where ${scoped(orgId, q)} and kind = 'first_response' group by 1 having sum(n) > 0`,
  );
}

/**
 * A quantile (0.5: median, 0.9: p90; nearest rank) of a histogram, as the middle of its bucket
 * (within 4.4 % of the exact duration); null when empty.
 */
export function quantile(buckets: { bucket: number; n: number }[], p: number) {
  const sorted = [...buckets].filter((b) => b.n > 0).sort((a, b) => a.bucket - b.bucket);
  const total = sorted.reduce((s, b) => s + b.n, 0);
  if (!total) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const b of sorted) {
    seen += b.n;
    if (seen >= rank) return bucketValue(b.bucket);
  }
  return bucketValue(sorted[sorted.length - 1]!.bucket);
}

/** The organisation's people (members and former authors named in the rollups) with their names. */
export function userNames(db: Db, ids: string[]) {
  if (!ids.length) return Promise.resolve([]);
  return queryRows<{ id: string; name: string; email: string }>(
    db,
    sql`select id, name, email from users where id = any(${sql.param(ids)}::uuid[])`,
  );
}

/** The organisation's teams with their members now. */
export function teamsOf(db: Db, orgId: string) {
  return queryRows<{ id: string; name: string; members: string[] }>(
    db,
    sql`select t.id, t.name, coalesce(json_agg(m.user_id) filter (where m.user_id is not null), '[]'::json) as members
        from teams t left join team_members m on m.team_id = t.id
        where t.org_id = ${orgId} group by t.id, t.name order by lower(t.name)`,
  );
}
