import { describe, expect, it } from 'vitest';
import { createRandom, type Random } from '../random.ts';
import {
  answerBusiness,
  type BusinessMessage,
  endChat,
  fill,
  isOver,
  nudgeChat,
  openChat,
  type PersonaState,
} from './conversation.ts';
import { PERSONAS } from './personas.ts';
import type { Line, Persona } from './script-types.ts';
import { CAMPAIGN_TOPIC, TOPICS } from './topics.ts';

const byName = (name: string): Persona => PERSONAS.find((p) => p.name === name)!;
const ana = byName('Ana Silva');
const beatriz = byName('Beatriz Souza');
const HABITS = { replyRate: 0.3, stopShare: 0.1 };

const agent = (text: string, extra: Partial<BusinessMessage> = {}): BusinessMessage => ({
  type: 'text',
  text,
  quickReplies: [],
  choices: [],
  ...extra,
});
const campaign: BusinessMessage = {
  type: 'template',
  text: 'Hi {{1}}, our autumn teas are in',
  category: 'MARKETING',
  quickReplies: [
    { payload: 'show-me', text: 'Show me' },
    { payload: 'not-interested', text: 'Not interested' },
  ],
  choices: [],
};
const texts = (lines: Line[]) => lines.flatMap((l) => (l.kind === 'text' ? [l.text] : []));

/** Plays the agent's messages against a persona's script from the start; returns every step. */
function play(persona: Persona, agentSays: BusinessMessage[], rnd: Random = createRandom(7)) {
  let step = openChat(persona, { visits: 0 }, rnd);
  const steps = [step];
  for (const msg of agentSays) {
    step = answerBusiness(persona, step.state, msg, rnd, HABITS);
    steps.push(step);
  }
  return steps;
}

