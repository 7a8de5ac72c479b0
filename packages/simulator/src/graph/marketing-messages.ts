import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Core } from '../core/build-core.ts';
import { graphError } from '../errors.ts';
import type { GraphHttp, Params } from './http.ts';

/** Time-to-live of a marketing template through the Marketing Messages API: 12 hours to 30 days. */
export const MARKETING_TTL_SECONDS = { min: 43_200, max: 2_592_000 } as const;

const MarketingExtras = z.object({
  message_send_ttl_seconds: z
    .number()
    .int()
    .min(MARKETING_TTL_SECONDS.min)
    .max(MARKETING_TTL_SECONDS.max)
    .optional(),
  message_activity_sharing: z.boolean().optional(),
});

/**
 * POST /{number}/marketing_messages (Marketing Messages API for WhatsApp): the `/messages` payload,
 * MARKETING templates only, plus `message_send_ttl_seconds` and `message_activity_sharing`; refused
 * unless the number's WABA is onboarded. Accepted sends live like any other (statuses, replies).
 */
export function registerMarketingMessagesRoute(
  app: FastifyInstance,
  core: Core,
  http: GraphHttp,
  send: (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => Promise<unknown>,
) {
  const { rnd } = core;
  const { fail, versionOk, numberFor } = http;

  app.post<{ Params: Params }>('/:version/:id/marketing_messages', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const n = numberFor(req, reply);
    if (!n) return reply;
    if (!core.marketingOnboarded(n.waba_id)) return fail(reply, graphError(134100, rnd));
    const raw = (req.body ?? {}) as Record<string, unknown>;
    if (typeof raw !== 'object' || Array.isArray(raw))
      return fail(reply, graphError(100, rnd, { details: 'The body must be a JSON object.' }));
    const { message_send_ttl_seconds, message_activity_sharing, ...rest } = raw;
    const extras = MarketingExtras.safeParse({ message_send_ttl_seconds, message_activity_sharing });
    if (!extras.success) {
      return fail(
        reply,
        graphError(131009, rnd, {
          details: `message_send_ttl_seconds must be a whole number of seconds from ${MARKETING_TTL_SECONDS.min} to ${MARKETING_TTL_SECONDS.max}.`,
        }),
      );
    }
    if (rest.type !== 'template') {
      return fail(
        reply,
        graphError(131009, rnd, {
          details: 'The Marketing Messages API sends template messages only.',
        }),
      );
    }
    const tpl = (rest.template ?? {}) as { name?: unknown; language?: { code?: unknown } };
    const t = [...core.templates.values()].find(
      (x) => x.waba_id === n.waba_id && x.name === tpl.name && x.language === tpl.language?.code,
    );
    if (t && t.category !== 'MARKETING') {
      return fail(
        reply,
        graphError(131009, rnd, {
          details: `Template ${t.name} is in category ${t.category}; the Marketing Messages API sends MARKETING templates only.`,
        }),
      );
    }
    req.body = rest;
    const answer = (await send(req, reply)) as { messages?: { id: string }[] } | undefined;
    const rec = answer?.messages?.[0] ? core.sent.get(answer.messages[0].id) : undefined;
    if (rec) {
      rec.via = 'marketing_messages';
      if (extras.data.message_send_ttl_seconds) rec.ttl_seconds = extras.data.message_send_ttl_seconds;
    }
    return answer;
  });
}
