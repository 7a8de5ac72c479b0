import { ContactDataExport, ContactErasure, EraseContactBody, Uuid } from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOf } from '../lib/http.ts';
import type { ContactPrivacy } from './privacy.ts';

const IdParams = z.object({ id: Uuid });

/** A contact's rights over their data (GDPR): access (export) and erasure. */
export const contactPrivacyRoutes =
  (deps: { privacy: ContactPrivacy }): FastifyPluginAsyncZod =>
  async (app) => {
    const { privacy } = deps;
    const oa = ['contacts'];
    app.get(
      '/api/v1/contacts/:id/export',
      {
        config: { access: 'contacts.manage' },
        schema: {
          tags: oa,
          summary:
            'Everything held about the contact as JSON (GDPR access): contact, fields, tags, consent ledger, conversations with messages and notes, campaign sends, media metadata, edits',
          params: IdParams,
          response: { 200: ContactDataExport },
        },
      },
      async (req, reply) => {
        const data = await privacy.exportData(authOf(req), req.params.id);
        return reply
          .header('content-disposition', `attachment; filename="contact-${req.params.id}.json"`)
          .header('cache-control', 'no-store')
          .send(data);
      },
    );
    app.post(
      '/api/v1/contacts/:id/erase',
      {
        config: { access: 'contacts.manage' },
        schema: {
          tags: oa,
          summary:
            'Erase the contact (GDPR): messages, files, notes, conversations, campaign rows and consent ledger; an opt-out is kept under a hashed phone. Irreversible: send { "confirm": "erase" }',
          params: IdParams,
          body: EraseContactBody,
          response: { 200: ContactErasure },
        },
      },
      async (req) => privacy.erase(authOf(req), req.params.id),
    );
  };
