import type {
  AiCall,
  AiSettings,
  ConversationAi,
  NumberAi,
  UpdateAiSettingsBody,
  UpdateNumberAiBody,
} from '@openwaba/contracts';
import type { z } from 'zod';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db } from '../db/client.ts';
import { transaction } from '../db/tx.ts';
import { AppError } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { UrlGuard } from '../lib/url-guard.ts';
import type { NotificationService } from '../notifications/service.ts';
import {
  type AiProvider,
  type AiProviderConfig,
  AiProviderError,
  type ChatRequest,
  type ChatResult,
} from './provider.ts';
import * as repo from './repo.ts';

/** Failures in a row that open the breaker, and for how long it then stays open. */
export const BREAKER_THRESHOLD = 5;
export const BREAKER_OPEN_SECONDS = 60;
/** The model name the sandbox configures for its built-in fake model. */
export const SANDBOX_MODEL = 'sandbox-fake-model';

export type CallMeta = Pick<repo.CallWrite, 'numberId' | 'conversationId' | 'contactId' | 'messageId'>;
export type ModelOutcome =
  | { ok: true; result: ChatResult; cost: number }
  | { ok: false; outcome: 'skipped' | 'error'; detail: string };

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/**
 * The organisation's model (provider, sealed key, budget, breaker), each number's mode and prompt,
 * the call log, and a conversation's AI state (docs/ai.md). `callModel` is the one way any AI
 * feature calls the model: it refuses when unconfigured, over budget or while the breaker is open,
 * logs failures, and tells the admins at 80 % of the budget and when the breaker opens.
 */
