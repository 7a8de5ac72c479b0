import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerFor, GREETING_REPLY, HANDOVER } from './brain.ts';
import { type FakeLlm, startFakeLlm } from './fake-llm.ts';

const user = (content: string) => ({ role: 'user' as const, content });

describe('the brain', () => {
  const LABELS = 'You sort messages. <labels>order_status|complaint|sales_lead|spam|question|other</labels>';

  it('classifies the last customer message by its keywords', () => {
    const cases: [string, string][] = [
      ['Where is my package? The tracking page is empty', 'order_status'],
      ['I want a refund, the lamp arrived broken', 'complaint'],
      ['What is the price for 20 chairs, any discount?', 'sales_lead'],
      ['FREE MONEY!!! click here', 'spam'],
      ['Do you open on Sundays?', 'question'],
      ['Just saying thanks', 'other'],
    ];
    for (const [text, label] of cases) expect(answerFor(LABELS, [user(text)]), text).toBe(label);
    // Only the last user message counts.
    expect(answerFor(LABELS, [user('Refund now!'), user('Do you open on Sundays?')])).toBe('question');
  });

  it('answers the last label when the chosen one is not in the list', () => {
    expect(answerFor('<labels>billing|misc</labels>', [user('Where is my order')])).toBe('misc');
    expect(answerFor('<labels>Orders | Other</labels>', [user('my order')])).toBe('Orders');
  });

  it('summarises the first and the last customer lines', () => {
    const s = answerFor('TASK: summary', [
      user('My order 1234 is late. It was due Monday.'),
      { role: 'assistant', content: 'Sorry to hear that.' },
      user('Can you send it express? Thanks.'),
    ]);
    expect(s).toBe('Summary: My order 1234 is late. … Can you send it express?');
    const long = answerFor('TASK: summary', [user('x'.repeat(1000))]);
    expect(long.length).toBeLessThanOrEqual('Summary: '.length + 300);
  });

  const KNOWLEDGE = [
    'Answer from the knowledge only.',
    '<knowledge>',
    '[1] (Opening hours) We open Monday to Friday, 9 to 18. Saturdays until noon. Sundays closed.',
    '[2] (Shipping) Shipping is free above 50 euros. Parcels arrive within three days.',
    '</knowledge>',
  ].join('\n');

  it('replies with the first two sentences of the passage sharing the most words', () => {
    expect(answerFor(KNOWLEDGE, [user('Is shipping free? When do parcels arrive?')])).toBe(
      'Shipping is free above 50 euros. Parcels arrive within three days.',
    );
    expect(answerFor(KNOWLEDGE, [user('what are your opening hours on saturdays')])).toBe(
      'We open Monday to Friday, 9 to 18. Saturdays until noon.',
    );
  });

  it('greets a greeting and hands over when no passage shares a word', () => {
    expect(answerFor(KNOWLEDGE, [user('Hello!')])).toBe(GREETING_REPLY);
    expect(answerFor(KNOWLEDGE, [user('good morning')])).toBe(GREETING_REPLY);
    expect(answerFor(KNOWLEDGE, [user('Can I pay with a voucher?')])).toBe(HANDOVER);
    expect(answerFor('No knowledge here.', [user('Is shipping free?')])).toBe(HANDOVER);
  });
});

