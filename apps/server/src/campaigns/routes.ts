import { Readable } from 'node:stream';
import {
  Campaign,
  CampaignList,
  CampaignRecipientPage,
  CampaignRecipientQuery,
  CampaignReport,
  ContactCampaigns,
  CreateCampaignBody,
  ImportUpload,
  ImportUploadQuery,
  Ok,
  ScheduleCampaignBody,
  Uuid,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { acceptFileBodies, FILE_TYPES, fileUploadOf } from '../contacts/import/file-body.ts';
import type { ContactImportService } from '../contacts/import/service.ts';
import type { PhonePrivacy } from '../contacts/phone-privacy.ts';
import { authOf } from '../lib/http.ts';
import type { CampaignService } from './service.ts';

const IdParams = z.object({ id: Uuid });

export const campaignRoutes =
  (deps: {
    campaigns: CampaignService;
    imports: ContactImportService;
    phones: PhonePrivacy;
    maxBytes: number;
  }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['campaigns'];
    const { campaigns, imports } = deps;
    const read = { access: 'campaigns.read' as const };
    const manage = { access: 'campaigns.manage' as const };
    acceptFileBodies(app, deps.maxBytes);
    app.post(
      '/api/v1/campaigns/audience-files',
      {
        config: manage,
        bodyLimit: deps.maxBytes,
        schema: {
          tags,
          summary:
            'Upload an audience CSV or XLSX as the raw body (?filename=): its columns, first rows and row count; suggested_mapping.phone guesses the phone column. Create the campaign with audience { kind: "file", file_id, phone_column }. Over IMPORT_MAX_BYTES is 413.',
          querystring: ImportUploadQuery,
          consumes: FILE_TYPES,
          response: { 201: ImportUpload },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await imports.upload(authOf(req), fileUploadOf(req, req.query.filename), 'campaign')),
    );
    app.get(
      '/api/v1/campaigns',
      { config: read, schema: { tags, summary: 'Campaigns, newest first', response: { 200: CampaignList } } },
      async (req) => ({ data: await campaigns.list(authOf(req)) }),
    );
    app.get(
      '/api/v1/contacts/:id/campaigns',
      {
        config: { access: 'contacts.read' },
        schema: {
          tags,
          summary: 'The campaigns a contact was sent, newest first, with the status of their message',
          params: z.object({ id: Uuid }),
          response: { 200: ContactCampaigns },
        },
      },
      async (req) => ({ data: await campaigns.ofContact(authOf(req), req.params.id) }),
    );
    app.post(
      '/api/v1/campaigns',
      {
        config: manage,
        schema: {
          tags,
          summary: 'Create a draft: the audience is resolved into recipients, each checked and rendered',
          body: CreateCampaignBody,
          response: { 201: Campaign },
        },
      },
      async (req, reply) => reply.code(201).send(await campaigns.create(authOf(req), req.body)),
    );
    app.get(
      '/api/v1/campaigns/:id',
      {
        config: read,
        schema: {
          tags,
          summary: 'A campaign with its live counts',
          params: IdParams,
          response: { 200: Campaign },
        },
      },
      async (req) => campaigns.get(authOf(req), req.params.id),
    );
    app.delete(
      '/api/v1/campaigns/:id',
      {
        config: manage,
        schema: {
          tags,
          summary: 'Delete a campaign that is not running or paused',
          params: IdParams,
          response: { 200: Ok },
        },
      },
      async (req) => {
        await campaigns.remove(authOf(req), req.params.id);
        return { ok: true as const };
      },
    );
    app.get(
      '/api/v1/campaigns/:id/recipients',
      {
        config: read,
        schema: {
          tags,
          summary: 'Recipients with their state, delivery status and error (cursor: `after`)',
          params: IdParams,
          querystring: CampaignRecipientQuery,
          response: { 200: CampaignRecipientPage },
        },
      },
      async (req) =>
        campaigns.recipients(authOf(req), req.params.id, req.query, await deps.phones.viewFor(authOf(req))),
    );
    const action = (
      path: string,
      summary: string,
      fn: (ctx: ReturnType<typeof authOf>, id: string) => Promise<Campaign>,
    ) =>
      app.post(
        `/api/v1/campaigns/:id/${path}`,
        { config: manage, schema: { tags, summary, params: IdParams, response: { 200: Campaign } } },
        async (req) => fn(authOf(req), req.params.id),
      );
    action(
      'start',
      'Pre-flight, then start now (a failed pre-flight marks the campaign failed)',
      campaigns.start,
    );
    action('pause', 'Pause: no new sends within a second; nothing is lost', campaigns.pause);
    action(
      'resume',
      'Resume a paused campaign (the number and templates are checked again)',
      campaigns.resume,
    );
    action('stop', 'Stop for good: unsent recipients are skipped', campaigns.stop);
    app.post(
      '/api/v1/campaigns/:id/schedule',
      {
        config: manage,
        schema: {
          tags,
          summary: 'Schedule a draft to start at a time (pre-flight runs then)',
          params: IdParams,
          body: ScheduleCampaignBody,
          response: { 200: Campaign },
        },
      },
      async (req) => campaigns.schedule(authOf(req), req.params.id, req.body.at),
    );
    app.get(
      '/api/v1/campaigns/:id/report',
      {
        config: read,
        schema: {
          tags,
          summary: 'Funnel, rates, failures by Meta error, per-template split',
          params: IdParams,
          response: { 200: CampaignReport },
        },
      },
      async (req) => campaigns.report(authOf(req), req.params.id),
    );
    app.get(
      '/api/v1/campaigns/:id/export.csv',
      {
        config: read,
        schema: {
          tags,
          summary: 'Recipients with their final status and error, as CSV',
          params: IdParams,
          produces: ['text/csv'],
        },
      },
      async (req, reply) => {
        const gen = campaigns.exportCsv(authOf(req), req.params.id, await deps.phones.viewFor(authOf(req)));
        // The first chunk (the header) only comes once the campaign is found: a wrong id is a 404.
        const first = await gen.next();
        reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="campaign-${req.params.id}.csv"`);
        return reply.send(
          Readable.from(
            (async function* () {
              if (!first.done) yield first.value;
              yield* gen;
            })(),
          ),
        );
      },
    );
  };
