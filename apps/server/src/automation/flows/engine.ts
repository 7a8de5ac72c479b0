import { FlowGraph, type FlowNode } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { flowRunSteps } from '../../db/schema.ts';
import { type OnCommit, queryRows, transaction } from '../../db/tx.ts';
import type { GuardedFetch } from '../../lib/guarded-fetch.ts';
import type { Log } from '../../lib/log.ts';
import { fill } from '../../lib/placeholders.ts';
import type { ActionContext, ActionRunner, SideEffect } from '../actions.ts';
import { type Batch, type RunWrite, writeRuns } from '../batch.ts';
import type { FlowControl, InboundForFlows } from '../flow-control.ts';
import { matchText, normalizeText } from '../match.ts';

/** Nodes one advance may run before the run fails (a loop without a wait, which validation refuses). */
export const MAX_STEPS_PER_ADVANCE = 100;
/** Nodes a run may enter in its whole life. */
export const MAX_STEPS_PER_RUN = 1_000;
/** While an HTTP node's call is in flight, its run is leased to the worker making it for this long past the timeout. */
const HTTP_LEASE_SECONDS = 30;

/**
 * Whether the number's business hours are open at a moment (the business-hours domain). `tx`: the
 * run's transaction, to read in (PGlite has one connection: a read beside it would wait for it).
 */
export type IsOpen = (orgId: string, numberId: string | null, at: Date, tx?: Tx | Db) => Promise<boolean>;

export interface RunRow {
  id: string;
  org_id: string;
  flow_id: string;
  version: number;
  contact_id: string | null;
  number_id: string | null;
  status: string;
  current_node: string | null;
  waiting_for: string | null;
  due_at: string | Date | null;
  vars: Record<string, string>;
  state: RunState;
  steps: number;
  test: boolean;
  test_graph: unknown;
  transcript: TranscriptEntry[] | null;
}
type TranscriptEntry = { from: 'bot' | 'customer'; at: string; content: Record<string, unknown> };

/** What a run keeps between advances (flow_runs.state). */
export interface RunState {
  conversation_id?: string;
  /** The customer's last reply (what conditions on text / reply id test). */
  last?: { text: string | null; reply_id: string | null; reply_title: string | null };
  /** wamid answered by the next sends. */
  reply_to?: string | null;
  /** The last inbound message that advanced the run: a second delivery of it does nothing. */
  last_message_id?: string;
  /** An ask's invalid answers so far. */
  retries?: number;
  /** Test runs: the contact as the flow changed it (tags, fields), never the real one. */
  shadow?: { name: string | null; phone: string | null; fields: Record<string, unknown>; tags: string[] };
}

export type RunInput =
  | { kind: 'start'; message?: InboundForFlows | undefined }
  | {
      kind: 'reply';
      text: string | null;
      replyId: string | null;
      replyTitle: string | null;
      messageId: string | null;
      wamid: string | null;
    }
  | { kind: 'due' }
  | { kind: 'http'; ok: boolean; status: number | null; vars: Record<string, string>; error?: string };

interface Step {
  nodeId: string;
  nodeType: string;
  outcome: 'entered' | 'completed' | 'dropped' | 'timed_out' | 'error' | 'waiting';
  input?: unknown;
  detail?: string | null;
  error?: string | null;
}

export const RUN_COLUMNS = sql.raw(
  'id, org_id, flow_id, version, contact_id, number_id, status, current_node, waiting_for, due_at, vars, state, steps, test, test_graph, transcript',
);

/** Dotted path into a JSON value: `order.status`, `items.0.id`. */
export function pick(v: unknown, path: string): string | undefined {
  let cur: unknown = v;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === null || cur === undefined) return undefined;
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/** An ask's answer checked: the value to save, or null when it does not fit. */
export function checkAnswer(
  node: Extract<FlowNode, { type: 'ask' }>,
  text: string | null,
  replyId: string | null,
  replyTitle: string | null,
): string | null {
  const raw = (text ?? replyTitle ?? replyId ?? '').trim();
  switch (node.data.validation) {
    case 'text':
      return raw ? raw : null;
    case 'number': {
      const s = raw.replace(/\s/g, '').replace(',', '.');
      return /^[-+]?\d+(\.\d+)?$/.test(s) ? String(Number(s)) : null;
    }
    case 'email':
      return /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(raw) ? raw.toLowerCase() : null;
    case 'date': {
      let y: number;
      let m: number;
      let d: number;
      let hit = raw.match(/^(\d{4})-(\d{1,2})-(\d{1,2})$/);
      if (hit) [y, m, d] = [Number(hit[1]), Number(hit[2]), Number(hit[3])];
      else {
        hit = raw.match(/^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/);
        if (!hit) return null;
        [d, m, y] = [Number(hit[1]), Number(hit[2]), Number(hit[3])];
      }
      const date = new Date(Date.UTC(y, m - 1, d));
      if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
      return date.toISOString().slice(0, 10);
    }
    case 'choice': {
      const choices = node.data.choices ?? [];
      const said = [raw, replyId ?? '', replyTitle ?? ''].map(normalizeText).filter(Boolean);
      return choices.find((c) => said.includes(normalizeText(c))) ?? null;
    }
  }
}

