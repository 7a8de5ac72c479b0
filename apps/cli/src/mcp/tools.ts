import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import {
  CAMPAIGN_STATES,
  CONVERSATION_STATUSES,
  ConsentState,
  type Permission,
  type TemplateComponentParams,
} from '@openwaba/contracts';
import { ApiError, type Client } from '@openwaba/sdk';
import { z } from 'zod';
import { campaignView, contactView, conversationView, messageView } from './views.ts';

/**
 * The tools an MCP client gets: each one call (or two) of openwaba's REST API through the sdk, as
 * the API key. openwaba checks the key's scopes on every call; a tool never checks them itself, so
 * what a key may do here is exactly what it may do on the API.
 */
export interface ToolDef<S extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  /** The scopes the API key needs (said in the description and docs/mcp.md; openwaba enforces them). */
  scopes: Permission[];
  input: S;
  annotations: ToolAnnotations;
  run(api: Client, input: z.infer<S>): Promise<Record<string, unknown>>;
}

const define = <S extends z.ZodObject>(def: ToolDef<S>) => def as unknown as ToolDef;

const Id = (what: string) => z.uuid(`must be the ${what} id (a UUID)`);
const Limit = (max: number, fallback: number) =>
  z.number().int().min(1).max(max).default(fallback).describe(`how many (1-${max}, default ${fallback})`);
const Cursor = z.string().max(200).optional().describe('the next_cursor of the previous page');

const READ: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };

/** A tag given by name or id, as the contact filter's ids. */
async function tagIds(api: Client, tag: string | undefined): Promise<string[] | undefined> {
  if (tag === undefined) return undefined;
  const { data } = await api.tags.list();
  const found = data.find((t) => t.id === tag || t.name.toLowerCase() === tag.toLowerCase());
  if (!found)
    throw new ToolRefusal(
      `No tag "${tag}". The tags are: ${data.map((t) => t.name).join(', ') || '(none yet)'}`,
    );
  return [found.id];
}

/** A refusal of the tool's own (bad combination of arguments), told to the client as a tool error. */
export class ToolRefusal extends Error {}

const TemplateInput = z.strictObject({
  name: z.string().min(1).max(512).describe("the approved template's name"),
  language: z.string().min(2).max(15).describe('its language code, e.g. en_US'),
  body_parameters: z
    .union([z.array(z.string().max(32768)).max(100), z.record(z.string(), z.string().max(32768))])
    .optional()
    .describe('values for the body variables: a list for {{1}}, {{2}}…, or an object for named ones'),
  header_text: z.string().max(60).optional().describe("the value of a text header's variable, if it has one"),
});

function templateComponents(t: z.infer<typeof TemplateInput>): TemplateComponentParams[] {
  const components: TemplateComponentParams[] = [];
  if (t.header_text !== undefined)
    components.push({ type: 'header', parameters: [{ type: 'text', text: t.header_text }] });
  const body = t.body_parameters;
  if (body !== undefined) {
    const parameters = Array.isArray(body)
      ? body.map((text) => ({ type: 'text' as const, text }))
      : Object.entries(body).map(([parameter_name, text]) => ({
          type: 'text' as const,
          text,
          parameter_name,
        }));
    if (parameters.length > 0) components.push({ type: 'body', parameters });
  }
  return components;
}

