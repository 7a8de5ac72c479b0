import { Readable } from 'node:stream';
import { AuditPage, AuditQuery } from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { authOf } from '../lib/http.ts';
import type { AuditService } from './service.ts';

export const auditRoutes =
  (deps: { audit: AuditService }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['audit'];
    app.get(
      '/api/v1/audit',
      {
        config: { access: 'audit.read' },
        schema: {
          tags,
          summary: 'Who changed what: every mutation, newest first, filterable',
          querystring: AuditQuery,
          response: { 200: AuditPage },
        },
      },
      async (req) => deps.audit.list(authOf(req).orgId, req.query),
    );

    app.get(
      '/api/v1/audit.csv',
      {
        config: { access: 'audit.read' },
        schema: {
          tags,
          summary: 'The audit log as CSV (same filters)',
          querystring: AuditQuery.omit({ before: true, limit: true }),
          produces: ['text/csv'],
        },
      },
      async (req, reply) => {
        const stamp = new Date().toISOString().slice(0, 10);
        reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="audit-log-${stamp}.csv"`);
        return reply.send(Readable.from(deps.audit.csv(authOf(req).orgId, req.query)));
      },
    );
  };