describe('the server', () => {
  let llm: FakeLlm;
  beforeAll(async () => {
    llm = await startFakeLlm();
  });
  afterAll(() => llm.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${llm.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const OPENAI = { authorization: 'Bearer sk-test-9876' };
  const ANTHROPIC = { 'x-api-key': 'sk-ant-4321', 'anthropic-version': '2023-06-01' };
  const openAiBody = {
    model: 'gpt-x',
    messages: [
      { role: 'system', content: '<labels>order|other</labels>' },
      { role: 'user', content: 'my order?' },
    ],
  };
  const anthropicBody = {
    model: 'claude-x',
    max_tokens: 50,
    system: '<labels>order|other</labels>',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'my order?' }] }],
  };

  it('OpenAI chat completions, plain', async () => {
    llm.reset();
    const res = await post('/v1/chat/completions', openAiBody, OPENAI);
    expect(res.status).toBe(200);
    const j = await res.json();
    expect(j.object).toBe('chat.completion');
    expect(j.model).toBe('gpt-x');
    expect(j.choices[0].message).toMatchObject({ role: 'assistant', content: 'order' });
    expect(j.choices[0].finish_reason).toBe('stop');
    expect(j.usage.completion_tokens).toBe(2);
    expect(j.usage.prompt_tokens).toBeGreaterThan(0);
    expect(llm.calls()).toEqual([
      expect.objectContaining({
        wire: 'openai',
        model: 'gpt-x',
        system: '<labels>order|other</labels>',
        messages: [{ role: 'user', content: 'my order?' }],
        stream: false,
        auth: { present: true, last4: '9876' },
        status: 200,
      }),
    ]);
  });

  it('OpenAI chat completions, streaming with usage', async () => {
    llm.reset();
    llm.configure({ reply: 'one two three', tokens: { input: 7, output: 3 } });
    const res = await post(
      '/v1/chat/completions',
      { ...openAiBody, stream: true, stream_options: { include_usage: true } },
      OPENAI,
    );
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, '')));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('one two three');
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
  });

  it('Anthropic messages, plain and streaming', async () => {
    llm.reset();
    const res = await post('/v1/messages', anthropicBody, ANTHROPIC);
    const j = await res.json();
    expect(j).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content: [{ type: 'text', text: 'order' }],
      stop_reason: 'end_turn',
      usage: { output_tokens: 2 },
    });
    const s = await post('/v1/messages', { ...anthropicBody, stream: true }, ANTHROPIC);
    const events = (await s.text())
      .split('\n\n')
      .filter(Boolean)
      .map((e) => {
        const [ev, data] = e.split('\n');
        return { event: ev!.replace('event: ', ''), data: JSON.parse(data!.replace('data: ', '')) };
      });
    expect(events.map((e) => e.event).filter((e) => e !== 'ping' && e !== 'content_block_delta')).toEqual([
      'message_start',
      'content_block_start',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const text = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => e.data.delta.text)
      .join('');
    expect(text).toBe('order');
    expect(events.find((e) => e.event === 'message_delta')!.data.usage.output_tokens).toBe(2);
    expect(llm.calls().map((c) => [c.wire, c.system, c.stream, c.auth.last4])).toEqual([
      ['anthropic', '<labels>order|other</labels>', false, '4321'],
      ['anthropic', '<labels>order|other</labels>', true, '4321'],
    ]);
  });

  it('a missing key is a 401 in each API’s error shape', async () => {
    const o = await post('/v1/chat/completions', openAiBody);
    expect(o.status).toBe(401);
    expect((await o.json()).error).toMatchObject({ code: 'invalid_api_key' });
    const a = await post('/v1/messages', anthropicBody, { 'anthropic-version': '2023-06-01' });
    expect(a.status).toBe(401);
    expect(await a.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const v = await post('/v1/messages', anthropicBody, { 'x-api-key': 'k' });
    expect(v.status).toBe(400);
  });

  it('fails and rate limits the next calls as configured over HTTP', async () => {
    await post('/_fake/reset', {});
    const cfg = await post('/_fake/config', {
      failNext: { count: 1, status: 500 },
      rateLimitNext: { count: 1, retryAfterSeconds: 2 },
    });
    expect(cfg.status).toBe(200);
    const first = await post('/v1/messages', anthropicBody, ANTHROPIC);
    expect(first.status).toBe(500);
    expect(await first.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    const second = await post('/v1/chat/completions', openAiBody, OPENAI);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('2');
    expect((await second.json()).error.type).toBe('rate_limit_exceeded');
    expect((await post('/v1/chat/completions', openAiBody, OPENAI)).status).toBe(200);
    const calls = (await (await fetch(`${llm.url}/_fake/calls`)).json()).calls;
    expect(calls.map((c: { status: number }) => c.status)).toEqual([500, 429, 200]);
    expect((await post('/_fake/config', { latencyMs: -1 })).status).toBe(400);
  });

  it('waits latencyMs before answering', async () => {
    llm.reset();
    llm.configure({ latencyMs: 200 });
    const t = performance.now();
    await post('/v1/chat/completions', openAiBody, OPENAI);
    expect(performance.now() - t).toBeGreaterThanOrEqual(190);
    llm.reset();
  });

  it('lists models in each API’s shape', async () => {
    const o = await (await fetch(`${llm.url}/v1/models`, { headers: OPENAI })).json();
    expect(o.object).toBe('list');
    expect(o.data[0].object).toBe('model');
    const a = await (await fetch(`${llm.url}/v1/models`, { headers: ANTHROPIC })).json();
    expect(a.data[0].type).toBe('model');
    expect(a.has_more).toBe(false);
  });
});
