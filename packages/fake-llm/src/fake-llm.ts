import { Readable } from 'node:stream';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Behaviour, BehaviourPatch, initialBehaviour, type RecordedCall } from './behaviour.ts';
import { answerFor, type BrainMessage, countTokens } from './brain.ts';
import { anthropicError, openAiError, piecesOf, randomId, sseData, sseEvent, textOf } from './wire.ts';

export interface FakeLlmOptions {
  /** 0 (the default): any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  latencyMs?: number;
}

export interface FakeLlm {
  /** The base URL, e.g. http://127.0.0.1:4020 (OpenAI SDK: `${url}/v1`; Anthropic SDK: `url`). */
  url: string;
  close(): Promise<void>;
  configure(patch: Partial<Behaviour>): Behaviour;
  calls(): RecordedCall[];
  /** Forgets the calls and restores the starting behaviour. */
  reset(): void;
}

type Wire = RecordedCall['wire'];

const OpenAiBody = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.looseObject({ role: z.string(), content: z.unknown() })).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
});

const AnthropicBody = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  system: z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string() }))]).optional(),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content: z.unknown() })).min(1),
  stream: z.boolean().nullish(),
});

const MODELS = ['fake-gpt-mini', 'fake-claude-haiku'];

/**
 * Starts a fake of the OpenAI and Anthropic chat APIs on a local port.
 *
 * @example
 * const llm = await startFakeLlm();
 * const openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${llm.url}/v1` });
 * const anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: llm.url });
 * llm.configure({ failNext: { count: 1, status: 500 } });
 */
