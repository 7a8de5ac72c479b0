import {
  Flow,
  FlowBody,
  FlowExport,
  FlowList,
  FlowPatch,
  FlowRun,
  FlowRunDetail,
  FlowRunList,
  FlowRunQuery,
  FlowStartBody,
  FlowStats,
  FlowStatsQuery,
  FlowTestBody,
  FlowValidation,
  FlowVersionList,
  Ok,
  TestReplyBody,
  Uuid,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOf } from '../../lib/http.ts';
import type { FlowService } from './service.ts';

const IdParams = z.object({ id: Uuid });

/** Flows and their runs (docs/automation.md "Flows"). */
export const flowRoutes =
  (deps: { flows: FlowService }): FastifyPluginAsyncZod =>
  async (app) => {
    const { flows } = deps;
    const tags = ['automation'];
    const read = { access: 'automation.read' as const };
    const manage = { access: 'automation.manage' as const };
    const base = '/api/v1/automation/flows';

    app.get(
      base,
      { config: read, schema: { tags, summary: 'Flows', response: { 200: FlowList } } },
      async (req) => flows.list(authOf(req)),
    );
    app.post(
      base,
      {
        config: manage,
        schema: { tags, summary: 'A new flow (its draft graph)', body: FlowBody, response: { 201: Flow } },
      },
      async (req, reply) => reply.code(201).send(await flows.create(authOf(req), req.body)),
    );
    app.post(
      `${base}/import`,
      {
        config: manage,
        schema: {
          tags,
          summary:
            'A new flow (a draft) from exported JSON (FlowExport); 400 with the path of each problem, nothing saved',
          body: z.unknown(),
          response: { 201: Flow },
        },
      },
      async (req, reply) => reply.code(201).send(await flows.importFlow(authOf(req), req.body)),
    );
    app.get(
      `${base}/:id`,
      {
        config: read,
        schema: {
          tags,
          summary: 'A flow with its draft and its problems',
          params: IdParams,
          response: { 200: Flow },
        },
      },
      async (req) => flows.get(authOf(req), req.params.id),
    );
    app.patch(
      `${base}/:id`,
      {
        config: manage,
        schema: {
          tags,
          summary: 'Saves the draft, name, description or enabled',
          params: IdParams,
          body: FlowPatch,
          response: { 200: Flow },
        },
      },
      async (req) => flows.update(authOf(req), req.params.id, req.body),
    );
    app.delete(
      `${base}/:id`,
      {
        config: manage,
        schema: {
          tags,
          summary: 'Deletes a flow; its running contacts are stopped',
          params: IdParams,
          response: { 200: Ok },
        },
      },
      async (req) => flows.remove(authOf(req), req.params.id),
    );
    app.post(
      `${base}/:id/validate`,
      {
        config: read,
        schema: {
          tags,
          summary: 'The problems of a graph (the draft when none is given): errors block publishing',
          params: IdParams,
          body: z.strictObject({ graph: z.unknown().optional() }).default({}),
          response: { 200: FlowValidation },
        },
      },
      async (req) => flows.validate(authOf(req), req.params.id, req.body?.graph),
    );
    app.post(
      `${base}/:id/publish`,
      {
        config: manage,
        schema: {
          tags,
          summary: 'The draft becomes the next version (400 listing its errors if any)',
          params: IdParams,
          response: { 200: Flow },
        },
      },
      async (req) => flows.publish(authOf(req), req.params.id),
    );
    app.get(
      `${base}/:id/versions`,
      {
        config: read,
        schema: {
          tags,
          summary: 'Published versions, newest first',
          params: IdParams,
          response: { 200: FlowVersionList },
        },
      },
      async (req) => flows.versions(authOf(req), req.params.id),
    );
    app.get(
      `${base}/:id/stats`,
      {
        config: read,
        schema: {
          tags,
          summary:
            'Runs by status and per-node counts (entered, completed, dropped, timed out) of a version (the published one by default)',
          params: IdParams,
          querystring: FlowStatsQuery,
          response: { 200: FlowStats },
        },
      },
      async (req) => flows.stats(authOf(req), req.params.id, req.query.version),
    );
    app.get(
      `${base}/:id/export`,
      {
        config: read,
        schema: {
          tags,
          summary: 'The flow as portable JSON (its draft)',
          params: IdParams,
          response: { 200: FlowExport },
        },
      },
      async (req) => flows.exportFlow(authOf(req), req.params.id),
    );
    app.post(
      `${base}/:id/runs`,
      {
        config: manage,
        schema: {
          tags,
          summary:
            'Starts the published flow for one contact (by id, or by phone/BSUID: created if new); 409 when not published, disabled or the contact is already in a flow',
          params: IdParams,
          body: FlowStartBody,
          response: { 201: FlowRun },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await flows.startViaApi(authOf(req), req.params.id, req.body)),
    );
    app.post(
      `${base}/:id/test`,
      {
        config: manage,
        schema: {
          tags,
          summary: 'A test run against the test chat: sends nothing, changes no contact',
          params: IdParams,
          body: FlowTestBody.default({ use: 'draft' }),
          response: { 201: FlowRunDetail },
        },
      },
      async (req, reply) => reply.code(201).send(await flows.startTest(authOf(req), req.params.id, req.body)),
    );

    app.get(
      '/api/v1/automation/runs',
      {
        config: read,
        schema: {
          tags,
          summary: 'Flow runs, newest first',
          querystring: FlowRunQuery,
          response: { 200: FlowRunList },
        },
      },
      async (req) => flows.listRuns(authOf(req), req.query),
    );
    app.get(
      '/api/v1/automation/runs/:id',
      {
        config: read,
        schema: {
          tags,
          summary: 'A run with its execution log',
          params: IdParams,
          response: { 200: FlowRunDetail },
        },
      },
      async (req) => flows.getRun(authOf(req), req.params.id),
    );
    app.post(
      '/api/v1/automation/runs/:id/stop',
      {
        config: manage,
        schema: { tags, summary: 'Stops a run', params: IdParams, response: { 200: FlowRun } },
      },
      async (req) => flows.stopRun(authOf(req), req.params.id),
    );
    app.post(
      '/api/v1/automation/runs/:id/test-reply',
      {
        config: manage,
        schema: {
          tags,
          summary: "The tester's reply in a test run; the run with its log and transcript",
          params: IdParams,
          body: TestReplyBody,
          response: { 200: FlowRunDetail },
        },
      },
      async (req) => flows.testReply(authOf(req), req.params.id, req.body),
    );
  };
