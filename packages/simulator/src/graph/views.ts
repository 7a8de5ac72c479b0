import type { FastifyRequest } from 'fastify';
import type { SimNumber } from '../state.ts';
import type { SimTemplate } from '../templates.ts';
import type { Params, Query } from './http.ts';

const PHONE_FIELDS = [
  'id',
  'display_phone_number',
  'verified_name',
  'quality_rating',
  'name_status',
  'code_verification_status',
  'platform_type',
  'status',
  'account_mode',
  'throughput',
  'messaging_limit_tier',
  'whatsapp_business_manager_messaging_limit',
  'is_official_business_account',
  'health_status',
  'is_on_biz_app',
];

/**
 * A phone number as Graph shows it, limited to the `fields` asked for (id always).
 * `portfolioTier`: its business portfolio's shared limit (`whatsapp_business_manager_messaging_limit`).
 */
export function phoneNumberView(n: SimNumber, fields?: string, portfolioTier?: string) {
  const full: Record<string, unknown> = {
    id: n.phone_number_id,
    display_phone_number: n.display_phone_number,
    verified_name: n.verified_name,
    quality_rating: n.quality_rating,
    name_status: n.name_status,
    code_verification_status: 'VERIFIED',
    platform_type: 'CLOUD_API',
    status: 'CONNECTED',
    account_mode: n.account_mode,
    throughput: { level: n.throughput_mps > 80 ? 'HIGH' : 'STANDARD' },
    messaging_limit_tier: n.messaging_limit_tier,
    whatsapp_business_manager_messaging_limit: portfolioTier ?? n.messaging_limit_tier,
    is_official_business_account: false,
    is_on_biz_app: n.is_on_biz_app,
    health_status: { can_send_message: n.token_status === 'valid' ? 'AVAILABLE' : 'BLOCKED', entities: [] },
  };
  const wanted = fields
    ? fields.split(',').map((f) => f.trim())
    : ['id', 'display_phone_number', 'verified_name', 'quality_rating'];
  return Object.fromEntries(
    [...new Set(['id', ...wanted])]
      .filter((f) => PHONE_FIELDS.includes(f) && f in full)
      .map((f) => [f, full[f]]),
  );
}

const WABA_FIELDS = [
  'id',
  'name',
  'currency',
  'timezone_id',
  'message_template_namespace',
  'owner_business_info',
  'marketing_messages_onboarding_status',
];

/**
 * A WhatsApp Business Account as Graph shows it (`fields` asked for, id always): its owner business
 * (the business portfolio) and its Marketing Messages API onboarding status.
 */
export function wabaView(
  w: { id: string; businessId: string; businessName: string; marketingOnboarded: boolean },
  fields?: string,
) {
  const full: Record<string, unknown> = {
    id: w.id,
    name: `${w.businessName} WABA`,
    currency: 'USD',
    timezone_id: '1',
    message_template_namespace: `ns_${w.id}`,
    owner_business_info: { id: w.businessId, name: w.businessName },
    marketing_messages_onboarding_status: w.marketingOnboarded ? 'ONBOARDED' : 'NOT_STARTED',
  };
  const wanted = fields ? fields.split(',').map((f) => f.trim()) : ['id', 'name'];
  return Object.fromEntries(
    [...new Set(['id', ...wanted])].filter((f) => WABA_FIELDS.includes(f)).map((f) => [f, full[f]]),
  );
}

/** A template as Graph shows it, limited to the `fields` asked for (id always). */
export function templateView(t: SimTemplate, fields?: string) {
  const full: Record<string, unknown> = {
    name: t.name,
    parameter_format: t.parameter_format,
    components: t.components,
    language: t.language,
    status: t.status,
    category: t.category,
    ...(t.sub_category ? { sub_category: t.sub_category } : {}),
    ...(t.previous_category ? { previous_category: t.previous_category } : {}),
    ...(t.rejected_reason ? { rejected_reason: t.rejected_reason } : {}),
    quality_score: t.quality_score,
    id: t.id,
  };
  if (!fields) return full;
  const wanted = new Set(['id', ...fields.split(',').map((f) => f.trim())]);
  return Object.fromEntries(Object.entries(full).filter(([k]) => wanted.has(k)));
}

/** Graph cursor paging: `limit` (default 25, max 1000), opaque `after`/`before`, `next` only when more. */
export function page<T>(
  req: FastifyRequest<{ Params: Params; Querystring: Query }>,
  all: T[],
  publicUrl: string,
) {
  const limit = Math.min(Math.max(Number(req.query.limit ?? 25) || 25, 1), 1000);
  const decode = (c?: string) => (c ? Number(Buffer.from(c, 'base64url').toString()) || 0 : 0);
  const start = req.query.after ? decode(req.query.after) : 0;
  const data = all.slice(start, start + limit);
  const cursor = (i: number) => Buffer.from(String(i)).toString('base64url');
  const paging: Record<string, unknown> = {
    cursors: { before: cursor(start), after: cursor(start + data.length) },
  };
  if (start + data.length < all.length) {
    const u = new URL(`${publicUrl}${req.url}`);
    u.searchParams.set('limit', String(limit));
    u.searchParams.set('after', cursor(start + data.length));
    u.searchParams.delete('access_token');
    paging.next = u.toString();
  }
  return { data, paging };
}
