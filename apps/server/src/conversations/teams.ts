import { can, ROLES, type Team } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { AuthContext } from '../auth/context.ts';
import { isUniqueViolation } from '../contacts/tags.ts';
import type { Db } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import { AppError, notFound } from '../lib/errors.ts';

/** Roles that reply to customers, so can be assigned and be in a team. */
export const AGENT_ROLES: string[] = ROLES.filter((r) => can(r, 'conversations.reply'));

interface Row {
  id: string;
  name: string;
  created_at: string | Date;
  members: { id: string; name: string | null; email: string }[];
}

/** Teams of agents (SPEC F7): round-robin assignment can go to the next online member of one. */
export function createTeamService(deps: { db: Db }) {
  const { db } = deps;

  async function rows(orgId: string, id?: string): Promise<Team[]> {
    const found = await queryRows<Row>(
      db,
      sql`select t.id, t.name, t.created_at,
                 coalesce((select json_agg(json_build_object('id', u.id, 'name', u.name, 'email', u.email)
                                           order by lower(coalesce(u.name, u.email)))
                           from team_members tm join users u on u.id = tm.user_id
                           join memberships m on m.user_id = tm.user_id and m.org_id = t.org_id
                           where tm.team_id = t.id), '[]'::json) as members
          from teams t where t.org_id = ${orgId} ${id ? sql`and t.id = ${id}` : sql``}
          order by lower(t.name)`,
    );
    return found.map((r) => ({
      id: r.id,
      name: r.name,
      members: r.members.map((m) => ({ id: m.id, name: m.name || null, email: m.email })),
      created_at: new Date(r.created_at).toISOString(),
    }));
  }

  async function get(ctx: Pick<AuthContext, 'orgId'>, id: string): Promise<Team> {
    const [t] = await rows(ctx.orgId, id);
    if (!t) throw notFound('Team');
    return t;
  }

  /** Every member must be someone of the organisation who can reply. */
  async function checkMembers(orgId: string, ids: string[]) {
    if (!ids.length) return;
    const found = await queryRows<{ user_id: string; role: string }>(
      db,
      sql`select user_id, role from memberships where org_id = ${orgId} and user_id = any(${sql.param(ids)}::uuid[])`,
    );
    const bad = ids.filter((id) => !found.some((f) => f.user_id === id && AGENT_ROLES.includes(f.role)));
    if (bad.length) {
      throw new AppError('VALIDATION_FAILED', 'member_ids: not agents of this organisation', {
        details: [{ path: ['member_ids'], message: `not an agent of this organisation: ${bad.join(', ')}` }],
      });
    }
  }

  async function save(orgId: string, id: string | undefined, body: { name: string; member_ids: string[] }) {
    const ids = [...new Set(body.member_ids)];
    await checkMembers(orgId, ids);
    try {
      return await transaction(db, async (tx) => {
        let teamId = id;
        if (teamId) {
          const [t] = await queryRows<{ id: string }>(
            tx,
            sql`update teams set name = ${body.name} where org_id = ${orgId} and id = ${teamId} returning id`,
          );
          if (!t) throw notFound('Team');
          await tx.execute(sql`delete from team_members where team_id = ${teamId}`);
        } else {
          const [t] = (await queryRows<{ id: string }>(
            tx,
            sql`insert into teams (org_id, name) values (${orgId}, ${body.name}) returning id`,
          )) as [{ id: string }];
          teamId = t.id;
        }
        if (ids.length)
          await tx.execute(
            sql`insert into team_members (team_id, user_id, org_id)
                select ${teamId}, x, ${orgId} from unnest(${sql.param(ids)}::uuid[]) x`,
          );
        return teamId;
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new AppError('CONFLICT', `A team named “${body.name}” already exists`, {
          details: [{ path: ['name'], message: 'already used' }],
        });
      }
      throw err;
    }
  }

  return {
    list: async (ctx: Pick<AuthContext, 'orgId'>) => rows(ctx.orgId),
    get,
    create: async (ctx: Pick<AuthContext, 'orgId'>, body: { name: string; member_ids: string[] }) =>
      get(ctx, await save(ctx.orgId, undefined, body)),
    update: async (
      ctx: Pick<AuthContext, 'orgId'>,
      id: string,
      body: { name: string; member_ids: string[] },
    ) => get(ctx, await save(ctx.orgId, id, body)),
    async remove(ctx: Pick<AuthContext, 'orgId'>, id: string) {
      const [t] = await queryRows<{ id: string }>(
        db,
        sql`delete from teams where org_id = ${ctx.orgId} and id = ${id} returning id`,
      );
      if (!t) throw notFound('Team');
    },
  };
}
export type TeamService = ReturnType<typeof createTeamService>;
