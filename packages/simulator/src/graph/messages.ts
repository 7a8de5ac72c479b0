import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../core/build-core.ts';
import { graphError } from '../errors.ts';
import { classifyIssues, MarkReadBody, SendBody } from '../send-schema.ts';
import { checkTemplateParams } from '../templates.ts';

/** A business-scoped user id (or a parent one): a country code, a dot, letters and digits. */
const BSUID = /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/;

import type { GraphHttp, Params } from './http.ts';
import { registerMarketingMessagesRoute } from './marketing-messages.ts';

/** POST /{number}/messages: a send (checked like Meta: limits, shape, template, window) or a mark-as-read. */
export function registerMessageRoutes(app: FastifyInstance, core: Core, http: GraphHttp) {
  const { rnd } = core;
  const { fail, versionOk, numberFor } = http;

  const send = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    if (!versionOk(req, reply)) return reply;
    const n = numberFor(req, reply);
    if (!n) return reply;
    const now = Date.now();
    if (!core.takeThroughput(n, now)) return fail(reply, graphError(130429, rnd, { subcode: 2494055 }));

    const raw = (req.body ?? {}) as Record<string, unknown>;
    if (typeof raw !== 'object' || Array.isArray(raw))
      return fail(reply, graphError(100, rnd, { details: 'The body must be a JSON object.' }));
    if (raw.status === 'read') {
      const r = MarkReadBody.safeParse(raw);
      if (!r.success)
        return fail(
          reply,
          graphError(classifyIssues(r.error).code, rnd, { details: classifyIssues(r.error).details }),
        );
      const m = core.inbound.get(r.data.message_id);
      if (m && m.phone_number_id === n.phone_number_id) {
        m.read = true;
        // Shown to the customer up to 25 s or until the business answers (Meta /typing-indicators).
        if (r.data.typing_indicator) m.typing++;
      }
      return { success: true };
    }
    const body = raw.type === undefined && raw.text !== undefined ? { ...raw, type: 'text' } : raw;
    const parsed = SendBody.safeParse(body);
    if (!parsed.success) {
      const c = classifyIssues(parsed.error);
      return fail(reply, graphError(c.code, rnd, { details: c.details }));
    }
    const msg = parsed.data;
    // `to` (a phone) wins over `recipient` (a business-scoped user id), as at Meta.
    let viaUserId: string | undefined;
    let to: string;
    if (msg.to !== undefined) to = msg.to.replace(/[\s+()-]/g, '');
    else if (msg.recipient !== undefined) {
      if (!BSUID.test(msg.recipient)) {
        return fail(
          reply,
          graphError(131009, rnd, {
            details: `Parameter recipient is not a valid business-scoped user ID: ${msg.recipient}`,
          }),
        );
      }
      const c = core.byUserId(msg.recipient.replace('.ENT.', '.'));
      if (!c) return fail(reply, graphError(131026, rnd));
      viaUserId = msg.recipient;
      to = c.wa_id;
    } else {
      return fail(reply, graphError(131008, rnd, { details: 'The parameter to or recipient is required.' }));
    }
    if (!/^\d{7,15}$/.test(to)) {
      return fail(
        reply,
        graphError(131009, rnd, { details: `Parameter to is not a valid phone number: ${msg.to}` }),
      );
    }
    if (to === n.display_phone_number.replace(/\D/g, '')) return fail(reply, graphError(131021, rnd));

    let category: string | undefined;
    if (msg.type === 'template') {
      const t = [...core.templates.values()].find(
        (x) =>
          x.waba_id === n.waba_id &&
          x.name === msg.template.name &&
          x.language === msg.template.language.code,
      );
      if (!t || !['APPROVED', 'PAUSED', 'DISABLED'].includes(t.status)) {
        return fail(
          reply,
          graphError(132001, rnd, {
            details: `template name (${msg.template.name}) does not exist in ${msg.template.language.code}`,
          }),
        );
      }
      if (t.status === 'PAUSED') return fail(reply, graphError(132015, rnd));
      if (t.status === 'DISABLED') return fail(reply, graphError(132016, rnd));
      // Authentication templates go to phone numbers only.
      if (viaUserId && t.category === 'AUTHENTICATION') return fail(reply, graphError(131062, rnd));
      const bad = checkTemplateParams(t, msg.template.components as never);
      if (bad) return fail(reply, graphError(bad.code, rnd, { details: bad.details }));
      category = t.category;
    }

    if (!core.takePair(n, to, now)) return fail(reply, graphError(131056, rnd));

    const mediaIds = collectMediaIds(msg as unknown as Record<string, unknown>);
    const missingMedia = mediaIds.some((id) => {
      const m = core.media.get(id);
      return !m || m.phone_number_id !== n.phone_number_id;
    });
    const id = core.accept(
      n,
      to,
      msg as unknown as Record<string, unknown>,
      category,
      missingMedia,
      viaUserId,
    );
    return {
      messaging_product: 'whatsapp',
      // A send to a BSUID answers with the user id and no wa_id.
      contacts: [viaUserId ? { input: viaUserId, user_id: viaUserId } : { input: msg.to, wa_id: to }],
      messages: [{ id, ...(msg.type === 'template' ? { message_status: 'accepted' } : {}) }],
    };
  };
  app.post<{ Params: Params }>('/:version/:id/messages', send);
  registerMarketingMessagesRoute(app, core, http, send);
}

function collectMediaIds(msg: Record<string, unknown>): string[] {
  const ids: string[] = [];
  const visit = (v: unknown, key: string) => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, key);
      return;
    }
    const o = v as Record<string, unknown>;
    if (['image', 'video', 'audio', 'document', 'sticker'].includes(key) && typeof o.id === 'string')
      ids.push(o.id);
    for (const [k, x] of Object.entries(o)) visit(x, k);
  };
  visit(msg, '');
  return ids;
}
