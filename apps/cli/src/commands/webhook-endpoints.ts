import { WEBHOOK_EVENT_TYPES } from '@openwaba/contracts';
import { z } from 'zod';
import { type RemoteDefaults, type RemoteOptions, withRemote } from '../api.ts';
import { parseFlags } from '../flags.ts';
import { formatTable, type Io } from '../output.ts';
import { processTty, type Tty } from '../prompt.ts';

/** Outbound webhooks from the command line: endpoints, their delivery log, and replay (docs/webhooks.md). */

const EndpointId = z.uuid('give the endpoint id (see `openwaba webhooks endpoints list`)');
const DeliveryId = z.uuid('give the delivery id (see `openwaba webhooks deliveries list <endpoint>`)');
const Iso = (what: string) =>
  z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), `${what} must be a date and time, e.g. 2026-12-01T00:00:00Z`)
    .transform((s) => new Date(s).toISOString());

const EVENTS_HELP = `give the event types: --events message.received,contact.opted_out (any of ${WEBHOOK_EVENT_TYPES.join(', ')})`;
export const CreateEndpointFlags = z.object({
  url: z.string({ error: 'give the URL to post to' }).min(1, 'give the URL to post to'),
  events: z
    .string({ error: EVENTS_HELP })
    .min(1, EVENTS_HELP)
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  description: z.string().max(200).optional(),
  ordered: z.boolean().optional(),
  maxConcurrency: z.coerce.number().int().min(1).max(50).optional(),
  json: z.boolean().optional(),
});

export const ReplayDeliveriesFlags = z
  .object({
    id: DeliveryId.optional(),
    endpoint: EndpointId.optional(),
    since: Iso('--since').optional(),
    until: Iso('--until').optional(),
    all: z.boolean().optional(),
    json: z.boolean().optional(),
  })
  .refine((f) => f.id !== undefined || f.endpoint !== undefined, {
    message: 'Say what to replay: a delivery id, or --endpoint <id> --since <date> [--until <date>] [--all]',
  })
  .refine((f) => f.id === undefined || (f.endpoint === undefined && f.since === undefined && !f.all), {
    path: ['id'],
    message: 'replays one delivery: leave out --endpoint, --since, --until and --all',
  })
  .refine((f) => f.endpoint === undefined || f.since !== undefined, {
    path: ['since'],
    message: 'a range needs --since <date> (and optionally --until <date>)',
  });

/** `openwaba webhooks endpoints list`: the organisation's endpoints with their health. */
export async function runEndpointsList(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { json?: boolean },
  tty: Tty = processTty(),
) {
  const { data } = await withRemote(config, opts, tty, ({ api }) => api.webhooks.endpoints.list());
  if (opts.json) return io.out(JSON.stringify(data));
  if (!data.length)
    return io.out('No webhook endpoints. Add one: openwaba webhooks endpoints create <url> --events …');
  io.out(
    formatTable(
      ['ID', 'URL', 'EVENTS', 'STATUS', 'PENDING', 'DEAD 24H'],
      data.map((e) => [
        e.id,
        e.url,
        e.event_types.join(','),
        e.status === 'disabled' ? `disabled (${e.disabled_reason ?? ''})` : e.status,
        String(e.stats.pending),
        String(e.stats.dead_24h),
      ]),
    ),
  );
}

/** `openwaba webhooks endpoints create <url> --events …`: prints the signing secret once. */
export async function runEndpointsCreate(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & {
    endpointUrl?: string;
    events?: string;
    description?: string;
    ordered?: boolean;
    maxConcurrency?: string;
    json?: boolean;
  },
  tty: Tty = processTty(),
) {
  const f = parseFlags(CreateEndpointFlags, {
    url: opts.endpointUrl,
    events: opts.events,
    description: opts.description,
    ordered: opts.ordered,
    maxConcurrency: opts.maxConcurrency,
    json: opts.json,
  });
  const created = await withRemote(config, opts, tty, ({ api }) =>
    api.webhooks.endpoints.create({
      url: f.url,
      event_types: f.events,
      ...(f.description !== undefined ? { description: f.description } : {}),
      ...(f.ordered !== undefined ? { ordered: f.ordered } : {}),
      ...(f.maxConcurrency !== undefined ? { max_concurrency: f.maxConcurrency } : {}),
    }),
  );
  if (f.json) return io.out(JSON.stringify(created));
  io.out(`Created webhook endpoint ${created.id} → ${created.url}`);
  io.out(`Signing secret (keep it; \`openwaba\` shows it again only through the API): ${created.secret}`);
}

/** `openwaba webhooks endpoints delete <id>`. */
export async function runEndpointsDelete(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { id?: string },
  tty: Tty = processTty(),
) {
  const { id } = parseFlags(z.object({ id: EndpointId }), { id: opts.id }, ['id']);
  await withRemote(config, opts, tty, ({ api }) => api.webhooks.endpoints.remove(id));
  io.out(`Deleted webhook endpoint ${id}`);
}

/** `openwaba webhooks deliveries list <endpoint>`: the newest deliveries and their outcome. */
export async function runDeliveriesList(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { id?: string; state?: string; limit?: string; json?: boolean },
  tty: Tty = processTty(),
) {
  const f = parseFlags(
    z.object({
      id: EndpointId,
      state: z.enum(['pending', 'delivering', 'succeeded', 'retrying', 'dead']).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    { id: opts.id, state: opts.state, limit: opts.limit },
    ['id'],
  );
  const page = await withRemote(config, opts, tty, ({ api }) =>
    api.webhooks.endpoints.deliveries(f.id, { limit: f.limit, ...(f.state ? { state: f.state } : {}) }),
  );
  if (opts.json) return io.out(JSON.stringify(page.data));
  if (!page.data.length) return io.out('No deliveries yet.');
  io.out(
    formatTable(
      ['ID', 'EVENT', 'TYPE', 'STATE', 'ATTEMPTS', 'LAST', 'CREATED'],
      page.data.map((d) => [
        d.id,
        d.event_id,
        d.event_type,
        d.state,
        String(d.attempts),
        d.last_status_code !== null ? String(d.last_status_code) : (d.last_error ?? ''),
        d.created_at,
      ]),
    ),
  );
}

/**
 * `openwaba webhooks deliveries replay <delivery-id>` or `replay --endpoint <id> --since <date>
 * [--until <date>] [--all]`: sends again (same webhook-id); a range replays the dead ones, or all.
 */
export async function runDeliveriesReplay(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & {
    id?: string;
    endpoint?: string;
    since?: string;
    until?: string;
    all?: boolean;
    json?: boolean;
  },
  tty: Tty = processTty(),
) {
  const f = parseFlags(
    ReplayDeliveriesFlags,
    {
      id: opts.id,
      endpoint: opts.endpoint,
      since: opts.since,
      until: opts.until,
      all: opts.all,
      json: opts.json,
    },
    ['id'],
  );
  if (f.id) {
    const d = await withRemote(config, opts, tty, ({ api }) => api.webhooks.deliveries.replay(f.id!));
    if (f.json) return io.out(JSON.stringify(d));
    return io.out(`Delivery ${d.id} (${d.event_id}) will be sent again`);
  }
  const r = await withRemote(config, opts, tty, ({ api }) =>
    api.webhooks.endpoints.replay(f.endpoint!, {
      since: f.since!,
      ...(f.until ? { until: f.until } : {}),
      state: f.all ? 'all' : 'dead',
    }),
  );
  if (f.json) return io.out(JSON.stringify(r));
  io.out(`${r.replayed} deliver${r.replayed === 1 ? 'y' : 'ies'} will be sent again`);
}
