import { describe, expect, it } from 'vitest';
import { GraphError } from '../whatsapp/graph-error.ts';
import type { ClaimedSend } from './queue-repo.ts';
import { PAIR_RATE_DELAY_MS } from './rate.ts';
import {
  classifySendError,
  NUMBER_INACTIVE,
  rateOutcomeOf,
  type SendResult,
  sortResults,
  THROTTLED_RETRY_MS,
} from './send-result.ts';

const DELAYS = [5_000, 20_000, 45_000];
const graph = (code: number | string, extra: { status?: number; details?: string } = {}) =>
  new GraphError({ status: extra.status ?? 400, code, title: `error ${code}`, details: extra.details });
const campaignSend = { campaign_id: 'c1', attempts: 1 };
const replySend = { campaign_id: null, attempts: 1 };

function claimed(id: number, attempts = 1, campaignId: string | null = 'c1'): ClaimedSend {
  return {
    id,
    org_id: 'o1',
    message_id: `m${id}`,
    campaign_id: campaignId,
    recipient_id: campaignId ? id : null,
    to_wa_id: '12025550100',
    content: { type: 'text', text: { body: 'hi' } },
    reply_to: null,
    attempt_id: `a${id}`,
    attempts,
    priority: campaignId ? 1 : 0,
    run_order: 0,
  };
}

describe('classifying a failed send', () => {
  it('an error that is not an answer from Meta leaves the outcome unknown (the request may have left)', () => {
    expect(classifySendError(new Error('socket hang up'), replySend, DELAYS)).toEqual({
      kind: 'unknown',
      error: { title: 'socket hang up' },
    });
  });

  it('a timeout, or a network error after connecting, is unknown; a refused connection is retried', () => {
    expect(classifySendError(graph('TIMEOUT', { status: 0 }), replySend, DELAYS).kind).toBe('unknown');
    expect(
      classifySendError(graph('NETWORK', { status: 0, details: 'ECONNRESET' }), replySend, DELAYS).kind,
    ).toBe('unknown');
    const refused = classifySendError(
      graph('NETWORK', { status: 0, details: 'ECONNREFUSED 10.0.0.1:443' }),
      replySend,
      DELAYS,
    );
    expect(refused).toMatchObject({ kind: 'retry', counts: true, delayMs: 5_000 });
  });

  it("a refused token stops the number's sending, whatever the send", () => {
    const r = classifySendError(graph(190, { status: 401 }), campaignSend, DELAYS);
    expect(r.kind).toBe('token');
    expect(r.kind === 'token' && r.error.code).toBe(190);
  });

  it("a template Meta cannot send pauses a campaign; an agent's send with it just fails", () => {
    for (const code of [132001, 132015, 132016]) {
      expect(classifySendError(graph(code), campaignSend, DELAYS).kind).toBe('template');
      expect(classifySendError(graph(code), replySend, DELAYS)).toMatchObject({
        kind: 'failed',
        reason: `${code}: error ${code}`,
      });
    }
  });

  it('a pair-rate error (131056) waits for that recipient only, without spending an attempt', () => {
    expect(classifySendError(graph(131056), campaignSend, DELAYS)).toMatchObject({
      kind: 'retry',
      delayMs: PAIR_RATE_DELAY_MS,
      counts: false,
      code: 131056,
    });
  });

  it("the number's throughput (130429) goes again shortly without spending an attempt", () => {
    expect(classifySendError(graph(130429, { status: 429 }), campaignSend, DELAYS)).toMatchObject({
      kind: 'retry',
      delayMs: THROTTLED_RETRY_MS,
      counts: false,
    });
  });

  it('a transient error waits the delay of its attempt (the last one after that)', () => {
    const at = (attempts: number) =>
      classifySendError(graph(131000, { status: 500 }), { campaign_id: 'c1', attempts }, DELAYS);
    expect(at(1)).toMatchObject({ kind: 'retry', counts: true, delayMs: 5_000 });
    expect(at(2)).toMatchObject({ delayMs: 20_000 });
    expect(at(3)).toMatchObject({ delayMs: 45_000 });
    expect(at(7)).toMatchObject({ delayMs: 45_000 });
  });

  it("a permanent refusal fails with Meta's code, title and details", () => {
    const r = classifySendError(graph(131026, { details: 'not on WhatsApp' }), campaignSend, DELAYS);
    expect(r).toMatchObject({ kind: 'failed', reason: '131026: error 131026 — not on WhatsApp' });
    expect(r.kind === 'failed' && r.error.code).toBe(131026);
  });
});

