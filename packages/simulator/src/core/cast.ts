import { CastOptions } from '../config.ts';
import {
  answerBusiness,
  endChat,
  isOver,
  nudgeChat,
  openChat,
  type PersonaState,
} from '../personas/conversation.ts';
import { PERSONAS } from '../personas/personas.ts';
import type { Line, Persona } from '../personas/script-types.ts';
import { createRandom, type Random, seedFrom } from '../random.ts';
import type { SentRecord } from '../state.ts';
import type { Customers } from './customers.ts';
import type { Emitter } from './emit.ts';
import { readBusinessMessage } from './simulate-reply.ts';
import type { Store } from './store.ts';

/** The business's side of a conversation with a customer: `resolved` ends it for them. */
export type ConversationStatus = 'open' | 'resolved' | 'none';

export interface CastHooks {
  /** Asked before a persona writes on their own and before they answer (the sandbox reads its inbox). */
  conversationStatus?: (waId: string) => Promise<ConversationStatus>;
  onError?: (err: unknown) => void;
}

interface Member {
  persona: Persona;
  rnd: Random;
  state: PersonaState;
  /** The one thing a persona has scheduled at a time: the next line of a burst, an answer, a reminder. */
  timer?: NodeJS.Timeout;
  doing?: 'line' | 'answer' | 'nudge';
  /** Questions to the business's side (the status hook) in flight. */
  asking: number;
  /** The newest business message not answered yet. */
  unread?: SentRecord;
}

interface Run {
  opts: ReturnType<typeof CastOptions.parse>;
  hooks: CastHooks;
  members: Map<string, Member>;
  timers: Set<NodeJS.Timeout>;
  rnd: Random;
}

export type Cast = ReturnType<typeof createCast>;

/**
 * Plays the personas' scripts (personas/conversation.ts) on one number over time: a few conversations
 * at start, a new one now and then from a persona who is free, answers after a human delay to what the
 * business sends them. Each persona has at most one timer and one conversation, so nothing piles up;
 * `stop` clears every timer.
 */
