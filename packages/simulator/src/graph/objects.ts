import type { FastifyInstance } from 'fastify';
import type { Core } from '../core/build-core.ts';
import { graphError } from '../errors.ts';
import { mediaUrl } from '../media.ts';
import type { GraphHttp, Params, Query } from './http.ts';
import { phoneNumberView, templateView, wabaView } from './views.ts';

/** Objects by id: read a phone number, a media item or a template; delete media; edit a template. */
export function registerObjectRoutes(app: FastifyInstance, core: Core, http: GraphHttp) {
  const { rnd } = core;
  const { authorise, objectMissing, fail, versionOk } = http;

  app.get<{ Params: Params; Querystring: Query }>('/:version/:id', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const owner = authorise(req, undefined);
    if (!('phone_number_id' in owner)) return fail(reply, owner);
    const id = req.params.id;
    const n = core.numbers.get(id);
    if (n && n.waba_id === owner.waba_id) return phoneNumberView(n, req.query.fields, core.portfolioTier(n));
    if (id === owner.waba_id) {
      const businessId = core.businessOf(id);
      const named = owner.verified_name;
      return wabaView(
        { id, businessId, businessName: named, marketingOnboarded: core.marketingOnboarded(id) },
        req.query.fields,
      );
    }
    const m = core.media.get(id);
    if (m && core.numbers.get(m.phone_number_id)?.waba_id === owner.waba_id) {
      if (req.query.phone_number_id && req.query.phone_number_id !== m.phone_number_id) {
        return fail(
          reply,
          graphError(100, rnd, { details: 'The media does not belong to this phone number.' }),
        );
      }
      return {
        messaging_product: 'whatsapp',
        url: mediaUrl(core.publicUrl, m.id, core.opts.media_url_ttl_ms, core.mediaKey),
        mime_type: m.mime_type,
        sha256: m.sha256,
        file_size: String(m.data.length),
        id: m.id,
      };
    }
    const t = core.templates.get(id);
    if (t && t.waba_id === owner.waba_id) return templateView(t, req.query.fields);
    return fail(reply, objectMissing(req, id));
  });

  app.delete<{ Params: Params; Querystring: Query }>('/:version/:id', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const owner = authorise(req, undefined);
    if (!('phone_number_id' in owner)) return fail(reply, owner);
    const m = core.media.get(req.params.id);
    if (!m || core.numbers.get(m.phone_number_id)?.waba_id !== owner.waba_id) {
      return fail(reply, objectMissing(req, req.params.id));
    }
    core.media.delete(m.id);
    return { success: true };
  });

  app.post<{ Params: Params }>('/:version/:id', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const owner = authorise(req, undefined);
    if (!('phone_number_id' in owner)) return fail(reply, owner);
    const t = core.templates.get(req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (t && t.waba_id === owner.waba_id) {
      if (!['APPROVED', 'REJECTED', 'PAUSED'].includes(t.status)) {
        return fail(
          reply,
          graphError(100, rnd, { details: `A template in status ${t.status} cannot be edited.` }),
        );
      }
      if (body.category !== undefined && t.status === 'APPROVED' && body.category !== t.category) {
        return fail(
          reply,
          graphError(100, rnd, { details: 'The category of an approved template cannot be changed.' }),
        );
      }
      if (Array.isArray(body.components)) {
        t.components = body.components as Record<string, unknown>[];
        t.status = 'PENDING';
        core.scheduleReview(t);
      }
      return { success: true };
    }
    const n = core.numbers.get(req.params.id);
    if (n && n.waba_id === owner.waba_id) return { success: true };
    return fail(reply, objectMissing(req, req.params.id));
  });
}