describe('what the adaptive rate learns', () => {
  const retry = (code: number, counts = true): SendResult => ({
    kind: 'retry',
    error: {},
    reason: '',
    delayMs: 1,
    counts,
    code,
  });

  it('sends are ok, throughput codes are throttles, 131056 is a pair-rate error', () => {
    expect(rateOutcomeOf({ kind: 'sent', wamid: 'w' })).toBe('ok');
    expect(rateOutcomeOf(retry(130429, false))).toBe('throttled');
    expect(rateOutcomeOf(retry(4))).toBe('throttled');
    expect(rateOutcomeOf(retry(80007))).toBe('throttled');
    expect(rateOutcomeOf(retry(131056, false))).toBe('pair');
  });

  it("failures and counted retries are errors; a wait that is not the number's says nothing", () => {
    expect(rateOutcomeOf({ kind: 'failed', error: {}, reason: '' })).toBe('error');
    expect(rateOutcomeOf({ kind: 'unknown', error: {} })).toBe('error');
    expect(rateOutcomeOf(retry(131000))).toBe('error');
    expect(rateOutcomeOf(NUMBER_INACTIVE)).toBeUndefined();
    expect(rateOutcomeOf({ kind: 'token', error: graph(190) })).toBeUndefined();
  });
});

describe('sorting a batch of results for recording', () => {
  it('puts each result where it is written; a counted retry after the last attempt is given up', () => {
    const done = [
      { row: claimed(1), result: { kind: 'sent', wamid: 'w1' } as SendResult },
      {
        row: claimed(2, 2),
        result: classifySendError(graph(131000, { status: 500 }), claimed(2, 2), DELAYS),
      },
      {
        row: claimed(3, 4),
        result: classifySendError(graph(131000, { status: 500 }), claimed(3, 4), DELAYS),
      },
      { row: claimed(4), result: classifySendError(graph(131026), claimed(4), DELAYS) },
      {
        row: claimed(5, 9),
        result: classifySendError(graph(130429, { status: 429 }), claimed(5, 9), DELAYS),
      },
      { row: claimed(6), result: { kind: 'unknown', error: {} } as SendResult },
      { row: claimed(7), result: classifySendError(graph(190, { status: 401 }), claimed(7), DELAYS) },
      { row: claimed(8), result: classifySendError(graph(132015), claimed(8), DELAYS) },
    ];
    const s = sortResults(done, DELAYS);
    expect(s.sent.map((x) => [x.row.id, x.wamid])).toEqual([[1, 'w1']]);
    // Failed for good first, then those given up, with why.
    expect(s.failed.map((f) => f.row.id)).toEqual([4, 3]);
    expect(s.failed[1]!.reason).toBe('gave up after 4 attempts: 131000: error 131000');
    // A throttled send never runs out of attempts: the number's throughput refused it.
    expect(s.retry).toEqual([
      { id: 2, delayMs: 20_000, counts: true },
      { id: 5, delayMs: THROTTLED_RETRY_MS, counts: false },
    ]);
    expect(s.unknown).toEqual([6]);
    expect(s.token.map((t) => t.row.id)).toEqual([7]);
    expect(s.template.map((t) => [t.row.id, t.error.code])).toEqual([[8, 132015]]);
  });
});
