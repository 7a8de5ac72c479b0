import { ApiKey, ApiKeyList, CreateApiKeyBody, CreatedApiKey, Uuid } from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOf } from '../../lib/http.ts';
import type { ApiKeyService } from './service.ts';

const IdParams = z.object({ id: Uuid });

/** Settings → API keys (admins, signed in). */
export const apiKeyRoutes =
  (deps: { keys: ApiKeyService }): FastifyPluginAsyncZod =>
  async (app) => {
    const manage = { access: 'integrations.manage' as const };
    const tags = ['api-keys'];
    app.get(
      '/api/v1/api-keys',
      {
        config: manage,
        schema: {
          tags,
          summary: 'API keys, newest first (never the keys themselves)',
          response: { 200: ApiKeyList },
        },
      },
      async (req) => deps.keys.list(authOf(req)),
    );
    app.post(
      '/api/v1/api-keys',
      {
        config: manage,
        schema: {
          tags,
          summary:
            'Create a key (`owk_…`, shown once in `key`) with scopes from the permission table, at most your role; optional expiry',
          body: CreateApiKeyBody,
          response: { 201: CreatedApiKey },
        },
      },
      async (req, res) => res.code(201).send(await deps.keys.create(authOf(req), req.body)),
    );
    app.post(
      '/api/v1/api-keys/:id/revoke',
      {
        config: manage,
        schema: {
          tags,
          summary: 'Revoke a key: it stops working at once',
          params: IdParams,
          body: z.strictObject({}).nullish(),
          response: { 200: ApiKey },
        },
      },
      async (req) => deps.keys.revoke(authOf(req), req.params.id),
    );
  };