export const TOOLS: ToolDef[] = [
  define({
    name: 'search_contacts',
    title: 'Search contacts',
    description:
      "Finds contacts by name, phone digits or a custom field value, and/or by tag; newest first. Answers each contact's id (for get_contact and send_message), phone, tags, fields and consent state. Needs the API key scope contacts.read.",
    scopes: ['contacts.read'],
    input: z.strictObject({
      query: z.string().trim().max(100).optional().describe('name, phone digits or a field value'),
      tag: z.string().trim().min(1).max(100).optional().describe('a tag name (or id): only contacts with it'),
      consent: ConsentState.optional().describe('only contacts in this consent state'),
      limit: Limit(200, 20),
      cursor: Cursor,
    }),
    annotations: READ,
    async run(api, i) {
      const page = await api.contacts.list({
        q: i.query || undefined,
        tag_ids: await tagIds(api, i.tag),
        consent: i.consent,
        limit: i.limit,
        cursor: i.cursor,
      });
      return { contacts: page.data.map(contactView), next_cursor: page.next_cursor };
    },
  }),
  define({
    name: 'get_contact',
    title: 'Get a contact',
    description:
      'One contact by id: name, phone, tags, custom fields, consent and when they last wrote. Needs the API key scope contacts.read.',
    scopes: ['contacts.read'],
    input: z.strictObject({ contact_id: Id('contact') }),
    annotations: READ,
    run: async (api, i) => ({ contact: contactView(await api.contacts.get(i.contact_id)) }),
  }),
  define({
    name: 'list_conversations',
    title: 'List conversations',
    description:
      "The inbox, most recent first: each conversation's id (for read_conversation), contact, status, assignee, last message and until when a free-form reply is allowed (window_expires_at). 'me' means the person who created the API key. Needs the API key scope conversations.read.",
    scopes: ['conversations.read'],
    input: z.strictObject({
      status: z.enum(CONVERSATION_STATUSES).optional().describe('open, pending, resolved or snoozed'),
      assigned: z
        .enum(['me', 'unassigned', 'all'])
        .default('all')
        .describe("whose: 'me' (the key's creator), 'unassigned' or 'all'"),
      unread: z
        .boolean()
        .optional()
        .describe("only conversations with messages the key's creator has not read"),
      search: z
        .string()
        .trim()
        .max(100)
        .optional()
        .describe('contact name or phone, or words in the messages'),
      number_id: Id('number').optional().describe('only this WhatsApp number'),
      limit: Limit(100, 20),
      before: Cursor,
    }),
    annotations: READ,
    async run(api, i) {
      const page = await api.conversations.list(i);
      return { conversations: page.data.map(conversationView), next_cursor: page.next_cursor };
    },
  }),
  define({
    name: 'read_conversation',
    title: 'Read a conversation',
    description:
      "A conversation's latest messages, oldest first, with who wrote each (in: the customer; out: the business), its text and delivery status; and the conversation itself (contact, status, window_expires_at). Reading does not mark it read. Needs the API key scope conversations.read.",
    scopes: ['conversations.read'],
    input: z.strictObject({
      conversation_id: Id('conversation'),
      limit: Limit(200, 30),
      before: Cursor.describe('the next_cursor of the previous answer: older messages'),
    }),
    annotations: READ,
    async run(api, i) {
      const [conversation, page] = await Promise.all([
        api.conversations.get(i.conversation_id),
        api.conversations.messages(i.conversation_id, { limit: i.limit, before: i.before }),
      ]);
      return {
        conversation: conversationView(conversation),
        messages: page.data.map(messageView).reverse(),
        next_cursor: page.next_cursor,
      };
    },
  }),
  define({
    name: 'send_message',
    title: 'Send a WhatsApp message',
    description:
      "Sends a WhatsApp message to a phone or a contact through openwaba's send path, with every check it makes: the contact's consent, the 24-hour window (free-form text only within 24 h of the customer's last message; a template at any time), template rules, cost and caps. A refusal comes back as an error with the reason. Answers the message id and conversation id; the message is queued (status pending) and delivered in the background. Needs the API key scope conversations.reply.",
    scopes: ['conversations.reply'],
    input: z
      .strictObject({
        phone: z.string().trim().min(3).max(32).optional().describe('the phone in E.164, e.g. +447700900123'),
        contact_id: Id('contact').optional().describe('or the contact id'),
        text: z.string().min(1).max(4096).optional().describe('free-form text (inside the 24-hour window)'),
        template: TemplateInput.optional().describe('or an approved template (at any time)'),
        number_id: Id('number')
          .optional()
          .describe("the WhatsApp number that sends (default: the organisation's first active one)"),
        idempotency_key: z
          .string()
          .min(1)
          .max(255)
          .optional()
          .describe('the same key again within 24 h returns the first answer instead of sending twice'),
      })
      .refine((i) => (i.phone === undefined) !== (i.contact_id === undefined), {
        message: 'give exactly one of phone or contact_id',
      })
      .refine((i) => (i.text === undefined) !== (i.template === undefined), {
        message: 'give exactly one of text or template',
      }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    async run(api, i) {
      const sent = await api.messages.send(
        {
          ...(i.number_id ? { number_id: i.number_id } : {}),
          to: i.contact_id ? { contact_id: i.contact_id } : { phone: i.phone! },
          content: i.template
            ? {
                type: 'template',
                template: {
                  name: i.template.name,
                  language: { code: i.template.language },
                  components: templateComponents(i.template),
                },
              }
            : { type: 'text', text: { body: i.text! } },
        },
        { idempotencyKey: i.idempotency_key },
      );
      return { ...sent };
    },
  }),
  define({
    name: 'list_campaigns',
    title: 'List campaigns',
    description:
      'Campaigns, newest first, with their state and counts (sent, delivered, read, replied, failed…). Needs the API key scope campaigns.read.',
    scopes: ['campaigns.read'],
    input: z.strictObject({
      state: z.enum(CAMPAIGN_STATES).optional().describe('only campaigns in this state'),
      limit: Limit(200, 50),
    }),
    annotations: READ,
    async run(api, i) {
      const { data } = await api.campaigns.list();
      const campaigns = data.filter((c) => i.state === undefined || c.state === i.state).slice(0, i.limit);
      return { campaigns: campaigns.map(campaignView) };
    },
  }),
  define({
    name: 'get_campaign',
    title: 'Check a campaign',
    description:
      "A campaign's progress (state, counts, send rate, time left, pre-flight problems) and its report: the funnel, delivery/read/reply/failure rates, failures by Meta error and the per-template split. Needs the API key scope campaigns.read.",
    scopes: ['campaigns.read'],
    input: z.strictObject({ campaign_id: Id('campaign') }),
    annotations: READ,
    async run(api, i) {
      const report = await api.campaigns.report(i.campaign_id);
      const { campaign, ...figures } = report;
      return { campaign: { ...campaignView(campaign), preflight: campaign.preflight }, report: figures };
    },
  }),
  define({
    name: 'start_campaign',
    title: 'Start a campaign',
    description:
      "Starts an existing draft campaign now (or schedules it with `at`) after openwaba's pre-flight (consent, template, tier limit, cost); a failed pre-flight leaves it failed with the reasons. Campaigns are created in the dashboard or with `openwaba campaign create`. Needs the API key scope campaigns.manage.",
    scopes: ['campaigns.manage'],
    input: z.strictObject({
      campaign_id: Id('campaign'),
      at: z.iso
        .datetime({ offset: true, error: 'must be an ISO date and time, e.g. 2026-12-01T09:00:00Z' })
        .optional()
        .describe('start later, at this time (ISO 8601)'),
    }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    async run(api, i) {
      const c = i.at
        ? await api.campaigns.schedule(i.campaign_id, i.at)
        : await api.campaigns.start(i.campaign_id);
      return { campaign: { ...campaignView(c), preflight: c.preflight } };
    },
  }),
  define({
    name: 'read_report',
    title: 'Read a report',
    description:
      "openwaba's reports today: 'campaign' — one campaign's report (funnel, rates, failures; scope campaigns.read); 'spend' — the organisation's expected spend and message counts between two days, by day, number or category (scope reports.read); 'usage' — this month's spend and messages, today's messages and the caps (scope reports.read). There is no report on agents or response times yet.",
    scopes: ['campaigns.read', 'reports.read'],
    input: z
      .strictObject({
        report: z.enum(['campaign', 'spend', 'usage']).describe('which report: campaign, spend or usage'),
        campaign_id: Id('campaign').optional().describe("for 'campaign'"),
        from: z.iso.date().optional().describe("for 'spend': the first day (YYYY-MM-DD, UTC)"),
        to: z.iso.date().optional().describe("for 'spend': the last day, inclusive (at most 366 days)"),
        group_by: z.enum(['day', 'number', 'category']).default('day').describe("for 'spend'"),
        number_id: Id('number').optional().describe("for 'spend': only this number"),
      })
      .refine((i) => i.report !== 'campaign' || i.campaign_id !== undefined, {
        message: "the 'campaign' report needs campaign_id",
        path: ['campaign_id'],
      })
      .refine((i) => i.report !== 'spend' || (i.from !== undefined && i.to !== undefined), {
        message: "the 'spend' report needs from and to",
        path: ['from'],
      }),
    annotations: READ,
    async run(api, i) {
      if (i.report === 'campaign') {
        const { campaign, ...figures } = await api.campaigns.report(i.campaign_id!);
        return { report: 'campaign', campaign: campaignView(campaign), ...figures };
      }
      if (i.report === 'usage') return { report: 'usage', ...(await api.billing.overview()) };
      return {
        report: 'spend',
        ...(await api.billing.spend({
          from: i.from!,
          to: i.to!,
          group_by: i.group_by,
          number_id: i.number_id,
        })),
      };
    },
  }),
];

/** openwaba's answer as a tool error the model can read and act on: the server's own words. */
function toolError(err: unknown, baseUrl: string): CallToolResult {
  const text =
    err instanceof ApiError
      ? `${err.message} (${err.code}, HTTP ${err.status})`
      : err instanceof ToolRefusal
        ? err.message
        : err instanceof TypeError && /fetch failed/i.test(err.message)
          ? `Cannot reach openwaba at ${baseUrl}`
          : `Unexpected error: ${err instanceof Error ? err.message : String(err)}`;
  const error =
    err instanceof ApiError
      ? { code: err.code, message: err.message, status: err.status, details: err.details ?? null }
      : { code: 'TOOL_ERROR', message: text };
  return { isError: true, content: [{ type: 'text', text }], structuredContent: { error } };
}

/** Registers every tool on `server`, each calling openwaba through `api` (one API key). */
export function registerTools(server: McpServer, api: Client, baseUrl: string) {
  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        annotations: tool.annotations,
      },
      async (input: unknown): Promise<CallToolResult> => {
        try {
          const data = await tool.run(api, input as never);
          return {
            content: [{ type: 'text', text: JSON.stringify(data, null, 2) }],
            structuredContent: data,
          };
        } catch (err) {
          return toolError(err, baseUrl);
        }
      },
    );
  }
}
