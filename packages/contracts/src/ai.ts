import { z } from 'zod';
import { IsoDate, Text, Uuid } from './common.ts';

/**
 * AI replies (issue 23): a model per organisation (OpenAI, Anthropic or any OpenAI-compatible base
 * URL), a mode per number (off / suggest / auto), a knowledge base the replies are grounded in, intent
 * labels, summaries, a daily token budget and a log of every call. docs/ai.md.
 */

export const AI_PROVIDERS = ['openai', 'anthropic', 'openai_compatible'] as const;
export const AI_MODES = ['off', 'suggest', 'auto'] as const;
export const AiMode = z.enum(AI_MODES);
export type AiMode = z.infer<typeof AiMode>;
/** Text-search configurations the knowledge base can use (PostgreSQL's built-in ones). */
export const SEARCH_LANGUAGES = [
  'simple',
  'english',
  'spanish',
  'portuguese',
  'french',
  'german',
  'italian',
  'dutch',
] as const;

const Label = Text(40).pipe(z.string().min(1, 'is required'));

export const AiSettings = z.object({
  provider: z.enum(AI_PROVIDERS),
  model: z.string(),
  base_url: z.string().nullable(),
  /** Whether a key is stored; the key itself is never returned. */
  has_key: z.boolean(),
  key_hint: z.string().nullable().describe('the last four characters of the stored key'),
  daily_token_budget: z.number().int().nullable(),
  price_input_per_mtok: z.number(),
  price_output_per_mtok: z.number(),
  currency: z.string(),
  max_replies_per_contact: z.number().int(),
  debounce_seconds: z.number().int(),
  handover_keywords: z.array(z.string()),
  handover_team_id: Uuid.nullable(),
  reply_max_chars: z.number().int(),
  labels_enabled: z.boolean(),
  labels: z.array(z.string()),
  search_language: z.enum(SEARCH_LANGUAGES),
  /** Tokens used today (the organisation's timezone), and the breaker's state. */
  tokens_today: z.number().int(),
  cost_today: z.number(),
  breaker_open_until: IsoDate.nullable(),
  /** Whether the model can be called: a provider, a model and (except compatible servers) a key. */
  configured: z.boolean(),
});
export type AiSettings = z.infer<typeof AiSettings>;

export const UpdateAiSettingsBody = z
  .strictObject({
    provider: z.enum(AI_PROVIDERS),
    model: Text(120).pipe(z.string().min(1, 'is required')),
    base_url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(500)
      .nullable(),
    /** A new key; omit to keep the stored one, null to remove it. */
    api_key: z.string().trim().min(8, 'looks too short').max(500).nullable(),
    daily_token_budget: z.number().int().min(1000).max(1_000_000_000).nullable(),
    price_input_per_mtok: z.number().min(0).max(10_000),
    price_output_per_mtok: z.number().min(0).max(10_000),
    currency: z.string().regex(/^[A-Z]{3}$/, 'a 3-letter currency code'),
    max_replies_per_contact: z.number().int().min(0).max(10_000),
    debounce_seconds: z.number().int().min(0).max(120),
    handover_keywords: z.array(Text(40).pipe(z.string().min(1))).max(20),
    handover_team_id: Uuid.nullable(),
    reply_max_chars: z.number().int().min(50).max(4096),
    labels_enabled: z.boolean(),
    labels: z
      .array(Label)
      .min(1)
      .max(20)
      .refine((l) => new Set(l.map((x) => x.toLowerCase())).size === l.length, 'labels must be unique'),
    search_language: z.enum(SEARCH_LANGUAGES),
  })
  .partial()
  .refine((b) => b.provider !== 'openai_compatible' || b.base_url !== null, {
    message: 'an OpenAI-compatible provider needs a base URL',
    path: ['base_url'],
  });
export type UpdateAiSettingsBody = z.infer<typeof UpdateAiSettingsBody>;

export const AiTestResult = z.object({
  ok: z.boolean(),
  model: z.string().nullable(),
  latency_ms: z.number().int().nullable(),
  reply: z.string().nullable(),
  error: z.string().nullable(),
});

