import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import { sandboxPace } from './pace.ts';

const paceOf = (v?: string) =>
  loadConfig({ NODE_ENV: 'test', ...(v ? { SANDBOX_PACE: v } : {}) }, {}).SANDBOX_PACE;

describe('SANDBOX_PACE', () => {
  it('is a preset or seconds, normal by default; anything else is refused at boot', () => {
    expect(paceOf()).toBe('normal');
    expect(paceOf('fast')).toBe('fast');
    expect(paceOf('2.5')).toBe(2.5);
    expect(() => paceOf('lively')).toThrow(ConfigError);
    expect(() => paceOf('-1')).toThrow(ConfigError);
  });

  it('sets how often customers start conversations and how fast they answer', () => {
    expect(sandboxPace('normal')).toMatchObject({
      conversation_every_ms: 180_000,
      reply_delay_ms: [8000, 25_000],
    });
    expect(sandboxPace('fast').conversation_every_ms).toBeLessThan(
      sandboxPace('normal').conversation_every_ms,
    );
    expect(sandboxPace('slow').reply_delay_ms[0]).toBeGreaterThan(sandboxPace('normal').reply_delay_ms[1]);
    expect(sandboxPace(2)).toEqual({
      conversation_every_ms: 2000,
      reply_delay_ms: [100, 250],
      nudge_after_ms: 10_000,
      read_delay_ms: 50,
    });
    // 0: the opening conversations only, answered quickly, never a reminder.
    expect(sandboxPace(0)).toMatchObject({ conversation_every_ms: 0, nudge_after_ms: 0 });
    // A day between conversations still fits the simulator's limits (answers within an hour).
    expect(sandboxPace(86_400)).toMatchObject({
      reply_delay_ms: [3_600_000, 3_600_000],
      nudge_after_ms: 86_400_000,
    });
  });
});
