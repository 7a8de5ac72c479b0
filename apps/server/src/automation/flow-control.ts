import type { Db, Tx } from '../db/client.ts';
import type { OnCommit } from '../db/tx.ts';
export interface InboundForFlows { orgId: string; numberId: string; contactId: string; conversationId: string; messageId: string; wamid: string | null; text: string | null; replyId: string | null; replyTitle: string | null; contextWamid: string | null; firstEver: boolean }
export interface FlowControl {
  resumeWaiting(tx: Tx, onCommit: OnCommit, m: InboundForFlows): Promise<boolean>;
  findTrigger(tx: Tx | Db, m: InboundForFlows): Promise<{ flowId: string; name: string; why: string } | null>;
  startRun(tx: Tx, onCommit: OnCommit, input: { orgId: string; flowId: string; contactId: string; numberId: string; conversationId: string; vars?: Record<string, string>; message?: InboundForFlows; via: string }): Promise<{ runId: string } | { error: string }>;
  stopRuns(tx: Tx, orgId: string, contactId: string, numberId: string | null, reason: string): Promise<number>;
  waitingRun(tx: Tx | Db, orgId: string, contactId: string, numberId: string): Promise<{ runId: string; flowName: string } | null>;
}
