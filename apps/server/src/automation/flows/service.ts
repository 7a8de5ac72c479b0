import {
  type Flow,
  FlowExport,
  FlowGraph,
  type FlowProblem,
  type FlowRun,
  type FlowRunDetail,
  type FlowStartBody,
  type FlowStats,
  type FlowSummary,
  type FlowTestBody,
  type TestReplyBody,
} from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import { actorOf, recordAudit } from '../../audit/service.ts';
import type { AuthContext } from '../../auth/context.ts';
import { upsertContacts } from '../../contacts/upsert.ts';
import { openConversation } from '../../conversations/writes.ts';
import type { Db, Tx } from '../../db/client.ts';
import { queryRows, transaction } from '../../db/tx.ts';
import { isBsuid } from '../../lib/address.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { type FlowEngine, RUN_COLUMNS, type RunRow } from './engine.ts';
import { hasErrors, validateGraph } from './validate.ts';

interface FlowRow {
  id: string;
  name: string;
  description: string;
  draft: FlowGraph;
  enabled: boolean;
  published_version: number | null;
  published_at: string | Date | null;
  trigger: { kind: FlowSummary['trigger'] } | null;
  published_graph: unknown;
  active_runs: number | string;
  created_at: string | Date;
  updated_at: string | Date;
}
const iso = (d: string | Date) => new Date(d).toISOString();
const FLOW_SELECT = sql`
  select f.id, f.name, f.description, f.draft, f.enabled, f.published_version, f.published_at, f.trigger,
         f.created_at, f.updated_at,
         (select v.graph from flow_versions v where v.flow_id = f.id and v.version = f.published_version) as published_graph,
         (select count(*) from flow_runs r where r.flow_id = f.id and r.status in ('active', 'waiting') and not r.test) as active_runs
  from flows f`;

