import type { Random } from '../random.ts';
import type { Line, Persona, Say, ScriptLine } from './script-types.ts';
import { CAMPAIGN_TOPIC, topicById } from './topics.ts';

/**
 * What a simulated customer says next, as a pure state machine: no timers, no I/O, every choice drawn
 * from the persona's seeded random stream. The cast (core/cast.ts) plays the lines out over time.
 */

/** One conversation of a persona. */
export interface ChatState {
  topic: string;
  /** Which of the topic's turns answers the agent's next message. */
  step: number;
  /** waiting: the customer expects an answer; done: they said thanks (or STOP) and write no more. */
  phase: 'waiting' | 'done';
  nudged: boolean;
  /** Once done, the agent's next message gets a reaction (or, after STOP, nothing); set once that passed. */
  quiet: boolean;
  /** The customer wrote STOP: the business's confirmation is not answered. */
  stopped?: boolean;
}

export interface PersonaState {
  /** Conversations started so far: picks the next topic. */
  visits: number;
  chat?: ChatState;
}

/** What the business sent, as far as the customer reads it. */
export interface BusinessMessage {
  /** The Cloud API message type: text, template, interactive, image, reaction… */
  type: string;
  /** The text, caption or template body, for a script's `when` branches. */
  text: string;
  category?: string;
  /** A template's quick-reply buttons. */
  quickReplies: { payload: string; text: string }[];
  /** An interactive message's reply buttons or list rows. */
  choices: { kind: 'button_reply' | 'list_reply'; id: string; title: string }[];
}

export interface CampaignHabits {
  /** Share of campaign messages the customer answers at all. */
  replyRate: number;
  /** Share of those answers that are STOP. */
  stopShare: number;
}

export interface Next {
  state: PersonaState;
  lines: Line[];
}

const silent = (state: PersonaState): Next => ({ state, lines: [] });

/** Fills `{key}` from the persona's details (`{first}` is the first name) and places locations. */
export function fill(persona: Persona, line: ScriptLine): Line {
  if (line.kind === 'location') return { kind: 'location', ...persona.location };
  if (line.kind !== 'text' && line.kind !== 'image') return line;
  const values: Record<string, string> = { first: persona.name.split(' ')[0]!, ...persona.details };
  const sub = (s: string) => s.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);
  return line.kind === 'text' ? { ...line, text: sub(line.text) } : { ...line, caption: sub(line.caption) };
}

const say = (persona: Persona, variants: Say, rnd: Random): Line[] =>
  variants.length ? rnd.pick(variants).map((l) => fill(persona, l)) : [];

/** Whether the persona is free to start a conversation (none going, or the last one is over). */
export const isOver = (s: PersonaState) => !s.chat || s.chat.phase === 'done';

/** The persona writes first, about their next topic. */
export function openChat(persona: Persona, state: PersonaState, rnd: Random): Next {
  const topic = topicById(persona.topics[state.visits % persona.topics.length]!);
  return {
    state: {
      visits: state.visits + 1,
      chat: { topic: topic.id, step: 0, phase: 'waiting', nudged: false, quiet: false },
    },
    lines: say(persona, topic.opener, rnd),
  };
}

/** Nobody answered for a while: one reminder per conversation. */
export function nudgeChat(persona: Persona, state: PersonaState, rnd: Random): Next {
  const chat = state.chat;
  if (chat?.phase !== 'waiting' || chat.nudged) return silent(state);
  return {
    state: { ...state, chat: { ...chat, nudged: true } },
    lines: say(persona, topicById(chat.topic).nudge, rnd),
  };
}

/** The agent resolved the conversation: the customer writes no more in it. */
export const endChat = (state: PersonaState): PersonaState =>
  state.chat ? { ...state, chat: { ...state.chat, phase: 'done', quiet: true } } : state;

/** The customer read a message from the business and answers it (or not). */
export function answerBusiness(
  persona: Persona,
  state: PersonaState,
  msg: BusinessMessage,
  rnd: Random,
  habits: CampaignHabits,
): Next {
  // An agent's reaction is not something to answer.
  if (msg.type === 'reaction') return silent(state);
  const chat = state.chat;
  if (chat?.phase === 'waiting') return continueChat(persona, state, chat, msg, rnd);
  if (msg.type === 'template') return answerTemplate({ persona, state, msg, rnd }, habits);
  if (chat && !chat.quiet) {
    // After their thanks, the agent's next message ("You're welcome!") gets a reaction; the
    // confirmation of a STOP gets nothing.
    const quiet = { ...state, chat: { ...chat, quiet: true } };
    return chat.stopped ? silent(quiet) : { state: quiet, lines: [{ kind: 'react', emoji: '🙏' }] };
  }
  // The agent writes first (the customer has no conversation going): they bring up their next topic.
  return openChat(persona, state, rnd);
}

function continueChat(
  persona: Persona,
  state: PersonaState,
  chat: ChatState,
  msg: BusinessMessage,
  rnd: Random,
) {
  const topic = topicById(chat.topic);
  if (msg.choices.length) {
    const c = rnd.pick(msg.choices);
    const step = Math.min(chat.step + 1, topic.turns.length);
    return {
      state: { ...state, chat: { ...chat, step } },
      lines: [{ kind: c.kind, id: c.id, title: c.title }],
    };
  }
  const turn = topic.turns[chat.step];
  if (!turn) {
    return {
      state: { ...state, chat: { ...chat, phase: 'done' as const } },
      lines: say(persona, topic.closing, rnd),
    };
  }
  const branch = turn.when?.find((w) => w.match.test(msg.text));
  return {
    state: { ...state, chat: { ...chat, step: chat.step + 1 } },
    lines: say(persona, branch?.say ?? turn.say, rnd),
  };
}

/** A template from the business while the customer has no conversation going: a campaign, or a notice. */
function answerTemplate(
  { persona, state, msg, rnd }: { persona: Persona; state: PersonaState; msg: BusinessMessage; rnd: Random },
  habits: CampaignHabits,
): Next {
  if (msg.category !== 'MARKETING') {
    // An order update or a code: now and then a thumbs-up, never a conversation.
    return msg.category === 'UTILITY' && rnd.chance(0.3)
      ? { state, lines: [{ kind: 'react', emoji: '👍' }] }
      : silent(state);
  }
  if (!rnd.chance(habits.replyRate)) return silent(state);
  const waiting = (): PersonaState => ({
    ...state,
    chat: { topic: CAMPAIGN_TOPIC.id, step: 0, phase: 'waiting', nudged: false, quiet: false },
  });
  if (rnd.chance(habits.stopShare)) {
    const chat: ChatState = {
      topic: CAMPAIGN_TOPIC.id,
      step: 0,
      phase: 'done',
      nudged: true,
      quiet: false,
      stopped: true,
    };
    return { state: { ...state, chat }, lines: [{ kind: 'text', text: 'STOP' }] };
  }
  const r = rnd.next();
  if (msg.quickReplies.length && r < 0.6) {
    const q = rnd.pick(msg.quickReplies);
    return { state: waiting(), lines: [{ kind: 'button', payload: q.payload, text: q.text }] };
  }
  if (r < 0.8) return { state: waiting(), lines: say(persona, CAMPAIGN_TOPIC.opener, rnd) };
  return { state, lines: [{ kind: 'react', emoji: rnd.pick(['😍', '👍', '🔥']) }] };
}
