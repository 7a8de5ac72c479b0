import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { type OnCommit, queryRows } from '../db/tx.ts';
import type { AppError } from '../lib/errors.ts';
import type { OutboundService, QueuedMessage, SendInput } from '../messages/service.ts';

/** A flow run's log row (flow_run_steps), as the engine writes it. */
export interface StepInsert {
  run_id: string;
  org_id: string;
  flow_id: string;
  version: number;
  node_id: string;
  node_type: string;
  outcome: string;
  input: unknown;
  detail: string | null;
  error: string | null;
}

/** A flow run's new state after an advance (flow_runs). */
export interface RunWrite {
  id: string;
  status: string;
  current_node: string | null;
  waiting_for: string | null;
  due_at: string | null;
  vars: Record<string, string>;
  state: unknown;
  steps: number;
  transcript: unknown[] | null;
  finished: boolean;
  end_reason: string | null;
}

/**
 * What one batch of the automation chain (many customers' messages) or of the flow sweep (many due
 * runs) leaves for the end of its transaction, so that the batch costs a few statements rather than
 * a few per message: the messages to send (one `sendMany`: the one send path's checks, set-based),
 * then the flow runs' log rows and new states (one statement each). A refused message is reported
 * to whoever asked (`settle`) before the logs are written, so a run's log says it was not sent.
 * `memo` keeps what every message of the batch reads alike (rules, triggers, business hours).
 */
export interface Batch {
  send(orgId: string, input: SendInput, settle: (r: QueuedMessage | AppError) => void): void;
  /** A run advanced: its log (read when flushed: refusals may still add to it) and new state. */
  run(write: RunWrite, steps: () => StepInsert[]): void;
  /**
   * Who handled each of the chain's messages: their claims (automation_handled), written with the
   * runs. One already there (another chain handled the message meanwhile) undoes the batch (throws).
   */
  handled(rows: { id: string; orgId: string; handledBy: string }[]): void;
  /** A rule fired for a contact: its cooldown starts (automation_rule_hits), written with the runs. */
  hit(ruleId: string, contactId: string): void;
  memo<T>(key: string, load: () => Promise<T>): Promise<T>;
  flush(tx: Tx, onCommit: OnCommit): Promise<void>;
}

export function createBatch(outbound: Pick<OutboundService, 'sendMany'>): Batch {
  const sends: { orgId: string; input: SendInput; settle: (r: QueuedMessage | AppError) => void }[] = [];
  const runs: { write: RunWrite; steps: () => StepInsert[] }[] = [];
  const memos = new Map<string, Promise<unknown>>();
  const handled: { id: string; orgId: string; handledBy: string }[] = [];
  const hits: { rule_id: string; contact_id: string }[] = [];
  return {
    handled: (rows) => void handled.push(...rows),
    hit: (ruleId, contactId) => void hits.push({ rule_id: ruleId, contact_id: contactId }),
    send: (orgId, input, settle) => void sends.push({ orgId, input, settle }),
    run: (write, steps) => void runs.push({ write, steps }),
    memo<T>(key: string, load: () => Promise<T>) {
      const hit = memos.get(key) as Promise<T> | undefined;
      if (hit) return hit;
      const p = load();
      memos.set(key, p);
      return p;
    },
    async flush(tx, onCommit) {
      const orgs = [...new Set(sends.map((s) => s.orgId))];
      for (const orgId of orgs) {
        const mine = sends.filter((s) => s.orgId === orgId);
        const results = await outbound.sendMany(
          tx,
          onCommit,
          orgId,
          mine.map((s) => s.input),
        );
        mine.forEach((s, i) => {
          s.settle(results[i]!);
        });
      }
      sends.length = 0;
      await writeRuns(tx, runs.splice(0), handled.splice(0), hits.splice(0));
    },
  };
}

/**
 * Writes advanced runs — their log rows and their states — and the chain's claims and the rules'
 * cooldowns, in one statement (each part one parameter of JSON whatever the number of rows: building thousands of
 * parameters would cost more than the statement). A run stopped by a later statement of the same
 * transaction (a rule's "stop flow") keeps its stop.
 */
export async function writeRuns(
  tx: Tx,
  runs: { write: RunWrite; steps: () => StepInsert[] }[],
  handled: { id: string; orgId: string; handledBy: string }[] = [],
  hits: { rule_id: string; contact_id: string }[] = [],
) {
  if (!runs.length && !handled.length && !hits.length) return;
  const steps = runs.flatMap((r) => r.steps());
  const [r] = await queryRows<{ claimed: number }>(
    tx,
    sql`
    with steps as (
      insert into flow_run_steps (run_id, org_id, flow_id, version, node_id, node_type, outcome, input, detail, error)
      select run_id, org_id, flow_id, version, node_id, node_type, outcome, input, detail, error
      from json_to_recordset(${JSON.stringify(steps.map((r, ord) => ({ ord, ...r })))}::json)
        as x(ord int, run_id uuid, org_id uuid, flow_id uuid, version int, node_id text, node_type text, outcome text,
             input jsonb, detail text, error text)
      order by ord),
    runs as (
      update flow_runs r set status = x.status, current_node = x.current_node, waiting_for = x.waiting_for,
        due_at = x.due_at, vars = x.vars, state = x.state, steps = x.steps, transcript = x.transcript,
        ended_at = case when x.finished then now() end, end_reason = case when x.finished then x.end_reason end,
        updated_at = now()
      from json_to_recordset(${JSON.stringify(runs.map((r) => r.write))}::json)
        as x(id uuid, status text, current_node text, waiting_for text, due_at timestamptz, vars jsonb, state jsonb,
             steps int, transcript jsonb, finished boolean, end_reason text)
      where r.id = x.id and r.status in ('active', 'waiting')),
    hits as (
      insert into automation_rule_hits (rule_id, contact_id, at)
      select distinct on (rule_id, contact_id) rule_id, contact_id, now()
      from json_to_recordset(${JSON.stringify(hits)}::json) as x(rule_id uuid, contact_id uuid)
      order by rule_id, contact_id
      on conflict (rule_id, contact_id) do update set at = excluded.at),
    claims as (
      insert into automation_handled (message_id, org_id, handled_by)
      select id, org_id, by
      from json_to_recordset(${JSON.stringify(handled.map((h) => ({ id: h.id, org_id: h.orgId, by: h.handledBy })))}::json)
        as x(id uuid, org_id uuid, by text)
      order by id
      on conflict (message_id) do nothing returning 1)
    select count(*)::int as claimed from claims`,
  );
  if ((r?.claimed ?? 0) < handled.length)
    throw new Error('automation: a message of the batch was handled by another chain meanwhile');
}
