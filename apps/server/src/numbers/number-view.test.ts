import { describe, expect, it } from 'vitest';
import { healthColumns, toNumber } from './number-view.ts';
import { limitTierOf, tierLimit } from './portfolio.ts';
import type { NumberRow } from './repo.ts';

describe('healthColumns', () => {
  it("prefers the business manager's messaging limit when Meta gives it as text", () => {
    const cols = healthColumns({
      id: '1',
      quality_rating: 'GREEN',
      throughput: { level: 'HIGH' },
      messaging_limit_tier: 'TIER_1K',
      whatsapp_business_manager_messaging_limit: 'TIER_10K',
    });
    expect(cols).toMatchObject({
      qualityRating: 'GREEN',
      throughputLevel: 'HIGH',
      messagingLimitTier: 'TIER_10K',
    });
    expect(
      healthColumns({
        id: '1',
        messaging_limit_tier: 'TIER_1K',
        whatsapp_business_manager_messaging_limit: { x: 1 },
      }).messagingLimitTier,
    ).toBe('TIER_1K');
    expect(healthColumns({ id: '1' })).toMatchObject({
      displayPhoneNumber: null,
      verifiedName: null,
      messagingLimitTier: null,
    });
  });
});

describe('toNumber', () => {
  it('never shows a credential', () => {
    const at = new Date('2025-01-01T00:00:00Z');
    const row = {
      id: 'n1',
      orgId: 'o1',
      displayName: 'Sales',
      phoneNumberId: '100',
      wabaId: '200',
      accessTokenSealed: 'sealed-token',
      appSecretSealed: 'sealed-secret',
      verifyTokenSealed: 'sealed-verify',
      appId: 'app',
      systemPrompt: null,
      status: 'active',
      inactiveReason: null,
      isSandbox: false,
      displayPhoneNumber: '+1 555 0100',
      verifiedName: 'Kettle & Co',
      qualityRating: 'GREEN',
      throughputLevel: 'STANDARD',
      messagingLimitTier: 'TIER_1K',
      nameStatus: 'APPROVED',
      healthCheckedAt: at,
      businessId: null,
      businessName: null,
      businessIdSource: null,
      marketingMessagesApi: false,
      marketingMessagesStatus: null,
      maxSendRatePerSec: null,
      lastStableRatePerSec: null,
      rateDay: null,
      sendHolder: null,
      sendLeaseUntil: null,
      coexistence: false,
      createdAt: at,
      updatedAt: at,
    } satisfies NumberRow;
    const n = toNumber(row);
    expect(JSON.stringify(n)).not.toMatch(/sealed/);
    expect(n).toMatchObject({ has_access_token: true, health: { checked_at: '2025-01-01T00:00:00.000Z' } });
  });
});

describe('the messaging limit as Meta gives it', () => {
  it('whatsapp_business_manager_messaging_limit wins; the deprecated messaging_limit_tier is the fallback', () => {
    const base = { id: '1' };
    expect(
      healthColumns({
        ...base,
        whatsapp_business_manager_messaging_limit: 'TIER_10K',
        messaging_limit_tier: 'TIER_1K',
      }).messagingLimitTier,
    ).toBe('TIER_10K');
    expect(healthColumns({ ...base, messaging_limit_tier: 'TIER_1K' }).messagingLimitTier).toBe('TIER_1K');
    expect(healthColumns({ ...base }).messagingLimitTier).toBeNull();
  });

  it('reads tiers, counts (-1: unlimited) and objects carrying them', () => {
    expect(limitTierOf('TIER_2K')).toBe('TIER_2K');
    expect(limitTierOf(2000)).toBe('TIER_2K');
    expect(limitTierOf('100000')).toBe('TIER_100K');
    expect(limitTierOf(-1)).toBe('TIER_UNLIMITED');
    expect(limitTierOf({ tier: 'TIER_250' })).toBe('TIER_250');
    expect(limitTierOf('soon')).toBeUndefined();
    expect(limitTierOf(null)).toBeUndefined();
    expect(tierLimit('TIER_2K')).toBe(2000);
    expect(tierLimit('TIER_UNLIMITED')).toBe(Number.POSITIVE_INFINITY);
    expect(tierLimit(null)).toBeNull();
  });

  it('reads the tiers Meta names; others are unknown', () => {
    expect(['TIER_50', 'TIER_250', 'TIER_1K', 'TIER_2K', 'TIER_100K'].map(tierLimit)).toEqual([
      50, 250, 1000, 2000, 100_000,
    ]);
    expect(tierLimit('TIER_UNLIMITED')).toBe(Number.POSITIVE_INFINITY);
    expect([null, undefined, '', 'TIER_', 'UNTIERED'].map(tierLimit)).toEqual([null, null, null, null, null]);
  });
});
