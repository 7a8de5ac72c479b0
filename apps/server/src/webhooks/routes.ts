import {
  CreatedWebhookEndpoint,
  CreateWebhookEndpointBody,
  Ok,
  ReplayResult,
  ReplayWebhookDeliveriesBody,
  RotateWebhookSecretBody,
  UpdateWebhookEndpointBody,
  Uuid,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookDeliveryPage,
  WebhookDeliveryQuery,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEventTypeList,
  WebhookSecret,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOf } from '../lib/http.ts';
import type { WebhookService } from './service.ts';

const IdParams = z.object({ id: Uuid });

/** Settings → Webhooks: endpoints, secrets, the delivery log and replay (admins and API keys). */
export const webhookRoutes =
  (deps: { webhooks: WebhookService }): FastifyPluginAsyncZod =>
  async (app) => {
    const { webhooks } = deps;
    const config = { access: 'integrations.manage' as const };
    const tags = ['webhooks'];
    app.get(
      '/api/v1/webhooks/event-types',
      {
        config,
        schema: {
          tags,
          summary: 'The event types an endpoint can subscribe to',
          response: { 200: WebhookEventTypeList },
        },
      },
      async () => webhooks.eventTypes(),
    );
    app.get(
      '/api/v1/webhooks/endpoints',
      {
        config,
        schema: { tags, summary: 'Webhook endpoints, newest first', response: { 200: WebhookEndpointList } },
      },
      async (req) => webhooks.list(authOf(req)),
    );
    app.post(
      '/api/v1/webhooks/endpoints',
      {
        config,
        schema: {
          tags,
          summary:
            'Add an endpoint (the URL is checked against the SSRF guard); answers its `whsec_…` secret once here',
          body: CreateWebhookEndpointBody,
          response: { 201: CreatedWebhookEndpoint },
        },
      },
      async (req, res) => res.code(201).send(await webhooks.create(authOf(req), req.body)),
    );
    app.get(
      '/api/v1/webhooks/endpoints/:id',
      {
        config,
        schema: { tags, summary: 'One endpoint', params: IdParams, response: { 200: WebhookEndpoint } },
      },
      async (req) => webhooks.get(authOf(req), req.params.id),
    );
    app.patch(
      '/api/v1/webhooks/endpoints/:id',
      {
        config,
        schema: {
          tags,
          summary:
            'Change an endpoint; `status: active` re-enables it (what failed meanwhile is not resent: replay it)',
          params: IdParams,
          body: UpdateWebhookEndpointBody,
          response: { 200: WebhookEndpoint },
        },
      },
      async (req) => webhooks.update(authOf(req), req.params.id, req.body),
    );
    app.delete(
      '/api/v1/webhooks/endpoints/:id',
      {
        config,
        schema: {
          tags,
          summary: 'Delete an endpoint and its delivery log',
          params: IdParams,
          response: { 200: Ok },
        },
      },
      async (req) => {
        await webhooks.remove(authOf(req), req.params.id);
        return { ok: true as const };
      },
    );
    app.get(
      '/api/v1/webhooks/endpoints/:id/secret',
      {
        config,
        schema: {
          tags,
          summary: 'Reveal the signing secret',
          params: IdParams,
          response: { 200: WebhookSecret },
        },
      },
      async (req) => webhooks.revealSecret(authOf(req), req.params.id),
    );
    app.post(
      '/api/v1/webhooks/endpoints/:id/rotate-secret',
      {
        config,
        schema: {
          tags,
          summary: 'A new secret; the previous one keeps signing too for `overlap_hours` (default 24)',
          params: IdParams,
          body: RotateWebhookSecretBody.nullish(),
          response: { 200: WebhookSecret },
        },
      },
      async (req) =>
        webhooks.rotateSecret(authOf(req), req.params.id, RotateWebhookSecretBody.parse(req.body ?? {})),
    );
    app.post(
      '/api/v1/webhooks/endpoints/:id/test',
      {
        config,
        schema: {
          tags,
          summary: 'Send a `webhook.test` event now; answers the delivery with the attempt’s outcome',
          params: IdParams,
          body: z.strictObject({}).nullish(),
          response: { 200: WebhookDelivery },
        },
      },
      async (req) => webhooks.sendTest(authOf(req), req.params.id),
    );
    app.get(
      '/api/v1/webhooks/endpoints/:id/deliveries',
      {
        config,
        schema: {
          tags,
          summary: 'The endpoint’s deliveries, newest first',
          params: IdParams,
          querystring: WebhookDeliveryQuery,
          response: { 200: WebhookDeliveryPage },
        },
      },
      async (req) => webhooks.deliveries(authOf(req), req.params.id, req.query),
    );
    app.post(
      '/api/v1/webhooks/endpoints/:id/replay',
      {
        config,
        schema: {
          tags,
          summary: 'Resend the deliveries created in a time range (by default those that failed for good)',
          params: IdParams,
          body: ReplayWebhookDeliveriesBody,
          response: { 200: ReplayResult },
        },
      },
      async (req) => webhooks.replayRange(authOf(req), req.params.id, req.body),
    );
    app.get(
      '/api/v1/webhooks/deliveries/:id',
      {
        config,
        schema: {
          tags,
          summary: 'One delivery: the payload as sent and every attempt',
          params: IdParams,
          response: { 200: WebhookDeliveryDetail },
        },
      },
      async (req) => webhooks.delivery(authOf(req), req.params.id),
    );
    app.post(
      '/api/v1/webhooks/deliveries/:id/replay',
      {
        config,
        schema: {
          tags,
          summary: 'Send a delivery again: a new series of attempts, the same `webhook-id`',
          params: IdParams,
          body: z.strictObject({}).nullish(),
          response: { 200: WebhookDelivery },
        },
      },
      async (req) => webhooks.replay(authOf(req), req.params.id),
    );
  };
