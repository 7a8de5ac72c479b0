import type { Change } from './context.ts';

/** The POST body Meta sends: one entry for the WABA, its changes inside. */
export function envelope(wabaId: string, changes: Change[], opts: { time?: number } = {}) {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: wabaId, ...(opts.time !== undefined ? { time: opts.time } : {}), changes }],
  };
}

/** Envelopes for several numbers/WABAs: one entry per WABA, changes batched inside it. */
export function batchEnvelope(items: { wabaId: string; change: Change; time?: number }[]) {
  const byWaba = new Map<string, { id: string; time?: number; changes: Change[] }>();
  for (const it of items) {
    let e = byWaba.get(it.wabaId);
    if (!e) {
      e = { id: it.wabaId, ...(it.time !== undefined ? { time: it.time } : {}), changes: [] };
      byWaba.set(it.wabaId, e);
    }
    e.changes.push(it.change);
  }
  return { object: 'whatsapp_business_account', entry: [...byWaba.values()] };
}
