import {
  CreateNumberBody,
  DeleteNumberBody,
  NumberDeletionCounts,
  NumberPortfolio,
  NumberTestResult,
  Ok,
  UpdateNumberBody,
  Uuid,
  WaNumber,
  WaNumberList,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOf } from '../lib/http.ts';
import type { NumberService } from './service.ts';

const IdParams = z.object({ id: Uuid });

export const numberRoutes =
  (deps: { numbers: NumberService }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['numbers'];
    const { numbers } = deps;
    app.get(
      '/api/v1/numbers',
      {
        config: { access: 'numbers.read' },
        schema: {
          tags,
          summary: 'Connected WhatsApp numbers and their health',
          response: { 200: WaNumberList },
        },
      },
      async (req) => ({ data: await numbers.list(authOf(req)) }),
    );
    app.post(
      '/api/v1/numbers',
      {
        config: { access: 'numbers.manage' },
        schema: {
          tags,
          summary: 'Connect a number (Meta is asked first; secrets are stored encrypted and never returned)',
          body: CreateNumberBody,
          response: { 201: WaNumber },
        },
      },
      async (req, reply) => reply.code(201).send(await numbers.create(authOf(req), req.body)),
    );
    app.get(
      '/api/v1/numbers/:id',
      {
        config: { access: 'numbers.read' },
        schema: { tags, summary: 'One number', params: IdParams, response: { 200: WaNumber } },
      },
      async (req) => numbers.get(authOf(req), req.params.id),
    );
    app.patch(
      '/api/v1/numbers/:id',
      {
        config: { access: 'numbers.manage' },
        schema: {
          tags,
          summary: 'Rename, change the prompt, or replace credentials (a new token is checked with Meta)',
          params: IdParams,
          body: UpdateNumberBody,
          response: { 200: WaNumber },
        },
      },
      async (req) => numbers.update(authOf(req), req.params.id, req.body),
    );
    app.get(
      '/api/v1/numbers/:id/deletion',
      {
        config: { access: 'numbers.manage' },
        schema: {
          tags,
          summary: 'What deleting the number would delete with it (show it, then confirm with it)',
          params: IdParams,
          response: { 200: NumberDeletionCounts },
        },
      },
      async (req) => numbers.deletionCounts(authOf(req), req.params.id),
    );
    app.delete(
      '/api/v1/numbers/:id',
      {
        config: { access: 'numbers.manage' },
        schema: {
          tags,
          summary:
            'Delete a number with its conversations, messages, campaigns and media files. The body confirms the counts shown (GET …/deletion); different counts now answer 409 with the current ones',
          params: IdParams,
          body: DeleteNumberBody,
          response: { 200: Ok },
        },
      },
      async (req) => {
        await numbers.remove(authOf(req), req.params.id, req.body.confirm);
        return { ok: true as const };
      },
    );
    app.get(
      '/api/v1/numbers/:id/portfolio',
      {
        config: { access: 'numbers.read' },
        schema: {
          tags,
          summary:
            "The number's business portfolio: the daily limit of business-initiated unique users its numbers share, and its use in the last 24 hours",
          params: IdParams,
          response: { 200: NumberPortfolio },
        },
      },
      async (req) => numbers.portfolio(authOf(req), req.params.id),
    );
    app.post(
      '/api/v1/numbers/:id/test',
      {
        config: { access: 'numbers.manage' },
        schema: {
          tags,
          summary: 'Test the connection: what Meta says about the number now',
          params: IdParams,
          body: z.object({}).strict().nullish(),
          response: { 200: NumberTestResult },
        },
      },
      async (req) => numbers.test(authOf(req), req.params.id),
    );
  };
