import { z } from 'zod';
import type { Random } from './random.ts';

/**
 * A fault fires by probability (`rate`), on every Nth eligible event (`every`), or on the next N
 * eligible events (`next`, counted down). Several may be set at once; any that fires, fires.
 */
export const FaultRule = z
  .object({
    rate: z.number().min(0).max(1).optional(),
    every: z.number().int().min(1).optional(),
    next: z.number().int().min(0).optional(),
    /** For `slow`: how long to wait before answering. For `timeout`: how long to hold the connection. */
    ms: z.number().int().min(0).max(600_000).optional(),
    /** For `http_5xx`: which status to answer (500, 502, 503). */
    status: z.number().int().min(500).max(599).optional(),
  })
  .strict();
export type FaultRule = z.infer<typeof FaultRule>;

export const Faults = z
  .object({
    /** Graph API answers. */
    http_5xx: FaultRule.optional(),
    timeout: FaultRule.optional(),
    reset: FaultRule.optional(),
    slow: FaultRule.optional(),
    /** A send is accepted (and its webhooks follow) but the answer never reaches the caller. */
    lost_answer: FaultRule.optional(),
    /** Webhook deliveries. */
    webhook_duplicate: FaultRule.optional(),
    webhook_reorder: FaultRule.optional(),
    webhook_drop: FaultRule.optional(),
  })
  .strict();
export type Faults = z.infer<typeof Faults>;
export type FaultName = keyof Faults;

export interface FaultState {
  set(f: Faults): void;
  get(): Faults;
  /** Decides whether `name` fires for this event, advancing its counters. */
  fires(name: FaultName): FaultRule | undefined;
}

export function createFaultState(rnd: Random): FaultState {
  let faults: Faults = {};
  const seen = new Map<FaultName, number>();
  return {
    set(f) {
      faults = structuredClone(f);
      seen.clear();
    },
    get: () => structuredClone(faults),
    fires(name) {
      const rule = faults[name];
      if (!rule) return undefined;
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      let hit = false;
      if (rule.next !== undefined && rule.next > 0) {
        rule.next -= 1;
        hit = true;
      }
      if (rule.every !== undefined && n % rule.every === 0) hit = true;
      if (rule.rate !== undefined && rnd.chance(rule.rate)) hit = true;
      return hit ? rule : undefined;
    },
  };
}
