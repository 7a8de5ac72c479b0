import {
  CreateTemplateBody,
  Ok,
  RenderTemplateBody,
  Template,
  TemplateHistory,
  TemplateList,
  TemplateQuery,
  TemplateSyncResult,
  Uuid,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PhonePrivacy } from '../contacts/phone-privacy.ts';
import { authOf } from '../lib/http.ts';
import type { TemplateService } from './service.ts';

const IdParams = z.object({ id: Uuid });
const RenderResult = z.object({
  ok: z.boolean(),
  rendered: z.unknown().optional(),
  components: z.array(z.unknown()).optional(),
  problems: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** Variables this contact has no value for (mapping from contact fields). */
  missing: z.array(z.object({ key: z.string(), source: z.string() })),
});

export const templateRoutes =
  (deps: { templates: TemplateService; phones: PhonePrivacy }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['templates'];
    const { templates } = deps;
    app.get(
      '/api/v1/templates',
      {
        config: { access: 'templates.read' },
        schema: {
          tags,
          summary: 'The template catalogue (filters)',
          querystring: TemplateQuery,
          response: { 200: TemplateList },
        },
      },
      async (req) => ({ data: await templates.list(authOf(req), req.query) }),
    );
    app.post(
      '/api/v1/templates/sync',
      {
        config: { access: 'templates.manage' },
        schema: {
          tags,
          summary: 'Sync every WABA (or one) from Meta now',
          body: z
            .strictObject({
              waba_id: z
                .string()
                .regex(/^\d{1,40}$/, 'a WhatsApp Business Account id (digits)')
                .optional(),
            })
            .default({}),
          response: { 200: TemplateSyncResult },
        },
      },
      async (req) =>
        templates.sync(authOf(req).orgId, { ...(req.body.waba_id ? { wabaId: req.body.waba_id } : {}) }),
    );
    app.post(
      '/api/v1/templates',
      {
        config: { access: 'templates.manage' },
        schema: {
          tags,
          summary: 'Submit a new template to Meta (checked against Meta’s rules first)',
          body: CreateTemplateBody,
          response: { 201: Template },
        },
      },
      async (req, reply) => reply.code(201).send(await templates.create(authOf(req), req.body)),
    );
    app.get(
      '/api/v1/templates/:id',
      {
        config: { access: 'templates.read' },
        schema: { tags, summary: 'One template', params: IdParams, response: { 200: Template } },
      },
      async (req) => templates.get(authOf(req), req.params.id),
    );
    app.get(
      '/api/v1/templates/:id/history',
      {
        config: { access: 'templates.read' },
        schema: {
          tags,
          summary: 'Category changes of a template',
          params: IdParams,
          response: { 200: TemplateHistory },
        },
      },
      async (req) => ({ data: await templates.history(authOf(req), req.params.id) }),
    );
    app.post(
      '/api/v1/templates/:id/render',
      {
        config: { access: 'templates.read' },
        schema: {
          tags,
          summary: 'Preview: what the customer sees, for given values or a contact',
          params: IdParams,
          body: RenderTemplateBody,
          response: { 200: RenderResult },
        },
      },
      async (req) =>
        templates.render(authOf(req), req.params.id, req.body, await deps.phones.viewFor(authOf(req))),
    );
    app.post(
      '/api/v1/templates/:id/unquarantine',
      {
        config: { access: 'templates.manage' },
        schema: {
          tags,
          summary: 'Release a quarantined template (audited)',
          params: IdParams,
          response: { 200: Template },
        },
      },
      async (req) => templates.unquarantine(authOf(req), req.params.id),
    );
    app.delete(
      '/api/v1/templates/:id',
      {
        config: { access: 'templates.manage' },
        schema: {
          tags,
          summary: 'Delete at Meta (kept here, inactive)',
          params: IdParams,
          response: { 200: Ok },
        },
      },
      async (req) => {
        await templates.remove(authOf(req), req.params.id);
        return { ok: true as const };
      },
    );
  };
