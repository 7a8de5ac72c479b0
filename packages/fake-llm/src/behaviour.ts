import { z } from 'zod';

/** How the fake misbehaves next; set with `configure()` or `POST /_fake/config`. */
export const Behaviour = z.strictObject({
  /** Waited before the first byte of every API answer (errors included). */
  latencyMs: z.number().int().min(0).max(600_000),
  /** The next `count` API calls answer `status` (with the API's error JSON, or `body`). */
  failNext: z
    .strictObject({
      count: z.number().int().min(0),
      status: z.number().int().min(400).max(599),
      body: z.unknown().optional(),
    })
    .nullable(),
  /** The next `count` API calls answer 429 with `retry-after: retryAfterSeconds`. */
  rateLimitNext: z
    .strictObject({ count: z.number().int().min(0), retryAfterSeconds: z.number().min(0) })
    .nullable(),
  /** Token counts reported instead of the chars/4 estimate. */
  tokens: z
    .strictObject({ input: z.number().int().min(0).optional(), output: z.number().int().min(0).optional() })
    .nullable(),
  /** The text every answer carries instead of the brain's. */
  reply: z.string().nullable(),
});
export type Behaviour = z.infer<typeof Behaviour>;

export const BehaviourPatch = Behaviour.partial();
export type BehaviourPatch = z.infer<typeof BehaviourPatch>;

export function initialBehaviour(latencyMs = 0): Behaviour {
  return { latencyMs, failNext: null, rateLimitNext: null, tokens: null, reply: null };
}

/** One API call as the fake received it. */
export interface RecordedCall {
  wire: 'openai' | 'anthropic';
  path: string;
  model: string;
  /** The system text (OpenAI: the `system`/`developer` messages joined by a blank line). */
  system: string;
  messages: { role: string; content: string }[];
  stream: boolean;
  /** Whether a key came with the call, and its last four characters (never the key). */
  auth: { present: boolean; last4: string | null };
  /** The status the fake answered. */
  status: number;
  /** ISO time the call arrived. */
  at: string;
}
