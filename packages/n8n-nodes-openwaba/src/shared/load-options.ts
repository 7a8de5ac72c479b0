import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { WEBHOOK_EVENT_TYPES } from './event-types.ts';
import { openwabaRequest } from './transport.ts';

type Row = Record<string, unknown>;

async function list(ctx: ILoadOptionsFunctions, path: string): Promise<Row[]> {
  const { data } = (await openwabaRequest.call(ctx, 'GET', path)) as unknown as { data: Row[] };
  return data;
}

const byName = (a: INodePropertyOptions, b: INodePropertyOptions) => a.name.localeCompare(b.name);

/** The drop-downs of the nodes, read from openwaba with the credential's key (each needs its read scope). */
export const loadOptions = {
  async getNumbers(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
    return (await list(this, '/api/v1/numbers'))
      .filter((n) => n.status === 'active')
      .map((n) => ({
        name: String(n.display_name),
        value: String(n.id),
        description: String(n.phone_number_id),
      }));
  },
  async getTags(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
    return (await list(this, '/api/v1/tags'))
      .map((t) => ({ name: String(t.name), value: String(t.id) }))
      .sort(byName);
  },
  async getMembers(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
    return (await list(this, '/api/v1/members'))
      .filter((m) => m.role !== 'viewer')
      .map((m) => ({
        name: String(m.name || m.email),
        value: String(m.user_id),
        description: String(m.email),
      }))
      .sort(byName);
  },
  async getTeams(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
    return (await list(this, '/api/v1/teams'))
      .map((t) => ({ name: String(t.name), value: String(t.id) }))
      .sort(byName);
  },
  async getCampaigns(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
    return (await list(this, '/api/v1/campaigns'))
      .filter((c) => c.state === 'draft' || c.state === 'scheduled')
      .map((c) => ({ name: String(c.name), value: String(c.id), description: String(c.state) }));
  },
  /**
   * openwaba's catalogue (`GET /api/v1/webhooks/event-types`, needs integrations.manage); the list
   * this package was built with when that cannot be read, so the trigger can always be set up.
   */
  async getEventTypes(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
    try {
      const types = (await list(this, '/api/v1/webhooks/event-types')) as {
        type: string;
        description: string;
      }[];
      if (types.length)
        return types.map((t) => ({ name: t.type, value: t.type, description: t.description }));
    } catch {
      // Fall through to the built-in list.
    }
    return WEBHOOK_EVENT_TYPES.map((type) => ({ name: type, value: type }));
  },
};
