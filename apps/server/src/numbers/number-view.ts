import type { NumberHealth, WaNumber } from '@openwaba/contracts';
import type { PhoneNumberInfo } from '../whatsapp/provider.ts';
import { limitTierOf } from './portfolio.ts';
import type { HealthRecord, NumberRow } from './repo.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function healthOf(r: NumberRow): NumberHealth {
  return {
    display_phone_number: r.displayPhoneNumber,
    verified_name: r.verifiedName,
    quality_rating: r.qualityRating,
    throughput_level: r.throughputLevel,
    messaging_limit_tier: r.messagingLimitTier,
    name_status: r.nameStatus,
    checked_at: iso(r.healthCheckedAt),
  };
}

/** A number as the API shows it: never a credential. */
export function toNumber(r: NumberRow): WaNumber {
  return {
    id: r.id,
    display_name: r.displayName,
    phone_number_id: r.phoneNumberId,
    waba_id: r.wabaId,
    system_prompt: r.systemPrompt,
    status: r.status as WaNumber['status'],
    inactive_reason: r.inactiveReason,
    is_sandbox: r.isSandbox,
    coexistence: r.coexistence,
    app_id: r.appId,
    health: healthOf(r),
    business: {
      id: r.businessId,
      name: r.businessName,
      source: (r.businessIdSource as WaNumber['business']['source']) ?? null,
    },
    marketing_messages: { enabled: r.marketingMessagesApi, onboarding_status: r.marketingMessagesStatus },
    has_access_token: true,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** The health columns of a number from what Meta says of it, checked now. */
export const healthColumns = (info: PhoneNumberInfo) => ({
  displayPhoneNumber: info.display_phone_number ?? null,
  verifiedName: info.verified_name ?? null,
  qualityRating: info.quality_rating ?? null,
  throughputLevel: info.throughput?.level ?? null,
  // The portfolio's limit; the deprecated per-number field only when Meta does not send it.
  messagingLimitTier:
    limitTierOf(info.whatsapp_business_manager_messaging_limit) ?? info.messaging_limit_tier ?? null,
  nameStatus: info.name_status ?? null,
  healthCheckedAt: new Date(),
  // Meta says whether the WhatsApp Business app shares the number; a number it says nothing of keeps
  // what was set by hand.
  ...(info.is_on_biz_app !== undefined ? { coexistence: info.is_on_biz_app } : {}),
});

/** What the health history keeps of a number's state. */
export const healthRecordOf = (r: HealthRecord): HealthRecord => ({
  qualityRating: r.qualityRating,
  throughputLevel: r.throughputLevel,
  messagingLimitTier: r.messagingLimitTier,
  nameStatus: r.nameStatus,
});
