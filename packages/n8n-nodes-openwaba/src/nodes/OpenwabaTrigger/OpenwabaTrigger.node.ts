import type {
  IDataObject,
  IHookFunctions,
  INodeType,
  INodeTypeDescription,
  IWebhookFunctions,
  IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { WEBHOOK_TEST_EVENT } from '../../shared/event-types.ts';
import { loadOptions } from '../../shared/load-options.ts';
import { verifyWebhook } from '../../shared/signature.ts';
import { CREDENTIAL, openwabaRequest } from '../../shared/transport.ts';

/**
 * What the node keeps between activation and deactivation (n8n's static data of the node): the
 * endpoint it registered for each of its URLs. Keyed by URL because n8n registers the editor's
 * "Listen for test event" URL while the production one may be active: each has its own endpoint,
 * and handling one never deletes the other.
 */
interface Registration {
  endpoints?: Record<string, { id: string; secret: string }>;
}

function registrationOf(ctx: IHookFunctions) {
  const reg = ctx.getWorkflowStaticData('node') as Registration;
  const url = ctx.getNodeWebhookUrl('default') as string;
  return {
    url,
    current: reg.endpoints?.[url],
    save(id: string, secret: string) {
      reg.endpoints = { ...reg.endpoints, [url]: { id, secret } };
    },
    forget() {
      if (!reg.endpoints) return;
      delete reg.endpoints[url];
      if (Object.keys(reg.endpoints).length === 0) delete reg.endpoints;
    },
  };
}

const endpointPath = (id: string) => `/api/v1/webhooks/endpoints/${encodeURIComponent(id)}`;

/** The body openwaba posts: `{ type, timestamp, data }`; the event's id is the `webhook-id` header. */
interface Delivery {
  type?: unknown;
  timestamp?: unknown;
  data?: unknown;
}

/**
 * Event ids seen lately, per endpoint: openwaba resends an event when an answer was lost, with the
 * same `webhook-id`; this keeps such a resend from running the workflow twice. In memory, per n8n
 * process: a best effort on top of openwaba answering each delivery once it got a 2xx.
 */
const recent = new Map<string, string[]>();
const RECENT_MAX = 500;

function seenBefore(endpointId: string, eventId: string): boolean {
  const ids = recent.get(endpointId) ?? [];
  if (ids.includes(eventId)) return true;
  ids.push(eventId);
  if (ids.length > RECENT_MAX) ids.shift();
  recent.set(endpointId, ids);
  return false;
}

function sameSet(a: unknown, b: string[]): boolean {
  return Array.isArray(a) && a.length === b.length && b.every((x) => a.includes(x));
}

function isNotFound(err: unknown): boolean {
  return (err as { httpCode?: string | null }).httpCode === '404';
}

function settings(ctx: IHookFunctions | IWebhookFunctions) {
  const options = ctx.getNodeParameter('options', {}) as IDataObject;
  return { events: ctx.getNodeParameter('events', []) as string[], ordered: options.ordered === true };
}

/**
 * Starts a workflow on openwaba events. On activation it registers its own webhook endpoint in
 * openwaba (`POST /api/v1/webhooks/endpoints`) for its n8n URL and the chosen event types, and keeps
 * the endpoint's id and signing secret; on deactivation it deletes the endpoint. Each delivery's
 * Standard Webhooks signature is checked before anything runs, so every workflow with this trigger
 * has its own endpoint and runs once per event.
 */
export class OpenwabaTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'openwaba Trigger',
    name: 'openwabaTrigger',
    icon: 'file:openwaba.svg',
    group: ['trigger'],
    version: 1,
    subtitle: '={{$parameter["events"].join(", ")}}',
    description: 'Starts the workflow when something happens in openwaba (signed webhooks)',
    defaults: { name: 'openwaba Trigger' },
    inputs: [],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: CREDENTIAL, required: true }],
    webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'webhook' }],
    properties: [
      {
        displayName: 'Event Names or IDs',
        name: 'events',
        type: 'multiOptions',
        typeOptions: { loadOptionsMethod: 'getEventTypes' },
        required: true,
        default: [],
        description:
          'The events that start the workflow. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
      },
      {
        displayName: 'Options',
        name: 'options',
        type: 'collection',
        placeholder: 'Add Option',
        default: {},
        options: [
          {
            displayName: 'Ordered Delivery',
            name: 'ordered',
            type: 'boolean',
            default: false,
            description:
              'Whether openwaba delivers one conversation’s events one at a time, in order (slower; for workflows that must see a message before its status updates)',
          },
        ],
      },
    ],
  };

  methods = { loadOptions: { getEventTypes: loadOptions.getEventTypes } };

  webhookMethods = {
    default: {
      /** True when the endpoint registered for this URL still exists with these settings. */
      async checkExists(this: IHookFunctions): Promise<boolean> {
        const reg = registrationOf(this);
        if (!reg.current) return false;
        const { events, ordered } = settings(this);
        try {
          const ep = await openwabaRequest.call(this, 'GET', endpointPath(reg.current.id));
          const current =
            ep.url === reg.url &&
            sameSet(ep.event_types, events) &&
            ep.ordered === ordered &&
            ep.status === 'active';
          if (current) return true;
          // Changed since (or disabled by openwaba): replace it, so the new settings and a fresh
          // start apply.
          await openwabaRequest.call(this, 'DELETE', endpointPath(reg.current.id));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        reg.forget();
        return false;
      },

      async create(this: IHookFunctions): Promise<boolean> {
        const reg = registrationOf(this);
        const { events, ordered } = settings(this);
        const workflow = this.getWorkflow();
        const description = `n8n: ${workflow.name ?? `workflow ${workflow.id ?? ''}`} → ${this.getNode().name}`;
        const ep = await openwabaRequest.call(this, 'POST', '/api/v1/webhooks/endpoints', {
          url: reg.url,
          description: description.slice(0, 200),
          event_types: events,
          ordered,
        });
        reg.save(String(ep.id), String(ep.secret));
        return true;
      },

      async delete(this: IHookFunctions): Promise<boolean> {
        const reg = registrationOf(this);
        if (reg.current) {
          try {
            await openwabaRequest.call(this, 'DELETE', endpointPath(reg.current.id));
          } catch (err) {
            if (!isNotFound(err)) return false;
          }
        }
        reg.forget();
        return true;
      },
    },
  };

  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    const reg = this.getWorkflowStaticData('node') as Registration;
    const req = this.getRequestObject() as { rawBody?: Buffer };
    const headers = this.getHeaderData() as Record<string, string | string[] | undefined>;
    const raw = req.rawBody ?? JSON.stringify(this.getBodyData());
    // Any of this node's endpoints (production, and the editor's test URL while listening).
    const endpoints = Object.values(reg.endpoints ?? {});
    const endpoint = endpoints.find((e) => verifyWebhook(e.secret, raw, headers).ok);
    if (!endpoint) {
      // Refused before anything runs: a forged or replayed request starts no workflow.
      const reason = endpoints.length
        ? (verifyWebhook(endpoints[0]!.secret, raw, headers) as { reason: string }).reason
        : 'this trigger is not registered in openwaba';
      const res = this.getResponseObject();
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: reason }));
      return { noWebhookResponse: true };
    }
    const body = this.getBodyData() as Delivery;
    const id = String(headers['webhook-id']);
    const type = typeof body.type === 'string' ? body.type : '';
    const { events } = settings(this);
    if (type !== WEBHOOK_TEST_EVENT && !events.includes(type))
      return { webhookResponse: { received: true, ignored: `not listening for ${type || 'this event'}` } };
    if (seenBefore(endpoint.id, id)) return { webhookResponse: { received: true, duplicate: true } };
    return {
      workflowData: [
        this.helpers.returnJsonArray([
          { id, type, timestamp: body.timestamp, data: body.data } as IDataObject,
        ]),
      ],
    };
  }
}
