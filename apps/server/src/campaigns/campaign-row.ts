import type { CampaignPreflight, CampaignState } from '@openwaba/contracts';

/** A stored campaign and its recipients as built, shared by the campaign service's parts and its repo. */

export type Json = Record<string, unknown>;

export interface CampaignRow {
  id: string;
  org_id: string;
  number_id: string;
  name: string;
  state: CampaignState;
  audience: Json;
  templates: StoredTemplate[];
  split: 'sequential' | 'ab';
  marketing_ttl_seconds?: number | null;
  /** numeric: a string from the database; null: no cap. */
  spend_cap: string | number | null;
  scheduled_at: string | Date | null;
  started_at: string | Date | null;
  finished_at: string | Date | null;
  paused_reason: string | null;
  failure_reason: string | null;
  preflight: CampaignPreflight | null;
  /** The feed cursor: recipients up to this id are on the send queue (or past it). */
  fed_through: number | string;
  created_by: string | null;
  created_at: string | Date;
}

export interface StoredTemplate {
  template_id: string;
  name: string;
  language: string;
  category: string;
  share: number | null;
  mapping: Json;
}

/** One recipient as built at creation. */
export interface BuiltRecipient {
  contactId: string | null;
  waId: string | null;
  input: string;
  rowNumber: number;
  templateIndex: number;
  params: unknown[] | null;
  state: 'pending' | 'invalid';
  reason: string | null;
}

export const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());
