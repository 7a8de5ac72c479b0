import { afterEach, describe, expect, it } from 'vitest';
import { type Loose, NUMBER, startReceiver, startSimulator } from '../test/helpers.ts';
import type { ConversationStatus } from './core/cast.ts';
import { PERSONAS } from './personas/personas.ts';

const ANA = '447700900101';
const BEATRIZ = '5511988880103';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function world() {
  const rx = await startReceiver();
  const h = await startSimulator({}, rx.url);
  cleanups.push(
    () => rx.close(),
    () => h.sim.close(),
  );
  /** Customers' messages the receiver got, in order. */
  const inbound = () =>
    rx
      .changes()
      .flatMap((c) => (c.value.messages as Loose[] | undefined) ?? [])
      .map((m) => ({ from: m.from as string, type: m.type as string, m }));
  const until = async (what: string, ok: () => boolean, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { rx, ...h, inbound, until };
}

const FAST = {
  phone_number_id: NUMBER.phone_number_id,
  conversation_every_ms: 0,
  reply_delay_ms: [5, 15] as [number, number],
  nudge_after_ms: 0,
};

describe('the cast: regular customers with scripts', () => {
  it('opens conversations, answers an agent after a delay, sends a real photo, and stops when stopped', async () => {
    const { sim, send, inbound, until } = await world();
    sim.startCast({ ...FAST, opening: 2 });
    await until('two openers', () => new Set(inbound().map((i) => i.from)).size === 2);
    expect(new Set(inbound().map((i) => i.from))).toEqual(new Set([ANA, BEATRIZ]));
    // Beatriz's complaint comes with a photo: real JPEG bytes the simulator serves.
    await until('the photo', () => inbound().some((i) => i.from === BEATRIZ && i.type === 'image'));
    const photo = inbound().find((i) => i.type === 'image')!.m.image;
    const url = new URL(photo.url);
    const media = await sim.app.inject({
      method: 'GET',
      url: url.pathname + url.search,
      headers: { authorization: `Bearer ${NUMBER.access_token}` },
    });
    expect(media.statusCode).toBe(200);
    expect(media.rawPayload.length).toBeGreaterThan(10_000);
    expect(media.rawPayload.subarray(0, 3).toString('hex')).toBe('ffd8ff');

    const before = inbound().filter((i) => i.from === ANA).length;
    const r = await send(ANA, { type: 'text', text: { body: 'So sorry! What is your order number?' } });
    expect(r.status).toBe(200);
    await until('Ana’s answer', () => inbound().filter((i) => i.from === ANA).length > before);
    const answer = inbound().filter((i) => i.from === ANA)[before]!.m;
    expect(answer.text?.body ?? answer.image?.caption).toMatch(/A-1042|confirmation/);

    sim.stopCast();
    const count = inbound().length;
    await send(ANA, { type: 'text', text: { body: 'Anything else?' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(inbound()).toHaveLength(count);
  });

  it('a customer whose conversation the agent resolved does not answer any more', async () => {
    const { sim, send, inbound, until } = await world();
    const status = new Map<string, ConversationStatus>();
    sim.startCast({ ...FAST, opening: 1 }, { conversationStatus: async (w) => status.get(w) ?? 'none' });
    await until('Ana writes', () => inbound().some((i) => i.from === ANA));
    status.set(ANA, 'resolved');
    const count = inbound().length;
    await send(ANA, { type: 'text', text: { body: 'Closing this, thanks!' } });
    await sim.settle();
    await new Promise((r) => setTimeout(r, 100));
    expect(inbound()).toHaveLength(count);
  });

  it('starts a new conversation now and then only with customers who are free', async () => {
    const { sim, inbound, until } = await world();
    const status = new Map<string, ConversationStatus>([[ANA, 'open']]);
    sim.startCast(
      { ...FAST, opening: 0, personas: 2, conversation_every_ms: 20 },
      { conversationStatus: async (w) => status.get(w) ?? 'none' },
    );
    // Ana's conversation is still open on the business's side: only Beatriz writes.
    await until('Beatriz writes', () => inbound().some((i) => i.from === BEATRIZ));
    await new Promise((r) => setTimeout(r, 150));
    expect(inbound().filter((i) => i.from === ANA)).toEqual([]);
    // Beatriz waits for an answer, so she does not open another conversation either.
    const fromBeatriz = inbound().filter((i) => i.from === BEATRIZ).length;
    await new Promise((r) => setTimeout(r, 150));
    expect(inbound().filter((i) => i.from === BEATRIZ)).toHaveLength(fromBeatriz);
  });

  it('answers a campaign now and then: a tap on a quick-reply button arrives as Meta’s button message', async () => {
    const { sim, send, inbound, until } = await world();
    sim.addTemplate({
      waba_id: NUMBER.waba_id,
      name: 'new_collection',
      language: 'en_US',
      category: 'MARKETING',
      components: [
        { type: 'BODY', text: 'Our autumn teas are in.' },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'QUICK_REPLY', text: 'Show me' },
            { type: 'QUICK_REPLY', text: 'Not interested' },
          ],
        },
      ],
    });
    sim.startCast({ ...FAST, opening: 0, campaign_reply_rate: 1, campaign_stop_share: 0 });
    const personas = PERSONAS.map((p) => p.wa_id);
    const sent = new Map<string, string>();
    for (const to of personas) {
      const r = await send(to, {
        type: 'template',
        template: { name: 'new_collection', language: { code: 'en_US' } },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      sent.set(to, r.body.messages[0].id);
    }
    // Everyone answers (the rate is 1 here): a tap, a question or a reaction, each to that message.
    await until('six answers', () => new Set(inbound().map((i) => i.from)).size === 6);
    const taps = inbound().filter((i) => i.type === 'button');
    expect(taps.length).toBeGreaterThan(0);
    for (const { from, m } of taps) {
      expect(['Show me', 'Not interested']).toContain(m.button.text);
      expect(m.button.payload).toBe(m.button.text);
      expect(m.context.id).toBe(sent.get(from));
    }
    for (const { from, m } of inbound().filter((i) => i.type === 'reaction'))
      expect(m.reaction.message_id).toBe(sent.get(from));
  });
});