const toSummary = (r: FlowRow): FlowSummary => ({
  id: r.id,
  name: r.name,
  description: r.description,
  enabled: r.enabled,
  published_version: r.published_version,
  published_at: r.published_at ? iso(r.published_at) : null,
  draft_changed:
    r.published_version === null || JSON.stringify(r.published_graph) !== JSON.stringify(r.draft),
  trigger:
    r.trigger?.kind ??
    (r.draft.nodes.find((n) => n.type === 'trigger')?.data as { kind?: FlowSummary['trigger'] })?.kind ??
    null,
  active_runs: Number(r.active_runs),
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

/** Problems of a JSON value that should be a graph: zod's, with their paths. */
function parseProblems(issues: z.core.$ZodIssue[], prefix: (string | number)[]): FlowProblem[] {
  return issues.map((i) => ({
    severity: 'error' as const,
    path: [...prefix, ...(i.path as (string | number)[])],
    node_id: null,
    message: i.message,
  }));
}
const invalid = (message: string, problems: FlowProblem[]) =>
  new AppError(
    'VALIDATION_FAILED',
    `${message}: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`.slice(0, 2000),
    {
      details: problems.map((p) => ({
        path: p.path,
        message: p.message,
        severity: p.severity,
        node_id: p.node_id,
      })),
    },
  );

interface RunListRow extends RunRow {
  flow_name: string;
  contact_name: string | null;
  contact_phone: string | null;
  started_at: string | Date;
  ended_at: string | Date | null;
  end_reason: string | null;
}

/** Flows: drafts, validation, versions, export/import, runs and test runs (docs/automation.md "Flows"). */
export function createFlowService(deps: { db: Db; engine: FlowEngine }) {
  const { db, engine } = deps;

  async function fieldKeys(tx: Db | Tx, orgId: string) {
    const rows = await queryRows<{ key: string }>(
      tx,
      sql`select key from custom_fields where org_id = ${orgId}`,
    );
    return new Set(rows.map((r) => r.key));
  }

  async function row(tx: Db | Tx, orgId: string, id: string, lock = false) {
    const [r] = await queryRows<FlowRow>(
      tx,
      sql`${FLOW_SELECT} where f.org_id = ${orgId} and f.id = ${id}${lock ? sql` for update of f` : sql``}`,
    );
    if (!r) throw notFound('Flow');
    return r;
  }

  async function toFlow(tx: Db | Tx, orgId: string, r: FlowRow): Promise<Flow> {
    return { ...toSummary(r), graph: r.draft, problems: validateGraph(r.draft, await fieldKeys(tx, orgId)) };
  }

  async function list(ctx: Pick<AuthContext, 'orgId'>) {
    const rows = await queryRows<FlowRow>(
      db,
      sql`${FLOW_SELECT} where f.org_id = ${ctx.orgId} order by f.created_at, f.id`,
    );
    return { data: rows.map(toSummary) };
  }

  const get = async (ctx: Pick<AuthContext, 'orgId'>, id: string) =>
    toFlow(db, ctx.orgId, await row(db, ctx.orgId, id));

  /** Saved drafts may have warnings and even errors (publishing refuses those), but never a regex too costly. */
  async function checkSavable(tx: Db | Tx, orgId: string, graph: FlowGraph) {
    const costly = validateGraph(graph, await fieldKeys(tx, orgId)).filter(
      (p) => p.severity === 'error' && /too costly|not a supported regular expression/.test(p.message),
    );
    if (costly.length)
      throw invalid(
        'The graph has a regular expression that cannot be saved',
        costly.map((p) => ({ ...p, path: ['graph', ...p.path] })),
      );
  }

  async function create(ctx: AuthContext, body: { name: string; description: string; graph: FlowGraph }) {
    return transaction(db, async (tx) => {
      await checkSavable(tx, ctx.orgId, body.graph);
      const [r] = await queryRows<{ id: string }>(
        tx,
        sql`insert into flows (org_id, name, description, draft) values (${ctx.orgId}, ${body.name}, ${body.description}, ${JSON.stringify(body.graph)}::jsonb) returning id`,
      );
      await recordAudit(tx, actorOf(ctx), {
        action: 'flow.create',
        entityType: 'flow',
        entityId: r!.id,
        after: { name: body.name },
      });
      return toFlow(tx, ctx.orgId, await row(tx, ctx.orgId, r!.id));
    });
  }

  async function update(
    ctx: AuthContext,
    id: string,
    body: {
      name?: string | undefined;
      description?: string | undefined;
      graph?: FlowGraph | undefined;
      enabled?: boolean | undefined;
    },
  ) {
    return transaction(db, async (tx) => {
      const before = await row(tx, ctx.orgId, id, true);
      if (body.graph) await checkSavable(tx, ctx.orgId, body.graph);
      await tx.execute(sql`
        update flows set
          name = coalesce(${body.name ?? null}, name),
          description = coalesce(${body.description ?? null}, description),
          draft = coalesce(${body.graph ? JSON.stringify(body.graph) : null}::jsonb, draft),
          enabled = coalesce(${body.enabled ?? null}::boolean, enabled),
          updated_at = now()
        where org_id = ${ctx.orgId} and id = ${id}`);
      await recordAudit(tx, actorOf(ctx), {
        action: 'flow.update',
        entityType: 'flow',
        entityId: id,
        before: { name: before.name, enabled: before.enabled },
        after: { ...body, graph: body.graph ? `${body.graph.nodes.length} nodes` : undefined },
      });
      return toFlow(tx, ctx.orgId, await row(tx, ctx.orgId, id));
    });
  }

  /** Deleting a flow ends its runs (they go with it, logs included). */
  async function remove(ctx: AuthContext, id: string) {
    return transaction(db, async (tx) => {
      const before = await row(tx, ctx.orgId, id, true);
      const stopped = await engine.stopWhere(tx, sql`flow_id = ${id}`, 'flow deleted');
      await tx.execute(sql`delete from flows where org_id = ${ctx.orgId} and id = ${id}`);
      await recordAudit(tx, actorOf(ctx), {
        action: 'flow.delete',
        entityType: 'flow',
        entityId: id,
        before: { name: before.name, published_version: before.published_version, runs_stopped: stopped },
      });
      return { ok: true as const };
    });
  }

  async function validate(ctx: Pick<AuthContext, 'orgId'>, id: string, graph?: unknown) {
    const r = await row(db, ctx.orgId, id);
    let g: FlowGraph = r.draft;
    if (graph !== undefined) {
      const parsed = FlowGraph.safeParse(graph);
      if (!parsed.success) return { ok: false, problems: parseProblems(parsed.error.issues, []) };
      g = parsed.data;
    }
    const problems = validateGraph(g, await fieldKeys(db, ctx.orgId));
    return { ok: !hasErrors(problems), problems };
  }

  async function publish(ctx: AuthContext, id: string) {
    return transaction(db, async (tx) => {
      const r = await row(tx, ctx.orgId, id, true);
      const problems = validateGraph(r.draft, await fieldKeys(tx, ctx.orgId));
      if (hasErrors(problems))
        throw invalid(
          'The flow has errors and cannot be published',
          problems.filter((p) => p.severity === 'error').map((p) => ({ ...p, path: ['graph', ...p.path] })),
        );
      const version = (r.published_version ?? 0) + 1;
      const trigger = r.draft.nodes.find((n) => n.type === 'trigger')!.data;
      await tx.execute(
        sql`insert into flow_versions (flow_id, version, org_id, graph, published_by)
            values (${id}, ${version}, ${ctx.orgId}, ${JSON.stringify(r.draft)}::jsonb, ${ctx.userId})`,
      );
      await tx.execute(
        sql`update flows set published_version = ${version}, published_at = now(), trigger = ${JSON.stringify(trigger)}::jsonb, updated_at = now()
            where id = ${id}`,
      );
      await recordAudit(tx, actorOf(ctx), {
        action: 'flow.publish',
        entityType: 'flow',
        entityId: id,
        after: { version, warnings: problems.length },
      });
      return toFlow(tx, ctx.orgId, await row(tx, ctx.orgId, id));
    });
  }

  async function versions(ctx: Pick<AuthContext, 'orgId'>, id: string) {
    await row(db, ctx.orgId, id);
    const rows = await queryRows<{
      version: number;
      published_at: string | Date;
      graph: FlowGraph;
      user_id: string | null;
      user_name: string | null;
    }>(
      db,
      sql`select v.version, v.published_at, v.graph, u.id as user_id, u.name as user_name
          from flow_versions v left join users u on u.id = v.published_by
          where v.flow_id = ${id} and v.org_id = ${ctx.orgId} order by v.version desc`,
    );
    return {
      data: rows.map((v) => ({
        version: v.version,
        published_at: iso(v.published_at),
        published_by: v.user_id ? { id: v.user_id, name: v.user_name || null } : null,
        graph: v.graph,
      })),
    };
  }

  async function stats(ctx: Pick<AuthContext, 'orgId'>, id: string, version?: number): Promise<FlowStats> {
    const r = await row(db, ctx.orgId, id);
    const v = version ?? r.published_version;
    const runs = await queryRows<{ status: string; n: number | string }>(
      db,
      sql`select status, count(*) as n from flow_runs where org_id = ${ctx.orgId} and flow_id = ${id} and not test
            ${v === null ? sql`` : sql`and version = ${v}`} group by status`,
    );
    const nodes = await queryRows<{ node_id: string; outcome: string; n: number | string }>(
      db,
      sql`select s.node_id, s.outcome, count(*) as n from flow_run_steps s
          where s.flow_id = ${id} and s.version = ${v ?? -1} and s.org_id = ${ctx.orgId}
            and exists (select 1 from flow_runs r where r.id = s.run_id and not r.test)
          group by s.node_id, s.outcome`,
    );
    const count = (s: string) => runs.filter((x) => x.status === s).reduce((a, x) => a + Number(x.n), 0);
    const out: FlowStats['nodes'] = {};
    for (const n of nodes) {
      out[n.node_id] ??= { entered: 0, completed: 0, dropped: 0, timed_out: 0 };
      const c = out[n.node_id]!;
      if (n.outcome in c) c[n.outcome as keyof typeof c] += Number(n.n);
    }
    return {
      version: v,
      runs: {
        active: count('active') + count('waiting'),
        completed: count('completed'),
        stopped: count('stopped'),
        failed: count('failed'),
      },
      nodes: out,
    };
  }

  async function exportFlow(ctx: Pick<AuthContext, 'orgId'>, id: string): Promise<FlowExport> {
    const r = await row(db, ctx.orgId, id);
    return { openwaba_flow: 1, name: r.name, description: r.description, graph: r.draft };
  }

  /** Imports a FlowExport as a new draft: 400 with the path of every problem, nothing saved then. */
  async function importFlow(ctx: AuthContext, body: unknown) {
    const parsed = FlowExport.safeParse(body);
    if (!parsed.success) throw invalid('Not a flow export', parseProblems(parsed.error.issues, []));
    const problems = validateGraph(parsed.data.graph, await fieldKeys(db, ctx.orgId)).filter(
      (p) => p.severity === 'error',
    );
    if (problems.length)
      throw invalid(
        'The flow does not validate',
        problems.map((p) => ({ ...p, path: ['graph', ...p.path] })),
      );
    return create(ctx, parsed.data);
  }

  // ------------------------------------------------------------ runs

  const RUN_SELECT = sql`
    select r.id, r.org_id, r.flow_id, r.version, r.contact_id, r.number_id, r.status, r.current_node, r.waiting_for,
           r.due_at, r.vars, r.state, r.steps, r.test, r.test_graph, r.transcript, r.started_at, r.ended_at, r.end_reason,
           f.name as flow_name, c.name as contact_name, c.phone as contact_phone
    from flow_runs r join flows f on f.id = r.flow_id left join contacts c on c.id = r.contact_id`;
  const toRun = (r: RunListRow): FlowRun => ({
    id: r.id,
    flow_id: r.flow_id,
    flow_name: r.flow_name,
    version: r.version,
    contact: r.contact_id ? { id: r.contact_id, name: r.contact_name, phone: r.contact_phone } : null,
    number_id: r.number_id,
    status: r.status as FlowRun['status'],
    current_node: r.current_node,
    waiting_for: r.waiting_for as FlowRun['waiting_for'],
    due_at: r.due_at ? iso(r.due_at) : null,
    vars: r.vars,
    steps: r.steps,
    test: r.test,
    started_at: iso(r.started_at),
    ended_at: r.ended_at ? iso(r.ended_at) : null,
    end_reason: r.end_reason,
  });

  async function listRuns(
    ctx: Pick<AuthContext, 'orgId'>,
    q: {
      flow_id?: string | undefined;
      contact_id?: string | undefined;
      status?: string | undefined;
      test?: 'true' | 'false' | undefined;
      cursor?: string | undefined;
      limit: number;
    },
  ) {
    let after: { at: string; id: string } | undefined;
    if (q.cursor) {
      const [at, cid] = Buffer.from(q.cursor, 'base64url').toString().split('|');
      if (!at || !cid || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/.test(cid))
        throw new AppError('VALIDATION_FAILED', 'cursor: not a cursor of this list', {
          details: [{ path: ['cursor'], message: 'invalid' }],
        });
      after = { at, id: cid };
    }
    const rows = await queryRows<RunListRow>(
      db,
      sql`${RUN_SELECT} where r.org_id = ${ctx.orgId}
          ${q.flow_id ? sql`and r.flow_id = ${q.flow_id}` : sql``}
          ${q.contact_id ? sql`and r.contact_id = ${q.contact_id}` : sql``}
          ${q.status ? sql`and r.status = ${q.status}` : sql``}
          ${q.test ? sql`and r.test = ${q.test === 'true'}` : sql``}
          ${after ? sql`and (r.started_at, r.id) < (${after.at}::timestamptz, ${after.id}::uuid)` : sql``}
          order by r.started_at desc, r.id desc limit ${q.limit + 1}`,
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      data: page.map(toRun),
      next_cursor:
        rows.length > q.limit && last
          ? Buffer.from(`${iso(last.started_at)}|${last.id}`).toString('base64url')
          : null,
    };
  }

  async function runDetail(tx: Db | Tx, orgId: string, id: string): Promise<FlowRunDetail> {
    const [r] = await queryRows<RunListRow>(
      tx,
      sql`${RUN_SELECT} where r.org_id = ${orgId} and r.id = ${id}`,
    );
    if (!r) throw notFound('Run');
    const log = await queryRows<{
      at: string | Date;
      node_id: string;
      node_type: string;
      outcome: string;
      input: unknown;
      detail: string | null;
      error: string | null;
    }>(
      tx,
      sql`select at, node_id, node_type, outcome, input, detail, error from flow_run_steps where run_id = ${id} order by id`,
    );
    return {
      ...toRun(r),
      log: log.map((s) => ({
        at: iso(s.at),
        node_id: s.node_id,
        node_type: s.node_type,
        outcome: s.outcome as FlowRunDetail['log'][number]['outcome'],
        input: s.input ?? null,
        detail: s.detail,
        error: s.error,
      })),
      transcript: (r.transcript ?? []) as FlowRunDetail['transcript'],
    };
  }
  const getRun = (ctx: Pick<AuthContext, 'orgId'>, id: string) => runDetail(db, ctx.orgId, id);

  async function stopRun(ctx: AuthContext, id: string) {
    return transaction(db, async (tx) => {
      const [r] = await queryRows<{ status: string }>(
        tx,
        sql`select status from flow_runs where org_id = ${ctx.orgId} and id = ${id} for update`,
      );
      if (!r) throw notFound('Run');
      if (r.status === 'active' || r.status === 'waiting') {
        await engine.stopWhere(tx, sql`id = ${id}`, 'stopped by a person');
        await recordAudit(tx, actorOf(ctx), {
          action: 'flow_run.stop',
          entityType: 'flow_run',
          entityId: id,
          before: { status: r.status },
        });
      }
      return runDetail(tx, ctx.orgId, id);
    });
  }

  /** The contact a start names: by id, or by phone/BSUID (created when new). */
  async function contactFor(tx: Tx, orgId: string, body: z.infer<typeof FlowStartBody>) {
    if (body.contact_id) {
      const [c] = await queryRows<{ id: string }>(
        tx,
        sql`select id from contacts where org_id = ${orgId} and id = ${body.contact_id}`,
      );
      if (!c) throw notFound('Contact');
      return c.id;
    }
    const to = body.to!.trim();
    if (isBsuid(to)) {
      const [c] = await queryRows<{ id: string }>(
        tx,
        sql`select id from contacts where org_id = ${orgId} and (user_id = ${to} or wa_id = ${to})`,
      );
      if (c) return c.id;
      const [n] = await upsertContacts(tx, orgId, [{ waId: to, userId: to }]);
      return n!.id;
    }
    const [settings] = await queryRows<{ default_region: string }>(
      tx,
      sql`select default_region from org_settings where org_id = ${orgId}`,
    );
    const phone = normalizePhone(to, { defaultRegion: settings?.default_region ?? 'US' });
    if (!phone.ok)
      throw new AppError('VALIDATION_FAILED', `to: ${phone.reason}`, {
        details: [{ path: ['to'], message: phone.reason }],
      });
    const [c] = await upsertContacts(tx, orgId, [{ waId: phone.waId, country: phone.country }]);
    return c!.id;
  }

  async function startViaApi(ctx: AuthContext, flowId: string, body: z.infer<typeof FlowStartBody>) {
    return transaction(db, async (tx, onCommit) => {
      const f = await row(tx, ctx.orgId, flowId);
      if (f.published_version === null)
        throw new AppError('CONFLICT', 'The flow is not published; publish it first');
      if (!f.enabled) throw new AppError('CONFLICT', 'The flow is disabled');
      const [n] = await queryRows<{ id: string }>(
        tx,
        sql`select id from numbers where org_id = ${ctx.orgId} and id = ${body.number_id}`,
      );
      if (!n) throw notFound('Number');
      const contactId = await contactFor(tx, ctx.orgId, body);
      const conv = await openConversation(tx, ctx.orgId, body.number_id, contactId);
      const started = await engine.control.startRun(tx, onCommit, {
        orgId: ctx.orgId,
        flowId,
        contactId,
        numberId: body.number_id,
        conversationId: conv.id,
        vars: body.vars,
        via: 'api',
      });
      if ('error' in started) throw new AppError('CONFLICT', `Not started: ${started.error}`);
      await recordAudit(tx, actorOf(ctx), {
        action: 'flow_run.start',
        entityType: 'flow_run',
        entityId: started.runId,
        after: { flow_id: flowId, contact_id: contactId },
      });
      return runDetail(tx, ctx.orgId, started.runId);
    });
  }

  /** A test run: the draft (or the published version) against the test chat; sends nothing, changes no contact. */
  async function startTest(ctx: AuthContext, flowId: string, body: z.infer<typeof FlowTestBody>) {
    return transaction(db, async (tx, onCommit) => {
      const f = await row(tx, ctx.orgId, flowId);
      let graph: unknown = f.draft;
      let version = 0;
      if (body.use === 'published') {
        if (f.published_version === null) throw new AppError('CONFLICT', 'The flow is not published');
        graph = f.published_graph;
        version = f.published_version;
      } else {
        const problems = validateGraph(f.draft, await fieldKeys(tx, ctx.orgId)).filter(
          (p) => p.severity === 'error',
        );
        if (problems.length)
          throw invalid(
            'The draft has errors; fix them to test it',
            problems.map((p) => ({ ...p, path: ['graph', ...p.path] })),
          );
      }
      if (body.number_id) {
        const [n] = await queryRows<{ id: string }>(
          tx,
          sql`select id from numbers where org_id = ${ctx.orgId} and id = ${body.number_id}`,
        );
        if (!n) throw notFound('Number');
      }
      const [r] = await queryRows<RunRow>(
        tx,
        sql`insert into flow_runs (org_id, flow_id, version, number_id, status, test, test_graph, transcript)
            values (${ctx.orgId}, ${flowId}, ${version}, ${body.number_id ?? null}, 'active', true, ${JSON.stringify(graph)}::jsonb, '[]'::jsonb)
            returning ${RUN_COLUMNS}`,
      );
      await engine.advance(tx, onCommit, r!, { kind: 'start' });
      await recordAudit(tx, actorOf(ctx), {
        action: 'flow_run.test',
        entityType: 'flow_run',
        entityId: r!.id,
        after: { flow_id: flowId, use: body.use },
      });
      return runDetail(tx, ctx.orgId, r!.id);
    });
  }

  async function testReply(ctx: AuthContext, runId: string, body: z.infer<typeof TestReplyBody>) {
    return transaction(db, async (tx, onCommit) => {
      const [exists] = await queryRows<{ id: string }>(
        tx,
        sql`select id from flow_runs where org_id = ${ctx.orgId} and id = ${runId}`,
      );
      if (!exists) throw notFound('Run');
      const r = await engine.lockRun(tx, runId);
      if (!r?.test) throw new AppError('CONFLICT', 'Only a test run takes test replies');
      if (r.status !== 'waiting' || r.waiting_for !== 'reply')
        throw new AppError(
          'CONFLICT',
          `The run is not waiting for a reply (it is ${r.status}${r.waiting_for ? `, waiting for ${r.waiting_for}` : ''})`,
        );
      await engine.advance(tx, onCommit, r, {
        kind: 'reply',
        text: body.text ?? null,
        replyId: body.reply_id ?? null,
        replyTitle: null,
        messageId: null,
        wamid: null,
      });
      return runDetail(tx, ctx.orgId, runId);
    });
  }

  return {
    list,
    get,
    create,
    update,
    remove,
    validate,
    publish,
    versions,
    stats,
    exportFlow,
    importFlow,
    listRuns,
    getRun,
    stopRun,
    startViaApi,
    startTest,
    testReply,
  };
}
export type FlowService = ReturnType<typeof createFlowService>;