export function createAiService(deps: {
  db: Db;
  log: Log;
  box: SecretBox;
  guard: UrlGuard;
  notifications: Pick<NotificationService, 'notifyRole'>;
  timeoutMs: number;
  /**
   * Builds a provider (ai/providers.ts); `trusted`: the base URL is one this process started itself
   * (the sandbox's fake model on 127.0.0.1), which the URL guard would otherwise refuse.
   */
  providerOf: (cfg: AiProviderConfig, trusted: boolean) => AiProvider;
}) {
  const { db, log, box, notifications } = deps;
  /** Base URLs of models this process runs (the sandbox's). */
  const trusted = new Set<string>();

  const configured = (s: repo.SettingsRow) =>
    s.stored &&
    s.model.length > 0 &&
    (s.provider === 'openai_compatible' ? !!s.base_url : !!s.api_key_sealed) &&
    // The sandbox's fake model is gone once the sandbox is (a real number was connected).
    (s.model !== SANDBOX_MODEL || (s.base_url !== null && trusted.has(s.base_url)));

  function providerFor(s: repo.SettingsRow) {
    return deps.providerOf(
      {
        kind: s.provider,
        apiKey: s.api_key_sealed ? box.open(s.api_key_sealed) : null,
        baseUrl: s.base_url,
        timeoutMs: deps.timeoutMs,
      },
      s.base_url !== null && trusted.has(s.base_url),
    );
  }

  const costOf = (s: repo.SettingsRow, r: Pick<ChatResult, 'inputTokens' | 'outputTokens'>) =>
    (r.inputTokens * Number(s.price_input_per_mtok) + r.outputTokens * Number(s.price_output_per_mtok)) / 1e6;

  async function budgetSpent(s: repo.SettingsRow) {
    if (s.daily_token_budget === null) return false;
    const u = await repo.usageToday(db, s.org_id, s.timezone);
    return u.tokens >= s.daily_token_budget;
  }

  /** One model call under the organisation's rules; failures and refusals are logged here, successes by the caller. */
  async function callModel(
    s: repo.SettingsRow,
    purpose: repo.CallWrite['purpose'],
    req: ChatRequest,
    meta: CallMeta = {},
  ): Promise<ModelOutcome> {
    const base = {
      orgId: s.org_id,
      purpose,
      provider: s.provider,
      model: s.model,
      currency: s.currency,
      ...meta,
    };
    const skip = async (detail: string): Promise<ModelOutcome> => {
      await repo.insertCall(db, { ...base, outcome: 'skipped', detail });
      return { ok: false, outcome: 'skipped', detail };
    };
    if (!configured(s)) return skip('AI is not configured');
    if (s.breaker_open_until && new Date(s.breaker_open_until) > new Date())
      return skip('the provider failed repeatedly; paused until the breaker closes');
    const usage = s.daily_token_budget === null ? null : await repo.usageToday(db, s.org_id, s.timezone);
    if (usage && s.daily_token_budget !== null && usage.tokens >= s.daily_token_budget)
      return skip("the day's token budget is spent");
    const started = performance.now();
    try {
      const result = await providerFor(s).chat(req);
      if (s.failures_in_row > 0 || s.breaker_open_until) await repo.recordSuccess(db, s.org_id);
      if (usage && s.daily_token_budget !== null) {
        const used = usage.tokens + result.inputTokens + result.outputTokens;
        if (used >= s.daily_token_budget * 0.8 && (await repo.claimBudgetNotice(db, s.org_id, usage.today)))
          await notifications
            .notifyRole(s.org_id, 'admin', {
              type: 'ai.budget_near',
              title: "The AI's daily token budget is 80 % used",
              message: `${used.toLocaleString('en')} of ${s.daily_token_budget.toLocaleString('en')} tokens used today. At 100 % AI replies, suggestions, labels and summaries stop until tomorrow.`,
              actionUrl: '/settings/ai',
              relatedEntityType: null,
              relatedEntityId: null,
            })
            .catch((err) => log.warn({ err }, 'ai: budget notice not sent'));
      }
      return { ok: true, result, cost: costOf(s, result) };
    } catch (err) {
      const e =
        err instanceof AiProviderError
          ? err
          : new AiProviderError('network', (err as Error).message ?? 'failed');
      const detail = `${e.kind}: ${e.message}`.slice(0, 500);
      log.warn({ orgId: s.org_id, purpose, kind: e.kind, status: e.status }, 'ai: model call failed');
      await repo.insertCall(db, {
        ...base,
        outcome: 'error',
        detail,
        latencyMs: Math.round(performance.now() - started),
      });
      const opened = await repo.recordFailure(db, s.org_id, BREAKER_THRESHOLD, BREAKER_OPEN_SECONDS);
      if (opened)
        await notifications
          .notifyRole(s.org_id, 'admin', {
            type: 'ai.provider_failing',
            title: 'The AI provider keeps failing',
            message: `${BREAKER_THRESHOLD} calls in a row failed (last: ${detail}). AI pauses for ${BREAKER_OPEN_SECONDS} s, then tries again.`,
            actionUrl: '/settings/ai',
            relatedEntityType: null,
            relatedEntityId: null,
          })
          .catch((err2) => log.warn({ err: err2 }, 'ai: breaker notice not sent'));
      return { ok: false, outcome: 'error', detail };
    }
  }

  // ------------------------------------------------------------ settings

  async function view(orgId: string): Promise<AiSettings> {
    const s = await repo.settingsOf(db, orgId);
    const u = await repo.usageToday(db, orgId, s.timezone);
    return {
      provider: s.provider,
      model: s.model,
      base_url: s.base_url,
      has_key: !!s.api_key_sealed,
      key_hint: s.api_key_hint,
      daily_token_budget: s.daily_token_budget,
      price_input_per_mtok: Number(s.price_input_per_mtok),
      price_output_per_mtok: Number(s.price_output_per_mtok),
      currency: s.currency,
      max_replies_per_contact: s.max_replies_per_contact,
      debounce_seconds: s.debounce_seconds,
      handover_keywords: s.handover_keywords,
      handover_team_id: s.handover_team_id,
      reply_max_chars: s.reply_max_chars,
      labels_enabled: s.labels_enabled,
      labels: s.labels,
      search_language: s.search_language as AiSettings['search_language'],
      tokens_today: u.tokens,
      cost_today: u.cost,
      breaker_open_until: iso(s.breaker_open_until),
      configured: configured(s),
    };
  }

  async function update(ctx: AuthContext, body: z.infer<typeof UpdateAiSettingsBody>) {
    const before = await view(ctx.orgId);
    const provider = body.provider ?? before.provider;
    const baseUrl = body.base_url !== undefined ? body.base_url : before.base_url;
    if (provider === 'openai_compatible' && !baseUrl)
      throw new AppError('VALIDATION_FAILED', 'An OpenAI-compatible provider needs a base URL', {
        details: [{ path: ['base_url'], message: 'an OpenAI-compatible provider needs a base URL' }],
      });
    if (baseUrl) {
      // A name this server cannot resolve now is taken (it may resolve later, or only where the
      // server runs); every connection is checked again by the guard and refused then.
      const v = await deps.guard.check(baseUrl, { onLookupFailure: 'accept' });
      if (!v.ok)
        throw new AppError('VALIDATION_FAILED', `The base URL is refused: ${v.reason}`, {
          details: [{ path: ['base_url'], message: v.reason }],
        });
    }
    if (body.handover_team_id) {
      const t = await repo.teamExists(db, ctx.orgId, body.handover_team_id);
      if (!t) throw new AppError('NOT_FOUND', 'Team not found');
    }
    const { api_key, price_input_per_mtok, price_output_per_mtok, ...rest } = body;
    const w: repo.SettingsWrite = {
      ...rest,
      ...(price_input_per_mtok !== undefined ? { price_input_per_mtok: String(price_input_per_mtok) } : {}),
      ...(price_output_per_mtok !== undefined
        ? { price_output_per_mtok: String(price_output_per_mtok) }
        : {}),
      ...(api_key === null ? { api_key_sealed: null, api_key_hint: null } : {}),
      ...(api_key ? { api_key_sealed: box.seal(api_key), api_key_hint: api_key.slice(-4) } : {}),
    };
    await transaction(db, async (tx) => {
      await repo.upsertSettings(tx, ctx.orgId, w);
      if (body.search_language && body.search_language !== before.search_language)
        await repo.reindexChunks(tx, ctx.orgId, body.search_language);
      const { tokens_today: _t, cost_today: _c, ...b } = before;
      await recordAudit(tx, actorOf(ctx), {
        action: 'ai.settings_updated',
        entityType: 'ai_settings',
        entityId: ctx.orgId,
        before: b,
        after: {
          ...rest,
          ...(api_key !== undefined ? { api_key: api_key === null ? 'removed' : 'replaced' } : {}),
        },
      });
    });
    return view(ctx.orgId);
  }

  /** One tiny call with the stored settings: does the key, model and URL work? */
  async function test(ctx: AuthContext) {
    const s = await repo.settingsOf(db, ctx.orgId);
    if (!configured(s))
      return {
        ok: false,
        model: null,
        latency_ms: null,
        reply: null,
        error: 'AI is not configured: choose a provider, a model and a key (or a base URL).',
      };
    const r = await callModel(s, 'test', {
      model: s.model,
      system: 'Reply with the single word: pong',
      messages: [{ role: 'user', content: 'ping' }],
      maxTokens: 5,
    });
    if (!r.ok) return { ok: false, model: null, latency_ms: null, reply: null, error: r.detail };
    await repo.insertCall(db, {
      orgId: s.org_id,
      purpose: 'test',
      provider: s.provider,
      model: s.model,
      currency: s.currency,
      inputTokens: r.result.inputTokens,
      outputTokens: r.result.outputTokens,
      latencyMs: Math.round(r.result.latencyMs),
      outcome: 'ok',
      cost: r.cost,
    });
    return {
      ok: true,
      model: r.result.model,
      latency_ms: Math.round(r.result.latencyMs),
      reply: r.result.text.slice(0, 200),
      error: null,
    };
  }

  // ------------------------------------------------------------ numbers

  async function numbers(orgId: string): Promise<{ data: NumberAi[] }> {
    return { data: await repo.numberModes(db, orgId) };
  }

  async function updateNumber(ctx: AuthContext, numberId: string, body: z.infer<typeof UpdateNumberAiBody>) {
    const before = await repo.numberMode(db, ctx.orgId, numberId);
    if (!before) throw new AppError('NOT_FOUND', 'Number not found');
    await transaction(db, async (tx) => {
      await repo.upsertNumberMode(tx, ctx.orgId, numberId, body);
      await recordAudit(tx, actorOf(ctx), {
        action: 'ai.number_updated',
        entityType: 'number',
        entityId: numberId,
        before,
        after: body,
      });
    });
    return (await repo.numberMode(db, ctx.orgId, numberId))!;
  }

  // ------------------------------------------------------------ the log

  const callView = (r: repo.CallRow): z.infer<typeof AiCall> => ({
    id: Number(r.id),
    at: new Date(r.at).toISOString(),
    purpose: r.purpose,
    outcome: r.outcome,
    detail: r.detail,
    number_id: r.number_id,
    conversation_id: r.conversation_id,
    provider: r.provider,
    model: r.model,
    input_tokens: r.input_tokens,
    output_tokens: r.output_tokens,
    latency_ms: r.latency_ms,
    cost: Number(r.cost),
    currency: r.currency,
  });

  async function calls(
    orgId: string,
    f: { purpose?: string; outcome?: string; from?: string; to?: string; limit: number; cursor?: string },
  ) {
    const beforeId = f.cursor ? Number(f.cursor) : undefined;
    if (f.cursor && !Number.isSafeInteger(beforeId)) throw new AppError('VALIDATION_FAILED', 'Bad cursor');
    const rows = await repo.listCalls(db, orgId, {
      ...f,
      ...(beforeId ? { beforeId } : {}),
      limit: f.limit + 1,
    });
    const page = rows.slice(0, f.limit).map(callView);
    return { data: page, next_cursor: rows.length > f.limit ? String(page[page.length - 1]!.id) : null };
  }

  /** Every call of the filter, newest first, in pages (the CSV export). */
  async function* allCalls(
    orgId: string,
    f: { purpose?: string; outcome?: string; from?: string; to?: string },
  ) {
    let beforeId: number | undefined;
    for (;;) {
      const rows = await repo.listCalls(db, orgId, { ...f, ...(beforeId ? { beforeId } : {}), limit: 1000 });
      for (const r of rows) yield callView(r);
      if (rows.length < 1000) return;
      beforeId = Number(rows[rows.length - 1]!.id);
    }
  }

  // ------------------------------------------------------------ a conversation's AI

  async function conversation(orgId: string, conversationId: string): Promise<ConversationAi> {
    const facts = await repo.conversationFacts(db, orgId, conversationId);
    if (!facts) throw new AppError('NOT_FOUND', 'Conversation not found');
    const s = await repo.settingsOf(db, orgId);
    const [mode, state, replies, labels, sources, spent] = await Promise.all([
      repo.numberMode(db, orgId, facts.number_id),
      repo.conversationState(db, orgId, conversationId),
      repo.contactReplies(db, orgId, facts.contact_id),
      repo.labelsOf(db, orgId, conversationId),
      repo.sourcesOf(db, orgId, conversationId),
      budgetSpent(s),
    ]);
    return {
      mode: mode?.mode ?? 'off',
      configured: configured(s),
      handed_over_at: iso(state.handed_over_at),
      handover_reason: state.handover_reason,
      contact_replies: replies,
      max_replies_per_contact: s.max_replies_per_contact,
      sources: Object.fromEntries(sources.map((r) => [r.reply_message_id, r.sources])),
      labels: Object.fromEntries(labels.map((r) => [r.message_id, r.label])),
      budget_spent: spent,
    };
  }

  /**
   * The sandbox (a fresh install, no real number): the organisation's AI talks to the fake model this
   * process runs, the sandbox number answers in auto mode, and a small knowledge base of the sandbox
   * shop grounds the answers — each only where the organisation has not set its own.
   */
  async function setUpSandbox(orgId: string, numberId: string, baseUrl: string) {
    trusted.add(baseUrl);
    const s = await repo.settingsOf(db, orgId);
    await transaction(db, async (tx) => {
      if (!s.stored || s.model === SANDBOX_MODEL)
        await repo.upsertSettings(tx, orgId, {
          provider: 'openai_compatible',
          model: SANDBOX_MODEL,
          base_url: baseUrl,
        });
      if (!(await repo.hasNumberMode(tx, numberId)))
        await repo.upsertNumberMode(tx, orgId, numberId, {
          mode: 'auto',
          system_prompt: 'You answer for the sandbox tea shop. Be short and friendly.',
        });
    });
    return { configuredNow: !s.stored || s.model === SANDBOX_MODEL };
  }

  return {
    configured,
    setUpSandbox,
    callModel,
    budgetSpent,
    settingsOf: (orgId: string) => repo.settingsOf(db, orgId),
    view,
    update,
    test,
    numbers,
    updateNumber,
    calls,
    allCalls,
    conversation,
  };
}
export type AiService = ReturnType<typeof createAiService>;
