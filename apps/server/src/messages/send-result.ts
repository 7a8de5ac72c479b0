import { GraphError } from '../whatsapp/graph-error.ts';
import type { ClaimedSend, FailedSend } from './queue-repo.ts';
import { PAIR_RATE_DELAY_MS, type SendOutcome } from './rate.ts';

/**
 * How a claimed send ended, and what becomes of it: pure, so every branch is tested without Meta
 * (send-result.test.ts). The sender's pump classifies, `record-outcomes.ts` writes.
 */
export type SendResult =
  | { kind: 'sent'; wamid: string }
  | { kind: 'failed'; error: Record<string, unknown>; reason: string }
  | {
      kind: 'retry';
      error: Record<string, unknown>;
      reason: string;
      delayMs: number;
      counts: boolean;
      /** Meta's code, when Meta answered: the adaptive rate reads throttling from it. */
      code?: number | string;
    }
  | { kind: 'unknown'; error: Record<string, unknown> }
  | { kind: 'token'; error: GraphError }
  /** Meta refused a campaign's template itself (paused, disabled, gone): the campaign pauses. */
  | { kind: 'template'; error: GraphError };

/** A claimed send and how it ended. */
export interface CompletedSend {
  row: ClaimedSend;
  result: SendResult;
}

/** Meta's answers that the number's throughput was exceeded (what the adaptive rate steps down on). */
const THROUGHPUT_CODES = new Set<number | string>([130429, 4, 80007]);
/** Meta's answers that the template cannot be sent at all (does not exist, paused, disabled). */
const TEMPLATE_UNSENDABLE_CODES = new Set<number | string>([132001, 132015, 132016]);
/**
 * A send refused for the number's throughput (130429) is tried again this soon, not counted as one of
 * the recipient's attempts: the number's throughput refused it, not the recipient (the adaptive rate
 * answers repeated throttling).
 */
export const THROTTLED_RETRY_MS = 500;

/** The number went inactive since the send was claimed: it waits, without spending an attempt. */
export const NUMBER_INACTIVE: SendResult = {
  kind: 'retry',
  error: { reason: 'number inactive' },
  reason: 'number inactive',
  delayMs: 60_000,
  counts: false,
};

/**
 * What a failed request means for the send. `retryDelays` are the waits before each retry (their
 * count is the retries); `send.attempts` counts this one.
 */
export function classifySendError(
  err: unknown,
  send: Pick<ClaimedSend, 'campaign_id' | 'attempts'>,
  retryDelays: readonly number[],
): SendResult {
  if (!(err instanceof GraphError)) {
    // Not an answer from Meta: the request may or may not have left.
    return { kind: 'unknown', error: { title: String((err as Error)?.message ?? err) } };
  }
  const error = err.toJSON();
  const reason = `${err.code}: ${err.title}${err.details ? ` — ${err.details}` : ''}`;
  if (err.kind === 'token') return { kind: 'token', error: err };
  if (send.campaign_id && TEMPLATE_UNSENDABLE_CODES.has(err.code)) return { kind: 'template', error: err };
  if (err.code === 131056) {
    return { kind: 'retry', error, reason, delayMs: PAIR_RATE_DELAY_MS, counts: false, code: err.code };
  }
  if (
    err.code === 'TIMEOUT' ||
    (err.code === 'NETWORK' && !/^ECONNREFUSED|^ENOTFOUND/.test(err.details ?? ''))
  ) {
    return { kind: 'unknown', error };
  }
  if (err.code === 130429) {
    // The number's throughput, not the recipient: back shortly (the rate steps down if it repeats).
    return { kind: 'retry', error, reason, delayMs: THROTTLED_RETRY_MS, counts: false, code: err.code };
  }
  if (err.retryable) {
    const delayMs = retryDelays[Math.min(send.attempts - 1, retryDelays.length - 1)]!;
    return { kind: 'retry', error, reason, delayMs, counts: true, code: err.code };
  }
  return { kind: 'failed', error, reason };
}

/** What the adaptive rate learns from a result (nothing from a wait that was not the number's doing). */
export function rateOutcomeOf(r: SendResult): SendOutcome | undefined {
  if (r.kind === 'sent') return 'ok';
  if (r.kind === 'retry' && r.code === 131056) return 'pair';
  if (r.kind === 'retry' && THROUGHPUT_CODES.has(r.code ?? '')) return 'throttled';
  if (r.kind === 'retry' && !r.counts) return undefined;
  if (r.kind === 'unknown' || r.kind === 'retry' || r.kind === 'failed') return 'error';
  return undefined;
}

/** A batch of results sorted by what is written for them. */
export interface SortedResults {
  sent: { row: ClaimedSend; wamid: string }[];
  /** Failed for good, or given up after the last retry. */
  failed: FailedSend[];
  retry: { id: number; delayMs: number; counts: boolean }[];
  /** Queue ids of sends whose request may or may not have reached Meta. */
  unknown: number[];
  /** Not sent for a reason that is not the recipient's (the token, the template): released as they were. */
  token: { row: ClaimedSend; error: GraphError }[];
  template: { row: ClaimedSend; error: GraphError }[];
}

/** Sorts a batch: a retry that counts, on a send that has had every attempt, is given up (failed). */
export function sortResults(done: CompletedSend[], retryDelays: readonly number[]): SortedResults {
  const out: SortedResults = { sent: [], failed: [], retry: [], unknown: [], token: [], template: [] };
  const gaveUp: FailedSend[] = [];
  for (const { row, result: r } of done) {
    if (r.kind === 'sent') out.sent.push({ row, wamid: r.wamid });
    else if (r.kind === 'failed') out.failed.push({ row, error: r.error, reason: r.reason });
    else if (r.kind === 'retry' && r.counts && row.attempts > retryDelays.length)
      gaveUp.push({ row, error: r.error, reason: `gave up after ${row.attempts} attempts: ${r.reason}` });
    else if (r.kind === 'retry') out.retry.push({ id: row.id, delayMs: r.delayMs, counts: r.counts });
    else if (r.kind === 'unknown') out.unknown.push(row.id);
    else if (r.kind === 'token') out.token.push({ row, error: r.error });
    else out.template.push({ row, error: r.error });
  }
  out.failed.push(...gaveUp);
  return out;
}
