import type { Config } from '../config.ts';

export interface SandboxPace {
  /** About how often a free customer starts a conversation; 0: only the opening ones. */
  conversation_every_ms: number;
  /** How long a customer takes to answer the business, at least and at most. */
  reply_delay_ms: [number, number];
  /** A customer nobody answers writes once more after this long; 0: never. */
  nudge_after_ms: number;
  /** How long until a customer reads what the business sent them. */
  read_delay_ms: number;
}

const S = 1000;
const PRESETS: Record<'slow' | 'normal' | 'fast', SandboxPace> = {
  slow: {
    conversation_every_ms: 600 * S,
    reply_delay_ms: [30 * S, 90 * S],
    nudge_after_ms: 1800 * S,
    read_delay_ms: 10 * S,
  },
  normal: {
    conversation_every_ms: 180 * S,
    reply_delay_ms: [8 * S, 25 * S],
    nudge_after_ms: 900 * S,
    read_delay_ms: 4 * S,
  },
  fast: {
    conversation_every_ms: 20 * S,
    reply_delay_ms: [1 * S, 4 * S],
    nudge_after_ms: 120 * S,
    read_delay_ms: S / 2,
  },
};

/** SANDBOX_PACE → the simulated customers' timing (config.ts describes the setting). */
export function sandboxPace(pace: Config['SANDBOX_PACE']): SandboxPace {
  if (typeof pace === 'string') return PRESETS[pace];
  // Only the opening conversations, answered at the fast pace; nobody writes on their own.
  if (pace === 0) return { ...PRESETS.fast, conversation_every_ms: 0, nudge_after_ms: 0 };
  const every = Math.round(pace * S);
  // The simulator takes answers within an hour and reminders within a day.
  const least = Math.min(3600 * S, Math.max(50, Math.round(every / 20)));
  return {
    conversation_every_ms: every,
    reply_delay_ms: [least, Math.min(3600 * S, Math.max(least, Math.round(every / 8)))],
    nudge_after_ms: Math.min(86_400 * S, every * 5),
    read_delay_ms: Math.round(least / 2),
  };
}
