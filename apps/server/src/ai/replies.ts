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
  searchWords,
  summarySystem,
  textOf,
  threadTurns,
} from './prompt.ts';
import type { ChatResult } from './provider.ts';
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
  outbound: Pick<OutboundService, 'send' | 'sendMany'>;
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
    /** The caller already marked it (in the same transaction). */
    marked = false,
  ) {
    if (!marked && !(await repo.markHandedOver(q, s.org_id, conversationId, reason))) return;
    const after = async () => {
      const sys = systemCtx(s.org_id);
      await conversations
        .setStatus(sys, conversationId, 'open')
        .catch((err) => log.warn({ err }, 'ai: hand-over status not set'));
      await conversations
        .assign(sys, conversationId, 'round_robin', s.handover_team_id ?? undefined)
        .catch((err) =>
          // Nobody online to take it: the conversation stays open and unassigned for the first agent.
          err instanceof AppError && err.code === 'CONFLICT'
            ? log.info({ conversationId, why: err.message }, 'ai: handed over, left unassigned')
            : log.warn({ err }, 'ai: hand-over not assigned'),
        );
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
  const chainStep: AiReplyHook = async (tx, onCommit, m, memo = (_k, load) => load()) => {
    if (!m.text?.trim()) return false;
    // Alike for every message of the chain's batch: read once.
    const mode = await memo(`ai:mode:${m.numberId}`, () => repo.numberMode(tx, m.orgId, m.numberId));
    if (mode?.mode !== 'auto') return false;
    const s = await memo(`ai:settings:${m.orgId}`, () => repo.settingsOf(tx, m.orgId));
    if (!ai.configured(s)) return false;
    if (asksForPerson(m.text, s.handover_keywords)) {
      // Already handed over: people have it, AI takes nothing.
      if (!(await repo.markHandedOver(tx, m.orgId, m.conversationId, 'keyword'))) return false;
      await handOver(tx, onCommit, s, m.conversationId, 'keyword', true);
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
    // One statement: the pending reply is (re)set unless the conversation is handed over.
    if (!(await repo.upsertPending(tx, { ...m, seconds: s.debounce_seconds }))) return false;
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

  // ------------------------------------------------------------ the replies, in batches

  type Ready = {
    p: repo.PendingRow;
    s: repo.SettingsRow;
    prompt: string;
    thread: repo.ThreadMessage[];
    passages: repo.PassageRow[];
  };
  type Generated = Ready & { result: ChatResult; cost: number };

  const callBase = (p: repo.PendingRow, s: repo.SettingsRow) => ({
    orgId: p.org_id,
    numberId: p.number_id,
    conversationId: p.conversation_id,
    contactId: p.contact_id,
    messageId: p.message_id,
    purpose: 'reply' as const,
    provider: s.provider,
    model: s.model,
    currency: s.currency,
  });

  /** A leased reply that will not be sent: its row goes (a newer message has its own). */
  const silent = (p: repo.PendingRow, why: string) =>
    repo
      .finishPending(db, p.conversation_id, p.message_id)
      .then(() => log.info({ conversationId: p.conversation_id, why }, 'ai: no reply'));

  /** The passages a reply was given, as stored with it and shown to agents. */
  const sourcesOf = (passages: repo.PassageRow[]) =>
    passages.map((x) => ({ doc_id: x.doc_id, title: x.title, chunk_id: Number(x.chunk_id) }));

  /** What the customer wrote since our last message: the burst a reply answers. */
  function burstOf(thread: repo.ThreadMessage[]) {
    const out: string[] = [];
    for (let i = thread.length - 1; i >= 0 && thread[i]!.direction === 'in'; i--)
      out.unshift(textOf(thread[i]!));
    return out.join(' ');
  }

  /**
   * Reads what many leased replies need in a few statements (their conversations' state, threads and
   * knowledge), decides which are still to be answered, and settles the others.
   */
  async function prepare(rows: repo.PendingRow[]): Promise<Ready[]> {
    const settings = new Map<string, repo.SettingsRow>();
    for (const orgId of new Set(rows.map((p) => p.org_id))) settings.set(orgId, await ai.settingsOf(orgId));
    const ids = rows.map((p) => p.conversation_id);
    const [contexts, threads] = await Promise.all([
      repo.replyContexts(db, ids),
      repo.lastMessagesOfMany(db, ids, CONTEXT_MESSAGES),
    ]);
    const ctxOf = new Map(contexts.map((c) => [c.conversation_id, c]));
    const go: { p: repo.PendingRow; s: repo.SettingsRow; prompt: string; thread: repo.ThreadMessage[] }[] =
      [];
    for (const p of rows) {
      const s = settings.get(p.org_id)!;
      const c = ctxOf.get(p.conversation_id);
      if (c?.mode !== 'auto' || !ai.configured(s)) {
        await silent(p, 'auto mode is off');
        continue;
      }
      if (c.handed_over_at) {
        await silent(p, 'handed over');
        continue;
      }
      // An agent answered since AI last took the conversation: people have it now.
      if (c.last_agent_at && (!c.since || new Date(c.last_agent_at) > new Date(c.since))) {
        await handOver(db, null, s, p.conversation_id, 'agent');
        await silent(p, 'an agent replied');
        continue;
      }
      if (!c.last_inbound_at || Date.now() - new Date(c.last_inbound_at).getTime() > WINDOW_MS) {
        await silent(p, 'the 24-hour window is closed');
        continue;
      }
      if (c.replies >= s.max_replies_per_contact) {
        await handOver(db, null, s, p.conversation_id, 'limit');
        await repo.insertCall(db, {
          ...callBase(p, s),
          outcome: 'handover',
          detail: `limit of ${s.max_replies_per_contact} AI replies reached`,
        });
        await silent(p, 'limit reached');
        continue;
      }
      go.push({ p, s, prompt: c.system_prompt, thread: threads.get(p.conversation_id) ?? [] });
    }
    const passages = new Map<string, repo.PassageRow[]>();
    for (const orgId of new Set(go.map((x) => x.p.org_id))) {
      const mine = go.filter((x) => x.p.org_id === orgId);
      const found = await repo.searchMany(
        db,
        orgId,
        settings.get(orgId)!.search_language,
        mine.map((x) => ({
          key: x.p.conversation_id,
          numberId: x.p.number_id,
          words: searchWords(burstOf(x.thread)),
        })),
        4,
      );
      for (const [k, v] of found) passages.set(k, v);
    }
    return go.map((x) => ({ ...x, passages: passages.get(x.p.conversation_id) ?? [] }));
  }

  /** Generates one reply (or stays silent on a provider error: logged, no fallback text). */
  async function generate(x: Ready) {
    void conversations.typing(systemCtx(x.p.org_id), x.p.conversation_id).catch(() => {});
    const r = await ai.callModel(
      x.s,
      'reply',
      {
        model: x.s.model,
        system: replySystem({
          businessPrompt: x.prompt,
          passages: x.passages,
          maxChars: x.s.reply_max_chars,
        }),
        messages: threadTurns(x.thread),
        maxTokens: Math.max(64, Math.ceil(x.s.reply_max_chars / 2)),
        temperature: 0.2,
      },
      {
        numberId: x.p.number_id,
        conversationId: x.p.conversation_id,
        contactId: x.p.contact_id,
        messageId: x.p.message_id,
      },
    );
    if (!r.ok) return silent(x.p, r.detail);
    await written({ ...x, result: r.result, cost: r.cost });
  }

  /**
   * Writes generated replies in one transaction: their pending rows end, the replies go through the
   * send path (`sendMany`, per organisation), the customers' counters and the call log follow — each
   * reply as it would alone. A reply whose customer wrote again meanwhile is not sent: that burst is
   * answered when due. If the batch fails as a whole, each is written alone.
   */
  async function writeMany(items: Generated[]) {
    await transaction(db, async (tx, onCommit) => {
      const finished = await repo.finishPendingMany(
        tx,
        items.map((g) => ({ conversationId: g.p.conversation_id, messageId: g.p.message_id })),
      );
      const calls: repo.CallWrite[] = [];
      const superseded: string[] = [];
      type Send = {
        g: Generated;
        text: string;
        used: Omit<repo.CallWrite, 'outcome'>;
        sources: ReturnType<typeof sourcesOf>;
      };
      const sends = new Map<string, Send[]>();
      for (const g of items) {
        const used = {
          ...callBase(g.p, g.s),
          inputTokens: g.result.inputTokens,
          outputTokens: g.result.outputTokens,
          latencyMs: Math.round(g.result.latencyMs),
          cost: g.cost,
        };
        const sources = sourcesOf(g.passages);
        if (!finished.has(g.p.conversation_id)) {
          superseded.push(g.p.conversation_id);
          calls.push({ ...used, outcome: 'skipped', detail: 'a newer message arrived; answered with it' });
          continue;
        }
        const parsed = parseReply(g.result.text, g.s.reply_max_chars);
        if (parsed.kind !== 'reply') {
          await handOver(tx, onCommit, g.s, g.p.conversation_id, 'model');
          calls.push({
            ...used,
            outcome: 'handover',
            detail:
              parsed.kind === 'handover' ? 'the knowledge does not answer' : 'the model gave an empty answer',
            sources,
          });
          continue;
        }
        sends.set(g.p.org_id, [...(sends.get(g.p.org_id) ?? []), { g, text: parsed.text, used, sources }]);
      }
      for (const [orgId, list] of sends) {
        const queued = await outbound.sendMany(
          tx,
          onCommit,
          orgId,
          list.map(({ g, text }) => ({
            numberId: g.p.number_id,
            to: { contactId: g.p.contact_id },
            content: { type: 'text', text: { body: text } },
            source: 'ai' as const,
            replyTo: g.thread[g.thread.length - 1]?.wamid ?? null,
          })),
        );
        const counted: string[] = [];
        list.forEach(({ g, used, sources }, i) => {
          const q = queued[i]!;
          if (q instanceof AppError) {
            // Refused by the send path (consent, window, caps): nothing goes, the refusal is logged.
            calls.push({ ...used, outcome: 'skipped', detail: `not sent: ${q.message}` });
            return;
          }
          counted.push(g.p.contact_id);
          calls.push({ ...used, outcome: 'ok', replyMessageId: q.message_id, sources });
        });
        await repo.countRepliesMany(tx, orgId, counted);
      }
      await repo.releasePendingMany(tx, superseded);
      await repo.insertCalls(tx, calls);
      if (superseded.length) onCommit(() => wake());
    });
  }

  // Group commit: replies generated while a write is in flight are written together by the next.
  const waiting: { g: Generated; done: () => void }[] = [];
  let writing = 0;
  let flushScheduled = false;
  function written(g: Generated) {
    return new Promise<void>((resolve) => {
      waiting.push({ g, done: resolve });
      scheduleFlush();
    });
  }
  function scheduleFlush() {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(flush);
  }
  function flush() {
    flushScheduled = false;
    while (writing < 2 && waiting.length) {
      const batch = waiting.splice(0, 100);
      writing++;
      void (async () => {
        try {
          await writeMany(batch.map((w) => w.g));
        } catch (err) {
          log.warn({ err, replies: batch.length }, 'ai: a batch of replies failed; writing them one by one');
          for (const w of batch)
            await writeMany([w.g]).catch((err2) =>
              // The lease lapses and the sweep tries again (at most 3 attempts).
              log.error({ err: err2, conversationId: w.g.p.conversation_id }, 'ai: reply not written'),
            );
        } finally {
          writing--;
          for (const w of batch) w.done();
          if (waiting.length) scheduleFlush();
        }
      })();
    }
  }

  /** Answers leased replies (or settles them silently); never throws. */
  async function answer(rows: repo.PendingRow[]) {
    try {
      const ready = await prepare(rows);
      await Promise.all(
        ready.map((x) =>
          generate(x).catch((err) =>
            log.error({ err, conversationId: x.p.conversation_id }, 'ai: reply failed'),
          ),
        ),
      );
    } catch (err) {
      // The leases lapse and the sweep tries again; a reply that failed three times is dropped.
      log.error({ err, replies: rows.length }, 'ai: replies failed');
      for (const p of rows) if (p.attempts >= 3) await silent(p, 'failed three times').catch(() => {});
    }
  }

  // ------------------------------------------------------------ the sweep: due rows are the truth

  let running = false;
  let loop: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wakeUp: (() => void) | undefined;
  const inFlight = new Set<Promise<void>>();
  /** Replies being prepared, generated or written by this process. */
  let leased = 0;

  /** A wake-up that came while the sweep was busy: it sweeps again at once instead of sleeping. */
  let woken = false;
  function wake() {
    if (wakeUp) wakeUp();
    else woken = true;
  }
  /** A hint only: the sweep also polls, and any process's sweep answers a due row. */
  function wakeAt(ms: number) {
    if (!running) return;
    const delay = Math.max(0, ms - Date.now());
    setTimeout(wake, delay + 5).unref?.();
  }

  async function sweepOnce() {
    const room = parallel - leased;
    if (room <= 0) return 0;
    // Small batches: the first replies' model calls start while the next batch is read.
    const due = await repo.leaseDue(db, Math.min(room, 50), LEASE_SECONDS);
    if (!due.length) return 0;
    leased += due.length;
    const run = answer(due).finally(() => {
      leased -= due.length;
      inFlight.delete(run);
      wake();
    });
    inFlight.add(run);
    return due.length;
  }

  function start(o: { pollMs?: number } = {}) {
    if (running) return;
    running = true;
    const pollMs = o.pollMs ?? 250;
    loop = (async () => {
      while (running) {
        let n = 0;
        woken = false;
        try {
          n = await sweepOnce();
        } catch (err) {
          log.error({ err }, 'ai: the pending replies sweep failed');
        }
        if (n === 0 && running && !woken)
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
    const burst = burstOf(thread);
    const passages = await knowledge.search(
      ctx.orgId,
      facts.number_id,
      burst || turns[turns.length - 1]!.content,
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
    const sources = sourcesOf(passages);
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
