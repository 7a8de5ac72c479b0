import { type Json, objectsOf, parseBody } from './body.ts';
import type { OrgResult } from './plan.ts';

/** Bodies larger than this are not re-read for the admin list (Meta's are rarely past a few KB). */
export const VIEW_MAX_BODY = 1024 * 1024;
/** The list shows this much of each (filtered) body. */
const VIEW_CHARS = 4000;

/** What an organisation owns that an event can name. */
export interface OrgNumbers {
  orgId: string;
  phoneIds: Set<string>;
  wabaIds: Set<string>;
}

const COUNTS = ['messages', 'updates', 'duplicates', 'statuses', 'parked'] as const;

/**
 * One organisation's part of a processed event's result. Events processed before results were kept
 * per organisation show their counts only (the lists could name other organisations' numbers).
 */
export function resultFor(result: unknown, orgId: string): OrgResult | Record<string, number> | null {
  if (!result || typeof result !== 'object') return null;
  const r = result as Json;
  if (r.orgs && typeof r.orgs === 'object') {
    const mine = (r.orgs as Record<string, OrgResult>)[orgId];
    return (
      mine ?? { messages: 0, updates: 0, duplicates: 0, statuses: 0, parked: 0, skipped: [], foreign: [] }
    );
  }
  return Object.fromEntries(COUNTS.map((k) => [k, typeof r[k] === 'number' ? (r[k] as number) : 0]));
}

/** Fields whose changes concern one number's customers (routed by `metadata.phone_number_id`). */
const PER_NUMBER = new Set(['messages', 'smb_message_echoes', 'history', 'smb_app_state_sync']);

/**
 * The part of a stored body an organisation may see: the entries and changes that name its numbers
 * (a `messages` change, or a coexistence one, by `metadata.phone_number_id`) or its WABAs (account-level notices) — never
 * another organisation's customers. Re-serialised, first VIEW_CHARS characters; '' when the body is
 * too large to re-read here or is not JSON.
 */
export function bodyFor(raw: string | null, org: OrgNumbers): string {
  if (raw === null) return '';
  let payload: Json;
  try {
    payload = (parseBody(raw) ?? {}) as Json;
  } catch {
    return '';
  }
  if (!payload || typeof payload !== 'object') return '';
  const entries = objectsOf(payload.entry);
  const visible = entries.flatMap((entry) => {
    if (!entry || typeof entry !== 'object') return [];
    const changes = objectsOf(entry.changes).filter((c) => {
      // Changes about one number's customers: shown only to the organisation of that number.
      if (PER_NUMBER.has(String(c?.field))) {
        const metadata = (c.value as Json | undefined)?.metadata as Json | undefined;
        return org.phoneIds.has(String(metadata?.phone_number_id ?? ''));
      }
      return org.wabaIds.has(String(entry.id ?? ''));
    });
    return changes.length ? [{ ...entry, changes }] : [];
  });
  return JSON.stringify({ ...payload, entry: visible }).slice(0, VIEW_CHARS);
}
