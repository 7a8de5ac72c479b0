import type { Db, Tx } from '../db/client.ts';
import type { OnCommit } from '../db/tx.ts';
import type { ActionContext } from './actions.ts';
import type { Batch } from './batch.ts';

/**
 * The seam between the automation chain (rules, hours: chain.ts) and the flow engine
 * (flows/engine.ts). Type-only: the chain takes an implementation as an injected dependency so
 * neither side imports the other's internals.
 */

/** An inbound customer message as the chain hands it to flows. */
export interface InboundForFlows {
  orgId: string;
  numberId: string;
  contactId: string;
  conversationId: string;
  messageId: string;
  wamid: string | null;
  text: string | null;
  replyId: string | null;
  replyTitle: string | null;
  contextWamid: string | null;
  firstEver: boolean;
  /** The contact as the chain read it with the message (name, phone, fields, tags), so a resumed run does not read it again. */
  contact?: ActionContext['scope']['contact'];
}

export interface FlowControl {
  /** A run of this contact on this number waiting for a reply: advanced with the message (true), else false. */
  resumeWaiting(tx: Tx, onCommit: OnCommit, m: InboundForFlows, batch?: Batch): Promise<boolean>;
  /** In a batch: locks the runs of these pairs waiting for a reply at once, for `resumeWaiting`. */
  lockWaiting(tx: Tx, batch: Batch, pairs: { contactId: string; numberId: string }[]): Promise<void>;
  /** The published, enabled flow whose trigger matches (keyword, button_reply, campaign_reply, first_message), or null. */
  findTrigger(
    tx: Tx | Db,
    m: InboundForFlows,
    batch?: Batch,
  ): Promise<{ flowId: string; name: string; why: string } | null>;
  /** Starts the flow's published version for the contact (ending the contact's other active run on this number). */
  startRun(
    tx: Tx,
    onCommit: OnCommit,
    input: {
      orgId: string;
      flowId: string;
      contactId: string;
      numberId: string;
      conversationId: string;
      vars?: Record<string, string>;
      message?: InboundForFlows;
      via: string;
    },
    batch?: Batch,
  ): Promise<{ runId: string } | { error: string }>;
  /** Ends the contact's active runs (on one number, or all when null); returns how many. */
  stopRuns(
    tx: Tx,
    orgId: string,
    contactId: string,
    numberId: string | null,
    reason: string,
  ): Promise<number>;
  /** For the test box: is a run of this contact waiting for a reply? */
  waitingRun(
    tx: Tx | Db,
    orgId: string,
    contactId: string,
    numberId: string,
  ): Promise<{ runId: string; flowName: string } | null>;
}
