import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { graphError } from './errors.ts';
import { checkMediaUrl, MEDIA_LIMITS, mediaUrl, storedMedia } from './media.ts';
import { classifyIssues, MarkReadBody, SendBody } from './send-schema.ts';
import type { Core } from './simulator.ts';
import type { SimNumber } from './state.ts';
import { CreateTemplateBody, checkTemplateParams, type SimTemplate } from './templates.ts';

type Params = { version: string; id: string };
type Query = Record<string, string | undefined>;

const VERSION = /^v\d{1,2}\.\d$/;
const PHONE_FIELDS = [
  'id',
  'display_phone_number',
  'verified_name',
  'quality_rating',
  'name_status',
  'code_verification_status',
  'platform_type',
  'status',
  'account_mode',
  'throughput',
  'messaging_limit_tier',
  'whatsapp_business_manager_messaging_limit',
  'is_official_business_account',
  'health_status',
];

/** The Graph API surface: `/{version}/…`, answered like Meta (shapes, codes, limits). */
export function registerGraphRoutes(app: FastifyInstance, core: Core) {
  const { rnd } = core;

  // Faults and counters apply to Graph calls, not to the control API.
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/_sim')) return;
    core.stats.requests++;
    if (core.faults.fires('reset')) {
      req.raw.socket.destroy();
      return reply;
    }
    const timeout = core.faults.fires('timeout');
    if (timeout) {
      await new Promise((r) => setTimeout(r, timeout.ms ?? 30_000));
      req.raw.socket.destroy();
      return reply;
    }
    const slow = core.faults.fires('slow');
    if (slow) await new Promise((r) => setTimeout(r, slow.ms ?? 2000));
    const e5 = core.faults.fires('http_5xx');
    if (e5) {
      const status = e5.status ?? 503;
      return core.fail(
        reply,
        status === 503
          ? graphError(2, rnd, { transient: true })
          : graphError(131000, rnd, { status, transient: true }),
      );
    }
  });

  // An accepted send whose answer is lost: the connection drops instead of the 200.
  app.addHook('onSend', async (req, reply, payload) => {
    if (
      req.method !== 'POST' ||
      !/\/messages$/.test(req.routeOptions.url ?? '') ||
      reply.statusCode !== 200
    ) {
      return payload;
    }
    if (core.faults.fires('lost_answer')) req.raw.socket.destroy();
    return payload;
  });

  app.setErrorHandler((err: { statusCode?: number; message: string; code?: string }, req, reply) => {
    if (req.url.startsWith('/_sim')) {
      return reply
        .code(err.statusCode && err.statusCode < 500 ? err.statusCode : 400)
        .send({ error: { message: err.message } });
    }
    if (err.code === 'FST_REQ_FILE_TOO_LARGE') {
      return core.fail(reply, graphError(131053, rnd, { details: 'The file is larger than 100 MB.' }));
    }
    return core.fail(reply, graphError(100, rnd, { details: err.message }));
  });

  app.setNotFoundHandler((req, reply) =>
    core.fail(
      reply,
      graphError(100, rnd, { message: `Unknown path components: ${req.url.split('?')[0]}`, details: '' }),
    ),
  );

  const versionOk = (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    if (VERSION.test(req.params.version)) return true;
    void core.fail(
      reply,
      graphError(100, rnd, { message: `Unknown version: ${req.params.version}`, details: '' }),
    );
    return false;
  };

  /** The number in the path, checked against the bearer token (same WABA). */
  function numberFor(req: FastifyRequest<{ Params: Params }>, reply: FastifyReply): SimNumber | undefined {
    const owner = core.authorise(req, undefined);
    if (!('phone_number_id' in owner)) {
      void core.fail(reply, owner);
      return undefined;
    }
    const n = core.numbers.get(req.params.id);
    if (!n || n.waba_id !== owner.waba_id) {
      void core.fail(reply, core.objectMissing(req, req.params.id));
      return undefined;
    }
    return n;
  }

  function wabaFor(req: FastifyRequest<{ Params: Params }>, reply: FastifyReply): string | undefined {
    const owner = core.authorise(req, undefined);
    if (!('phone_number_id' in owner)) {
      void core.fail(reply, owner);
      return undefined;
    }
    if (owner.waba_id !== req.params.id) {
      void core.fail(reply, core.objectMissing(req, req.params.id));
      return undefined;
    }
    return owner.waba_id;
  }

  // ---- messages --------------------------------------------------------------------------------

  app.post<{ Params: Params }>('/:version/:id/messages', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const n = numberFor(req, reply);
    if (!n) return reply;
    const now = Date.now();
    if (!core.takeThroughput(n, now)) return core.fail(reply, graphError(130429, rnd, { subcode: 2494055 }));

    const raw = (req.body ?? {}) as Record<string, unknown>;
    if (typeof raw !== 'object' || Array.isArray(raw))
      return core.fail(reply, graphError(100, rnd, { details: 'The body must be a JSON object.' }));
    if (raw.status === 'read') {
      const r = MarkReadBody.safeParse(raw);
      if (!r.success)
        return core.fail(
          reply,
          graphError(classifyIssues(r.error).code, rnd, { details: classifyIssues(r.error).details }),
        );
      const m = core.inbound.get(r.data.message_id);
      if (m && m.phone_number_id === n.phone_number_id) m.read = true;
      return { success: true };
    }
    const body = raw.type === undefined && raw.text !== undefined ? { ...raw, type: 'text' } : raw;
    const parsed = SendBody.safeParse(body);
    if (!parsed.success) {
      const c = classifyIssues(parsed.error);
      return core.fail(reply, graphError(c.code, rnd, { details: c.details }));
    }
    const msg = parsed.data;
    const to = msg.to.replace(/[\s+()-]/g, '');
    if (!/^\d{7,15}$/.test(to)) {
      return core.fail(
        reply,
        graphError(131009, rnd, { details: `Parameter to is not a valid phone number: ${msg.to}` }),
      );
    }
    if (to === n.display_phone_number.replace(/\D/g, '')) return core.fail(reply, graphError(131021, rnd));

    let category: string | undefined;
    if (msg.type === 'template') {
      const t = [...core.templates.values()].find(
        (x) =>
          x.waba_id === n.waba_id &&
          x.name === msg.template.name &&
          x.language === msg.template.language.code,
      );
      if (!t || !['APPROVED', 'PAUSED', 'DISABLED'].includes(t.status)) {
        return core.fail(
          reply,
          graphError(132001, rnd, {
            details: `template name (${msg.template.name}) does not exist in ${msg.template.language.code}`,
          }),
        );
      }
      if (t.status === 'PAUSED') return core.fail(reply, graphError(132015, rnd));
      if (t.status === 'DISABLED') return core.fail(reply, graphError(132016, rnd));
      const bad = checkTemplateParams(t, msg.template.components as never);
      if (bad) return core.fail(reply, graphError(bad.code, rnd, { details: bad.details }));
      category = t.category;
    }

    if (!core.takePair(n, to, now)) return core.fail(reply, graphError(131056, rnd));

    const mediaIds = collectMediaIds(msg as unknown as Record<string, unknown>);
    const missingMedia = mediaIds.some((id) => {
      const m = core.media.get(id);
      return !m || m.phone_number_id !== n.phone_number_id;
    });
    const id = core.accept(n, to, msg as unknown as Record<string, unknown>, category, missingMedia);
    return {
      messaging_product: 'whatsapp',
      contacts: [{ input: msg.to, wa_id: to }],
      messages: [{ id, ...(msg.type === 'template' ? { message_status: 'accepted' } : {}) }],
    };
  });

  // ---- media -----------------------------------------------------------------------------------

  app.post<{ Params: Params }>('/:version/:id/media', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const n = numberFor(req, reply);
    if (!n) return reply;
    if (!req.isMultipart()) {
      return core.fail(
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
    if (fields.messaging_product !== 'whatsapp') {
      return core.fail(
        reply,
        graphError(131008, rnd, { details: 'The parameter messaging_product is required.' }),
      );
    }
    if (!file)
      return core.fail(reply, graphError(131008, rnd, { details: 'The parameter file is required.' }));
    const type = (fields.type ?? file.mimetype).split(';')[0]!.trim().toLowerCase();
    const limit = MEDIA_LIMITS[type];
    if (!limit)
      return core.fail(
        reply,
        graphError(131053, rnd, {
          details: `Param file must be a file with one of the following types: ${Object.keys(MEDIA_LIMITS).join(', ')}. Received file of type '${type}'.`,
        }),
      );
    if (file.data.length > limit) {
      return core.fail(
        reply,
        graphError(131053, rnd, {
          details: `The ${type} file is ${file.data.length} bytes; the limit is ${limit} bytes.`,
        }),
      );
    }
    if (file.data.length === 0)
      return core.fail(reply, graphError(131053, rnd, { details: 'The file is empty.' }));
    const m = storedMedia(core.nextId(16), n.phone_number_id, type, file.data);
    core.media.set(m.id, m);
    return { id: m.id };
  });

  app.get<{ Params: { id: string }; Querystring: Query }>('/_media/:id', async (req, reply) => {
    const m = core.media.get(req.params.id);
    const check = checkMediaUrl(req.params.id, req.query.ext ?? '', req.query.hash ?? '', core.mediaKey);
    const owner = core.authorise(req, undefined);
    if (!('phone_number_id' in owner)) return core.fail(reply, owner);
    if (!m || check === 'invalid' || owner.waba_id !== core.numbers.get(m.phone_number_id)?.waba_id) {
      return core.fail(reply, graphError(100, rnd, { status: 404, details: 'Media not found.' }));
    }
    if (check === 'expired')
      return core.fail(
        reply,
        graphError(100, rnd, { status: 404, details: 'The media URL has expired; request a new one.' }),
      );
    return reply.type(m.mime_type).header('content-length', m.data.length).send(m.data);
  });

  // ---- objects by id: phone numbers, media, templates -----------------------------------------

  app.get<{ Params: Params; Querystring: Query }>('/:version/:id', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const owner = core.authorise(req, undefined);
    if (!('phone_number_id' in owner)) return core.fail(reply, owner);
    const id = req.params.id;
    const n = core.numbers.get(id);
    if (n && n.waba_id === owner.waba_id) return phoneNumberView(n, req.query.fields);
    const m = core.media.get(id);
    if (m && core.numbers.get(m.phone_number_id)?.waba_id === owner.waba_id) {
      if (req.query.phone_number_id && req.query.phone_number_id !== m.phone_number_id) {
        return core.fail(
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
    return core.fail(reply, core.objectMissing(req, id));
  });

  app.delete<{ Params: Params; Querystring: Query }>('/:version/:id', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const owner = core.authorise(req, undefined);
    if (!('phone_number_id' in owner)) return core.fail(reply, owner);
    const m = core.media.get(req.params.id);
    if (!m || core.numbers.get(m.phone_number_id)?.waba_id !== owner.waba_id) {
      return core.fail(reply, core.objectMissing(req, req.params.id));
    }
    core.media.delete(m.id);
    return { success: true };
  });

  app.post<{ Params: Params }>('/:version/:id', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const owner = core.authorise(req, undefined);
    if (!('phone_number_id' in owner)) return core.fail(reply, owner);
    const t = core.templates.get(req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (t && t.waba_id === owner.waba_id) {
      if (!['APPROVED', 'REJECTED', 'PAUSED'].includes(t.status)) {
        return core.fail(
          reply,
          graphError(100, rnd, { details: `A template in status ${t.status} cannot be edited.` }),
        );
      }
      if (body.category !== undefined && t.status === 'APPROVED' && body.category !== t.category) {
        return core.fail(
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
    return core.fail(reply, core.objectMissing(req, req.params.id));
  });

  // ---- WABA: phone numbers and templates -------------------------------------------------------

  app.get<{ Params: Params; Querystring: Query }>('/:version/:id/phone_numbers', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const waba = wabaFor(req, reply);
    if (!waba) return reply;
    const all = [...core.numbers.values()]
      .filter((n) => n.waba_id === waba)
      .map((n) => phoneNumberView(n, req.query.fields));
    return page(req, all);
  });

  app.get<{ Params: Params; Querystring: Query }>('/:version/:id/message_templates', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const waba = wabaFor(req, reply);
    if (!waba) return reply;
    const q = req.query;
    const list = [...core.templates.values()]
      .filter((t) => t.waba_id === waba)
      .filter((t) => !q.name || t.name.includes(q.name))
      .filter((t) => !q.status || t.status === q.status.toUpperCase())
      .filter((t) => !q.category || t.category === q.category.toUpperCase())
      .filter((t) => !q.language || t.language === q.language)
      .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1))
      .map((t) => templateView(t, q.fields));
    return page(req, list);
  });

  app.post<{ Params: Params }>('/:version/:id/message_templates', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const waba = wabaFor(req, reply);
    if (!waba) return reply;
    const parsed = CreateTemplateBody.safeParse(req.body);
    if (!parsed.success) {
      const c = classifyIssues(parsed.error);
      return core.fail(reply, graphError(100, rnd, { details: c.details }));
    }
    const def = parsed.data;
    const mine = [...core.templates.values()].filter((t) => t.waba_id === waba);
    if (mine.some((t) => t.name === def.name && t.language === def.language)) {
      return core.fail(reply, graphError(2388024, rnd, { subcode: 2388024 }));
    }
    if (mine.length >= 250) return core.fail(reply, graphError(2388019, rnd, { subcode: 2388019 }));
    const t = core.addTemplate({
      waba_id: waba,
      name: def.name,
      language: def.language,
      category: def.category,
      status: 'PENDING',
      parameter_format: def.parameter_format ?? 'POSITIONAL',
      components: def.components as never,
    });
    t.quality_score = { score: 'UNKNOWN', date: Math.floor(Date.now() / 1000) };
    core.scheduleReview(t);
    return { id: t.id, status: t.status, category: t.category };
  });

  app.delete<{ Params: Params; Querystring: Query }>(
    '/:version/:id/message_templates',
    async (req, reply) => {
      if (!versionOk(req, reply)) return reply;
      const waba = wabaFor(req, reply);
      if (!waba) return reply;
      const { name, hsm_id } = req.query;
      if (!name)
        return core.fail(reply, graphError(131008, rnd, { details: 'The parameter name is required.' }));
      const targets = [...core.templates.values()].filter(
        (t) => t.waba_id === waba && t.name === name && (!hsm_id || t.id === hsm_id),
      );
      if (!targets.length)
        return core.fail(reply, graphError(100, rnd, { details: `Message template "${name}" not found.` }));
      if (targets.some((t) => t.status === 'DISABLED')) {
        return core.fail(reply, graphError(100, rnd, { details: 'Disabled templates cannot be deleted.' }));
      }
      for (const t of targets) core.templates.delete(t.id);
      return { success: true };
    },
  );

  // ---- views -----------------------------------------------------------------------------------

  function phoneNumberView(n: SimNumber, fields?: string) {
    const full: Record<string, unknown> = {
      id: n.phone_number_id,
      display_phone_number: n.display_phone_number,
      verified_name: n.verified_name,
      quality_rating: n.quality_rating,
      name_status: n.name_status,
      code_verification_status: 'VERIFIED',
      platform_type: 'CLOUD_API',
      status: 'CONNECTED',
      account_mode: n.account_mode,
      throughput: { level: n.throughput_mps > 80 ? 'HIGH' : 'STANDARD' },
      messaging_limit_tier: n.messaging_limit_tier,
      whatsapp_business_manager_messaging_limit: n.messaging_limit_tier,
      is_official_business_account: false,
      health_status: { can_send_message: n.token_status === 'valid' ? 'AVAILABLE' : 'BLOCKED', entities: [] },
    };
    const wanted = fields
      ? fields.split(',').map((f) => f.trim())
      : ['id', 'display_phone_number', 'verified_name', 'quality_rating'];
    return Object.fromEntries(
      [...new Set(['id', ...wanted])]
        .filter((f) => PHONE_FIELDS.includes(f) && f in full)
        .map((f) => [f, full[f]]),
    );
  }

  function templateView(t: SimTemplate, fields?: string) {
    const full: Record<string, unknown> = {
      name: t.name,
      parameter_format: t.parameter_format,
      components: t.components,
      language: t.language,
      status: t.status,
      category: t.category,
      ...(t.sub_category ? { sub_category: t.sub_category } : {}),
      ...(t.previous_category ? { previous_category: t.previous_category } : {}),
      ...(t.rejected_reason ? { rejected_reason: t.rejected_reason } : {}),
      quality_score: t.quality_score,
      id: t.id,
    };
    if (!fields) return full;
    const wanted = new Set(['id', ...fields.split(',').map((f) => f.trim())]);
    return Object.fromEntries(Object.entries(full).filter(([k]) => wanted.has(k)));
  }

  /** Graph cursor paging: `limit` (default 25, max 1000), opaque `after`/`before`, `next` only when more. */
  function page<T>(req: FastifyRequest<{ Params: Params; Querystring: Query }>, all: T[]) {
    const limit = Math.min(Math.max(Number(req.query.limit ?? 25) || 25, 1), 1000);
    const decode = (c?: string) => (c ? Number(Buffer.from(c, 'base64url').toString()) || 0 : 0);
    const start = req.query.after ? decode(req.query.after) : 0;
    const data = all.slice(start, start + limit);
    const cursor = (i: number) => Buffer.from(String(i)).toString('base64url');
    const paging: Record<string, unknown> = {
      cursors: { before: cursor(start), after: cursor(start + data.length) },
    };
    if (start + data.length < all.length) {
      const u = new URL(`${core.publicUrl}${req.url}`);
      u.searchParams.set('limit', String(limit));
      u.searchParams.set('after', cursor(start + data.length));
      u.searchParams.delete('access_token');
      paging.next = u.toString();
    }
    return { data, paging };
  }
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
