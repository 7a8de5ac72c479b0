import {
  BillingOverview,
  ImportRatesBody,
  ImportRatesResult,
  RateCard,
  RateCardQuery,
  SpendQuery,
  SpendReport,
  UpdateBillingCapsBody,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { authOf } from '../lib/http.ts';
import type { BillingService } from './service.ts';

export const billingRoutes =
  (deps: { billing: BillingService }): FastifyPluginAsyncZod =>
  async (app) => {
    const { billing } = deps;
    app.get(
      '/api/v1/rates',
      {
        config: { access: 'org.read' },
        schema: {
          tags: ['billing'],
          summary:
            "Meta's rate card in force today (or on ?at=YYYY-MM-DD): per market (ISO country, * for every other) and category, with its effective date and source",
          querystring: RateCardQuery,
          response: { 200: RateCard },
        },
      },
      async (req) => billing.card(req.query.at),
    );
    app.post(
      '/api/v1/rates/import',
      {
        config: { access: 'org.update' },
        schema: {
          tags: ['billing'],
          summary:
            'Replaces the rate card for the effective days the CSV gives (all or nothing; 400 names each bad line). Instance administrators only: the card is the install’s.',
          body: ImportRatesBody,
          response: { 200: ImportRatesResult },
        },
      },
      async (req) => billing.importRates(authOf(req), req.body),
    );
    app.get(
      '/api/v1/billing',
      {
        config: { access: 'reports.read' },
        schema: {
          tags: ['billing'],
          summary: "The organisation's caps, this month's spend and today's messages (UTC)",
          response: { 200: BillingOverview },
        },
      },
      async (req) => billing.overview(authOf(req)),
    );
    app.patch(
      '/api/v1/billing/caps',
      {
        config: { access: 'org.update' },
        schema: {
          tags: ['billing'],
          summary:
            "Sets the organisation's daily message cap and monthly spend cap (null: none); sends that would cross one are refused with CAP_REACHED",
          body: UpdateBillingCapsBody,
          response: { 200: BillingOverview },
        },
      },
      async (req) => billing.updateCaps(authOf(req), req.body),
    );
    app.get(
      '/api/v1/spend',
      {
        config: { access: 'reports.read' },
        schema: {
          tags: ['billing'],
          summary:
            "Expected spend of the organisation's outbound messages from..to (UTC days, inclusive), grouped by number, category or day; failed messages and those Meta reported not billable count 0",
          querystring: SpendQuery,
          response: { 200: SpendReport },
        },
      },
      async (req) => billing.spend(authOf(req), req.query),
    );
  };
