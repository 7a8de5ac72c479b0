import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { flowRunSteps } from '../db/schema.ts';
import type { OnCommit } from '../db/tx.ts';
import type { AppError } from '../lib/errors.ts';
import type { OutboundService, QueuedMessage, SendInput } from '../messages/service.ts';

/** A flow run's log row (flow_run_steps), as the engine writes it. */
export type StepInsert = typeof flowRunSteps.$inferInsert;

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
  memo<T>(key: string, load: () => Promise<T>): Promise<T>;
  flush(tx: Tx, onCommit: OnCommit): Promise<void>;
}

export function createBatch(outbound: Pick<OutboundService, 'sendMany'>): Batch {
  const sends: { orgId: string; input: SendInput; settle: (r: QueuedMessage | AppError) => void }[] = [];
  const runs: { write: RunWrite; steps: () => StepInsert[] }[] = [];
  const memos = new Map<string, Promise<unknown>>();
  return {
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
      await writeRuns(tx, runs.splice(0));
    },
  };
}

/**
 * Writes advanced runs: their log rows in one insert, their states in one update. A run stopped by a
 * later statement of the same transaction (a rule's "stop flow") keeps its stop.
 */
export async function writeRuns(tx: Tx, runs: { write: RunWrite; steps: () => StepInsert[] }[]) {
  const rows = runs.flatMap((r) => r.steps());
  if (rows.length) await tx.insert(flowRunSteps).values(rows);
  if (!runs.length) return;
  await tx.execute(sql`
    update flow_runs r set status = x.status, current_node = x.current_node, waiting_for = x.waiting_for,
      due_at = x.due_at, vars = x.vars, state = x.state, steps = x.steps, transcript = x.transcript,
      ended_at = case when x.finished then now() end, end_reason = case when x.finished then x.end_reason end,
      updated_at = now()
    from json_to_recordset(${JSON.stringify(runs.map((r) => r.write))}::json)
      as x(id uuid, status text, current_node text, waiting_for text, due_at timestamptz, vars jsonb, state jsonb,
           steps int, transcript jsonb, finished boolean, end_reason text)
    where r.id = x.id and r.status in ('active', 'waiting')`);
}
