import type { Rule, RuleBody } from '@openwaba/contracts';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import { transaction } from '../db/tx.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { checkMatch } from './match.ts';
import * as repo from './repo.ts';

export const toRule = (r: repo.RuleRow): Rule => ({
  id: r.id,
  name: r.name,
  enabled: r.enabled,
  priority: r.priority,
  match: r.match,
  number_ids: r.number_ids,
  cooldown_minutes: r.cooldown_minutes,
  hours: r.hours,
  actions: r.actions,
  continue: r.continue_chain,
  matched_count: Number(r.matched_count),
  last_matched_at: r.last_matched_at ? new Date(r.last_matched_at).toISOString() : null,
  created_at: new Date(r.created_at).toISOString(),
  updated_at: new Date(r.updated_at).toISOString(),
});

type Problem = { path: (string | number)[]; message: string };

/**
 * What zod cannot see in a rule: a regex RE2 refuses or finds too costly, and ids that are not the
 * organisation's (numbers, teams, agents, flows). Every problem, with its path.
 */
async function problemsOf(tx: Tx, orgId: string, b: RuleBody): Promise<Problem[]> {
  const out: Problem[] = checkMatch(b.match).map((p) => ({
    path: ['match', 'patterns', p.index],
    message: p.message,
  }));
  const refs: { table: 'numbers' | 'teams' | 'flows' | 'members'; id: string; path: Problem['path'] }[] = [];
  b.number_ids?.forEach((id, i) => {
    refs.push({ table: 'numbers', id, path: ['number_ids', i] });
  });
  b.actions.forEach((a, i) => {
    if ((a.type === 'assign' || a.type === 'handover') && a.team_id)
      refs.push({ table: 'teams', id: a.team_id, path: ['actions', i, 'team_id'] });
    if (a.type === 'assign' && a.assignee && a.assignee !== 'round_robin')
      refs.push({ table: 'members', id: a.assignee, path: ['actions', i, 'assignee'] });
    if (a.type === 'start_flow')
      refs.push({ table: 'flows', id: a.flow_id, path: ['actions', i, 'flow_id'] });
  });
  for (const table of ['numbers', 'teams', 'members', 'flows'] as const) {
    const mine = refs.filter((r) => r.table === table);
    if (!mine.length) continue;
    const found = new Set(await repo.existing(tx, orgId, table, [...new Set(mine.map((r) => r.id))]));
    for (const r of mine) {
      if (!found.has(r.id)) {
        const what = table === 'members' ? 'member' : table.slice(0, -1);
        out.push({ path: r.path, message: `no such ${what} in this organisation` });
      }
    }
  }
  return out;
}

async function validate(tx: Tx, orgId: string, b: RuleBody) {
  const problems = await problemsOf(tx, orgId, b);
  if (problems.length) {
    throw new AppError(
      'VALIDATION_FAILED',
      problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; '),
      { details: problems },
    );
  }
}

/** Keyword rules: CRUD with validation, every change audited. The chain (chain.ts) runs them. */
export function createRuleService(deps: { db: Db }) {
  const { db } = deps;

  async function list(ctx: Pick<AuthContext, 'orgId'>) {
    return { data: (await repo.listRules(db, ctx.orgId)).map(toRule) };
  }

  async function create(ctx: AuthContext, body: RuleBody) {
    return transaction(db, async (tx) => {
      await validate(tx, ctx.orgId, body);
      const row = await repo.insertRule(tx, ctx.orgId, body);
      await recordAudit(tx, actorOf(ctx), {
        action: 'automation.rule.create',
        entityType: 'automation_rule',
        entityId: row.id,
        after: body,
      });
      return toRule(row);
    });
  }

  async function update(ctx: AuthContext, id: string, body: RuleBody) {
    return transaction(db, async (tx) => {
      const before = await repo.findRule(tx, ctx.orgId, id);
      if (!before) throw notFound('Rule');
      await validate(tx, ctx.orgId, body);
      const row = (await repo.updateRule(tx, ctx.orgId, id, body))!;
      await recordAudit(tx, actorOf(ctx), {
        action: 'automation.rule.update',
        entityType: 'automation_rule',
        entityId: id,
        before: toRule(before),
        after: body,
      });
      return toRule(row);
    });
  }

  async function remove(ctx: AuthContext, id: string) {
    return transaction(db, async (tx) => {
      const before = await repo.deleteRule(tx, ctx.orgId, id);
      if (!before) throw notFound('Rule');
      await recordAudit(tx, actorOf(ctx), {
        action: 'automation.rule.delete',
        entityType: 'automation_rule',
        entityId: id,
        before: toRule(before),
      });
      return { ok: true as const };
    });
  }

  return { list, create, update, remove };
}
export type RuleService = ReturnType<typeof createRuleService>;
