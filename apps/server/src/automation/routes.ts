import {
  ChainTestBody,
  ChainTestResult,
  Hours,
  HoursBody,
  HoursList,
  HoursStatus,
  HoursStatusQuery,
  Ok,
  Rule,
  RuleBody,
  RuleList,
  Uuid,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOf } from '../lib/http.ts';
import type { Chain } from './chain.ts';
import type { HoursService } from './hours.ts';
import type { RuleService } from './service.ts';

const IdParams = z.object({ id: Uuid });

/** Keyword rules, the chain's test box and business hours (docs/automation.md). */
export const automationRoutes =
  (deps: { rules: RuleService; hours: HoursService; chain: Pick<Chain, 'test'> }): FastifyPluginAsyncZod =>
  async (app) => {
    const { rules, hours, chain } = deps;
    const read = { access: 'automation.read' as const };
    const manage = { access: 'automation.manage' as const };
    const tags = ['automation'];

    app.get(
      '/api/v1/automation/rules',
      {
        config: read,
        schema: {
          tags,
          summary: 'Keyword rules, by priority, with match statistics',
          response: { 200: RuleList },
        },
      },
      async (req) => rules.list(authOf(req)),
    );
    app.post(
      '/api/v1/automation/rules',
      {
        config: manage,
        schema: {
          tags,
          summary: 'Add a keyword rule; a regex that is unsupported or too costly is refused (400)',
          body: RuleBody,
          response: { 201: Rule },
        },
      },
      async (req, res) => res.code(201).send(await rules.create(authOf(req), req.body)),
    );
    app.put(
      '/api/v1/automation/rules/:id',
      {
        config: manage,
        schema: {
          tags,
          summary: 'Replace a keyword rule',
          params: IdParams,
          body: RuleBody,
          response: { 200: Rule },
        },
      },
      async (req) => rules.update(authOf(req), req.params.id, req.body),
    );
    app.delete(
      '/api/v1/automation/rules/:id',
      {
        config: manage,
        schema: { tags, summary: 'Delete a keyword rule', params: IdParams, response: { 200: Ok } },
      },
      async (req) => rules.remove(authOf(req), req.params.id),
    );
    app.post(
      '/api/v1/automation/test',
      {
        config: read,
        schema: {
          tags,
          summary: 'Which step of the chain would handle this message, and why; nothing is sent or changed',
          body: ChainTestBody,
          response: { 200: ChainTestResult },
        },
      },
      async (req) => chain.test(authOf(req), req.body),
    );

    app.get(
      '/api/v1/automation/hours',
      {
        config: read,
        schema: {
          tags,
          summary: 'Business hours: the default, and per number or team',
          response: { 200: HoursList },
        },
      },
      async (req) => hours.list(authOf(req)),
    );
    app.post(
      '/api/v1/automation/hours',
      {
        config: manage,
        schema: {
          tags,
          summary: 'Add a schedule (one per scope: the default, a number, a team; 409 on a second)',
          body: HoursBody,
          response: { 201: Hours },
        },
      },
      async (req, res) => res.code(201).send(await hours.create(authOf(req), req.body)),
    );
    app.put(
      '/api/v1/automation/hours/:id',
      {
        config: manage,
        schema: {
          tags,
          summary: 'Replace a schedule',
          params: IdParams,
          body: HoursBody,
          response: { 200: Hours },
        },
      },
      async (req) => hours.update(authOf(req), req.params.id, req.body),
    );
    app.delete(
      '/api/v1/automation/hours/:id',
      {
        config: manage,
        schema: { tags, summary: 'Delete a schedule', params: IdParams, response: { 200: Ok } },
      },
      async (req) => hours.remove(authOf(req), req.params.id),
    );
    app.get(
      '/api/v1/automation/hours/status',
      {
        config: read,
        schema: {
          tags,
          summary:
            'Open now? For a number or team (falling back to the default); open when no schedule applies',
          querystring: HoursStatusQuery,
          response: { 200: HoursStatus },
        },
      },
      async (req) => hours.status(authOf(req), req.query),
    );
  };
