import type { FastifyInstance } from 'fastify';
import type { Core } from '../core/build-core.ts';
import { graphError } from '../errors.ts';
import { classifyIssues } from '../send-schema.ts';
import { CreateTemplateBody } from '../templates.ts';
import type { GraphHttp, Params, Query } from './http.ts';
import { page, phoneNumberView, templateView } from './views.ts';

/** A WABA's edges: its phone numbers, and listing, creating and deleting its message templates. */
export function registerWabaRoutes(app: FastifyInstance, core: Core, http: GraphHttp) {
  const { rnd } = core;
  const { fail, versionOk, wabaFor } = http;

  app.get<{ Params: Params; Querystring: Query }>('/:version/:id/phone_numbers', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const waba = wabaFor(req, reply);
    if (!waba) return reply;
    const all = [...core.numbers.values()]
      .filter((n) => n.waba_id === waba)
      .map((n) => phoneNumberView(n, req.query.fields, core.portfolioTier(n)));
    return page(req, all, core.publicUrl);
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
    return page(req, list, core.publicUrl);
  });

  app.post<{ Params: Params }>('/:version/:id/message_templates', async (req, reply) => {
    if (!versionOk(req, reply)) return reply;
    const waba = wabaFor(req, reply);
    if (!waba) return reply;
    const parsed = CreateTemplateBody.safeParse(req.body);
    if (!parsed.success) {
      const c = classifyIssues(parsed.error);
      return fail(reply, graphError(100, rnd, { details: c.details }));
    }
    const def = parsed.data;
    const mine = [...core.templates.values()].filter((t) => t.waba_id === waba);
    if (mine.some((t) => t.name === def.name && t.language === def.language)) {
      return fail(reply, graphError(2388024, rnd, { subcode: 2388024 }));
    }
    if (mine.length >= 250) return fail(reply, graphError(2388019, rnd, { subcode: 2388019 }));
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
      if (!name) return fail(reply, graphError(131008, rnd, { details: 'The parameter name is required.' }));
      const targets = [...core.templates.values()].filter(
        (t) => t.waba_id === waba && t.name === name && (!hsm_id || t.id === hsm_id),
      );
      if (!targets.length)
        return fail(reply, graphError(100, rnd, { details: `Message template "${name}" not found.` }));
      if (targets.some((t) => t.status === 'DISABLED')) {
        return fail(reply, graphError(100, rnd, { details: 'Disabled templates cannot be deleted.' }));
      }
      for (const t of targets) core.templates.delete(t.id);
      return { success: true };
    },
  );
}
