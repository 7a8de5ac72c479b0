import { Readable } from 'node:stream';
import {
  AiCallExportQuery,
  AiCallList,
  AiCallQuery,
  AiSettings,
  AiSummary,
  AiTestResult,
  ConversationAi,
  CreateKnowledgeBody,
  KnowledgeDoc,
  KnowledgeDocFull,
  KnowledgeList,
  KnowledgeSearchQuery,
  KnowledgeSearchResult,
  KnowledgeUploadQuery,
  NumberAi,
  NumberAiList,
  Ok,
  UpdateAiSettingsBody,
  UpdateKnowledgeBody,
  UpdateNumberAiBody,
  Uuid,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { csvLine } from '../lib/csv-safe.ts';
import { AppError } from '../lib/errors.ts';
import { authOf } from '../lib/http.ts';
import { KNOWLEDGE_MAX_BYTES, type KnowledgeService } from './knowledge.ts';
import type { AiReplies } from './replies.ts';
import type { AiService } from './service.ts';

const IdParams = z.object({ id: Uuid });
/** Routes that take no body still refuse one with fields, so a typo is an error, not ignored. */
const NoBody = z.strictObject({}).nullish();

/** Types a knowledge upload may carry; the server looks at the bytes anyway. */
export const KNOWLEDGE_TYPES = [
  'text/plain',
  'text/markdown',
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/octet-stream',
];

/** Settings → AI, each number's mode, the knowledge base, the call log and a conversation's AI (docs/ai.md). */
export const aiRoutes =
  (deps: { ai: AiService; knowledge: KnowledgeService; replies: AiReplies }): FastifyPluginAsyncZod =>
  async (app) => {
    const { ai, knowledge, replies } = deps;
    const manage = { access: 'ai.manage' as const };
    const kb = { access: 'ai.knowledge' as const };
    const tags = ['ai'];

    app.get(
      '/api/v1/ai/settings',
      {
        config: { access: 'conversations.read' },
        schema: {
          tags,
          summary: "The organisation's model, budget and limits (the key is never returned)",
          response: { 200: AiSettings },
        },
      },
      async (req) => ai.view(authOf(req).orgId),
    );
    app.patch(
      '/api/v1/ai/settings',
      {
        config: manage,
        schema: {
          tags,
          summary:
            'Change the provider, model, key (sealed at rest; omit to keep, null to remove), base URL, budget, prices and limits',
          body: UpdateAiSettingsBody,
          response: { 200: AiSettings },
        },
      },
      async (req) => ai.update(authOf(req), req.body),
    );
    app.post(
      '/api/v1/ai/settings/test',
      {
        config: manage,
        schema: {
          body: NoBody,
          tags,
          summary: 'One tiny call with the stored settings',
          response: { 200: AiTestResult },
        },
      },
      async (req) => ai.test(authOf(req)),
    );
    app.get(
      '/api/v1/ai/numbers',
      {
        config: { access: 'numbers.read' },
        schema: {
          tags,
          summary: "Each number's AI mode (off, suggest, auto) and system prompt",
          response: { 200: NumberAiList },
        },
      },
      async (req) => ai.numbers(authOf(req).orgId),
    );
    app.patch(
      '/api/v1/ai/numbers/:id',
      {
        config: manage,
        schema: {
          tags,
          summary: "Set a number's AI mode and system prompt",
          params: IdParams,
          body: UpdateNumberAiBody,
          response: { 200: NumberAi },
        },
      },
      async (req) => ai.updateNumber(authOf(req), req.params.id, req.body),
    );

    // ---------------------------------------------------------------- the call log
    app.get(
      '/api/v1/ai/calls',
      {
        config: manage,
        schema: {
          tags,
          summary: 'Every model call, newest first: purpose, tokens, latency, outcome, cost',
          querystring: AiCallQuery,
          response: { 200: AiCallList },
        },
      },
      async (req) => ai.calls(authOf(req).orgId, req.query),
    );
    app.get(
      '/api/v1/ai/calls.csv',
      {
        config: manage,
        schema: {
          tags,
          summary: 'The call log as CSV (same filters)',
          querystring: AiCallExportQuery,
          produces: ['text/csv'],
        },
      },
      async (req, reply) => {
        const orgId = authOf(req).orgId;
        async function* lines() {
          yield csvLine([
            'at',
            'purpose',
            'outcome',
            'detail',
            'number_id',
            'conversation_id',
            'provider',
            'model',
            'input_tokens',
            'output_tokens',
            'latency_ms',
            'cost',
            'currency',
          ]);
          for await (const c of ai.allCalls(orgId, req.query))
            yield csvLine([
              c.at,
              c.purpose,
              c.outcome,
              c.detail,
              c.number_id,
              c.conversation_id,
              c.provider,
              c.model,
              c.input_tokens,
              c.output_tokens,
              c.latency_ms,
              c.cost,
              c.currency,
            ]);
        }
        reply
          .type('text/csv; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="ai-calls-${new Date().toISOString().slice(0, 10)}.csv"`,
          );
        return reply.send(Readable.from(lines()));
      },
    );

    // ---------------------------------------------------------------- knowledge
    app.get(
      '/api/v1/ai/knowledge',
      {
        config: kb,
        schema: {
          tags,
          summary: 'Knowledge entries and documents, newest first',
          response: { 200: KnowledgeList },
        },
      },
      async (req) => knowledge.list(authOf(req).orgId),
    );
    app.post(
      '/api/v1/ai/knowledge',
      {
        config: kb,
        schema: {
          tags,
          summary: 'Write a knowledge entry',
          body: CreateKnowledgeBody,
          response: { 201: KnowledgeDoc },
        },
      },
      async (req, res) => res.code(201).send(await knowledge.create(authOf(req), req.body)),
    );
    app.get(
      '/api/v1/ai/knowledge/search',
      {
        config: kb,
        schema: {
          tags,
          summary: 'The passages a customer’s words retrieve, best first (what the model would be given)',
          querystring: KnowledgeSearchQuery,
          response: { 200: KnowledgeSearchResult },
        },
      },
      async (req) => {
        const rows = await knowledge.search(authOf(req).orgId, req.query.number_id ?? null, req.query.q, 8);
        return { data: rows.map((r) => ({ ...r, chunk_id: Number(r.chunk_id), rank: Number(r.rank) })) };
      },
    );
    app.get(
      '/api/v1/ai/knowledge/:id',
      {
        config: kb,
        schema: {
          tags,
          summary: 'One entry or document with its text',
          params: IdParams,
          response: { 200: KnowledgeDocFull },
        },
      },
      async (req) => knowledge.get(authOf(req).orgId, req.params.id),
    );
    app.patch(
      '/api/v1/ai/knowledge/:id',
      {
        config: kb,
        schema: {
          tags,
          summary: 'Change an entry (an uploaded document: its title and number only)',
          params: IdParams,
          body: UpdateKnowledgeBody,
          response: { 200: KnowledgeDoc },
        },
      },
      async (req) => knowledge.update(authOf(req), req.params.id, req.body),
    );
    app.delete(
      '/api/v1/ai/knowledge/:id',
      {
        config: kb,
        schema: { tags, summary: 'Delete an entry or document', params: IdParams, response: { 200: Ok } },
      },
      async (req) => knowledge.remove(authOf(req), req.params.id),
    );

    // ---------------------------------------------------------------- a conversation's AI
    const read = { access: 'conversations.read' as const };
    const reply = { access: 'conversations.reply' as const };
    app.get(
      '/api/v1/conversations/:id/ai',
      {
        config: read,
        schema: {
          tags,
          summary:
            "The conversation's AI: mode, hand-over, the customer's AI replies, each reply's sources, labels",
          params: IdParams,
          response: { 200: ConversationAi },
        },
      },
      async (req) => ai.conversation(authOf(req).orgId, req.params.id),
    );
    app.post(
      '/api/v1/conversations/:id/ai/take-over',
      {
        config: reply,
        schema: {
          body: NoBody,
          tags,
          summary: 'Stop the AI in this conversation: people answer it',
          params: IdParams,
          response: { 200: ConversationAi },
        },
      },
      async (req) => replies.setHandedOver(authOf(req), req.params.id, true),
    );
    app.post(
      '/api/v1/conversations/:id/ai/hand-back',
      {
        config: reply,
        schema: {
          body: NoBody,
          tags,
          summary: 'Give the conversation back to the AI (auto mode answers again)',
          params: IdParams,
          response: { 200: ConversationAi },
        },
      },
      async (req) => replies.setHandedOver(authOf(req), req.params.id, false),
    );
    app.post(
      '/api/v1/conversations/:id/ai/summary',
      {
        config: reply,
        schema: {
          body: NoBody,
          tags,
          summary:
            'A short summary of the conversation for an agent (409 when AI is not set up or the budget is spent)',
          params: IdParams,
          response: { 200: AiSummary },
        },
      },
      async (req) => replies.summarise(authOf(req), req.params.id),
    );
    app.post(
      '/api/v1/conversations/:id/ai/suggest',
      {
        config: reply,
        schema: {
          body: NoBody,
          tags,
          summary:
            'A draft reply for the agent, streamed as NDJSON lines: {"delta":"…"} as it is written, then {"done":true,"text":"…","sources":[…],"handover":false} or {"error":{"code","message"}}',
          params: IdParams,
          produces: ['application/x-ndjson'],
        },
      },
      async (req, res) => {
        const ctx = authOf(req);
        const out = new Readable({ read() {} });
        const line = (o: unknown) => out.push(`${JSON.stringify(o)}\n`);
        // Checks that fail before anything is written answer a plain error (404, 409).
        let started = false;
        const first = new Promise<void>((resolve, reject) => {
          replies
            .suggest(ctx, req.params.id, (d) => {
              if (!started) {
                started = true;
                resolve();
              }
              line({ delta: d });
            })
            .then((r) => {
              line({ done: true, ...r });
              out.push(null);
              resolve();
            })
            .catch((err) => {
              if (!started) return reject(err);
              line({
                error: {
                  code: err instanceof AppError ? err.code : 'INTERNAL',
                  message: err instanceof AppError ? err.message : 'failed',
                },
              });
              out.push(null);
            });
        });
        await first;
        res.type('application/x-ndjson; charset=utf-8').header('cache-control', 'no-store');
        return res.send(out);
      },
    );
  };

/** The knowledge upload: a raw body in its own scope (its parsers take text/plain from JSON routes). */
export const aiUploadRoutes =
  (deps: { knowledge: KnowledgeService }): FastifyPluginAsyncZod =>
  async (app) => {
    app.removeContentTypeParser(['text/plain']);
    app.addContentTypeParser(
      KNOWLEDGE_TYPES,
      { parseAs: 'buffer', bodyLimit: KNOWLEDGE_MAX_BYTES },
      (_req, body, done) => done(null, body),
    );
    app.post(
      '/api/v1/ai/knowledge/upload',
      {
        config: { access: 'ai.knowledge' },
        bodyLimit: KNOWLEDGE_MAX_BYTES,
        schema: {
          tags: ['ai'],
          summary:
            'Upload a document as the raw body (?filename=, optional title and number_id): text, Markdown, PDF or DOCX, up to 10 MB; its text is extracted and split into passages',
          querystring: KnowledgeUploadQuery,
          consumes: KNOWLEDGE_TYPES,
          response: { 201: KnowledgeDoc },
        },
      },
      async (req, res) => {
        if (!Buffer.isBuffer(req.body))
          throw new AppError(
            'UNSUPPORTED_MEDIA_TYPE',
            `Send the document itself as the body (one of ${KNOWLEDGE_TYPES.join(', ')})`,
          );
        const doc = await deps.knowledge.upload(authOf(req), {
          bytes: req.body,
          filename: req.query.filename,
          contentType: String(req.headers['content-type'] ?? '') || null,
          ...(req.query.title ? { title: req.query.title } : {}),
          ...(req.query.number_id ? { numberId: req.query.number_id } : {}),
        });
        return res.code(201).send(doc);
      },
    );
  };