export function createCast(store: Store, customers: Customers, emitter: Emitter) {
  let run: Run | undefined;

  function later(r: Run, fn: () => void, ms: number) {
    const t = setTimeout(() => {
      r.timers.delete(t);
      if (run === r) fn();
    }, ms);
    r.timers.add(t);
    return t;
  }

  function schedule(r: Run, m: Member, doing: Member['doing'], fn: () => void, ms: number) {
    if (m.timer) {
      clearTimeout(m.timer);
      r.timers.delete(m.timer);
    }
    m.doing = doing;
    m.timer = later(
      r,
      () => {
        m.timer = undefined;
        m.doing = undefined;
        fn();
      },
      ms,
    );
  }

  /** Runs a step in the background: a failure is reported, never an unhandled rejection. */
  const guard = (r: Run, step: Promise<unknown>) => {
    step.catch((err) => r.hooks.onError?.(err));
  };

  async function statusOf(r: Run, m: Member): Promise<ConversationStatus> {
    if (!r.hooks.conversationStatus) return 'none';
    m.asking++;
    try {
      // The business knows a username persona by their BSUID.
      const c = customers.customer(m.persona.wa_id);
      return await r.hooks.conversationStatus(c.username ? c.user_id : m.persona.wa_id);
    } catch (err) {
      r.hooks.onError?.(err);
      return 'open';
    } finally {
      m.asking--;
    }
  }

  const between = (r: Run, [min, max]: readonly [number, number]) =>
    min + Math.floor(r.rnd.next() * (max - min + 1));

  function send(r: Run, m: Member, line: Line, replyTo: string | undefined) {
    const { kind, ...rest } = line;
    const p = { name: m.persona.name, ...rest };
    const to = (type: string, params: Record<string, unknown>) =>
      emitter.customerSend(r.opts.phone_number_id, m.persona.wa_id, type, params);
    if (kind === 'react') {
      if (replyTo) to('reaction', { ...p, message_id: replyTo });
    } else if (replyTo && (kind === 'button' || kind === 'button_reply' || kind === 'list_reply')) {
      // A tap on a button answers the message that carried it.
      to(kind, { ...p, context_message_id: replyTo });
    } else to(kind, p);
  }

  /** Sends a burst of lines, a short typing pause apart, then waits for the business (or answers it). */
  function speak(r: Run, m: Member, lines: Line[], replyTo?: string) {
    const [first, ...rest] = lines;
    if (first) send(r, m, first, replyTo);
    if (rest.length) {
      const typing = Math.max(50, Math.round(r.opts.reply_delay_ms[0] / 3));
      schedule(r, m, 'line', () => speak(r, m, rest, replyTo), typing);
      return;
    }
    if (m.unread) scheduleAnswer(r, m);
    else if (m.state.chat?.phase === 'waiting' && !m.state.chat.nudged && r.opts.nudge_after_ms > 0)
      schedule(r, m, 'nudge', () => guard(r, nudge(r, m)), r.opts.nudge_after_ms);
  }

  async function nudge(r: Run, m: Member) {
    const status = await statusOf(r, m);
    // The business wrote meanwhile: its answer is scheduled instead.
    if (run !== r || m.timer) return;
    if (status === 'resolved') {
      m.state = endChat(m.state);
      return;
    }
    const next = nudgeChat(m.persona, m.state, m.rnd);
    m.state = next.state;
    speak(r, m, next.lines);
  }

  function scheduleAnswer(r: Run, m: Member) {
    schedule(r, m, 'answer', () => guard(r, answer(r, m)), between(r, r.opts.reply_delay_ms));
  }

  async function answer(r: Run, m: Member) {
    const rec = m.unread;
    if (!rec) return;
    m.unread = undefined;
    const status = await statusOf(r, m);
    if (run !== r) return;
    if (status === 'resolved' && m.state.chat?.phase === 'waiting') {
      // The agent resolved the conversation: the customer writes no more in it.
      m.state = endChat(m.state);
      return;
    }
    const next = answerBusiness(m.persona, m.state, readBusinessMessage(store.templates, rec), m.rnd, {
      replyRate: r.opts.campaign_reply_rate,
      stopShare: r.opts.campaign_stop_share,
    });
    m.state = next.state;
    speak(r, m, next.lines, rec.wamid);
  }

  async function isFree(r: Run, m: Member) {
    const busy = () => m.timer || m.asking > 0 || m.unread || !isOver(m.state);
    if (busy()) return false;
    const status = await statusOf(r, m);
    return status !== 'open' && run === r && !busy();
  }

  /** Starts up to `count` conversations, trying the candidates in order. */
  async function openSome(r: Run, count: number, candidates: Member[]) {
    let opened = 0;
    for (const m of candidates) {
      if (opened >= count || run !== r) return;
      if (!(await isFree(r, m))) continue;
      const next = openChat(m.persona, m.state, m.rnd);
      m.state = next.state;
      speak(r, m, next.lines);
      opened++;
    }
  }

  function scheduleNext(r: Run) {
    const every = r.opts.conversation_every_ms;
    if (every <= 0 || run !== r) return;
    later(
      r,
      () => {
        const order = [...r.members.values()]
          .map((m) => ({ m, k: r.rnd.next() }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.m);
        guard(
          r,
          openSome(r, 1, order).finally(() => scheduleNext(r)),
        );
      },
      Math.round(every * (0.5 + r.rnd.next())),
    );
  }

  return {
    /** Starts the cast on a number (stopping any running one). */
    start(input: CastOptions, hooks: CastHooks = {}) {
      stop();
      const opts = CastOptions.parse(input);
      const members = new Map<string, Member>();
      for (const p of PERSONAS.slice(0, opts.personas)) {
        const c = customers.customer(p.wa_id);
        c.name = p.name;
        if (p.username) c.username = p.username;
        else delete c.username;
        const rnd = createRandom(seedFrom(`persona:${p.wa_id}`, store.opts.seed));
        members.set(p.wa_id, { persona: p, rnd, state: { visits: 0 }, asking: 0 });
      }
      const r: Run = {
        opts,
        hooks,
        members,
        timers: new Set(),
        rnd: createRandom(seedFrom('cast', store.opts.seed)),
      };
      run = r;
      guard(
        r,
        openSome(r, opts.opening, [...members.values()]).finally(() => scheduleNext(r)),
      );
    },
    stop,
    /** The business sent one of the personas a message and they read it: true when the cast answers it. */
    read(phoneNumberId: string, waId: string, rec: SentRecord): boolean {
      const r = run;
      const m = r?.members.get(waId);
      if (!r || !m || r.opts.phone_number_id !== phoneNumberId) return false;
      m.unread = rec;
      if (!m.timer || m.doing === 'nudge') scheduleAnswer(r, m);
      return true;
    },
    /** Whether this customer of this number is one of the running cast (they always receive and read). */
    plays(phoneNumberId: string, waId: string) {
      return run?.opts.phone_number_id === phoneNumberId && run.members.has(waId);
    },
  };

  function stop() {
    if (!run) return;
    for (const t of run.timers) clearTimeout(t);
    run.timers.clear();
    run = undefined;
  }
}
