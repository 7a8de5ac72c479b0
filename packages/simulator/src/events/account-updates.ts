import { type Builder, digits, type EventContext, str } from './context.ts';

const ACCOUNT_UPDATE_EXTRAS: Record<string, (ctx: EventContext) => Record<string, unknown>> = {
  ACCOUNT_RESTRICTION: (ctx) => ({
    restriction_info: [
      { restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: ctx.now + 86400 },
    ],
  }),
  ACCOUNT_VIOLATION: () => ({ violation_info: { violation_type: 'SCAM' } }),
  AD_ACCOUNT_LINKED: (ctx) => ({
    waba_info: {
      owner_business_id: '2329417887457253',
      ad_account_linked: '980198427534243',
      waba_id: ctx.number.waba_id,
    },
  }),
  AUTH_INTL_PRICE_ELIGIBILITY_UPDATE: (ctx) => ({
    auth_international_rate_eligibility: {
      exception_countries: [{ country_code: 'ID', start_time: ctx.now }],
      start_time: ctx.now,
    },
  }),
  DISABLED_UPDATE: () => ({
    ban_info: { waba_ban_state: 'DISABLE', waba_ban_date: new Date().toDateString() },
  }),
  MM_LITE_TERMS_SIGNED: (ctx) => ({
    waba_info: { owner_business_id: '2329417887457253', waba_id: ctx.number.waba_id },
  }),
  PARTNER_ADDED: (ctx) => ({
    waba_info: {
      waba_id: ctx.number.waba_id,
      owner_business_id: '2329417887457253',
      solution_id: '1715120619246906',
      solution_partner_business_ids: ['2949482758682047'],
    },
  }),
  PARTNER_APP_INSTALLED: (ctx) => ({
    waba_info: {
      waba_id: ctx.number.waba_id,
      owner_business_id: '2329417887457253',
      partner_app_id: '5731794616896507',
      solution_id: '1715120619246906',
      solution_partner_business_ids: ['2949482758682047'],
    },
  }),
  PARTNER_APP_UNINSTALLED: (ctx) => ({
    waba_info: {
      waba_id: ctx.number.waba_id,
      owner_business_id: '2329417887457253',
      partner_app_id: '5731794616896507',
    },
  }),
  PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE: () => ({
    partner_client_certification_info: {
      client_business_id: '2729063490586005',
      status: 'APPROVED',
      rejection_reasons: ['NONE'],
    },
  }),
  PARTNER_REMOVED: (ctx) => ({
    waba_info: { waba_id: ctx.number.waba_id, owner_business_id: '2329417887457253' },
    disconnection_info: { reason: 'PRIMARY_INACTIVITY', initiated_by: 'SYSTEM' },
  }),
  BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE: () => ({ country: 'IN' }),
  VOLUME_BASED_PRICING_TIER_UPDATE: (ctx) => ({
    volume_tier_info: {
      tier_update_time: ctx.now,
      pricing_category: 'UTILITY',
      tier: '25000001:50000000',
      effective_month: new Date().toISOString().slice(0, 7),
      region: 'India',
    },
  }),
};

/** Changes to the business account and to a number's quality and messaging limit. */
export const ACCOUNT_KINDS: Record<string, Builder> = {
  account_update: (ctx, p) => {
    const event = str(p, 'event', 'ACCOUNT_VIOLATION');
    return { field: 'account_update', value: { event, ...(ACCOUNT_UPDATE_EXTRAS[event]?.(ctx) ?? {}) } };
  },
  /** The portfolio's new limit (Meta's example: `max_daily_conversations_per_business: 2000`; -1 is unlimited). */
  business_capability_update: (_ctx, p) => ({
    field: 'business_capability_update',
    value: {
      max_daily_conversations_per_business:
        typeof p.max_daily_conversations_per_business === 'number'
          ? p.max_daily_conversations_per_business
          : 2000,
      max_phone_numbers_per_waba: 25,
    },
  }),
  phone_number_quality_update: (ctx, p) => ({
    field: 'phone_number_quality_update',
    value: {
      display_phone_number: digits(ctx.number.display_phone_number),
      event: str(p, 'event', 'FLAGGED'),
      ...(typeof p.old_limit === 'string' ? { old_limit: p.old_limit } : {}),
      current_limit: str(p, 'current_limit', 'TIER_1K'),
      // The business portfolio's limit (webhooks v24.0+); `current_limit` is the deprecated per-number one.
      max_daily_conversations_per_business: str(
        p,
        'max_daily_conversations_per_business',
        str(p, 'current_limit', 'TIER_1K'),
      ),
    },
  }),
};