export async function startFakeLlm(opts: FakeLlmOptions = {}): Promise<FakeLlm> {
  let behaviour = initialBehaviour(opts.latencyMs ?? 0);
  let recorded: RecordedCall[] = [];

  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024, forceCloseConnections: true });

  const wireOf = (req: FastifyRequest): Wire =>
    req.url.startsWith('/v1/messages') || req.headers['anthropic-version'] || req.headers['x-api-key']
      ? 'anthropic'
      : 'openai';
  const errorBody = (wire: Wire, status: number, message: string) =>
    wire === 'anthropic' ? anthropicError(status, message) : openAiError(status, message);

  app.setErrorHandler((err: { statusCode?: number; message: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    return reply.code(status).send(errorBody(wireOf(req), status, err.message));
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody(wireOf(req), 404, `No route ${req.method} ${req.url}`)),
  );

  function configure(patch: Partial<Behaviour>): Behaviour {
    behaviour = Behaviour.parse({ ...behaviour, ...BehaviourPatch.parse(patch) });
    return behaviour;
  }

  /** OpenAI: a Bearer token. Anthropic: `x-api-key`, or a Bearer token (its SDK sends one off api.anthropic.com). */
  function authOf(req: FastifyRequest, wire: Wire): RecordedCall['auth'] {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const raw = wire === 'anthropic' ? (req.headers['x-api-key'] ?? bearer) : bearer;
    const key = typeof raw === 'string' ? raw.trim() : '';
    return key ? { present: true, last4: key.slice(-4) } : { present: false, last4: null };
  }

  /**
   * What every API call goes through: recorded, delayed, then refused (no key, a configured
   * failure or rate limit) or answered by `answer` with the text and token counts.
   */
  async function serve(
    wire: Wire,
    req: FastifyRequest,
    reply: FastifyReply,
    call: Pick<RecordedCall, 'model' | 'system' | 'messages' | 'stream'> | { invalid: string },
    answer: (text: string, usage: { input: number; output: number }) => unknown,
  ) {
    const auth = authOf(req, wire);
    const record: RecordedCall = {
      wire,
      path: req.url,
      ...('invalid' in call ? { model: '', system: '', messages: [], stream: false } : call),
      auth,
      status: 200,
      at: new Date().toISOString(),
    };
    recorded.push(record);
    if (behaviour.latencyMs > 0) {
      await sleep(behaviour.latencyMs);
      // The client gave up (its timeout): a stale call must not use up a failure meant for the next one.
      if (req.raw.socket?.destroyed) {
        record.status = 499;
        reply.hijack();
        return;
      }
    }
    const fail = (status: number, message: string, body?: unknown) => {
      record.status = status;
      return reply.code(status).send(body ?? errorBody(wire, status, message));
    };
    if (!auth.present) {
      return fail(
        401,
        wire === 'anthropic'
          ? 'x-api-key header is required'
          : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.",
      );
    }
    if (wire === 'anthropic' && !req.headers['anthropic-version']) {
      return fail(400, 'anthropic-version: header is required');
    }
    const f = behaviour.failNext;
    if (f && f.count > 0) {
      behaviour = { ...behaviour, failNext: f.count > 1 ? { ...f, count: f.count - 1 } : null };
      return fail(f.status, `Fake failure (${f.status})`, f.body);
    }
    const r = behaviour.rateLimitNext;
    if (r && r.count > 0) {
      behaviour = { ...behaviour, rateLimitNext: r.count > 1 ? { ...r, count: r.count - 1 } : null };
      reply.header('retry-after', String(r.retryAfterSeconds));
      return fail(429, 'Rate limit reached. Please try again later.');
    }
    if ('invalid' in call) return fail(400, call.invalid);
    const text = behaviour.reply ?? answerFor(call.system, call.messages as BrainMessage[]);
    const usage = {
      input:
        behaviour.tokens?.input ?? countTokens(call.system + call.messages.map((m) => m.content).join('')),
      output: behaviour.tokens?.output ?? countTokens(text),
    };
    const body = answer(text, usage);
    if (call.stream) {
      reply.header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache');
      return reply.send(Readable.from(body as string[]));
    }
    return reply.send(body);
  }

  app.post('/v1/chat/completions', async (req, reply) => {
    const parsed = OpenAiBody.safeParse(req.body);
    if (!parsed.success)
      return serve('openai', req, reply, { invalid: invalidMessage(parsed.error) }, () => 0);
    const b = parsed.data;
    const system = b.messages
      .filter((m) => m.role === 'system' || m.role === 'developer')
      .map((m) => textOf(m.content))
      .join('\n\n');
    const messages = b.messages
      .filter((m) => m.role !== 'system' && m.role !== 'developer')
      .map((m) => ({ role: m.role, content: textOf(m.content) }));
    const stream = b.stream === true;
    return serve('openai', req, reply, { model: b.model, system, messages, stream }, (text, usage) => {
      const id = randomId('chatcmpl-');
      const created = Math.floor(Date.now() / 1000);
      const oaUsage = {
        prompt_tokens: usage.input,
        completion_tokens: usage.output,
        total_tokens: usage.input + usage.output,
      };
      if (!stream) {
        return {
          id,
          object: 'chat.completion',
          created,
          model: b.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: text, refusal: null, annotations: [] },
              logprobs: null,
              finish_reason: 'stop',
            },
          ],
          usage: oaUsage,
          service_tier: 'default',
          system_fingerprint: null,
        };
      }
      const withUsage = b.stream_options?.include_usage === true;
      const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
        sseData({
          id,
          object: 'chat.completion.chunk',
          created,
          model: b.model,
          service_tier: 'default',
          system_fingerprint: null,
          choices,
          ...(withUsage ? { usage: null } : {}),
          ...extra,
        });
      const choice = (delta: Record<string, unknown>, finish: string | null = null) => ({
        index: 0,
        delta,
        logprobs: null,
        finish_reason: finish,
      });
      return [
        chunk([choice({ role: 'assistant', content: '', refusal: null })]),
        ...piecesOf(text).map((p) => chunk([choice({ content: p })])),
        chunk([choice({}, 'stop')]),
        ...(withUsage ? [chunk([], { usage: oaUsage })] : []),
        sseData('[DONE]'),
      ];
    });
  });

  app.post('/v1/messages', async (req, reply) => {
    const parsed = AnthropicBody.safeParse(req.body);
    if (!parsed.success) {
      return serve('anthropic', req, reply, { invalid: invalidMessage(parsed.error) }, () => 0);
    }
    const b = parsed.data;
    const system = typeof b.system === 'string' ? b.system : (b.system ?? []).map((s) => s.text).join('\n\n');
    const messages = b.messages.map((m) => ({ role: m.role, content: textOf(m.content) }));
    const stream = b.stream === true;
    return serve('anthropic', req, reply, { model: b.model, system, messages, stream }, (text, usage) => {
      const id = randomId('msg_fake');
      const message = {
        id,
        type: 'message',
        role: 'assistant',
        model: b.model,
        content: [] as unknown[],
        stop_reason: null as string | null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.input,
          output_tokens: usage.output,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
      };
      if (!stream) return { ...message, content: [{ type: 'text', text }], stop_reason: 'end_turn' };
      return [
        sseEvent('message_start', {
          type: 'message_start',
          message: { ...message, usage: { ...message.usage, output_tokens: 1 } },
        }),
        sseEvent('content_block_start', {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        }),
        sseEvent('ping', { type: 'ping' }),
        ...piecesOf(text).map((p) =>
          sseEvent('content_block_delta', {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'text_delta', text: p },
          }),
        ),
        sseEvent('content_block_stop', { type: 'content_block_stop', index: 0 }),
        sseEvent('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: usage.output },
        }),
        sseEvent('message_stop', { type: 'message_stop' }),
      ];
    });
  });

  // One path, two APIs: Anthropic's clients send `x-api-key` / `anthropic-version`, OpenAI's a Bearer token.
  app.get('/v1/models', async (req, reply) => {
    const wire = wireOf(req);
    if (!authOf(req, wire).present) return reply.code(401).send(errorBody(wire, 401, 'API key required'));
    if (wire === 'openai') {
      return {
        object: 'list',
        data: MODELS.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'openwaba' })),
      };
    }
    return {
      data: MODELS.map((id) => ({
        type: 'model',
        id,
        display_name: id,
        created_at: '2024-01-01T00:00:00Z',
      })),
      has_more: false,
      first_id: MODELS[0],
      last_id: MODELS.at(-1),
    };
  });

  app.post('/_fake/config', async (req, reply) => {
    const parsed = BehaviourPatch.safeParse(req.body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: invalidMessage(parsed.error) });
    return { behaviour: configure(parsed.data) };
  });
  app.get('/_fake/calls', async () => ({ calls: recorded }));
  app.post('/_fake/reset', async () => {
    reset();
    return { ok: true };
  });

  function reset() {
    behaviour = initialBehaviour(opts.latencyMs ?? 0);
    recorded = [];
  }

  const host = opts.host ?? '127.0.0.1';
  await app.listen({ port: opts.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;

  return {
    url: `http://${urlHost}:${port}`,
    close: () => app.close(),
    configure,
    calls: () => recorded.map((c) => ({ ...c })),
    reset,
  };
}

function invalidMessage(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

/** Unref'd: a call still waiting must not keep a closing process alive. */
function sleep(ms: number) {
  return new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
}
