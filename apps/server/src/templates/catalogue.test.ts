import { describe, expect, it } from 'vitest';
import { allowedInCampaigns } from './policy.ts';
import type { TemplateRow } from './repo.ts';
import { catalogueColumns } from './sync-templates.ts';
import { toTemplate } from './template-view.ts';

const now = new Date('2025-01-02T03:04:05Z');

const row = (o: Partial<TemplateRow> = {}): TemplateRow => ({
  id: '00000000-0000-4000-8000-000000000001',
  orgId: '00000000-0000-4000-8000-000000000002',
  wabaId: 'waba-1',
  metaId: 'meta-1',
  name: 'order_update',
  language: 'en_US',
  status: 'APPROVED',
  category: 'UTILITY',
  parameterFormat: 'POSITIONAL',
  components: [{ type: 'BODY', text: 'Hi {{1}}' }],
  qualityScore: null,
  rejectedReason: null,
  subCategory: null,
  active: true,
  quarantined: false,
  quarantineReason: null,
  quarantinedAt: null,
  lastSyncedAt: now,
  createdAt: now,
  updatedAt: now,
  ...o,
});

describe('allowedInCampaigns', () => {
  it('follows the policy, and never allows authentication templates', () => {
    expect(allowedInCampaigns(['UTILITY'], 'UTILITY')).toBe(true);
    expect(allowedInCampaigns(['UTILITY'], 'MARKETING')).toBe(false);
    expect(allowedInCampaigns(['UTILITY', 'AUTHENTICATION'], 'AUTHENTICATION')).toBe(false);
  });
});

describe('toTemplate', () => {
  it('is usable in campaigns only when active, approved, not quarantined and allowed', () => {
    const policy = ['UTILITY', 'MARKETING'];
    expect(toTemplate(row(), policy).usable_in_campaigns).toBe(true);
    expect(toTemplate(row({ active: false }), policy).usable_in_campaigns).toBe(false);
    expect(toTemplate(row({ status: 'PENDING' }), policy).usable_in_campaigns).toBe(false);
    expect(toTemplate(row({ quarantined: true }), policy).usable_in_campaigns).toBe(false);
    expect(toTemplate(row(), ['MARKETING']).usable_in_campaigns).toBe(false);
  });

  it('shows dates as ISO strings and anything but NAMED as positional', () => {
    const t = toTemplate(row({ parameterFormat: 'whatever', quarantinedAt: now }), []);
    expect(t.parameter_format).toBe('POSITIONAL');
    expect(t.quarantined_at).toBe('2025-01-02T03:04:05.000Z');
    expect(t.last_synced_at).toBe('2025-01-02T03:04:05.000Z');
  });
});

describe('catalogueColumns', () => {
  it('keeps what Meta says, without its NONE placeholder for no rejection', () => {
    const cols = catalogueColumns(
      {
        id: 'm1',
        name: 'fall_sale',
        language: 'es',
        status: 'REJECTED',
        category: 'MARKETING',
        parameter_format: 'NAMED',
        components: [],
        quality_score: { score: 'GREEN' },
        rejected_reason: 'NONE',
      },
      now,
    );
    expect(cols).toMatchObject({
      parameterFormat: 'NAMED',
      qualityScore: 'GREEN',
      rejectedReason: null,
      subCategory: null,
      active: true,
      lastSyncedAt: now,
    });
    expect(
      catalogueColumns(
        {
          id: 'm2',
          name: 'x',
          language: 'en',
          status: 'REJECTED',
          category: 'UTILITY',
          components: [],
          rejected_reason: 'SCAM',
        },
        now,
      ),
    ).toMatchObject({ parameterFormat: 'POSITIONAL', qualityScore: null, rejectedReason: 'SCAM' });
  });
});
