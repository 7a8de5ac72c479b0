import { describe, expect, it } from 'vitest';
import { classifyGraphError, GraphError } from './graph-error.ts';

describe('Graph error classification', () => {
  it.each([
    [130429, 429, 'throttled'],
    [131056, 429, 'throttled'],
    [131056, 400, 'throttled'],
    [80007, 400, 'throttled'],
    [4, 400, 'throttled'],
    [190, 401, 'token'],
    [104, 401, 'token'],
    [131047, 400, 'recipient'],
    [131026, 400, 'recipient'],
    [131050, 400, 'recipient'],
    // A business-scoped user id cannot receive this message (an authentication template to a BSUID).
    [131062, 400, 'recipient'],
    [132001, 404, 'template'],
    [132000, 400, 'template'],
    [2388019, 400, 'template'],
    [131000, 500, 'transient'],
    [2, 503, 'transient'],
    [100, 400, 'permanent'],
    [131008, 400, 'permanent'],
    [368, 403, 'permanent'],
    [99999, 502, 'transient'],
    [99999, 429, 'throttled'],
    ['TIMEOUT', 0, 'transient'],
  ] as const)('code %s (HTTP %s) is %s', (code, status, kind) => {
    expect(classifyGraphError(code, status)).toBe(kind);
  });

  it('keeps everything Meta said and knows what to retry', () => {
    const e = new GraphError({
      status: 429,
      code: 130429,
      subcode: 2494055,
      title: '(#130429) Rate limit hit',
      details: 'throughput',
      fbtraceId: 'Az8',
    });
    expect(e.retryable).toBe(true);
    expect(e.toJSON()).toEqual({
      status: 429,
      code: 130429,
      subcode: 2494055,
      title: '(#130429) Rate limit hit',
      details: 'throughput',
      fbtrace_id: 'Az8',
      kind: 'throttled',
    });
    expect(new GraphError({ status: 400, code: 132001, title: 'x' }).retryable).toBe(false);
    expect(new GraphError({ status: 400, code: 100, title: 'x', isTransient: true }).kind).toBe('transient');
  });
});
