import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { AiReplyHook } from '../automation/chain.ts';
import type { ConversationService } from '../conversations/service.ts';
import type { Db, Tx } from '../db/client.ts';
import { type OnCommit, transaction } from '../db/tx.ts';
import { AppError } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import type { OutboundService } from '../messages/service.ts';
import type { KnowledgeService } from './knowledge.ts';
import {
  asksForPerson,
  HANDOVER_SIGNAL,
  labelSystem,
  parseLabel,
  parseReply,
  replySystem,
  summarySystem,
  textOf,
  threadTurns,
} from './prompt.ts';
import * as repo from './repo.ts';
import type { AiService } from './service.ts';

/** Messages of the conversation the model sees (the "last 10"). */
export const CONTEXT_MESSAGES = 10;
const WINDOW_MS = 24 * 3_600_000;
/** A leased reply is taken over after this (two attempts of 25 s fit). */
const LEASE_SECONDS = 120;

type HandoverReason = 'keyword' | 'model' | 'agent' | 'limit';

/**
 * AI replies in a conversation (docs/ai.md): auto mode's durable debounce and replies, hand-over and
 * hand-back, suggestions for agents, intent labels and summaries. Every reply goes out through the
 * one send path (`source = ai`: consent, window, cost, caps), in the transaction that ends its
 * pending row, so a burst is answered once even across crashes.
 */