/**
 * The flow engine: runs are rows, advanced under their row lock in the caller's transaction (the
 * messages a node queues commit with the run's new state, or not at all). See docs/automation.md
 * "Flows".
 */
export function createFlowEngine(deps: {
  db: Db;
  actions: ActionRunner;
  fetch: GuardedFetch;
  isOpen: IsOpen;
  log: Log;
  /** A new batch (batch.ts): the due sweep advances its claimed runs in one; without it, one by one. */
  newBatch?: () => Batch;
}) {
  const { db, actions, log } = deps;
  const graphs = new Map<string, ReturnType<typeof indexGraph>>();

  function indexGraph(graph: FlowGraph) {
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    const out = new Map<string, string>();
    for (const e of graph.edges) out.set(`${e.source}\u0000${e.source_handle}`, e.target);
    return { graph, byId, next: (id: string, handle: string) => out.get(`${id}\u0000${handle}`) ?? null };
  }

  /** A run's graph: its test graph, or the published version it started on (immutable, cached). */
  async function graphOf(tx: Tx | Db, run: Pick<RunRow, 'flow_id' | 'version' | 'test_graph'>) {
    if (run.test_graph) return indexGraph(FlowGraph.parse(run.test_graph));
    const key = `${run.flow_id}:${run.version}`;
    const hit = graphs.get(key);
    if (hit) return hit;
    const [row] = await queryRows<{ graph: unknown }>(
      tx,
      sql`select graph from flow_versions where flow_id = ${run.flow_id} and version = ${run.version}`,
    );
    if (!row) throw new Error(`flow ${run.flow_id} has no version ${run.version}`);
    const g = indexGraph(FlowGraph.parse(row.graph));
    if (graphs.size > 500) graphs.clear();
    graphs.set(key, g);
    return g;
  }

  async function scopeOf(tx: Tx | Db, run: RunRow): Promise<ActionContext['scope']> {
    if (run.test) {
      const s = run.state.shadow ?? { name: 'Test customer', phone: null, fields: {}, tags: [] };
      return { contact: { ...s, fields: { ...s.fields }, tags: [...s.tags] }, vars: { ...run.vars } };
    }
    const c = (await contactsOf(tx, [run])).get(run.contact_id ?? '');
    return {
      contact: c ?? { name: null, phone: null, fields: {}, tags: [] },
      vars: { ...run.vars },
    };
  }

  /** The contacts of these runs (name, phone, fields, tags), in one statement. */
  async function contactsOf(tx: Tx | Db, runs: RunRow[]) {
    const own = runs.filter((r) => !r.test && r.contact_id);
    const ids = [...new Set(own.map((r) => r.contact_id!))];
    const orgs = [...new Set(own.map((r) => r.org_id))];
    const rows = ids.length
      ? await queryRows<{
          id: string;
          name: string | null;
          phone: string | null;
          fields: Record<string, unknown> | null;
          tags: string[] | null;
        }>(
          tx,
          sql`select c.id, c.name, c.phone, c.fields,
                (select json_agg(t.name) from contact_tags ct join tags t on t.id = ct.tag_id where ct.contact_id = c.id) as tags
              from contacts c where c.id = any(${sql.param(ids)}::uuid[]) and c.org_id = any(${sql.param(orgs)}::uuid[])`,
        )
      : [];
    return new Map(
      rows.map((c) => [c.id, { name: c.name, phone: c.phone, fields: c.fields ?? {}, tags: c.tags ?? [] }]),
    );
  }

  async function lockRun(tx: Tx, id: string): Promise<RunRow | undefined> {
    const [row] = await queryRows<RunRow>(
      tx,
      sql`select ${RUN_COLUMNS} from flow_runs where id = ${id} for update`,
    );
    return row;
  }

  /** Evaluates one condition branch. */
  async function holds(
    tx: Tx,
    when: Extract<FlowNode, { type: 'condition' }>['data']['branches'][number]['when'],
    run: RunRow,
    last: RunState['last'],
    scope: ActionContext['scope'],
  ): Promise<boolean> {
    if (when.subject === 'hours') {
      const open = await deps.isOpen(run.org_id, run.number_id, new Date(), tx);
      return when.op === 'open' ? open : !open;
    }
    if (when.subject === 'tag') {
      const name = (when.key ?? when.value ?? '').toLowerCase();
      const has = scope.contact.tags.some((t) => t.toLowerCase() === name);
      return when.op === 'has' ? has : !has;
    }
    const candidates: (string | null | undefined)[] =
      when.subject === 'text'
        ? [last?.text, last?.reply_title]
        : when.subject === 'reply_id'
          ? [last?.reply_id]
          : when.subject === 'field'
            ? [
                scope.contact.fields[when.key ?? ''] === undefined ||
                scope.contact.fields[when.key ?? ''] === null
                  ? null
                  : String(scope.contact.fields[when.key ?? '']),
              ]
            : [scope.vars[when.key ?? '']];
    const set = candidates.some((c) => c !== null && c !== undefined && c !== '');
    if (when.op === 'is_set') return set;
    if (when.op === 'is_not_set') return !set;
    if (!when.value) return false;
    const kind = when.op as 'equals' | 'contains' | 'starts_with' | 'regex';
    return matchText({ kind, patterns: [when.value] }, candidates) !== null;
  }

  /**
   * Moves a locked run on from its current node with `input` until it waits, ends or hits a step
   * limit, writing its log and new state. The caller holds the run's row lock (or just inserted it).
   */
  async function advance(
    tx: Tx,
    onCommit: OnCommit,
    run: RunRow,
    input: RunInput,
    /** The contact, when the caller has just read it in this transaction. */
    contact?: ActionContext['scope']['contact'],
    /** A batch: the run's sends, log and new state are written when the batch is flushed. */
    batch?: Batch,
  ): Promise<void> {
    const g = await graphOf(tx, run);
    const state: RunState = { ...run.state };
    const scope =
      contact && !run.test
        ? {
            contact: { ...contact, fields: { ...contact.fields }, tags: [...contact.tags] },
            vars: { ...run.vars },
          }
        : await scopeOf(tx, run);
    const transcript = run.test ? [...(run.transcript ?? [])] : null;
    const ctx: ActionContext = {
      orgId: run.org_id,
      numberId: run.number_id ?? '',
      contactId: run.contact_id ?? '',
      conversationId: state.conversation_id ?? '',
      scope,
      replyTo: state.reply_to ?? null,
      ...(transcript ? { test: { transcript } } : {}),
      ...(batch && !run.test ? { batch } : {}),
    };
    const steps: Step[] = [];
    let status = 'active';
    let waitingFor: string | null = null;
    let dueAt: Date | null = null;
    let endReason: string | null = null;
    let stepCount = run.steps;
    let entered = 0;
    const act = async (node: FlowNode, a: SideEffect) => {
      const at = steps.length;
      const o = await actions.run(tx, onCommit, ctx, a);
      if (!o.ok)
        steps.push({
          nodeId: node.id,
          nodeType: node.type,
          outcome: 'error',
          error: o.error,
          detail: a.type,
        });
      // In a batch the send path answers when the batch is flushed: a refusal then goes into the
      // log where an immediate one would have (before the node's "not sent").
      else
        o.onRefused?.((error) => {
          const left = steps[at];
          if (left?.nodeId === node.id && left.detail === o.detail) left.detail = 'not sent';
          steps.splice(at, 0, {
            nodeId: node.id,
            nodeType: node.type,
            outcome: 'error',
            error,
            detail: a.type,
          });
        });
      return o;
    };
    const end = (s: 'completed' | 'stopped' | 'failed', reason: string) => {
      status = s;
      endReason = reason;
    };

    /** Leaves `node` by `handle`: the next node's id, or null (the run ends there). */
    const leave = (
      node: FlowNode,
      handle: string,
      detail: string,
      outcome: Step['outcome'] = 'completed',
    ) => {
      steps.push({ nodeId: node.id, nodeType: node.type, outcome, detail });
      const next = g.next(node.id, handle);
      if (!next)
        end(
          'completed',
          node.type === 'end' ? 'end node' : `ended after "${node.id}" (${handle} leads nowhere)`,
        );
      return next;
    };
    const waitHere = (node: FlowNode, on: 'reply' | 'delay' | 'http', due: Date | null, detail: string) => {
      status = 'waiting';
      waitingFor = on;
      dueAt = due;
      steps.push({ nodeId: node.id, nodeType: node.type, outcome: 'waiting', detail });
      return null;
    };
    const minutes = (n: number) => new Date(Date.now() + n * 60_000);

    /** Runs a node just entered; the id of the next one, or null when the run waits or ends. */
    async function enter(node: FlowNode): Promise<string | null> {
      switch (node.type) {
        case 'trigger':
          return leave(node, 'next', 'started');
        case 'send_text': {
          const o = await act(node, { type: 'reply_text', text: node.data.text });
          return leave(node, 'next', o.ok ? o.detail : 'not sent');
        }
        case 'send_template': {
          const o = await act(node, { type: 'send_template', template: node.data.template });
          return leave(node, 'next', o.ok ? o.detail : 'not sent');
        }
        case 'send_buttons': {
          const o = await act(node, { type: 'send_buttons', buttons: node.data.buttons });
          return leave(node, 'next', o.ok ? o.detail : 'not sent');
        }
        case 'send_list': {
          const o = await act(node, { type: 'send_list', list: node.data.list });
          return leave(node, 'next', o.ok ? o.detail : 'not sent');
        }
        case 'ask':
          state.retries = 0;
          await act(node, { type: 'reply_text', text: node.data.question });
          return waitHere(node, 'reply', run.test ? null : minutes(node.data.timeout_minutes), 'asked');
        case 'wait_reply':
          return waitHere(
            node,
            'reply',
            run.test ? null : minutes(node.data.timeout_minutes),
            'waiting for a reply',
          );
        case 'delay':
          if (run.test) return leave(node, 'next', `would wait ${node.data.seconds} s (not in test mode)`);
          return waitHere(
            node,
            'delay',
            new Date(Date.now() + node.data.seconds * 1000),
            `waiting ${node.data.seconds} s`,
          );
        case 'condition': {
          for (const b of node.data.branches) {
            if (await holds(tx, b.when, run, state.last, scope))
              return leave(node, b.id, `branch ${b.label || b.id}`);
          }
          return leave(node, 'else', 'else');
        }
        case 'set_tags': {
          if (node.data.add.length) await act(node, { type: 'add_tags', tags: node.data.add });
          if (node.data.remove.length) await act(node, { type: 'remove_tags', tags: node.data.remove });
          return leave(node, 'next', `tags +${node.data.add.join(',')} -${node.data.remove.join(',')}`);
        }
        case 'set_field': {
          const o = await act(node, { type: 'set_field', key: node.data.key, value: node.data.value });
          return leave(node, 'next', o.ok ? o.detail : 'field not set');
        }
        case 'assign': {
          const o = await act(node, {
            type: 'assign',
            assignee: node.data.assignee,
            team_id: node.data.team_id,
          });
          return leave(node, 'next', o.ok ? o.detail : 'not assigned');
        }
        case 'handover': {
          if (node.data.message) await act(node, { type: 'reply_text', text: node.data.message });
          const o = await act(node, { type: 'handover', team_id: node.data.team_id });
          steps.push({
            nodeId: node.id,
            nodeType: node.type,
            outcome: 'completed',
            detail: o.ok ? o.detail : 'hand-over failed',
          });
          end('completed', 'handed over to a person');
          return null;
        }
        case 'http':
          // The call is made by the due sweep, outside any transaction (docs: "HTTP node").
          return waitHere(node, 'http', new Date(), `calling ${node.data.method} ${node.data.url}`);
        case 'end':
          steps.push({ nodeId: node.id, nodeType: node.type, outcome: 'completed', detail: 'end' });
          end('completed', 'end node');
          return null;
      }
    }

    // 1. The input, at the node the run is at.
    let next: string | null = null;
    if (input.kind === 'start') {
      const trigger = g.graph.nodes.find((n) => n.type === 'trigger');
      if (input.message) {
        state.last = {
          text: input.message.text,
          reply_id: input.message.replyId,
          reply_title: input.message.replyTitle,
        };
        state.reply_to = input.message.wamid;
        state.last_message_id = input.message.messageId;
        ctx.replyTo = input.message.wamid;
      }
      if (!trigger) end('failed', 'the flow has no trigger');
      else {
        steps.push({
          nodeId: trigger.id,
          nodeType: 'trigger',
          outcome: 'entered',
          input: input.message ? { text: input.message.text, reply_id: input.message.replyId } : null,
        });
        stepCount++;
        entered++;
        run = { ...run, current_node: trigger.id };
        next = await enter(trigger);
      }
    } else {
      const node = run.current_node ? g.byId.get(run.current_node) : undefined;
      if (!node) end('failed', `node "${run.current_node}" is not in the graph`);
      else if (input.kind === 'reply') {
        state.last = { text: input.text, reply_id: input.replyId, reply_title: input.replyTitle };
        if (input.wamid) {
          state.reply_to = input.wamid;
          ctx.replyTo = input.wamid;
        }
        if (input.messageId) state.last_message_id = input.messageId;
        transcript?.push({
          from: 'customer',
          at: new Date().toISOString(),
          content: input.replyId
            ? { type: 'reply', id: input.replyId, title: input.replyTitle ?? input.text }
            : { type: 'text', text: input.text },
        });
        const got = { text: input.text, reply_id: input.replyId };
        if (node.type === 'wait_reply') {
          if (node.data.save_as)
            scope.vars[node.data.save_as] = input.text ?? input.replyTitle ?? input.replyId ?? '';
          steps.push({
            nodeId: node.id,
            nodeType: node.type,
            outcome: 'entered',
            input: got,
            detail: 'reply',
          });
          next = leave(node, 'reply', node.data.save_as ? `saved ${node.data.save_as}` : 'replied');
        } else if (node.type === 'ask') {
          const value = checkAnswer(node, input.text, input.replyId, input.replyTitle);
          let saved = value !== null;
          if (value !== null && node.data.save_to.kind === 'field') {
            saved = (await act(node, { type: 'set_field', key: node.data.save_to.key, value })).ok;
          } else if (value !== null) scope.vars[node.data.save_to.key] = value;
          steps.push({
            nodeId: node.id,
            nodeType: node.type,
            outcome: 'entered',
            input: got,
            detail: 'answer',
          });
          if (saved) next = leave(node, 'next', `saved ${node.data.save_to.key} = "${value}"`);
          else {
            state.retries = (state.retries ?? 0) + 1;
            if (state.retries > node.data.max_retries)
              next = leave(node, 'invalid', `invalid answer (${state.retries - 1} retries)`);
            else {
              await act(node, {
                type: 'reply_text',
                text:
                  node.data.retry_message ||
                  `Sorry, that is not a valid ${node.data.validation === 'choice' ? 'choice' : node.data.validation}. ${node.data.question}`,
              });
              waitHere(
                node,
                'reply',
                run.test ? null : minutes(node.data.timeout_minutes),
                `invalid answer, asked again (${state.retries}/${node.data.max_retries})`,
              );
            }
          }
        } else end('failed', `a reply arrived at "${node.id}" (${node.type}), which does not wait for one`);
      } else if (input.kind === 'due') {
        if (node.type === 'ask' || node.type === 'wait_reply')
          next = leave(node, 'timeout', 'no reply in time', 'timed_out');
        else if (node.type === 'delay') next = leave(node, 'next', 'delay over');
        else end('failed', `"${node.id}" (${node.type}) fell due but waits for nothing`);
      } else if (node.type === 'http') {
        Object.assign(scope.vars, input.vars);
        steps.push({
          nodeId: node.id,
          nodeType: node.type,
          outcome: input.ok ? 'completed' : 'error',
          input: { status: input.status },
          detail: input.ok
            ? `HTTP ${input.status}; saved ${Object.keys(input.vars).join(', ') || 'nothing'}`
            : 'error',
          error: input.error ?? null,
        });
        const handle = input.ok ? 'ok' : 'error';
        next = g.next(node.id, handle);
        if (!next) end('completed', `ended after "${node.id}" (${handle} leads nowhere)`);
      } else end('failed', `an HTTP result arrived at "${node.id}" (${node.type})`);
    }

    // 2. On through the graph until a wait or an end.
    while (next && status === 'active') {
      const node = g.byId.get(next);
      if (!node) {
        end('failed', `no node "${next}"`);
        break;
      }
      if (entered >= MAX_STEPS_PER_ADVANCE || stepCount >= MAX_STEPS_PER_RUN) {
        steps.push({ nodeId: node.id, nodeType: node.type, outcome: 'dropped', error: 'step limit' });
        end('failed', 'step limit');
        break;
      }
      entered++;
      stepCount++;
      steps.push({ nodeId: node.id, nodeType: node.type, outcome: 'entered' });
      next = await enter(node);
      run = { ...run, current_node: node.id };
    }
    if (status === 'active' && !endReason) end('completed', 'ended');

    const shadow = run.test ? { ...scope.contact } : undefined;
    const finished = status !== 'waiting' && status !== 'active';
    const write: RunWrite = {
      id: run.id,
      status,
      current_node: run.current_node,
      waiting_for: waitingFor,
      due_at: dueAt ? (dueAt as Date).toISOString() : null,
      vars: scope.vars,
      state: { ...state, ...(shadow ? { shadow } : {}) },
      steps: stepCount,
      transcript,
      finished,
      end_reason: finished ? endReason : null,
    };
    const rows = () =>
      steps.map((s) => ({
        run_id: run.id,
        org_id: run.org_id,
        flow_id: run.flow_id,
        version: run.version,
        node_id: s.nodeId,
        node_type: s.nodeType,
        outcome: s.outcome,
        input: s.input ?? null,
        detail: s.detail ?? null,
        error: s.error ?? null,
      }));
    if (batch) batch.run(write, rows);
    else await writeRuns(tx, [{ write, steps: rows }]);
  }

  // ------------------------------------------------------------ FlowControl (the inbound chain)

  const pairKey = (contactId: string, numberId: string) => `${contactId} ${numberId}`;
  const WAITING = 'flows:waiting';

  /**
   * Locks the runs of these (contact, number) pairs waiting for a reply, in one statement, for
   * `resumeWaiting` in the same batch (in id order: concurrent batches lock alike).
   */
  async function lockWaiting(tx: Tx, batch: Batch, pairs: { contactId: string; numberId: string }[]) {
    await batch.memo(WAITING, async () => {
      const rows = pairs.length
        ? await queryRows<RunRow>(
            tx,
            sql`select ${RUN_COLUMNS} from flow_runs
                where (contact_id, number_id) in (
                    select contact_id, number_id from json_to_recordset(${JSON.stringify(
                      pairs.map((p) => ({ contact_id: p.contactId, number_id: p.numberId })),
                    )}::json) as x(contact_id uuid, number_id uuid))
                  and not test and status = 'waiting' and waiting_for = 'reply'
                order by id for update`,
          )
        : [];
      return new Map(rows.map((r) => [pairKey(r.contact_id!, r.number_id!), r]));
    });
  }

  async function resumeWaiting(
    tx: Tx,
    onCommit: OnCommit,
    m: InboundForFlows,
    batch?: Batch,
  ): Promise<boolean> {
    // Locked for the whole batch by `lockWaiting` (a batch holds one message per contact).
    const locked = batch ? await batch.memo<Map<string, RunRow> | null>(WAITING, async () => null) : null;
    let row = locked?.get(pairKey(m.contactId, m.numberId));
    if (!locked) {
      [row] = await queryRows<RunRow>(
        tx,
        sql`select ${RUN_COLUMNS} from flow_runs
            where contact_id = ${m.contactId} and number_id = ${m.numberId} and not test
              and status = 'waiting' and waiting_for = 'reply'
            for update`,
      );
    }
    // FOR UPDATE re-checks the WHERE on the row as it is once locked: a run another transaction
    // moved on while we waited is not returned.
    if (!row) return false;
    // A second delivery of the message that already advanced the run: handled, nothing to do.
    if (row.state.last_message_id === m.messageId) return true;
    await advance(
      tx,
      onCommit,
      { ...row, state: { ...row.state, conversation_id: m.conversationId } },
      {
        kind: 'reply',
        text: m.text,
        replyId: m.replyId,
        replyTitle: m.replyTitle,
        messageId: m.messageId,
        wamid: m.wamid,
      },
      m.contact,
      batch,
    );
    return true;
  }

  async function findTrigger(tx: Tx | Db, m: InboundForFlows, batch?: Batch) {
    type Row = { id: string; name: string; trigger: Extract<FlowNode, { type: 'trigger' }>['data'] };
    const load = () =>
      queryRows<Row>(
        tx,
        sql`select id, name, trigger from flows
            where org_id = ${m.orgId} and enabled and published_version is not null and trigger is not null
            order by created_at, id`,
      );
    const rows = batch ? await batch.memo(`flows:triggers:${m.orgId}`, load) : await load();
    let campaignOf: string | null | undefined;
    for (const f of rows) {
      const t = f.trigger;
      if (t.number_ids && !t.number_ids.includes(m.numberId)) continue;
      if (t.kind === 'keyword' && t.match) {
        const hit = matchText(t.match, [m.text, m.replyTitle, m.replyId]);
        if (hit) return { flowId: f.id, name: f.name, why: `matches "${hit}" (${t.match.kind})` };
      } else if (t.kind === 'first_message' && m.firstEver) {
        return { flowId: f.id, name: f.name, why: "the contact's first message ever" };
      } else if (t.kind === 'button_reply' && t.reply_id && m.replyId === t.reply_id) {
        return { flowId: f.id, name: f.name, why: `reply "${t.reply_id}"` };
      } else if (t.kind === 'campaign_reply' && m.contextWamid) {
        if (campaignOf === undefined) {
          const [c] = await queryRows<{ campaign_id: string | null }>(
            tx,
            sql`select campaign_id from messages where number_id = ${m.numberId} and wamid = ${m.contextWamid}`,
          );
          campaignOf = c?.campaign_id ?? null;
        }
        if (campaignOf && (!t.campaign_id || t.campaign_id === campaignOf))
          return { flowId: f.id, name: f.name, why: 'a reply to a campaign message' };
      }
    }
    return null;
  }

  async function startRun(
    tx: Tx,
    onCommit: OnCommit,
    input: Parameters<FlowControl['startRun']>[2],
    batch?: Batch,
  ): Promise<{ runId: string } | { error: string }> {
    const [flow] = await queryRows<{ enabled: boolean; published_version: number | null }>(
      tx,
      sql`select enabled, published_version from flows where org_id = ${input.orgId} and id = ${input.flowId}`,
    );
    if (!flow) return { error: 'no such flow' };
    if (flow.published_version === null) return { error: 'the flow is not published' };
    if (!flow.enabled) return { error: 'the flow is disabled' };
    // One active run per contact and number: a new start replaces the one running (the seam's contract).
    await stopWhere(
      tx,
      sql`org_id = ${input.orgId} and contact_id = ${input.contactId} and number_id = ${input.numberId} and not test`,
      `replaced by another flow (${input.via})`,
    );
    const state: RunState = { conversation_id: input.conversationId };
    const [row] = await queryRows<RunRow>(
      tx,
      sql`insert into flow_runs (org_id, flow_id, version, contact_id, number_id, status, vars, state)
          values (${input.orgId}, ${input.flowId}, ${flow.published_version}, ${input.contactId}, ${input.numberId},
                  'active', ${JSON.stringify(input.vars ?? {})}::jsonb, ${JSON.stringify(state)}::jsonb)
          on conflict (contact_id, number_id) where status in ('active', 'waiting') and not test do nothing
          returning ${RUN_COLUMNS}`,
    );
    if (!row) return { error: 'the contact is already in a flow on this number' };
    await advance(tx, onCommit, row, { kind: 'start', message: input.message }, undefined, batch);
    return { runId: row.id };
  }

  /** Ends runs with a reason; their current node counts one `dropped`. */
  async function stopWhere(tx: Tx, where: ReturnType<typeof sql>, reason: string): Promise<number> {
    const rows = await queryRows<{
      id: string;
      org_id: string;
      flow_id: string;
      version: number;
      current_node: string | null;
    }>(
      tx,
      sql`update flow_runs set status = 'stopped', ended_at = now(), end_reason = ${reason}, waiting_for = null,
            due_at = null, updated_at = now()
          where ${where} and status in ('active', 'waiting')
          returning id, org_id, flow_id, version, current_node`,
    );
    const dropped = rows.filter((r) => r.current_node);
    if (dropped.length) {
      await tx.insert(flowRunSteps).values(
        dropped.map((r) => ({
          runId: r.id,
          orgId: r.org_id,
          flowId: r.flow_id,
          version: r.version,
          nodeId: r.current_node!,
          nodeType: 'unknown',
          outcome: 'dropped',
          detail: reason,
        })),
      );
    }
    return rows.length;
  }

  const stopRuns: FlowControl['stopRuns'] = (tx, orgId, contactId, numberId, reason) =>
    stopWhere(
      tx,
      numberId
        ? sql`org_id = ${orgId} and contact_id = ${contactId} and number_id = ${numberId} and not test`
        : sql`org_id = ${orgId} and contact_id = ${contactId} and not test`,
      reason,
    );

  async function waitingRun(tx: Tx | Db, orgId: string, contactId: string, numberId: string) {
    const [r] = await queryRows<{ id: string; name: string }>(
      tx,
      sql`select r.id, f.name from flow_runs r join flows f on f.id = r.flow_id
          where r.org_id = ${orgId} and r.contact_id = ${contactId} and r.number_id = ${numberId} and not r.test
            and r.status = 'waiting' and r.waiting_for = 'reply'`,
    );
    return r ? { runId: r.id, flowName: r.name } : null;
  }

  const control: FlowControl = { resumeWaiting, lockWaiting, findTrigger, startRun, stopRuns, waitingRun };

  // ------------------------------------------------------------ the due sweep

  /**
   * Claims up to `limit` runs whose wait fell due (reply timeouts, delays) with SKIP LOCKED, so
   * several workers share them and none advances one twice. With a batch (`newBatch`) they advance
   * together: their contacts read in one statement, their messages, logs and states written in a
   * few at the end; if that fails, one by one, each in a savepoint of the claiming transaction, so a
   * run whose advance throws is marked failed, not retried forever. Returns how many were claimed.
   */
  async function sweepDue(limit = 200): Promise<number> {
    return transaction(db, async (tx, onCommit) => {
      const rows = await queryRows<RunRow>(
        tx,
        sql`select ${RUN_COLUMNS} from flow_runs
            where status = 'waiting' and due_at <= now() and waiting_for in ('reply', 'delay')
            order by due_at limit ${limit} for update skip locked`,
      );
      if (rows.length > 1 && deps.newBatch) {
        const hooks: Parameters<OnCommit>[0][] = [];
        try {
          await tx.transaction(async (sp) => {
            const batch = deps.newBatch!();
            const contacts = await contactsOf(sp, rows);
            for (const row of rows)
              await advance(
                sp,
                (h) => hooks.push(h),
                row,
                { kind: 'due' },
                contacts.get(row.contact_id ?? ''),
                batch,
              );
            await batch.flush(sp, (h) => hooks.push(h));
          });
          for (const h of hooks) onCommit(h);
          return rows.length;
        } catch (err) {
          log.warn({ err }, 'flows: a batch of due runs failed; advancing them one by one');
        }
      }
      for (const row of rows) {
        try {
          await tx.transaction((sp) => advance(sp, onCommit, row, { kind: 'due' }));
        } catch (err) {
          log.error({ err, runId: row.id }, 'flows: a run failed while advancing');
          await tx.execute(
            sql`update flow_runs set status = 'failed', ended_at = now(), end_reason = ${`error: ${(err as Error).message}`.slice(0, 500)},
                  waiting_for = null, due_at = null where id = ${row.id}`,
          );
        }
      }
      return rows.length;
    });
  }

  /**
   * HTTP nodes: claim due calls (leasing each run for its timeout plus HTTP_LEASE_SECONDS: a
   * worker killed mid-call leaves it to another after that), make the calls outside any
   * transaction, then apply each answer under the run's lock if the run still waits for it.
   */
  async function sweepHttp(limit = 50): Promise<number> {
    const claimed = await transaction(db, async (tx) =>
      queryRows<RunRow>(
        tx,
        sql`update flow_runs set due_at = now() + make_interval(secs => ${HTTP_LEASE_SECONDS + 15})
            where id in (select id from flow_runs where status = 'waiting' and waiting_for = 'http' and due_at <= now()
                         order by due_at limit ${limit} for update skip locked)
            returning ${RUN_COLUMNS}`,
      ),
    );
    await Promise.all(
      claimed.map(async (row) => {
        let result: Extract<RunInput, { kind: 'http' }>;
        try {
          const g = await graphOf(db, row);
          const node = g.byId.get(row.current_node ?? '');
          if (node?.type !== 'http') throw new Error('not at an HTTP node');
          result = await call(node, await scopeOf(db, row));
        } catch (err) {
          result = { kind: 'http', ok: false, status: null, vars: {}, error: (err as Error).message };
        }
        await transaction(db, async (tx, onCommit) => {
          const locked = await lockRun(tx, row.id);
          if (
            locked?.status !== 'waiting' ||
            locked.waiting_for !== 'http' ||
            locked.current_node !== row.current_node
          )
            return;
          await advance(tx, onCommit, locked, result);
        }).catch((err) => log.error({ err, runId: row.id }, 'flows: an HTTP result was not applied'));
      }),
    );
    return claimed.length;
  }

  async function call(
    node: Extract<FlowNode, { type: 'http' }>,
    scope: ActionContext['scope'],
  ): Promise<Extract<RunInput, { kind: 'http' }>> {
    const enc = (o: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, encodeURIComponent(String(v ?? ''))]));
    const urlScope = {
      contact: {
        name: scope.contact.name ? encodeURIComponent(scope.contact.name) : null,
        phone: scope.contact.phone ? encodeURIComponent(scope.contact.phone) : null,
        fields: enc(scope.contact.fields),
      },
      vars: enc(scope.vars) as Record<string, string>,
    };
    // Values go into the query string encoded; before it (a base URL kept in a variable) as they are.
    const q = node.data.url.indexOf('?');
    const url =
      q < 0
        ? fill(node.data.url, scope).text
        : fill(node.data.url.slice(0, q), scope).text + fill(node.data.url.slice(q), urlScope).text;
    if (!/^https?:\/\//i.test(url))
      return { kind: 'http', ok: false, status: null, vars: {}, error: 'not an http(s) URL' };
    const headers = Object.fromEntries(node.data.headers.map((h) => [h.name, fill(h.value, scope).text]));
    const body = node.data.body === undefined ? undefined : fill(node.data.body, scope).text;
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
    try {
      const res = await deps.fetch(url, {
        method: node.data.method,
        headers,
        ...(body !== undefined && node.data.method !== 'GET' ? { body } : {}),
        timeoutMs: node.data.timeout_ms,
        maxBytes: 1024 * 1024,
      });
      const ok = res.status >= 200 && res.status < 300;
      let json: unknown;
      try {
        json = res.body.length ? JSON.parse(res.body.toString('utf8')) : undefined;
      } catch {
        json = undefined;
      }
      const vars: Record<string, string> = {};
      if (ok)
        for (const s of node.data.save) {
          const v = pick(json, s.path);
          if (v !== undefined) vars[s.var] = v.slice(0, 1024);
        }
      return { kind: 'http', ok, status: res.status, vars, ...(ok ? {} : { error: `HTTP ${res.status}` }) };
    } catch (err) {
      return { kind: 'http', ok: false, status: null, vars: {}, error: (err as Error).message };
    }
  }

  /** One pass of both sweeps; how many runs it claimed. */
  async function sweepOnce() {
    const [a, b] = await Promise.all([sweepDue(), sweepHttp()]);
    return a + b;
  }

  // The worker loop: no in-memory timer is the truth, only due_at in the table.
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  function start(o: { pollMs?: number; parallel?: number } = {}) {
    if (running) return;
    running = true;
    const pollMs = o.pollMs ?? 200;
    const one = async () => {
      while (running) {
        let n = 0;
        try {
          n = await sweepOnce();
        } catch (err) {
          log.error({ err }, 'flows: the due sweep failed');
        }
        // A full batch: more may be due at once; otherwise wait a poll.
        if (n === 0 && running)
          await new Promise<void>((r) => {
            const t = setTimeout(r, pollMs);
            wake = () => {
              clearTimeout(t);
              r();
            };
          });
      }
    };
    loop = Promise.all(Array.from({ length: o.parallel ?? 2 }, one)).then(() => {});
  }
  async function stop() {
    running = false;
    wake?.();
    await loop;
    loop = undefined;
  }

  return { control, advance, lockRun, graphOf, sweepDue, sweepHttp, sweepOnce, start, stop, stopWhere };
}
export type FlowEngine = ReturnType<typeof createFlowEngine>;