export const NumberAi = z.object({
  number_id: Uuid,
  mode: AiMode,
  system_prompt: z.string(),
});
export type NumberAi = z.infer<typeof NumberAi>;
export const NumberAiList = z.object({ data: z.array(NumberAi) });
export const UpdateNumberAiBody = z.strictObject({
  mode: AiMode.optional(),
  system_prompt: Text(8000).optional(),
});

// ---------------------------------------------------------------- knowledge

export const KnowledgeDoc = z.object({
  id: Uuid,
  number_id: Uuid.nullable().describe('null: every number'),
  title: z.string(),
  format: z.enum(['entry', 'text', 'markdown', 'pdf', 'docx']),
  filename: z.string().nullable(),
  chars: z.number().int(),
  chunks: z.number().int(),
  created_at: IsoDate,
  updated_at: IsoDate,
});
export const KnowledgeDocFull = KnowledgeDoc.extend({ body: z.string() });
export const KnowledgeList = z.object({ data: z.array(KnowledgeDoc) });
export const CreateKnowledgeBody = z.strictObject({
  title: Text(200).pipe(z.string().min(1, 'is required')),
  body: Text(100_000).pipe(z.string().min(1, 'is required')),
  number_id: Uuid.nullable().default(null),
});
export const UpdateKnowledgeBody = z.strictObject({
  title: Text(200).pipe(z.string().min(1, 'is required')).optional(),
  body: Text(100_000).pipe(z.string().min(1, 'is required')).optional(),
  number_id: Uuid.nullable().optional(),
});
export const KnowledgeUploadQuery = z.strictObject({
  filename: z.string().trim().min(1).max(200),
  title: Text(200).optional(),
  number_id: Uuid.optional(),
});
export const KnowledgeSearchQuery = z.strictObject({
  q: Text(500).pipe(z.string().min(1, 'is required')),
  number_id: Uuid.optional(),
});
export const KnowledgePassage = z.object({
  doc_id: Uuid,
  chunk_id: z.number().int(),
  title: z.string(),
  heading: z.string().nullable(),
  text: z.string(),
  rank: z.number(),
});
export const KnowledgeSearchResult = z.object({ data: z.array(KnowledgePassage) });

// ---------------------------------------------------------------- calls log

export const AI_PURPOSES = ['reply', 'suggest', 'label', 'summary', 'test'] as const;
export const AI_OUTCOMES = ['ok', 'error', 'handover', 'skipped'] as const;
export const AiCall = z.object({
  id: z.number().int(),
  at: IsoDate,
  purpose: z.enum(AI_PURPOSES),
  outcome: z.enum(AI_OUTCOMES),
  detail: z.string().nullable(),
  number_id: Uuid.nullable(),
  conversation_id: Uuid.nullable(),
  provider: z.string(),
  model: z.string(),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  latency_ms: z.number().int().nullable(),
  cost: z.number(),
  currency: z.string(),
});
export const AiCallList = z.object({ data: z.array(AiCall), next_cursor: z.string().nullable() });
export const AiCallQuery = z.strictObject({
  purpose: z.enum(AI_PURPOSES).optional(),
  outcome: z.enum(AI_OUTCOMES).optional(),
  from: IsoDate.optional(),
  to: IsoDate.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(40).optional(),
});
export const AiCallExportQuery = AiCallQuery.omit({ limit: true, cursor: true });

// ---------------------------------------------------------------- a conversation's AI

export const AiSource = z.object({ doc_id: Uuid, title: z.string(), chunk_id: z.number().int() });
export const ConversationAi = z.object({
  mode: AiMode,
  configured: z.boolean(),
  handed_over_at: IsoDate.nullable(),
  handover_reason: z.enum(['keyword', 'model', 'agent', 'limit']).nullable(),
  /** AI replies this customer has had, for life, and the limit. */
  contact_replies: z.number().int(),
  max_replies_per_contact: z.number().int(),
  /** The knowledge each AI reply of this conversation was grounded in, by message id. */
  sources: z.record(z.string(), z.array(AiSource)),
  /** Intent labels of the customer's messages, by message id. */
  labels: z.record(z.string(), z.string()),
  /** Whether the day's token budget is spent (suggestions, labels and summaries stop). */
  budget_spent: z.boolean(),
});
export type ConversationAi = z.infer<typeof ConversationAi>;
export const AiSuggestion = z.object({ text: z.string(), sources: z.array(AiSource) });
export const AiSummary = z.object({ text: z.string() });