export function createAiReplies(deps: {
  db: Db;
  log: Log;
  ai: AiService;
  knowledge: Pick<KnowledgeService, 'search'>;
  outbound: Pick<OutboundService, 'send'>;
  conversations: Pick<ConversationService, 'assign' | 'setStatus' | 'typing'>;
  /** Tells the conversation's viewers its AI state changed (a realtime event). */
  publish?: (orgId: string, conversationId: string) => Promise<void>;
  /** Most replies generated at once by one process. */
  parallel?: number;
}) {
  const { db, log, ai, knowledge, outbound, conversations } = deps;
  const parallel = deps.parallel ?? 400;
  const systemCtx = (orgId: string): AuthContext => ({
    userId: '00000000-0000-0000-0000-000000000000',
    orgId,
    role: 'admin',
    sessionId: '00000000-0000-0000-0000-000000000000',
  });

  // ------------------------------------------------------------ hand-over

  /** AI stops in this conversation; it is opened and assigned (the handover team's round-robin, or the organisation's). */
  async function handOver(
    q: Db | Tx,
    onCommit: OnCommit | null,
    s: repo.SettingsRow,
    conversationId: string,
    reason: HandoverReason,
  ) {
    if (!(await repo.markHandedOver(q, s.org_id, conversationId, reason))) return;
    const after = async () => {
      const sys = systemCtx(s.org_id);
      await conversations
        .setStatus(sys, conversationId, 'open')
        .catch((err) => log.warn({ err }, 'ai: hand-over status not set'));
      await conversations
        .assign(sys, conversationId, 'round_robin', s.handover_team_id ?? undefined)
        .catch((err) => log.warn({ err }, 'ai: hand-over not assigned'));
      await deps.publish?.(s.org_id, conversationId).catch(() => {});
    };
    if (onCommit) onCommit(after);
    else await after();
  }

  /** An agent takes the conversation from the AI (or gives it back): audited. */
  async function setHandedOver(ctx: AuthContext, conversationId: string, handedOver: boolean) {
    const facts = await repo.conversationFacts(db, ctx.orgId, conversationId);
    if (!facts) throw new AppError('NOT_FOUND', 'Conversation not found');
    await transaction(db, async (tx) => {
      if (handedOver) await repo.markHandedOver(tx, ctx.orgId, conversationId, 'agent');
      else await repo.markHandedBack(tx, ctx.orgId, conversationId);
      await recordAudit(tx, actorOf(ctx), {
        action: handedOver ? 'ai.conversation_taken' : 'ai.conversation_handed_back',
        entityType: 'conversation',
        entityId: conversationId,
      });
    });
    await deps.publish?.(ctx.orgId, conversationId).catch(() => {});
    return ai.conversation(ctx.orgId, conversationId);
  }

  // ------------------------------------------------------------ the chain's step (f)

  /**
   * The automation chain's last step, in its transaction, for a customer's message nothing else
   * handled: in auto mode a text asking for a person hands over; any other text (re)sets the
   * conversation's pending reply, due after the debounce. True when AI took the message.
   */
  const chainStep: AiReplyHook = async (tx, onCommit, m) => {
    if (!m.text?.trim()) return false;
    const mode = await repo.numberMode(tx, m.orgId, m.numberId);
    if (mode?.mode !== 'auto') return false;
    const s = await repo.settingsOf(tx, m.orgId);
    if (!ai.configured(s)) return false;
    const state = await repo.conversationState(tx, m.orgId, m.conversationId);
    if (state.handed_over_at) return false;
    if (asksForPerson(m.text, s.handover_keywords)) {
      await handOver(tx, onCommit, s, m.conversationId, 'keyword');
      await repo.insertCall(tx, {
        orgId: m.orgId,
        numberId: m.numberId,
        conversationId: m.conversationId,
        contactId: m.contactId,
        messageId: m.messageId,
        purpose: 'reply',
        provider: s.provider,
        model: s.model,
        currency: s.currency,
        outcome: 'handover',
        detail: 'the customer asked for a person',
      });
      return true;
    }
    await repo.upsertPending(tx, { ...m, seconds: s.debounce_seconds });
    onCommit(() => wakeAt(Date.now() + s.debounce_seconds * 1000));
    return true;
  };

  /** What the chain's step (f) would do (the automation test box), without changing anything. */
  async function preview(orgId: string, numberId: string | null, text: string | null) {
    if (!numberId)
      return { handles: false, why: 'AI replies are set per number: choose a number to see them' };
    const mode = await repo.numberMode(db, orgId, numberId);
    if (mode?.mode !== 'auto')
      return { handles: false, why: `AI is ${mode?.mode ?? 'off'} on this number (auto mode answers)` };
    const s = await ai.settingsOf(orgId);
    if (!ai.configured(s)) return { handles: false, why: 'AI is not configured (Settings → AI)' };
    if (!text?.trim()) return { handles: false, why: 'AI answers texts only' };
    if (asksForPerson(text, s.handover_keywords))
      return { handles: true, why: 'asks for a person: the conversation is handed over, AI stays silent' };
    return {
      handles: true,
      why: `auto mode: AI answers after ${s.debounce_seconds} s without a new message (unless the conversation is handed over)`,
    };
  }

  // ------------------------------------------------------------ the reply

  /** Answers one leased pending reply (or decides to stay silent); never throws. */
  async function reply(p: repo.PendingRow) {
    const done = (why: string) =>
      repo
        .finishPending(db, p.conversation_id, p.message_id)
        .then(() => log.info({ conversationId: p.conversation_id, why }, 'ai: no reply'));
    try {
      const s = await ai.settingsOf(p.org_id);
      const meta = {
        numberId: p.number_id,
        conversationId: p.conversation_id,
        contactId: p.contact_id,
        messageId: p.message_id,
      };
      const base = {
        orgId: p.org_id,
        ...meta,
        purpose: 'reply' as const,
        provider: s.provider,
        model: s.model,
        currency: s.currency,
      };
      const [mode, state, facts, replies] = await Promise.all([
        repo.numberMode(db, p.org_id, p.number_id),
        repo.conversationState(db, p.org_id, p.conversation_id),
        repo.conversationFacts(db, p.org_id, p.conversation_id),
        repo.contactReplies(db, p.org_id, p.contact_id),
      ]);
      if (mode?.mode !== 'auto' || !ai.configured(s) || !facts) return done('auto mode is off');
      if (state.handed_over_at) return done('handed over');
      // An agent answered since AI last took the conversation: people have it now.
      if (facts.last_agent_at && (!state.since || new Date(facts.last_agent_at) > new Date(state.since))) {
        await handOver(db, null, s, p.conversation_id, 'agent');
        return done('an agent replied');
      }
      if (!facts.last_inbound_at || Date.now() - new Date(facts.last_inbound_at).getTime() > WINDOW_MS)
        return done('the 24-hour window is closed');
      if (replies >= s.max_replies_per_contact) {
        await handOver(db, null, s, p.conversation_id, 'limit');
        await repo.insertCall(db, {
          ...base,
          outcome: 'handover',
          detail: `limit of ${s.max_replies_per_contact} AI replies reached`,
        });
        return done('limit reached');
      }
      const thread = await repo.lastMessages(db, p.org_id, p.conversation_id, CONTEXT_MESSAGES);
      // What the customer wrote since our last message: the burst this reply answers.
      const burst: string[] = [];
      for (let i = thread.length - 1; i >= 0 && thread[i]!.direction === 'in'; i--)
        burst.unshift(textOf(thread[i]!));
      const passages = await knowledge.search(p.org_id, p.number_id, burst.join(' '));
      void conversations.typing(systemCtx(p.org_id), p.conversation_id).catch(() => {});
      const r = await ai.callModel(
        s,
        'reply',
        {
          model: s.model,
          system: replySystem({ businessPrompt: mode.system_prompt, passages, maxChars: s.reply_max_chars }),
          messages: threadTurns(thread),
          maxTokens: Math.max(64, Math.ceil(s.reply_max_chars / 2)),
          temperature: 0.2,
        },
        meta,
      );
      // On a provider error: logged (callModel), silent — no fallback text.
      if (!r.ok) return done(r.detail);
      const used = {
        inputTokens: r.result.inputTokens,
        outputTokens: r.result.outputTokens,
        latencyMs: Math.round(r.result.latencyMs),
        cost: r.cost,
      };
      const parsed = parseReply(r.result.text, s.reply_max_chars);
      const sources = passages.map((x) => ({
        doc_id: x.doc_id,
        title: x.title,
        chunk_id: Number(x.chunk_id),
      }));
      await transaction(db, async (tx, onCommit) => {
        if (!(await repo.finishPending(tx, p.conversation_id, p.message_id))) {
          // The customer wrote again meanwhile: that burst is answered when it is due.
          await repo.releasePending(tx, p.conversation_id);
          await repo.insertCall(tx, {
            ...base,
            ...used,
            outcome: 'skipped',
            detail: 'a newer message arrived; answered with it',
          });
          onCommit(() => wake());
          return;
        }
        if (parsed.kind !== 'reply') {
          await handOver(tx, onCommit, s, p.conversation_id, 'model');
          await repo.insertCall(tx, {
            ...base,
            ...used,
            outcome: 'handover',
            detail:
              parsed.kind === 'handover' ? 'the knowledge does not answer' : 'the model gave an empty answer',
            sources,
          });
          return;
        }
        try {
          const q = await outbound.send(
            p.org_id,
            {
              numberId: p.number_id,
              to: { contactId: p.contact_id },
              content: { type: 'text', text: { body: parsed.text } },
              source: 'ai',
              replyTo: thread[thread.length - 1]?.wamid ?? null,
            },
            { tx, onCommit },
          );
          await repo.countReply(tx, p.org_id, p.contact_id);
          await repo.insertCall(tx, {
            ...base,
            ...used,
            outcome: 'ok',
            replyMessageId: q.message_id,
            sources,
          });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          // Refused by the send path (consent, window, caps): nothing goes, the refusal is logged.
          await repo.insertCall(tx, {
            ...base,
            ...used,
            outcome: 'skipped',
            detail: `not sent: ${err.message}`,
          });
        }
      });
    } catch (err) {
      // The lease lapses and the sweep tries again (at most 3 attempts).
      log.error({ err, conversationId: p.conversation_id }, 'ai: reply failed');
      if (p.attempts >= 3) await done('failed three times').catch(() => {});
    }
  }

  // ------------------------------------------------------------ the sweep: due rows are the truth

  let running = false;
  let loop: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wakeUp: (() => void) | undefined;
  const inFlight = new Set<Promise<void>>();

  function wake() {
    wakeUp?.();
  }
  /** A hint only: the sweep also polls, and any process's sweep answers a due row. */
  function wakeAt(ms: number) {
    if (!running) return;
    const delay = Math.max(0, ms - Date.now());
    setTimeout(wake, delay + 5).unref?.();
  }

  async function sweepOnce() {
    const room = parallel - inFlight.size;
    if (room <= 0) return 0;
    const due = await repo.leaseDue(db, Math.min(room, 200), LEASE_SECONDS);
    for (const p of due) {
      const run = reply(p).finally(() => {
        inFlight.delete(run);
        wake();
      });
      inFlight.add(run);
    }
    return due.length;
  }

  function start(o: { pollMs?: number } = {}) {
    if (running) return;
    running = true;
    const pollMs = o.pollMs ?? 250;
    loop = (async () => {
      while (running) {
        let n = 0;
        try {
          n = await sweepOnce();
        } catch (err) {
          log.error({ err }, 'ai: the pending replies sweep failed');
        }
        if (n === 0 && running)
          await new Promise<void>((r) => {
            timer = setTimeout(r, pollMs);
            wakeUp = () => {
              clearTimeout(timer);
              wakeUp = undefined;
              r();
            };
          });
      }
    })();
  }
  async function stop() {
    running = false;
    wake();
    await loop;
    await Promise.allSettled([...inFlight]);
    loop = undefined;
  }

  // ------------------------------------------------------------ labels, suggestions, summaries

  /** The intent label of a customer's text message (the `message.received` reaction's job). */
  async function label(orgId: string, messageId: string) {
    const s = await ai.settingsOf(orgId);
    if (!s.labels_enabled || !ai.configured(s)) return null;
    const m = await repo.messageOf(db, orgId, messageId);
    if (m?.direction !== 'in' || m.type !== 'text') return null;
    const text = textOf(m).slice(0, 2000);
    if (!text.trim()) return null;
    const meta = {
      numberId: m.number_id,
      conversationId: m.conversation_id,
      contactId: m.contact_id,
      messageId,
    };
    const r = await ai.callModel(
      s,
      'label',
      {
        model: s.model,
        system: labelSystem(s.labels),
        messages: [{ role: 'user', content: text }],
        maxTokens: 10,
        temperature: 0,
      },
      meta,
    );
    if (!r.ok) return null;
    const l = parseLabel(r.result.text, s.labels);
    await transaction(db, async (tx) => {
      await repo.insertLabel(tx, orgId, m.conversation_id, messageId, l);
      await repo.insertCall(tx, {
        orgId,
        ...meta,
        purpose: 'label',
        provider: s.provider,
        model: s.model,
        currency: s.currency,
        inputTokens: r.result.inputTokens,
        outputTokens: r.result.outputTokens,
        latencyMs: Math.round(r.result.latencyMs),
        cost: r.cost,
        outcome: 'ok',
        detail: l,
      });
    });
    await deps.publish?.(orgId, m.conversation_id).catch(() => {});
    return l;
  }

  async function readyFor(ctx: AuthContext, conversationId: string) {
    const facts = await repo.conversationFacts(db, ctx.orgId, conversationId);
    if (!facts) throw new AppError('NOT_FOUND', 'Conversation not found');
    const s = await ai.settingsOf(ctx.orgId);
    if (!ai.configured(s))
      throw new AppError('CONFLICT', 'AI is not configured: an admin sets it up in Settings → AI');
    if (await ai.budgetSpent(s)) throw new AppError('CONFLICT', "The AI's token budget for today is spent");
    return { facts, s };
  }

  /**
   * A draft reply for the agent, grounded like an auto reply, streamed through `onDelta` as it is
   * written. Works whatever the number's mode (the composer asks for one in suggest mode).
   */
  async function suggest(ctx: AuthContext, conversationId: string, onDelta: (t: string) => void) {
    const { facts, s } = await readyFor(ctx, conversationId);
    const mode = await repo.numberMode(db, ctx.orgId, facts.number_id);
    const thread = await repo.lastMessages(db, ctx.orgId, conversationId, CONTEXT_MESSAGES);
    const turns = threadTurns(thread);
    if (!turns.length) throw new AppError('CONFLICT', 'The customer has not written anything to answer yet');
    const burst: string[] = [];
    for (let i = thread.length - 1; i >= 0 && thread[i]!.direction === 'in'; i--)
      burst.unshift(textOf(thread[i]!));
    const passages = await knowledge.search(
      ctx.orgId,
      facts.number_id,
      burst.join(' ') || turns[turns.length - 1]!.content,
    );
    const meta = { numberId: facts.number_id, conversationId, contactId: facts.contact_id };
    let acc = '';
    let held: string | null = '';
    const r = await ai.callModel(
      s,
      'suggest',
      {
        model: s.model,
        system: replySystem({
          businessPrompt: mode?.system_prompt ?? '',
          passages,
          maxChars: s.reply_max_chars,
        }),
        messages: turns,
        maxTokens: Math.max(64, Math.ceil(s.reply_max_chars / 2)),
        temperature: 0.3,
        onDelta: (d) => {
          // Held back while the answer could still be the hand-over signal: the agent never sees it.
          acc += d;
          if (held !== null && HANDOVER_SIGNAL.startsWith(acc.trimStart())) {
            held += d;
            return;
          }
          if (held) onDelta(held + d);
          else onDelta(d);
          held = null;
        },
      },
      meta,
    );
    if (!r.ok) throw new AppError('UNAVAILABLE', `No suggestion: ${r.detail}`);
    const sources = passages.map((x) => ({ doc_id: x.doc_id, title: x.title, chunk_id: Number(x.chunk_id) }));
    await repo.insertCall(db, {
      orgId: ctx.orgId,
      ...meta,
      purpose: 'suggest',
      provider: s.provider,
      model: s.model,
      currency: s.currency,
      inputTokens: r.result.inputTokens,
      outputTokens: r.result.outputTokens,
      latencyMs: Math.round(r.result.latencyMs),
      cost: r.cost,
      outcome: 'ok',
      sources,
    });
    const parsed = parseReply(r.result.text, s.reply_max_chars);
    // The model says the knowledge does not answer: the agent gets an empty draft and the reason.
    return { text: parsed.kind === 'reply' ? parsed.text : '', sources, handover: parsed.kind !== 'reply' };
  }

  /** A short summary of the conversation for an agent taking it over. */
  async function summarise(ctx: AuthContext, conversationId: string) {
    const { facts, s } = await readyFor(ctx, conversationId);
    const thread = await repo.lastMessages(db, ctx.orgId, conversationId, 50);
    const turns = threadTurns(thread);
    if (!turns.length) throw new AppError('CONFLICT', 'Nothing to summarise yet');
    const meta = { numberId: facts.number_id, conversationId, contactId: facts.contact_id };
    const r = await ai.callModel(
      s,
      'summary',
      { model: s.model, system: summarySystem(), messages: turns, maxTokens: 300, temperature: 0.2 },
      meta,
    );
    if (!r.ok) throw new AppError('UNAVAILABLE', `No summary: ${r.detail}`);
    await repo.insertCall(db, {
      orgId: ctx.orgId,
      ...meta,
      purpose: 'summary',
      provider: s.provider,
      model: s.model,
      currency: s.currency,
      inputTokens: r.result.inputTokens,
      outputTokens: r.result.outputTokens,
      latencyMs: Math.round(r.result.latencyMs),
      cost: r.cost,
      outcome: 'ok',
    });
    return { text: r.result.text.trim().slice(0, 2000) };
  }

  /** Resolves when the replies this process is generating are done (tests, shutdown). */
  async function idle() {
    while (inFlight.size) await Promise.allSettled([...inFlight]);
  }

  return {
    chainStep,
    preview,
    reply,
    sweepOnce,
    idle,
    start,
    stop,
    label,
    suggest,
    summarise,
    setHandedOver,
  };
}
export type AiReplies = ReturnType<typeof createAiReplies>;
