import { expect } from 'vitest';
import type { TestApp, TestClient } from '../helpers.ts';

/** Flow graphs and what customers got, for the automation tests. */

const pos = { x: 0, y: 0 };

/** A flow node (graph JSON). */
export const node = (id: string, type: string, data: Record<string, unknown> = {}) => ({
  id,
  type,
  position: pos,
  data,
});

/** An edge from `source`'s `handle` to `target`. */
export const edge = (source: string, target: string, handle = 'next') => ({
  id: `${source}-${handle}-${target}`,
  source,
  source_handle: handle,
  target,
});

/** Creates and publishes a flow through the API; its id. */
export async function publishFlow(owner: TestClient, name: string, nodes: unknown[], edges: unknown[]) {
  const f = await owner.post('/api/v1/automation/flows', { name, graph: { nodes, edges } });
  expect(f.statusCode, f.body).toBe(201);
  const p = await owner.post(`/api/v1/automation/flows/${f.json().id}/publish`);
  expect(p.statusCode, p.body).toBe(200);
  return f.json().id as string;
}

/** The texts (or types) of the messages we sent the customer with this WhatsApp id, in order. */
export async function sentTo(t: TestApp, waId: string): Promise<string[]> {
  const rows = await t.database.query<{ body: string | null; type: string }>(
    `select m.type, m.content->'text'->>'body' as body
     from messages m join conversations c on c.id = m.conversation_id join contacts k on k.id = c.contact_id
     where k.org_id = $1 and k.wa_id = $2 and m.direction = 'out' order by m.seq`,
    [t.orgId, waId],
  );
  return rows.map((r) => r.body ?? r.type);
}