describe('persona scripts', () => {
  it('a persona opens with their first topic and waits for an answer', () => {
    const { state, lines } = openChat(ana, { visits: 0 }, createRandom(1));
    expect(state).toEqual({
      visits: 1,
      chat: { topic: 'order', step: 0, phase: 'waiting', nudged: false, quiet: false },
    });
    expect(texts(lines).join(' ')).toMatch(/order/i);
    expect(isOver(state)).toBe(false);
  });

  it('answers what the agent asked: an order number when asked for it, with the confirmation sometimes', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const [, answer] = play(
        ana,
        [agent('Sorry about that! What is your order number?')],
        createRandom(seed),
      );
      expect(texts(answer!.lines).join(' ')).toMatch(/#A-1042/);
      expect(answer!.state.chat).toMatchObject({ topic: 'order', step: 1, phase: 'waiting' });
      for (const l of answer!.lines) if (l.kind === 'image') expect(l.sample).toBe('receipt');
    }
  });

  it('follow-ups vary with the seed, and the same seed says the same', () => {
    const said = (seed: number) =>
      play(ana, [agent('Let me check'), agent('It ships tomorrow')], createRandom(seed)).map((s) => s.lines);
    expect(said(3)).toEqual(said(3));
    const variants = new Set(Array.from({ length: 30 }, (_, i) => JSON.stringify(said(i + 1))));
    expect(variants.size).toBeGreaterThan(3);
  });

  it('goes through the script to a thank-you, reacts once more, then brings up a new topic when the agent writes', () => {
    const turns = TOPICS.find((t) => t.id === 'order')!.turns.length;
    const steps = play(
      ana,
      Array.from({ length: turns + 3 }, (_, i) => agent(`Answer ${i}`)),
    );
    const closing = steps[turns + 1]!;
    expect(closing.state.chat).toMatchObject({ phase: 'done', quiet: false });
    expect(closing.lines.length).toBeGreaterThan(0);
    expect(isOver(closing.state)).toBe(true);
    // "You're welcome!" gets a reaction, not another message.
    expect(steps[turns + 2]!.lines).toEqual([{ kind: 'react', emoji: '🙏' }]);
    // Anything after that is a new conversation: the persona's next topic.
    expect(steps[turns + 3]!.state).toMatchObject({ visits: 2, chat: { topic: 'prices', step: 0 } });
  });

  it('a complaint comes with a photo of the damaged parcel', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { lines } = openChat(beatriz, { visits: 0 }, createRandom(seed));
      expect(lines).toContainEqual(expect.objectContaining({ kind: 'image', sample: 'parcel' }));
    }
  });

  it('taps one of an interactive message’s buttons and moves on', () => {
    const [, answer] = play(ana, [
      agent('Which one?', {
        type: 'interactive',
        choices: [
          { kind: 'button_reply', id: 'track', title: 'Track it' },
          { kind: 'button_reply', id: 'cancel', title: 'Cancel it' },
        ],
      }),
    ]);
    expect(answer!.lines).toHaveLength(1);
    expect(answer!.lines[0]).toMatchObject({
      kind: 'button_reply',
      id: expect.stringMatching(/track|cancel/),
    });
    expect(answer!.state.chat?.step).toBe(1);
  });

  it('does not answer an agent’s reaction', () => {
    const [open] = play(ana, []);
    const r = answerBusiness(ana, open!.state, agent('', { type: 'reaction' }), createRandom(1), HABITS);
    expect(r).toEqual({ state: open!.state, lines: [] });
  });

  it('reminds once when nobody answers', () => {
    const rnd = createRandom(5);
    const [open] = play(ana, [], rnd);
    const first = nudgeChat(ana, open!.state, rnd);
    expect(first.lines.length).toBeGreaterThan(0);
    expect(first.state.chat?.nudged).toBe(true);
    expect(nudgeChat(ana, first.state, rnd).lines).toEqual([]);
  });

  it('stops writing when the agent resolved the conversation', () => {
    const [open] = play(ana, []);
    const ended = endChat(open!.state);
    expect(ended.chat).toMatchObject({ phase: 'done', quiet: true });
    expect(nudgeChat(ana, ended, createRandom(1)).lines).toEqual([]);
    expect(isOver(ended)).toBe(true);
  });

  it('answers campaigns now and then: a quick-reply tap, a question or a reaction, and STOP sometimes', () => {
    const kinds = new Map<string, number>();
    for (let seed = 1; seed <= 300; seed++) {
      const r = answerBusiness(ana, { visits: 1 }, campaign, createRandom(seed), HABITS);
      const kind = r.lines[0] ? (texts(r.lines)[0] === 'STOP' ? 'stop' : r.lines[0].kind) : 'none';
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      if (r.lines[0]?.kind === 'button') {
        expect(campaign.quickReplies).toContainEqual({ payload: r.lines[0].payload, text: r.lines[0].text });
        expect(r.state.chat).toMatchObject({ topic: CAMPAIGN_TOPIC.id, phase: 'waiting' });
      }
    }
    expect([...kinds.keys()].sort()).toEqual(['button', 'none', 'react', 'stop', 'text']);
    // About 30 % answer at all.
    expect(kinds.get('none')!).toBeGreaterThan(170);
    expect(kinds.get('none')!).toBeLessThan(250);
  });

  it('after STOP, the business’s confirmation gets no answer', () => {
    const rnd = createRandom(2);
    const stop = answerBusiness(ana, { visits: 1 }, campaign, rnd, { replyRate: 1, stopShare: 1 });
    expect(stop.lines).toEqual([{ kind: 'text', text: 'STOP' }]);
    const confirmation = answerBusiness(ana, stop.state, agent('You will not get more offers.'), rnd, HABITS);
    expect(confirmation.lines).toEqual([]);
  });

  it('an order update or a code never starts a conversation', () => {
    for (let seed = 1; seed <= 50; seed++) {
      for (const category of ['UTILITY', 'AUTHENTICATION']) {
        const msg = { ...campaign, category, quickReplies: [] };
        const r = answerBusiness(ana, { visits: 1 }, msg, createRandom(seed), HABITS);
        expect(r.state).toEqual({ visits: 1 });
        for (const l of r.lines) expect(l.kind).toBe('react');
      }
    }
  });

  it('the agent writing first gets the persona’s next topic', () => {
    const state: PersonaState = { visits: 0 };
    const r = answerBusiness(beatriz, state, agent('Hi Beatriz, how can we help?'), createRandom(1), HABITS);
    expect(r.state.chat).toMatchObject({ topic: 'complaint', phase: 'waiting' });
  });

  it('every line of every script is filled for every persona (no {placeholder} left)', () => {
    const all = [...TOPICS, CAMPAIGN_TOPIC].flatMap((t) => [
      ...t.opener,
      ...t.turns.flatMap((turn) => [...turn.say, ...(turn.when ?? []).flatMap((w) => w.say)]),
      ...t.closing,
      ...t.nudge,
    ]);
    for (const persona of PERSONAS) {
      for (const topic of persona.topics) expect(TOPICS.map((t) => t.id)).toContain(topic);
      for (const line of all.flat()) {
        const filled = fill(persona, line);
        if (filled.kind === 'text') expect(filled.text).not.toMatch(/\{\w+\}/);
        if (filled.kind === 'image') expect(filled.caption).not.toMatch(/\{\w+\}/);
        if (filled.kind === 'location') expect(filled.address).toBe(persona.location.address);
      }
    }
  });
});
