import {
  BulkContactsBody,
  BulkContactsResult,
  ConsentEvent,
  ConsentLedger,
  Contact,
  ContactPage,
  ContactQuery,
  ContactSettings,
  ContactSettingsPatch,
  CreateContactBody,
  CreateFieldBody,
  CreateSegmentBody,
  CreateTagBody,
  CustomField,
  CustomFieldList,
  Ok,
  RecordConsentBody,
  Segment,
  SegmentList,
  Tag,
  TagList,
  TimelinePage,
  TimelineQuery,
  UpdateContactBody,
  UpdateFieldBody,
  UpdateSegmentBody,
  UpdateTagBody,
  Uuid,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOf } from '../lib/http.ts';
import type { ConsentService } from './consent.ts';
import type { FieldService } from './fields.ts';
import type { PhonePrivacy } from './phone-privacy.ts';
import type { SegmentService } from './segments.ts';
import type { ContactService } from './service.ts';
import type { TagService } from './tags.ts';

const IdParams = z.object({ id: Uuid });
const ok = { ok: true as const };

export const contactRoutes =
  (deps: {
    contacts: ContactService;
    consent: ConsentService;
    tags: TagService;
    fields: FieldService;
    segments: SegmentService;
    phones: PhonePrivacy;
  }): FastifyPluginAsyncZod =>
  async (app) => {
    const { contacts, consent, tags, fields, segments, phones } = deps;

    // ---- contacts -------------------------------------------------------------------------------
    {
      const oa = ['contacts'];
      app.get(
        '/api/v1/contacts',
        {
          config: { access: 'contacts.read' },
          schema: {
            tags: oa,
            summary:
              'Contacts, newest first: search, tags (any/all/none), field conditions (JSON in `fields`), consent, segment, cursor',
            querystring: ContactQuery,
            response: { 200: ContactPage },
          },
        },
        async (req) => {
          const view = await phones.viewFor(authOf(req));
          const page = await contacts.list(authOf(req), req.query, { phoneSearch: !view.masked });
          return { ...page, data: page.data.map(view.contact) };
        },
      );
      app.post(
        '/api/v1/contacts',
        {
          config: { access: 'contacts.write' },
          schema: {
            tags: oa,
            summary:
              'Create a contact (phone read in the org’s region and checked against its allowed countries; a duplicate is 409 naming the existing contact)',
            body: CreateContactBody,
            response: { 201: Contact },
          },
        },
        async (req, reply) => {
          const view = await phones.viewFor(authOf(req));
          return reply.code(201).send(view.contact(await contacts.create(authOf(req), req.body)));
        },
      );
      app.put(
        '/api/v1/contacts',
        {
          config: { access: 'contacts.write' },
          schema: {
            tags: oa,
            summary:
              'Create or update by phone or BSUID: a new contact is 201, the existing one (its name, fields and tags as given) 200',
            body: CreateContactBody,
            response: { 200: Contact, 201: Contact },
          },
        },
        async (req, reply) => {
          const view = await phones.viewFor(authOf(req));
          const r = await contacts.upsert(authOf(req), req.body);
          return reply.code(r.created ? 201 : 200).send(view.contact(r.contact));
        },
      );
      app.post(
        '/api/v1/contacts/bulk',
        {
          config: { access: 'contacts.manage' },
          schema: {
            tags: oa,
            summary: 'Tag, untag or delete contacts by ids, a filter or a segment (all or nothing, audited)',
            body: BulkContactsBody,
            response: { 200: BulkContactsResult },
          },
        },
        async (req) => contacts.bulk(authOf(req), req.body),
      );
      app.get(
        '/api/v1/contacts/settings',
        {
          config: { access: 'contacts.read' },
          schema: {
            tags: oa,
            summary: 'Consent settings: opt-out and opt-in keywords, the STOP confirmation text',
            response: { 200: ContactSettings },
          },
        },
        async (req) => consent.getSettings(authOf(req)),
      );
      app.patch(
        '/api/v1/contacts/settings',
        {
          config: { access: 'contacts.manage' },
          schema: {
            tags: oa,
            summary: 'Change the consent keywords (null restores the built-in list) or the STOP confirmation',
            body: ContactSettingsPatch,
            response: { 200: ContactSettings },
          },
        },
        async (req) => consent.updateSettings(authOf(req), req.body),
      );
      app.get(
        '/api/v1/contacts/:id',
        {
          config: { access: 'contacts.read' },
          schema: { tags: oa, summary: 'One contact', params: IdParams, response: { 200: Contact } },
        },
        async (req) =>
          (await phones.viewFor(authOf(req))).contact(await contacts.get(authOf(req), req.params.id)),
      );
      app.patch(
        '/api/v1/contacts/:id',
        {
          config: { access: 'contacts.write' },
          schema: {
            tags: oa,
            summary: 'Change the phone, name, field values (merged; null removes) or tags (replaced)',
            params: IdParams,
            body: UpdateContactBody,
            response: { 200: Contact },
          },
        },
        async (req) => {
          const view = await phones.viewFor(authOf(req));
          return view.contact(await contacts.update(authOf(req), req.params.id, req.body));
        },
      );
      app.delete(
        '/api/v1/contacts/:id',
        {
          config: { access: 'contacts.manage' },
          schema: {
            tags: oa,
            summary: 'Delete a contact with its conversations (its consent ledger is kept)',
            params: IdParams,
            response: { 200: Ok },
          },
        },
        async (req) => {
          await contacts.remove(authOf(req), req.params.id);
          return ok;
        },
      );
      app.get(
        '/api/v1/contacts/:id/timeline',
        {
          config: { access: 'contacts.read' },
          schema: {
            tags: oa,
            summary: 'Activity, newest first: messages, consent changes, edits',
            params: IdParams,
            querystring: TimelineQuery,
            response: { 200: TimelinePage },
          },
        },
        async (req) => {
          const view = await phones.viewFor(authOf(req));
          const page = await contacts.timeline(authOf(req), req.params.id, req.query);
          return { ...page, data: page.data.map(view.timelineItem) };
        },
      );
      app.get(
        '/api/v1/contacts/:id/consent',
        {
          config: { access: 'contacts.read' },
          schema: {
            tags: oa,
            summary: 'The consent state and the opt-in ledger behind it, newest first',
            params: IdParams,
            response: { 200: ConsentLedger },
          },
        },
        async (req) => {
          const view = await phones.viewFor(authOf(req));
          const ledger = await consent.ledger(authOf(req), req.params.id);
          return { ...ledger, data: ledger.data.map(view.consentEvent) };
        },
      );
      app.post(
        '/api/v1/contacts/:id/consent',
        {
          config: { access: 'contacts.write' },
          schema: {
            tags: oa,
            summary: 'Record an opt-in (proof required) or an opt-out',
            params: IdParams,
            body: RecordConsentBody,
            response: { 201: ConsentEvent },
          },
        },
        async (req, reply) => {
          const view = await phones.viewFor(authOf(req));
          const event = await consent.recordManual(authOf(req), req.params.id, req.body);
          return reply.code(201).send(view.consentEvent(event));
        },
      );
    }

    // ---- tags -----------------------------------------------------------------------------------
    {
      const oa = ['tags'];
      app.get(
        '/api/v1/tags',
        {
          config: { access: 'contacts.read' },
          schema: { tags: oa, summary: 'Tags with their contact counts', response: { 200: TagList } },
        },
        async (req) => ({ data: await tags.list(authOf(req)) }),
      );
      app.post(
        '/api/v1/tags',
        {
          config: { access: 'contacts.write' },
          schema: {
            tags: oa,
            summary: 'Create a tag (names are unique whatever their case)',
            body: CreateTagBody,
            response: { 201: Tag },
          },
        },
        async (req, reply) => reply.code(201).send(await tags.create(authOf(req), req.body)),
      );
      app.patch(
        '/api/v1/tags/:id',
        {
          config: { access: 'contacts.manage' },
          schema: {
            tags: oa,
            summary: 'Rename or recolour a tag',
            params: IdParams,
            body: UpdateTagBody,
            response: { 200: Tag },
          },
        },
        async (req) => tags.update(authOf(req), req.params.id, req.body),
      );
      app.delete(
        '/api/v1/tags/:id',
        {
          config: { access: 'contacts.manage' },
          schema: {
            tags: oa,
            summary: 'Delete a tag (contacts lose it, and the reports its figures)',
            params: IdParams,
            response: { 200: Ok },
          },
        },
        async (req) => {
          await tags.remove(authOf(req), req.params.id);
          return ok;
        },
      );
    }

    // ---- custom fields --------------------------------------------------------------------------
    {
      const oa = ['fields'];
      app.get(
        '/api/v1/fields',
        {
          config: { access: 'contacts.read' },
          schema: { tags: oa, summary: 'Custom field definitions', response: { 200: CustomFieldList } },
        },
        async (req) => ({ data: await fields.list(authOf(req)) }),
      );
      app.post(
        '/api/v1/fields',
        {
          config: { access: 'contacts.manage' },
          schema: {
            tags: oa,
            summary: 'Define a custom field: text, number, date, boolean or enum (with options)',
            body: CreateFieldBody,
            response: { 201: CustomField },
          },
        },
        async (req, reply) => reply.code(201).send(await fields.create(authOf(req), req.body)),
      );
      app.patch(
        '/api/v1/fields/:id',
        {
          config: { access: 'contacts.manage' },
          schema: {
            tags: oa,
            summary: 'Relabel a field or change an enum’s options (the key and type are fixed)',
            params: IdParams,
            body: UpdateFieldBody,
            response: { 200: CustomField },
          },
        },
        async (req) => fields.update(authOf(req), req.params.id, req.body),
      );
      app.delete(
        '/api/v1/fields/:id',
        {
          config: { access: 'contacts.manage' },
          schema: {
            tags: oa,
            summary: 'Delete a field and every contact’s value of it',
            params: IdParams,
            response: { 200: Ok },
          },
        },
        async (req) => {
          await fields.remove(authOf(req), req.params.id);
          return ok;
        },
      );
    }

    // ---- segments -------------------------------------------------------------------------------
    {
      const oa = ['segments'];
      app.get(
        '/api/v1/segments',
        {
          config: { access: 'contacts.read' },
          schema: {
            tags: oa,
            summary: 'Saved filters (list their contacts with GET /api/v1/contacts?segment_id=…)',
            response: { 200: SegmentList },
          },
        },
        async (req) => ({ data: await segments.list(authOf(req)) }),
      );
      app.get(
        '/api/v1/segments/:id',
        {
          config: { access: 'contacts.read' },
          schema: { tags: oa, summary: 'One segment', params: IdParams, response: { 200: Segment } },
        },
        async (req) => segments.get(authOf(req), req.params.id),
      );
      app.post(
        '/api/v1/segments',
        {
          config: { access: 'contacts.write' },
          schema: {
            tags: oa,
            summary: 'Save a filter as a segment (checked against the custom fields)',
            body: CreateSegmentBody,
            response: { 201: Segment },
          },
        },
        async (req, reply) => reply.code(201).send(await segments.create(authOf(req), req.body)),
      );
      app.patch(
        '/api/v1/segments/:id',
        {
          config: { access: 'contacts.write' },
          schema: {
            tags: oa,
            summary: 'Rename a segment or change its filter',
            params: IdParams,
            body: UpdateSegmentBody,
            response: { 200: Segment },
          },
        },
        async (req) => segments.update(authOf(req), req.params.id, req.body),
      );
      app.delete(
        '/api/v1/segments/:id',
        {
          config: { access: 'contacts.write' },
          schema: { tags: oa, summary: 'Delete a segment', params: IdParams, response: { 200: Ok } },
        },
        async (req) => {
          await segments.remove(authOf(req), req.params.id);
          return ok;
        },
      );
    }
  };
