import type { FastifyInstance } from 'fastify';
import type { Core } from '../core/build-core.ts';
import { graphError } from '../errors.ts';
import { checkMediaUrl, MEDIA_LIMITS, storedMedia } from '../media.ts';
import type { GraphHttp, Params, Query } from './http.ts';

/** Media upload (multipart, type and size limits) and the expiring download URL. */
export function registerMediaRoutes(app: FastifyInstance, core: Core, http: GraphHttp) {
  const { rnd } = core;
  const { authorise, fail, versionOk, numberFor } = http;

  app.post<{ Params: Params; Querystring: Query }>('/:version/:id/media', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const n = numberFor(req, reply);
    if (!n) return reply;
    if (!req.isMultipart()) {
      return fail(
        reply,
        graphError(100, rnd, {
          details: 'Upload media as multipart/form-data with fields file, type and messaging_product.',
        }),
      );
    }
    const fields: Record<string, string> = {};
    let file: { data: Buffer; mimetype: string } | undefined;
    for await (const part of req.parts()) {
      if (part.type === 'file') file = { data: await part.toBuffer(), mimetype: part.mimetype };
      else fields[part.fieldname] = String(part.value);
    }
    // Graph reads a parameter from the form or from the query string (client libraries put it there).
    const product = fields.messaging_product ?? req.query.messaging_product;
    if (product !== 'whatsapp') {
      return fail(
        reply,
        graphError(131008, rnd, { details: 'The parameter messaging_product is required.' }),
      );
    }
    if (!file) return fail(reply, graphError(131008, rnd, { details: 'The parameter file is required.' }));
    const type = (fields.type ?? file.mimetype).split(';')[0]!.trim().toLowerCase();
    const limit = MEDIA_LIMITS[type];
    if (!limit)
      return fail(
        reply,
        graphError(131053, rnd, {
          details: `Param file must be a file with one of the following types: ${Object.keys(MEDIA_LIMITS).join(', ')}. Received file of type '${type}'.`,
        }),
      );
    if (file.data.length > limit) {
      return fail(
        reply,
        graphError(131053, rnd, {
          details: `The ${type} file is ${file.data.length} bytes; the limit is ${limit} bytes.`,
        }),
      );
    }
    if (file.data.length === 0)
      return fail(reply, graphError(131053, rnd, { details: 'The file is empty.' }));
    const m = storedMedia(core.nextId(16), n.phone_number_id, type, file.data);
    core.media.set(m.id, m);
    return { id: m.id };
  });

  app.get<{ Params: { id: string }; Querystring: Query }>('/_media/:id', async (req, reply) => {
    const m = core.media.get(req.params.id);
    const check = checkMediaUrl(req.params.id, req.query.ext ?? '', req.query.hash ?? '', core.mediaKey);
    const owner = authorise(req, undefined);
    if (!('phone_number_id' in owner)) return fail(reply, owner);
    if (!m || check === 'invalid' || owner.waba_id !== core.numbers.get(m.phone_number_id)?.waba_id) {
      return fail(reply, graphError(100, rnd, { status: 404, details: 'Media not found.' }));
    }
    if (check === 'expired')
      return fail(
        reply,
        graphError(100, rnd, { status: 404, details: 'The media URL has expired; request a new one.' }),
      );
    return reply.type(m.mime_type).header('content-length', m.data.length).send(m.data);
  });
}
