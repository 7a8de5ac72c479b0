import {
  type AcceptInvitationBody,
  AgentsReport,
  AiCallList,
  AiSettings,
  AiSuggestion,
  AiSummary,
  AiTestResult,
  ApiKey,
  ApiKeyList,
  AppVersion,
  AuditPage,
  type AuditQuery,
  BillingOverview,
  type BulkContactsBody,
  BulkContactsResult,
  Campaign,
  CampaignList,
  CampaignRecipientPage,
  CampaignReport,
  CampaignsReport,
  type ChainTestBody,
  ChainTestResult,
  ConsentEvent,
  ConsentLedger,
  Contact,
  ContactCampaigns,
  ContactDataExport,
  ContactErasure,
  type ContactFilter,
  ContactImport,
  ContactPage,
  type ContactQuery,
  ContactSettings,
  type ContactSettingsPatch,
  Conversation,
  ConversationAi,
  ConversationPage,
  type CreateApiKeyBody,
  type CreateCampaignBody,
  type CreateContactBody,
  CreatedApiKey,
  CreatedInvitation,
  CreatedWebhookEndpoint,
  type CreateFieldBody,
  type CreateKnowledgeBody,
  type CreateNumberBody,
  type CreateSegmentBody,
  type CreateTagBody,
  type CreateTemplateBody,
  type CreateWebhookEndpointBody,
  CustomField,
  CustomFieldList,
  ErrorBody,
  EventPage,
  Flow,
  type FlowBody,
  FlowExport,
  FlowList,
  type FlowPatch,
  FlowRun,
  FlowRunDetail,
  FlowRunList,
  type FlowRunQuery,
  type FlowStartBody,
  FlowStats,
  type FlowTestBody,
  FlowValidation,
  FlowVersionList,
  type GroupedReportQuery,
  Hours,
  type HoursBody,
  HoursList,
  HoursStatus,
  type ImportOptionsInput,
  ImportPreview,
  ImportQueued,
  type ImportRatesBody,
  ImportRatesResult,
  ImportUpload,
  InvitationList,
  InvitationLookup,
  JobPage,
  type JobState,
  KnowledgeDoc,
  KnowledgeDocFull,
  KnowledgeList,
  KnowledgeSearchResult,
  LoginResult,
  Me,
  Member,
  MemberList,
  Message,
  MessagePage,
  Note,
  NoteList,
  NotificationPage,
  NumberAi,
  NumberAiList,
  NumberDeletionCounts,
  NumberPortfolio,
  NumbersReport,
  NumberTestResult,
  Ok,
  Org,
  type OrgSettingsPatch,
  QuickReply,
  QuickReplyList,
  RateCard,
  type RecordConsentBody,
  RenderedQuickReply,
  type RenderedTemplate,
  ReplayResult,
  type ReplayWebhookDeliveriesBody,
  type ReplyBody,
  ReplyQueued,
  ReportOverview,
  type ReportQuery,
  RetentionPreview,
  type Role,
  type RotateWebhookSecretBody,
  Rule,
  type RuleBody,
  RuleList,
  Segment,
  SegmentList,
  type SendMessageBody,
  SentMessage,
  SessionList,
  SessionState,
  SpendBreakdown,
  SpendReport,
  Tag,
  TagList,
  Team,
  type TeamBody,
  TeamList,
  Template,
  TemplateHistory,
  TemplateList,
  type TemplateParams,
  TemplateSyncResult,
  TemplatesReport,
  type TestReplyBody,
  TimelinePage,
  TypingResult,
  UnreadCount,
  type UpdateAiSettingsBody,
  type UpdateBillingCapsBody,
  type UpdateContactBody,
  type UpdateFieldBody,
  type UpdateKnowledgeBody,
  type UpdateNumberAiBody,
  type UpdateNumberBody,
  type UpdateSegmentBody,
  type UpdateTagBody,
  type UpdateWebhookEndpointBody,
  UploadedMedia,
  type VariableMapping,
  WaNumber,
  WaNumberList,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookDeliveryPage,
  type WebhookDeliveryQuery,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEventList,
  type WebhookEventQuery,
  WebhookEventTypeList,
  WebhookSecret,
} from '@openwaba/contracts';
import { z } from 'zod';

/** An error answered by the API, with its stable `code` (see contracts ERROR_CODES). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ClientOptions {
  /** Base URL of the server; '' means same origin (the dashboard). */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Called when the session is gone for good (refresh failed): show the login page. */
  onSignedOut?: () => void;
  /**
   * An API key (`owk_…`, Settings → API keys): sent as `Authorization: Bearer` on every request,
   * instead of a session. @example const api = createClient({ baseUrl: 'https://wa.example.com', apiKey: process.env.OPENWABA_KEY })
   */
  apiKey?: string;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What replaying a webhook event did (the same summary the event keeps in `result`). */
const WebhookReplayResult = z.object({ result: z.unknown() });
const MediaRetryResult = z.object({ state: z.enum(['pending', 'ready']) });
/** A template preview: what the customer sees, or every problem at once; `missing` names what a contact lacks. */
const TemplateRenderResult = z.object({
  ok: z.boolean(),
  rendered: z.custom<RenderedTemplate>((v) => typeof v === 'object' && v !== null).optional(),
  components: z.array(z.unknown()).optional(),
  problems: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  missing: z.array(z.object({ key: z.string(), source: z.string() })),
});
/** File types an import upload names; anything else goes as octet-stream and the server sniffs it. */
const IMPORT_CONTENT_TYPES = [
  'text/csv',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
];

/** Which contacts an export holds: the list's filter or a segment (everyone without either). */
export type ContactExportOptions = ContactFilter & { segment_id?: string };

/** The contact list's options: the filter, a segment, paging. */
export type ContactListOptions = ContactFilter & {
  segment_id?: string;
  cursor?: string;
  limit?: number;
  /** Also count every match. */
  with_total?: boolean;
};

/**
 * Typed client for the openwaba REST API. Sessions ride on httpOnly cookies; an expired access
 * token is refreshed once, transparently, and concurrent requests share that refresh.
 *
 * One file on purpose, past the ~400-line guide: it is a flat map of the API (one line per route,
 * grouped as the routes are), read top to bottom like the OpenAPI document it mirrors.
 *
 * @example
 * const api = createClient();
 * await api.auth.login({ email: 'me@example.com', password: '…' });
 * const me = await api.me.get();
 */
export function createClient(opts: ClientOptions = {}) {
  const base = (opts.baseUrl ?? '').replace(/\/$/, '');
  const doFetch = opts.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  let refreshing: Promise<boolean> | null = null;

  /** `rawType`: the body is sent as it is (a file) with that content type, not as JSON. */
  async function send(
    method: Method,
    path: string,
    body?: unknown,
    rawType?: string,
    extra: Record<string, string> = {},
  ): Promise<Response> {
    return doFetch(`${base}${path}`, {
      method,
      credentials: opts.apiKey ? 'omit' : 'include',
      headers: {
        ...(body === undefined ? {} : { 'content-type': rawType ?? 'application/json' }),
        ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
        ...extra,
      },
      body: body === undefined ? undefined : rawType ? (body as Blob) : JSON.stringify(body),
    });
  }

  async function toError(res: Response): Promise<ApiError> {
    const json = await res.json().catch(() => null);
    const parsed = ErrorBody.safeParse(json);
    if (parsed.success) {
      const e = parsed.data.error;
      return new ApiError(res.status, e.code, e.message, e.details);
    }
    return new ApiError(res.status, 'INTERNAL', `Unexpected response (HTTP ${res.status})`);
  }

  function refreshSession(): Promise<boolean> {
    refreshing ??= (async () => {
      try {
        const res = await send('POST', '/api/v1/auth/refresh');
        // 409: another tab refreshed a moment ago; its new cookies are already ours.
        return res.ok || res.status === 409;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  /** A successful response, the session refreshed once on the way if need be; else the ApiError. */
  async function request(
    method: Method,
    path: string,
    body?: unknown,
    rawType?: string,
    extra: Record<string, string> = {},
  ): Promise<Response> {
    let res = await send(method, path, body, rawType, extra);
    // Rate limited for a moment (a burst of clicks): wait as the server says, once, if it is short.
    const wait = Number(res.headers.get('retry-after'));
    if (res.status === 429 && wait > 0 && wait <= 5) {
      await new Promise((r) => setTimeout(r, wait * 1000));
      res = await send(method, path, body, rawType, extra);
    }
    if (res.status === 401 && !opts.apiKey && !path.startsWith('/api/v1/auth/')) {
      if (await refreshSession()) res = await send(method, path, body, rawType, extra);
      if (res.status === 401) opts.onSignedOut?.();
    }
    if (!res.ok) throw await toError(res);
    return res;
  }

  async function call<S extends z.ZodType>(
    schema: S,
    method: Method,
    path: string,
    body?: unknown,
    rawType?: string,
  ): Promise<z.infer<S>> {
    const res = await request(method, path, body, rawType);
    return schema.parse(await res.json());
  }

  /** A file the server streams (a CSV), as it arrives: nothing is held in memory whole. */
  async function download(path: string): Promise<ReadableStream<Uint8Array>> {
    const res = await request('GET', path);
    return res.body ?? new Blob([]).stream();
  }

  const q = encodeURIComponent;
  const query = (params: Record<string, string | number | undefined>) => {
    const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== '');
    return entries.length ? `?${entries.map(([k, v]) => `${q(k)}=${q(String(v))}`).join('&')}` : '';
  };
  const exportPath = (o: ContactExportOptions) =>
    `/api/v1/contacts/export${query({
      q: o.q,
      tag_ids: o.tag_ids?.join(','),
      tag_match: o.tag_match,
      fields: o.fields?.length ? JSON.stringify(o.fields) : undefined,
      consent: o.consent,
      segment_id: o.segment_id,
    })}`;
  /** Reads an NDJSON stream line by line. */
  async function* ndjson(res: Response): AsyncGenerator<Record<string, unknown>> {
    const reader = res.body?.getReader();
    if (!reader) return;
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) yield JSON.parse(line) as Record<string, unknown>;
        nl = buf.indexOf('\n');
      }
    }
    if (buf.trim()) yield JSON.parse(buf) as Record<string, unknown>;
  }

  return {
    apiKeys: {
      /** @example const { data } = await api.apiKeys.list() */
      list: () => call(ApiKeyList, 'GET', '/api/v1/api-keys'),
      /**
       * The whole key is in `key`, this once.
       * @example const { key } = await api.apiKeys.create({ name: 'Shop backend', scopes: ['conversations.reply', 'contacts.write'] })
       */
      create: (body: z.input<typeof CreateApiKeyBody>) =>
        call(CreatedApiKey, 'POST', '/api/v1/api-keys', body),
      /** @example await api.apiKeys.revoke(id) */
      revoke: (id: string) => call(ApiKey, 'POST', `/api/v1/api-keys/${q(id)}/revoke`, {}),
    },
    /**
     * Outbound webhooks (docs/webhooks.md): endpoints, their secrets, the delivery log and replay.
     * Receivers check each request with `verifyWebhook` (exported by this package).
     */
    webhooks: {
      /** @example const { data } = await api.webhooks.eventTypes() // [{ type: 'message.received', description }] */
      eventTypes: () => call(WebhookEventTypeList, 'GET', '/api/v1/webhooks/event-types'),
      endpoints: {
        /** @example const { data } = await api.webhooks.endpoints.list() */
        list: () => call(WebhookEndpointList, 'GET', '/api/v1/webhooks/endpoints'),
        /** @example const ep = await api.webhooks.endpoints.get(id) */
        get: (id: string) => call(WebhookEndpoint, 'GET', `/api/v1/webhooks/endpoints/${q(id)}`),
        /**
         * The signing secret (`whsec_…`) is in `secret` of the answer; the URL must be public (or on
         * the server's FETCH_ALLOW_PRIVATE list), else a 400 says why.
         * @example const { id, secret } = await api.webhooks.endpoints.create({ url: 'https://crm.example.com/hooks/openwaba', event_types: ['message.received', 'contact.opted_out'] })
         */
        create: (body: z.input<typeof CreateWebhookEndpointBody>) =>
          call(CreatedWebhookEndpoint, 'POST', '/api/v1/webhooks/endpoints', body),
        /** @example await api.webhooks.endpoints.update(id, { status: 'paused' }) */
        update: (id: string, body: z.input<typeof UpdateWebhookEndpointBody>) =>
          call(WebhookEndpoint, 'PATCH', `/api/v1/webhooks/endpoints/${q(id)}`, body),
        /** @example await api.webhooks.endpoints.remove(id) */
        remove: (id: string) => call(Ok, 'DELETE', `/api/v1/webhooks/endpoints/${q(id)}`),
        /** @example const { secret } = await api.webhooks.endpoints.secret(id) */
        secret: (id: string) => call(WebhookSecret, 'GET', `/api/v1/webhooks/endpoints/${q(id)}/secret`),
        /**
         * A new secret; the old one keeps signing too for `overlap_hours` (default 24).
         * @example const { secret } = await api.webhooks.endpoints.rotateSecret(id, { overlap_hours: 2 })
         */
        rotateSecret: (id: string, body: z.input<typeof RotateWebhookSecretBody> = {}) =>
          call(WebhookSecret, 'POST', `/api/v1/webhooks/endpoints/${q(id)}/rotate-secret`, body),
        /**
         * Sends a `webhook.test` event now and answers its delivery (state, status code, error).
         * @example const d = await api.webhooks.endpoints.test(id); if (d.state !== 'succeeded') console.log(d.last_error)
         */
        test: (id: string) => call(WebhookDelivery, 'POST', `/api/v1/webhooks/endpoints/${q(id)}/test`, {}),
        /** @example const { data, next_cursor } = await api.webhooks.endpoints.deliveries(id, { state: 'dead' }) */
        deliveries: (
          id: string,
          o: Omit<z.input<typeof WebhookDeliveryQuery>, 'limit'> & { limit?: number } = {},
        ) => call(WebhookDeliveryPage, 'GET', `/api/v1/webhooks/endpoints/${q(id)}/deliveries${query(o)}`),
        /**
         * Resends the deliveries created in a time range (`state: 'dead'` by default, or `'all'`).
         * @example const { replayed } = await api.webhooks.endpoints.replay(id, { since: '2026-01-01T00:00:00Z' })
         */
        replay: (id: string, body: z.input<typeof ReplayWebhookDeliveriesBody>) =>
          call(ReplayResult, 'POST', `/api/v1/webhooks/endpoints/${q(id)}/replay`, body),
      },
      deliveries: {
        /** @example const d = await api.webhooks.deliveries.get(id); d.attempts_log.at(-1)?.response_excerpt */
        get: (id: string) => call(WebhookDeliveryDetail, 'GET', `/api/v1/webhooks/deliveries/${q(id)}`),
        /**
         * Sends it again: a new series of attempts with the same `webhook-id`.
         * @example await api.webhooks.deliveries.replay(id)
         */
        replay: (id: string) =>
          call(WebhookDelivery, 'POST', `/api/v1/webhooks/deliveries/${q(id)}/replay`, {}),
      },
    },
    ai: {
      /** @example const s = await api.ai.settings() */
      settings: () => call(AiSettings, 'GET', '/api/v1/ai/settings'),
      /** The key is sealed at rest and never returned; omit `api_key` to keep it, null to remove it. */
      updateSettings: (body: z.input<typeof UpdateAiSettingsBody>) =>
        call(AiSettings, 'PATCH', '/api/v1/ai/settings', body),
      /** One tiny call with the stored settings. */
      test: () => call(AiTestResult, 'POST', '/api/v1/ai/settings/test'),
      numbers: () => call(NumberAiList, 'GET', '/api/v1/ai/numbers'),
      /** @example await api.ai.updateNumber(id, { mode: 'auto', system_prompt: 'You answer for Acme Bakery.' }) */
      updateNumber: (numberId: string, body: z.input<typeof UpdateNumberAiBody>) =>
        call(NumberAi, 'PATCH', `/api/v1/ai/numbers/${q(numberId)}`, body),
      calls: (o: { purpose?: string; outcome?: string; cursor?: string; limit?: number } = {}) =>
        call(AiCallList, 'GET', `/api/v1/ai/calls${query(o)}`),
      /** The call log as CSV, streamed. */
      exportCalls: (o: { purpose?: string; outcome?: string } = {}) =>
        download(`/api/v1/ai/calls.csv${query(o)}`),
      knowledge: {
        list: () => call(KnowledgeList, 'GET', '/api/v1/ai/knowledge'),
        get: (id: string) => call(KnowledgeDocFull, 'GET', `/api/v1/ai/knowledge/${q(id)}`),
        create: (body: z.input<typeof CreateKnowledgeBody>) =>
          call(KnowledgeDoc, 'POST', '/api/v1/ai/knowledge', body),
        update: (id: string, body: z.input<typeof UpdateKnowledgeBody>) =>
          call(KnowledgeDoc, 'PATCH', `/api/v1/ai/knowledge/${q(id)}`, body),
        remove: (id: string) => call(Ok, 'DELETE', `/api/v1/ai/knowledge/${q(id)}`),
        /** A text, Markdown, PDF or DOCX file. */
        upload: (file: Blob, filename: string, o: { title?: string; number_id?: string } = {}) =>
          call(
            KnowledgeDoc,
            'POST',
            `/api/v1/ai/knowledge/upload${query({ filename, ...o })}`,
            file,
            file.type || 'application/octet-stream',
          ),
        search: (q2: string, numberId?: string) =>
          call(
            KnowledgeSearchResult,
            'GET',
            `/api/v1/ai/knowledge/search${query({ q: q2, number_id: numberId })}`,
          ),
      },
      /** A conversation's AI: mode, hand-over, replies' sources, labels. */
      conversation: (id: string) => call(ConversationAi, 'GET', `/api/v1/conversations/${q(id)}/ai`),
      takeOver: (id: string) => call(ConversationAi, 'POST', `/api/v1/conversations/${q(id)}/ai/take-over`),
      handBack: (id: string) => call(ConversationAi, 'POST', `/api/v1/conversations/${q(id)}/ai/hand-back`),
      summary: (id: string) => call(AiSummary, 'POST', `/api/v1/conversations/${q(id)}/ai/summary`),
      /**
       * A draft reply, streamed: `onDelta` gets each piece as it is written; resolves with the whole.
       * @example const s = await api.ai.suggest(id, (d) => setDraft((t) => t + d))
       */
      suggest: async (id: string, onDelta: (text: string) => void) => {
        const res = await request('POST', `/api/v1/conversations/${q(id)}/ai/suggest`);
        let final: z.infer<typeof AiSuggestion> & { handover: boolean } = {
          text: '',
          sources: [],
          handover: false,
        };
        for await (const l of ndjson(res)) {
          if (typeof l.delta === 'string') onDelta(l.delta);
          else if (l.error) {
            const e = l.error as { code?: string; message?: string };
            throw new ApiError(502, e.code ?? 'UNAVAILABLE', e.message ?? 'No suggestion');
          } else if (l.done) final = { ...AiSuggestion.parse(l), handover: l.handover === true };
        }
        return final;
      },
    },
    automation: {
      rules: {
        /** By priority (lower first), with match statistics. @example const { data } = await api.automation.rules.list() */
        list: () => call(RuleList, 'GET', '/api/v1/automation/rules'),
        /** @example await api.automation.rules.create({ name: 'Price', match: { kind: 'contains', patterns: ['price'] }, actions: [{ type: 'reply_text', text: 'Our prices: …' }] }) */
        create: (body: z.input<typeof RuleBody>) => call(Rule, 'POST', '/api/v1/automation/rules', body),
        /** @example await api.automation.rules.update(id, { ...rule, enabled: false }) */
        update: (id: string, body: z.input<typeof RuleBody>) =>
          call(Rule, 'PUT', `/api/v1/automation/rules/${q(id)}`, body),
        /** @example await api.automation.rules.remove(id) */
        remove: (id: string) => call(Ok, 'DELETE', `/api/v1/automation/rules/${q(id)}`),
        /** Which step of the chain would handle this message, and why; nothing is sent. @example const r = await api.automation.rules.test({ text: 'price?' }) */
        test: (body: z.input<typeof ChainTestBody>) =>
          call(ChainTestResult, 'POST', '/api/v1/automation/test', body),
      },
      hours: {
        /** @example const { data } = await api.automation.hours.list() */
        list: () => call(HoursList, 'GET', '/api/v1/automation/hours'),
        /** @example await api.automation.hours.create({ name: 'Shop', weekly: { mon: [{ from: '09:00', to: '17:00' }] } }) */
        create: (body: z.input<typeof HoursBody>) => call(Hours, 'POST', '/api/v1/automation/hours', body),
        /** @example await api.automation.hours.update(id, body) */
        update: (id: string, body: z.input<typeof HoursBody>) =>
          call(Hours, 'PUT', `/api/v1/automation/hours/${q(id)}`, body),
        /** @example await api.automation.hours.remove(id) */
        remove: (id: string) => call(Ok, 'DELETE', `/api/v1/automation/hours/${q(id)}`),
        /** Open now? For a number (or team), the schedule that applies. @example const { open } = await api.automation.hours.status({ number_id }) */
        status: (o: { number_id?: string; team_id?: string; at?: string } = {}) =>
          call(HoursStatus, 'GET', `/api/v1/automation/hours/status${query(o)}`),
      },
      flows: {
        /** @example const { data } = await api.automation.flows.list() */
        list: () => call(FlowList, 'GET', '/api/v1/automation/flows'),
        /** A new flow with a draft graph. @example const f = await api.automation.flows.create({ name: 'Menu', graph }) */
        create: (body: z.input<typeof FlowBody>) => call(Flow, 'POST', '/api/v1/automation/flows', body),
        /** @example const f = await api.automation.flows.get(id) */
        get: (id: string) => call(Flow, 'GET', `/api/v1/automation/flows/${q(id)}`),
        /** Saves the draft (and name, description, enabled). @example await api.automation.flows.update(id, { graph }) */
        update: (id: string, body: z.input<typeof FlowPatch>) =>
          call(Flow, 'PATCH', `/api/v1/automation/flows/${q(id)}`, body),
        /** Running contacts are stopped. @example await api.automation.flows.remove(id) */
        remove: (id: string) => call(Ok, 'DELETE', `/api/v1/automation/flows/${q(id)}`),
        /** Problems of a graph (the draft when none is given). @example const { ok, problems } = await api.automation.flows.validate(id) */
        validate: (id: string, graph?: unknown) =>
          call(FlowValidation, 'POST', `/api/v1/automation/flows/${q(id)}/validate`, graph ? { graph } : {}),
        /** The draft becomes the next version (refused with its problems if any is an error). @example await api.automation.flows.publish(id) */
        publish: (id: string) => call(Flow, 'POST', `/api/v1/automation/flows/${q(id)}/publish`),
        /** @example const { data } = await api.automation.flows.versions(id) */
        versions: (id: string) => call(FlowVersionList, 'GET', `/api/v1/automation/flows/${q(id)}/versions`),
        /** Entered / completed / dropped / timed out per node. @example const s = await api.automation.flows.stats(id) */
        stats: (id: string, version?: number) =>
          call(FlowStats, 'GET', `/api/v1/automation/flows/${q(id)}/stats${query({ version })}`),
        /** @example const json = await api.automation.flows.export(id) */
        export: (id: string) => call(FlowExport, 'GET', `/api/v1/automation/flows/${q(id)}/export`),
        /** A new flow (a draft) from exported JSON. @example await api.automation.flows.import(json) */
        import: (body: unknown) => call(Flow, 'POST', '/api/v1/automation/flows/import', body),
        /** Starts the published flow for one contact. @example await api.automation.flows.start(id, { number_id, to: '+15551234567' }) */
        start: (id: string, body: z.input<typeof FlowStartBody>) =>
          call(FlowRun, 'POST', `/api/v1/automation/flows/${q(id)}/runs`, body),
        /** A test run against the dashboard's test chat: sends nothing. @example const run = await api.automation.flows.test(id) */
        test: (id: string, body: z.input<typeof FlowTestBody> = {}) =>
          call(FlowRunDetail, 'POST', `/api/v1/automation/flows/${q(id)}/test`, body),
      },
      runs: {
        /** @example const { data } = await api.automation.runs.list({ flow_id }) */
        list: (o: Partial<z.input<typeof FlowRunQuery>> = {}) =>
          call(FlowRunList, 'GET', `/api/v1/automation/runs${query(o as Record<string, string>)}`),
        /** With its execution log. @example const run = await api.automation.runs.get(id) */
        get: (id: string) => call(FlowRunDetail, 'GET', `/api/v1/automation/runs/${q(id)}`),
        /** @example await api.automation.runs.stop(id) */
        stop: (id: string) => call(FlowRun, 'POST', `/api/v1/automation/runs/${q(id)}/stop`),
        /** The tester's reply in a test run. @example await api.automation.runs.testReply(id, { text: 'yes' }) */
        testReply: (id: string, body: z.input<typeof TestReplyBody>) =>
          call(FlowRunDetail, 'POST', `/api/v1/automation/runs/${q(id)}/test-reply`, body),
      },
    },
    numbers: {
      /** @example const { data } = await api.numbers.list() */
      list: () => call(WaNumberList, 'GET', '/api/v1/numbers'),
      /** Meta is asked before the number is saved. @example await api.numbers.create({ display_name, phone_number_id, waba_id, access_token, app_secret, verify_token }) */
      create: (body: CreateNumberBody) => call(WaNumber, 'POST', '/api/v1/numbers', body),
      /** @example await api.numbers.update(id, { access_token: newToken }) */
      update: (id: string, body: UpdateNumberBody) =>
        call(WaNumber, 'PATCH', `/api/v1/numbers/${q(id)}`, body),
      /** What deleting a number would delete with it. @example const counts = await api.numbers.deletion(id) */
      deletion: (id: string) => call(NumberDeletionCounts, 'GET', `/api/v1/numbers/${q(id)}/deletion`),
      /** Deletes a number with everything it holds, confirmed with the counts shown (409: they changed). @example await api.numbers.remove(id, await api.numbers.deletion(id)) */
      remove: (id: string, confirm: NumberDeletionCounts) =>
        call(Ok, 'DELETE', `/api/v1/numbers/${q(id)}`, { confirm }),
      /** @example const { ok, health, error } = await api.numbers.test(id) */
      test: (id: string) => call(NumberTestResult, 'POST', `/api/v1/numbers/${q(id)}/test`),
      /** The number's business portfolio: the daily limit its numbers share and its use. @example const { limit, used } = await api.numbers.portfolio(id) */
      portfolio: (id: string) => call(NumberPortfolio, 'GET', `/api/v1/numbers/${q(id)}/portfolio`),
    },
    conversations: {
      /** @example const { data, next_cursor } = await api.conversations.list({ assigned: 'me', unread: true }) */
      list: (
        o: {
          assigned?: 'me' | 'unassigned' | 'all';
          number_id?: string;
          status?: string;
          tag_id?: string;
          /** An AI intent label on one of the customer's messages. */
          label?: string;
          unread?: boolean;
          search?: string;
          before?: string;
          limit?: number;
        } = {},
      ) =>
        call(
          ConversationPage,
          'GET',
          `/api/v1/conversations${query({ ...o, unread: o.unread === undefined ? undefined : String(o.unread) })}`,
        ),
      /** @example const c = await api.conversations.get(id) */
      get: (id: string) => call(Conversation, 'GET', `/api/v1/conversations/${q(id)}`),
      /** @example const { data } = await api.conversations.messages(id) */
      messages: (id: string, o: { before?: string; limit?: number } = {}) =>
        call(MessagePage, 'GET', `/api/v1/conversations/${q(id)}/messages${query(o)}`),
      /**
       * Free-form inside the 24-hour window (else WINDOW_CLOSED), a template at any time.
       * @example await api.conversations.reply(id, { content: { type: 'text', text: { body: 'Hi!' } } })
       */
      reply: (id: string, body: z.input<typeof ReplyBody>) =>
        call(ReplyQueued, 'POST', `/api/v1/conversations/${q(id)}/reply`, body),
      /**
       * A file to send: checked (type, size), uploaded to Meta once per number; then reply with it.
       * @example const m = await api.conversations.uploadMedia(id, file, file.name); await api.conversations.reply(id, { content: { type: m.type, [m.type]: { id: m.id } } })
       */
      uploadMedia: (id: string, file: Blob, filename?: string) =>
        call(
          UploadedMedia,
          'POST',
          `/api/v1/conversations/${q(id)}/media${query({ filename })}`,
          file,
          file.type || 'application/octet-stream',
        ),
      /** An empty emoji removes the reaction. @example await api.conversations.react(id, messageId, '👍') */
      react: (id: string, messageId: string, emoji: string) =>
        call(ReplyQueued, 'POST', `/api/v1/conversations/${q(id)}/messages/${q(messageId)}/reaction`, {
          emoji,
        }),
      /** Sends a failed message again as a new one. @example await api.conversations.retry(id, messageId) */
      retry: (id: string, messageId: string) =>
        call(ReplyQueued, 'POST', `/api/v1/conversations/${q(id)}/messages/${q(messageId)}/retry`, {}),
      /** Your unread count resets (and WhatsApp gets a read receipt if the organisation sends them). @example await api.conversations.read(id) */
      read: (id: string) => call(Ok, 'POST', `/api/v1/conversations/${q(id)}/read`),
      /** You are typing a reply: WhatsApp shows it to the customer (when read receipts are on; at most every 20 s). @example await api.conversations.typing(id) */
      typing: (id: string) => call(TypingResult, 'POST', `/api/v1/conversations/${q(id)}/typing`),
      /** `teamId` with 'round_robin': the next online agent of that team. @example await api.conversations.assign(id, 'round_robin', teamId) */
      assign: (id: string, assigneeId: string | null | 'round_robin', teamId?: string) =>
        call(Conversation, 'POST', `/api/v1/conversations/${q(id)}/assign`, {
          assignee_id: assigneeId,
          ...(teamId ? { team_id: teamId } : {}),
        }),
      /** @example await api.conversations.setStatus(id, 'snoozed', '2026-12-01T09:00:00Z') */
      setStatus: (id: string, status: string, snoozedUntil?: string) =>
        call(Conversation, 'POST', `/api/v1/conversations/${q(id)}/status`, {
          status,
          ...(snoozedUntil ? { snoozed_until: snoozedUntil } : {}),
        }),
      /** @example await api.conversations.setTags(id, [tagId]) */
      setTags: (id: string, tagIds: string[]) =>
        call(Conversation, 'PUT', `/api/v1/conversations/${q(id)}/tags`, { tag_ids: tagIds }),
      /** @example const { data } = await api.conversations.notes(id) */
      notes: (id: string) => call(NoteList, 'GET', `/api/v1/conversations/${q(id)}/notes`),
      /** @example await api.conversations.addNote(id, 'Refund sent — @ana@example.com FYI') */
      addNote: (id: string, body: string) =>
        call(Note, 'POST', `/api/v1/conversations/${q(id)}/notes`, { body }),
    },
    quickReplies: {
      /** @example const { data } = await api.quickReplies.list() */
      list: () => call(QuickReplyList, 'GET', '/api/v1/quick-replies'),
      /** @example await api.quickReplies.create({ shortcut: 'hours', body: 'Hi {{contact.name}}, we open at 9.' }) */
      create: (body: { shortcut: string; body: string }) =>
        call(QuickReply, 'POST', '/api/v1/quick-replies', body),
      /** @example await api.quickReplies.update(id, { shortcut: 'hours', body: '…' }) */
      update: (id: string, body: { shortcut: string; body: string }) =>
        call(QuickReply, 'PUT', `/api/v1/quick-replies/${q(id)}`, body),
      /** @example await api.quickReplies.remove(id) */
      remove: (id: string) => call(Ok, 'DELETE', `/api/v1/quick-replies/${q(id)}`),
      /** Filled in for a conversation's contact. @example const { text, missing } = await api.quickReplies.render(id, conversationId) */
      render: (id: string, conversationId: string) =>
        call(
          RenderedQuickReply,
          'GET',
          `/api/v1/quick-replies/${q(id)}/render${query({ conversation_id: conversationId })}`,
        ),
    },
    contacts: {
      /**
       * Create, or update the contact this phone or BSUID already names (name, fields, tags).
       * @example const c = await api.contacts.upsert({ phone: '+447700900123', name: 'Ana' })
       */
      upsert: (body: z.input<typeof CreateContactBody>) => call(Contact, 'PUT', '/api/v1/contacts', body),
      /**
       * Contacts, newest first, filtered like segments and bulk actions.
       * @example const { data, next_cursor } = await api.contacts.list({ q: 'ana', tag_ids: [vip], fields: [{ key: 'plan', op: 'eq', value: 'pro' }], consent: 'opted_in' })
       */
      list: (o: ContactListOptions = {}) =>
        call(
          ContactPage,
          'GET',
          `/api/v1/contacts${query({
            q: o.q,
            tag_ids: o.tag_ids?.join(','),
            tag_match: o.tag_match,
            fields: o.fields?.length ? JSON.stringify(o.fields) : undefined,
            consent: o.consent,
            segment_id: o.segment_id,
            cursor: o.cursor,
            limit: o.limit,
            with_total: o.with_total === undefined ? undefined : String(o.with_total),
          } satisfies Record<keyof ContactQuery, string | number | undefined>)}`,
        ),
      /**
       * A link that downloads the matching contacts as CSV (every contact without a filter).
       * @example <a href={api.contacts.exportUrl({ tag_ids: [vip] })} download>Export</a>
       */
      exportUrl: (o: ContactExportOptions = {}) => `${base}${exportPath(o)}`,
      /**
       * The matching contacts as CSV (every contact without a filter), streamed as the server writes
       * it: what a program saves to a file.
       * @example await pipeline(Readable.fromWeb(await api.contacts.exportCsv()), createWriteStream('contacts.csv'))
       */
      exportCsv: (o: ContactExportOptions = {}) => download(exportPath(o)),
      /** Importing a CSV or XLSX file: upload → preview → confirm → a job with progress. */
      imports: {
        /**
         * Sends the file as it is; the answer holds its headers, sample rows and a suggested mapping.
         * @example const upload = await api.contacts.imports.upload(file, file.name)
         */
        upload: (file: Blob, filename?: string) =>
          call(
            ImportUpload,
            'POST',
            `/api/v1/contacts/imports${query({ filename })}`,
            file,
            IMPORT_CONTENT_TYPES.includes(file.type) ? file.type : 'application/octet-stream',
          ),
        /** The first rows as they will be stored, and the counts of the whole file. @example const { rows, counts } = await api.contacts.imports.preview(id, { mapping: { phone: 'Mobile' } }) */
        preview: (id: string, body: ImportOptionsInput) =>
          call(ImportPreview, 'POST', `/api/v1/contacts/imports/${q(id)}/preview`, body),
        /** Starts the import job (all or nothing); follow `contacts.import_progress` or poll `get`. @example await api.contacts.imports.confirm(id, options) */
        confirm: (id: string, body: ImportOptionsInput) =>
          call(ImportQueued, 'POST', `/api/v1/contacts/imports/${q(id)}/confirm`, body),
        /** State, progress and final counts. @example const { state, processed, counts } = await api.contacts.imports.get(id) */
        get: (id: string) => call(ContactImport, 'GET', `/api/v1/contacts/imports/${q(id)}`),
        /** A link to the rows left out (row number, value, reason) as CSV. @example <a href={api.contacts.imports.rejectsUrl(id)}>Rejected rows</a> */
        rejectsUrl: (id: string) => `${base}/api/v1/contacts/imports/${q(id)}/rejects.csv`,
        /**
         * The rows left out (row_number, value, reason) as CSV, streamed.
         * @example if (imp.has_rejects) await pipeline(Readable.fromWeb(await api.contacts.imports.rejectsCsv(id)), createWriteStream('rejects.csv'))
         */
        rejectsCsv: (id: string) => download(`/api/v1/contacts/imports/${q(id)}/rejects.csv`),
      },
      /** @example const contact = await api.contacts.get(id) */
      get: (id: string) => call(Contact, 'GET', `/api/v1/contacts/${q(id)}`),
      /** The phone may be in any common format; a duplicate is a 409 whose `details.contact_id` names the existing contact. @example await api.contacts.create({ phone: '+44 7400 123456', name: 'Ana', opt_in: { source: 'web_form', proof: formUrl } }) */
      create: (body: z.input<typeof CreateContactBody>) => call(Contact, 'POST', '/api/v1/contacts', body),
      /** Field values are merged (null removes one); `tag_ids` replaces the tags. @example await api.contacts.update(id, { fields: { plan: 'pro' } }) */
      update: (id: string, body: UpdateContactBody) =>
        call(Contact, 'PATCH', `/api/v1/contacts/${q(id)}`, body),
      /** Deletes the contact and its conversations; its consent ledger is kept. @example await api.contacts.remove(id) */
      remove: (id: string) => call(Ok, 'DELETE', `/api/v1/contacts/${q(id)}`),
      /**
       * All or nothing, by `ids`, `filter` or `segment_id`. Deleting by a filter or a segment needs
       * `confirm_count` (the number the person was shown): another count is a 409 whose `details.count`
       * is the current one.
       * @example const { matched, affected } = await api.contacts.bulk({ action: 'tag', tag_ids: [vip], filter: { q: 'acme' } })
       * @example await api.contacts.bulk({ action: 'delete', filter: {}, confirm_count: total })
       */
      bulk: (body: BulkContactsBody) => call(BulkContactsResult, 'POST', '/api/v1/contacts/bulk', body),
      /** Everything held about the contact (GDPR access request). @example const data = await api.contacts.exportData(id) */
      exportData: (id: string) => call(ContactDataExport, 'GET', `/api/v1/contacts/${q(id)}/export`),
      /** A link that downloads it as a JSON file. @example <a href={api.contacts.exportDataUrl(id)} download>Export data</a> */
      exportDataUrl: (id: string) => `${base}/api/v1/contacts/${q(id)}/export`,
      /**
       * Erases the contact for good (GDPR): messages, files, notes, conversations, campaign rows and
       * the consent ledger; an opt-out is kept under a hashed phone so they are not messaged again.
       * @example const { deleted, opt_out_kept } = await api.contacts.erase(id)
       */
      erase: (id: string) =>
        call(ContactErasure, 'POST', `/api/v1/contacts/${q(id)}/erase`, { confirm: 'erase' }),
      /** Messages, consent changes and edits, newest first. @example const { data, next_cursor } = await api.contacts.timeline(id) */
      timeline: (id: string, o: { cursor?: string; limit?: number } = {}) =>
        call(TimelinePage, 'GET', `/api/v1/contacts/${q(id)}/timeline${query(o)}`),
      /** The campaigns the contact was sent. @example const { data } = await api.contacts.campaigns(id) */
      campaigns: (id: string) => call(ContactCampaigns, 'GET', `/api/v1/contacts/${q(id)}/campaigns`),
      /** The consent state and its ledger. @example const { state, data } = await api.contacts.consent(id) */
      consent: (id: string) => call(ConsentLedger, 'GET', `/api/v1/contacts/${q(id)}/consent`),
      /** Proof is required to opt in. @example await api.contacts.recordConsent(id, { kind: 'opt_in', proof: 'Signed form #42' }) */
      recordConsent: (id: string, body: z.input<typeof RecordConsentBody>) =>
        call(ConsentEvent, 'POST', `/api/v1/contacts/${q(id)}/consent`, body),
      /** Opt-out / opt-in keywords and the STOP confirmation text. @example const { opt_out_keywords } = await api.contacts.settings() */
      settings: () => call(ContactSettings, 'GET', '/api/v1/contacts/settings'),
      /** null restores a built-in keyword list. @example await api.contacts.updateSettings({ opt_out_keywords: ['STOP', 'BASTA'] }) */
      updateSettings: (body: ContactSettingsPatch) =>
        call(ContactSettings, 'PATCH', '/api/v1/contacts/settings', body),
    },
    tags: {
      /** @example const { data } = await api.tags.list() */
      list: () => call(TagList, 'GET', '/api/v1/tags'),
      /** @example const tag = await api.tags.create({ name: 'VIP', color: '#25d366' }) */
      create: (body: CreateTagBody) => call(Tag, 'POST', '/api/v1/tags', body),
      /** @example await api.tags.update(id, { name: 'Gold' }) */
      update: (id: string, body: UpdateTagBody) => call(Tag, 'PATCH', `/api/v1/tags/${q(id)}`, body),
      /** @example await api.tags.remove(id) */
      remove: (id: string) => call(Ok, 'DELETE', `/api/v1/tags/${q(id)}`),
    },
    fields: {
      /** Custom field definitions. @example const { data } = await api.fields.list() */
      list: () => call(CustomFieldList, 'GET', '/api/v1/fields'),
      /** @example await api.fields.create({ key: 'plan', label: 'Plan', type: 'enum', options: ['free', 'pro'] }) */
      create: (body: CreateFieldBody) => call(CustomField, 'POST', '/api/v1/fields', body),
      /** The key and type are fixed; an enum option still in use cannot be removed (409). @example await api.fields.update(id, { label: 'Plan name' }) */
      update: (id: string, body: UpdateFieldBody) =>
        call(CustomField, 'PATCH', `/api/v1/fields/${q(id)}`, body),
      /** Also removes every contact's value. @example await api.fields.remove(id) */
      remove: (id: string) => call(Ok, 'DELETE', `/api/v1/fields/${q(id)}`),
    },
    segments: {
      /** Saved filters; list a segment's contacts with `api.contacts.list({ segment_id })`. @example const { data } = await api.segments.list() */
      list: () => call(SegmentList, 'GET', '/api/v1/segments'),
      /** @example const seg = await api.segments.get(id) */
      get: (id: string) => call(Segment, 'GET', `/api/v1/segments/${q(id)}`),
      /** @example await api.segments.create({ name: 'VIPs in London', filter: { tag_ids: [vip], fields: [{ key: 'city', op: 'eq', value: 'London' }] } }) */
      create: (body: CreateSegmentBody) => call(Segment, 'POST', '/api/v1/segments', body),
      /** @example await api.segments.update(id, { name: 'VIPs' }) */
      update: (id: string, body: UpdateSegmentBody) =>
        call(Segment, 'PATCH', `/api/v1/segments/${q(id)}`, body),
      /** @example await api.segments.remove(id) */
      remove: (id: string) => call(Ok, 'DELETE', `/api/v1/segments/${q(id)}`),
    },
    templates: {
      /** The synced catalogue; inactive (deleted at Meta) ones only on request. @example const { data } = await api.templates.list({ usable: true }) */
      list: (
        o: {
          waba_id?: string;
          status?: string;
          category?: 'AUTHENTICATION' | 'MARKETING' | 'UTILITY';
          quarantined?: boolean;
          usable?: boolean;
          include_inactive?: boolean;
          search?: string;
        } = {},
      ) =>
        call(
          TemplateList,
          'GET',
          `/api/v1/templates${query({
            ...o,
            quarantined: o.quarantined === undefined ? undefined : String(o.quarantined),
            usable: o.usable === undefined ? undefined : String(o.usable),
            include_inactive: o.include_inactive === undefined ? undefined : String(o.include_inactive),
          })}`,
        ),
      /** @example const t = await api.templates.get(id) */
      get: (id: string) => call(Template, 'GET', `/api/v1/templates/${q(id)}`),
      /** Category changes, as seen by sync, webhook or Meta's announcement. @example const { data } = await api.templates.history(id) */
      history: (id: string) => call(TemplateHistory, 'GET', `/api/v1/templates/${q(id)}/history`),
      /** Pulls every WABA's templates from Meta now (or one WABA's). @example const { created, quarantined, errors } = await api.templates.sync() */
      sync: (body: { waba_id?: string } = {}) =>
        call(TemplateSyncResult, 'POST', '/api/v1/templates/sync', body),
      /**
       * The message as the customer sees it, for given values or for a contact through a mapping.
       * @example const { ok, rendered, problems, missing } = await api.templates.render(id, { contact_id, mapping: { 'body.1': { contact: 'name' } } })
       */
      render: (
        id: string,
        body: { params: TemplateParams } | { contact_id: string; mapping: VariableMapping },
      ) => call(TemplateRenderResult, 'POST', `/api/v1/templates/${q(id)}/render`, body),
      /** Only when the current category is allowed in campaigns (else a 409 that says why). @example await api.templates.unquarantine(id) */
      unquarantine: (id: string) => call(Template, 'POST', `/api/v1/templates/${q(id)}/unquarantine`),
      /** Checked against Meta's rules, then submitted; it starts PENDING. @example await api.templates.create({ number_id, name: 'order_ready', language: 'en_US', category: 'UTILITY', body: { text: 'Hi {{1}}, ready!', examples: ['Ana'] } }) */
      create: (body: z.input<typeof CreateTemplateBody>) => call(Template, 'POST', '/api/v1/templates', body),
      /** Deletes it at Meta; it stays here, inactive. @example await api.templates.remove(id) */
      remove: (id: string) => call(Ok, 'DELETE', `/api/v1/templates/${q(id)}`),
    },
    campaigns: {
      /** Newest first, with live counts. @example const { data } = await api.campaigns.list() */
      list: () => call(CampaignList, 'GET', '/api/v1/campaigns'),
      /** A draft: the audience is resolved into checked, rendered recipients. @example const c = await api.campaigns.create({ name: 'Spring', number_id, audience: { kind: 'contacts', filter: { tag_ids: [vip] } }, templates: [{ template_id, mapping: { 'body.1': { contact: 'name' } } }] }) */
      create: (body: z.input<typeof CreateCampaignBody>) => call(Campaign, 'POST', '/api/v1/campaigns', body),
      /**
       * Uploads an audience CSV/XLSX (one recipient per row); create the campaign with
       * `audience: { kind: 'file', file_id: upload.id, phone_column }`. The file is read once and deleted.
       * @example const upload = await api.campaigns.uploadAudience(file, file.name)
       */
      uploadAudience: (file: Blob, filename?: string) =>
        call(
          ImportUpload,
          'POST',
          `/api/v1/campaigns/audience-files${query({ filename })}`,
          file,
          IMPORT_CONTENT_TYPES.includes(file.type) ? file.type : 'application/octet-stream',
        ),
      /** @example const c = await api.campaigns.get(id) */
      get: (id: string) => call(Campaign, 'GET', `/api/v1/campaigns/${q(id)}`),
      /** Pre-flight, then start now; a failed pre-flight leaves it `failed` with the reasons. @example await api.campaigns.start(id) */
      start: (id: string) => call(Campaign, 'POST', `/api/v1/campaigns/${q(id)}/start`),
      /** @example await api.campaigns.schedule(id, '2026-12-01T09:00:00Z') */
      schedule: (id: string, at: string) =>
        call(Campaign, 'POST', `/api/v1/campaigns/${q(id)}/schedule`, { at }),
      /** @example await api.campaigns.pause(id) */
      pause: (id: string) => call(Campaign, 'POST', `/api/v1/campaigns/${q(id)}/pause`),
      /** @example await api.campaigns.resume(id) */
      resume: (id: string) => call(Campaign, 'POST', `/api/v1/campaigns/${q(id)}/resume`),
      /** @example await api.campaigns.stop(id) */
      stop: (id: string) => call(Campaign, 'POST', `/api/v1/campaigns/${q(id)}/stop`),
      /** Not while running or paused. @example await api.campaigns.remove(id) */
      remove: (id: string) => call(Ok, 'DELETE', `/api/v1/campaigns/${q(id)}`),
      /** @example const { data, next_cursor } = await api.campaigns.recipients(id, { state: 'failed' }) */
      recipients: (id: string, o: { state?: string; after?: number; limit?: number } = {}) =>
        call(CampaignRecipientPage, 'GET', `/api/v1/campaigns/${q(id)}/recipients${query(o)}`),
      /** Funnel, rates, failures by Meta error, per-template split. @example const r = await api.campaigns.report(id) */
      report: (id: string) => call(CampaignReport, 'GET', `/api/v1/campaigns/${q(id)}/report`),
      /** Where the recipients CSV is downloaded. @example <a href={api.campaigns.exportUrl(id)}>CSV</a> */
      exportUrl: (id: string) => `${base}/api/v1/campaigns/${q(id)}/export.csv`,
    },
    messages: {
      /**
       * A message from code (to a phone, a BSUID or a contact), through every check of the send path.
       * `idempotencyKey`: the same key and body again return the same answer, never a second message.
       * @example const m = await api.messages.send({ to: { phone: '+447700900123' }, content: { type: 'text', text: { body: 'Your order shipped' } } }, { idempotencyKey: 'order-4711-shipped' })
       */
      send: async (body: z.input<typeof SendMessageBody>, o: { idempotencyKey?: string } = {}) => {
        const res = await request(
          'POST',
          '/api/v1/messages',
          body,
          undefined,
          o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {},
        );
        return SentMessage.parse(await res.json());
      },
      /** @example const m = await api.messages.get(id); m.status // 'delivered' */
      get: (id: string) => call(Message, 'GET', `/api/v1/messages/${q(id)}`),
      /** Where a received media file is served once `message.media.state` is `ready`. @example <img src={api.messages.mediaUrl(m.id)} /> */
      mediaUrl: (id: string) => `${base}/api/v1/messages/${q(id)}/media`,
      /** Downloads a media file again after it failed. @example const { state } = await api.messages.retryMedia(m.id) */
      retryMedia: (id: string) => call(MediaRetryResult, 'POST', `/api/v1/messages/${q(id)}/media/retry`),
    },
    webhookEvents: {
      /**
       * Raw webhook POSTs from Meta that touched your numbers, newest first; `from_id` / `to_id` bound
       * the ids (inclusive): page back through a range by asking again with `to_id` below the last id.
       * @example const { data } = await api.webhookEvents.list({ state: 'failed' })
       * @example const { data } = await api.webhookEvents.list({ from_id: 100, to_id: 250, limit: 200 })
       */
      list: (
        o: {
          state?: z.infer<typeof WebhookEventQuery>['state'];
          from_id?: number;
          to_id?: number;
          limit?: number;
        } = {},
      ) => call(WebhookEventList, 'GET', `/api/v1/webhook-events${query(o)}`),
      /** Processes a stored event again; unique constraints keep anything from being duplicated. @example const { result } = await api.webhookEvents.replay(event.id) */
      replay: (id: number) =>
        call(WebhookReplayResult, 'POST', `/api/v1/webhook-events/${q(String(id))}/replay`),
    },
    events: {
      /** Events after an id; the realtime client's polling fallback. @example const page = await api.events.since(42) */
      since: (since: number, limit?: number) =>
        call(EventPage, 'GET', `/api/v1/events${query({ since, limit })}`),
    },
    notifications: {
      /** @example const { data, next_cursor, unread_count } = await api.notifications.list() */
      list: (o: { before?: string; limit?: number; unread?: boolean } = {}) =>
        call(
          NotificationPage,
          'GET',
          `/api/v1/notifications${query({ before: o.before, limit: o.limit, unread: o.unread === undefined ? undefined : String(o.unread) })}`,
        ),
      /** @example const { unread_count } = await api.notifications.unreadCount() */
      unreadCount: () => call(UnreadCount, 'GET', '/api/v1/notifications/unread-count'),
      /** @example await api.notifications.markRead(id) */
      markRead: (id: string) => call(UnreadCount, 'POST', `/api/v1/notifications/${q(id)}/read`),
      /** @example await api.notifications.markAllRead() */
      markAllRead: () => call(UnreadCount, 'POST', '/api/v1/notifications/read-all'),
      /** Sends yourself a test notification through a background worker. @example await api.notifications.sendTest() */
      sendTest: () => call(z.object({ job_id: z.string() }), 'POST', '/api/v1/notifications/test'),
    },
    audit: {
      /** @example const { data, next_cursor } = await api.audit.list({ action: 'org.update' }) */
      list: (o: Partial<Omit<AuditQuery, 'limit'>> & { limit?: number } = {}) =>
        call(AuditPage, 'GET', `/api/v1/audit${query(o)}`),
      /** A link that downloads the filtered log as CSV. @example location.href = api.audit.csvUrl({ action: 'member' }) */
      csvUrl: (o: Partial<Omit<AuditQuery, 'limit' | 'before'>> = {}) =>
        `${base}/api/v1/audit.csv${query(o)}`,
    },
    jobs: {
      /** @example const { data } = await api.jobs.list({ state: 'failed' }) */
      list: (o: { state?: JobState; queue?: string; limit?: number } = {}) =>
        call(JobPage, 'GET', `/api/v1/jobs${query(o)}`),
      /** @example await api.jobs.retry(job.queue, job.id) */
      retry: (queue: string, id: string) => call(Ok, 'POST', `/api/v1/jobs/${q(queue)}/${q(id)}/retry`),
    },
    auth: {
      /** @example await api.auth.login({ email, password }) */
      login: (body: { email: string; password: string }) =>
        call(LoginResult, 'POST', '/api/v1/auth/login', body),
      /** @example await api.auth.logout() */
      logout: () => call(Ok, 'POST', '/api/v1/auth/logout'),
      /** @example const stillSignedIn = await api.auth.refresh() */
      refresh: () => refreshSession(),
      /** Never 401. @example const { signed_in, needs_refresh } = await api.auth.session() */
      session: () => call(SessionState, 'GET', '/api/v1/auth/session'),
    },
    me: {
      /** @example const { user, org, role, orgs } = await api.me.get() */
      get: () => call(Me, 'GET', '/api/v1/me'),
      /**
       * The signed-in user, or null when signed out. The session is asked about first, so a
       * signed-out browser makes no failing request; an expired access token is refreshed before /me.
       * @example const me = await api.me.current(); if (!me) showSignIn()
       */
      current: async (): Promise<Me | null> => {
        const state = await call(SessionState, 'GET', '/api/v1/auth/session');
        if (!state.signed_in || (state.needs_refresh && !(await refreshSession()))) return null;
        try {
          return await call(Me, 'GET', '/api/v1/me');
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) return null;
          throw err;
        }
      },
      /** @example await api.me.switchOrg(orgId) */
      switchOrg: (orgId: string) => call(Me, 'POST', '/api/v1/me/org', { org_id: orgId }),
      /** @example await api.me.changePassword({ current_password, new_password }) */
      changePassword: (body: { current_password: string; new_password: string }) =>
        call(Ok, 'POST', '/api/v1/me/password', body),
      /** @example const { data } = await api.me.sessions() */
      sessions: () => call(SessionList, 'GET', '/api/v1/me/sessions'),
      /** @example await api.me.revokeSession(id) */
      revokeSession: (id: string) => call(Ok, 'DELETE', `/api/v1/me/sessions/${q(id)}`),
    },
    orgs: {
      /** Instance administrators only (see `me.can_create_orgs`). @example const org = await api.orgs.create({ name: 'Second shop' }) */
      create: (body: { name: string }) => call(Org, 'POST', '/api/v1/orgs', body),
      /** The current organisation. @example const { settings } = await api.orgs.current() */
      current: () => call(Org, 'GET', '/api/v1/org'),
      /** @example await api.orgs.update({ settings: { timezone: 'Asia/Kolkata' } }) */
      update: (body: { name?: string; settings?: OrgSettingsPatch }) =>
        call(Org, 'PATCH', '/api/v1/org', body),
    },
    rates: {
      /** Meta's rate card in force today (or on a day). @example const { rates, currency } = await api.rates.current() */
      current: (o: { at?: string } = {}) => call(RateCard, 'GET', `/api/v1/rates${query(o)}`),
      /**
       * Replaces the card's effective days that the CSV gives, all or nothing (400 lists bad lines in
       * `details`). Instance administrators only.
       * @example await api.rates.import({ csv: 'effective_from,market,category,rate,currency\n2026-10-01,US,marketing,0.025,USD' })
       */
      import: (body: z.input<typeof ImportRatesBody>) =>
        call(ImportRatesResult, 'POST', '/api/v1/rates/import', body),
    },
    billing: {
      /** The organisation's caps, this month's spend and today's messages. @example const { caps, month } = await api.billing.overview() */
      overview: () => call(BillingOverview, 'GET', '/api/v1/billing'),
      /** Sets the caps (null: none). @example await api.billing.setCaps({ monthly_spend_cap: 500, daily_message_cap: 10000 }) */
      setCaps: (body: z.input<typeof UpdateBillingCapsBody>) =>
        call(BillingOverview, 'PATCH', '/api/v1/billing/caps', body),
      /**
       * Expected spend between two UTC days (inclusive), by number, category or day.
       * @example const { total, rows } = await api.billing.spend({ from: '2026-10-01', to: '2026-10-31', group_by: 'category' })
       */
      spend: (o: {
        from: string;
        to: string;
        group_by?: 'number' | 'category' | 'day';
        number_id?: string;
      }) => call(SpendReport, 'GET', `/api/v1/spend${query(o)}`),
    },
    /**
     * Reports read from the rollups (docs/reports.md): `from`..`to` are days in the organisation's
     * timezone (inclusive, at most 400 days), `number_id` narrows to one number, `tag_id` to the
     * messages of contacts that carried the tag when they were counted (not `campaigns`: a 400). Each
     * has a CSV twin.
     */
    reports: {
      /** @example const { kpis, series, by_hour } = await api.reports.overview({ from: '2026-11-01', to: '2026-11-30' }) */
      overview: (o: ReportQuery) => call(ReportOverview, 'GET', `/api/v1/reports/overview${query(o)}`),
      /** Per day up to 90 days, per week beyond unless `group: 'day'`. @example const { data } = await api.reports.numbers({ from: '2026-11-01', to: '2026-11-30', number_id: id }) */
      numbers: (o: GroupedReportQuery) => call(NumbersReport, 'GET', `/api/v1/reports/numbers${query(o)}`),
      /** @example const { data } = await api.reports.templates({ from: '2026-11-01', to: '2026-11-30', tag_id: vipTagId }) */
      templates: (o: ReportQuery) => call(TemplatesReport, 'GET', `/api/v1/reports/templates${query(o)}`),
      /** @example const { total, by_country } = await api.reports.spend({ from: '2026-11-01', to: '2026-11-30' }) */
      spend: (o: ReportQuery) => call(SpendBreakdown, 'GET', `/api/v1/reports/spend${query(o)}`),
      /** @example const { data } = await api.reports.campaigns({ from: '2026-11-01', to: '2026-11-30' }) */
      campaigns: (o: ReportQuery) => call(CampaignsReport, 'GET', `/api/v1/reports/campaigns${query(o)}`),
      /**
       * Agents and teams: handled, replies, notes, first response and resolution median/p90 per agent,
       * per team and per agent per day (per week past 90 days unless `group: 'day'`); `team_id` narrows
       * to one team's members (this report only).
       * @example const { agents, teams } = await api.reports.agents({ from: '2026-11-01', to: '2026-11-30', team_id: id })
       */
      agents: (o: GroupedReportQuery) => call(AgentsReport, 'GET', `/api/v1/reports/agents${query(o)}`),
      /**
       * A report as CSV, streamed (formula-safe).
       * @example await pipeline(Readable.fromWeb(await api.reports.csv('templates', { from: '2026-11-01', to: '2026-11-30' })), createWriteStream('templates.csv'))
       */
      csv: (
        kind: 'overview' | 'numbers' | 'templates' | 'spend' | 'campaigns' | 'agents',
        o: GroupedReportQuery,
      ) => download(`/api/v1/reports/${kind}.csv${query(o)}`),
      /** A link that downloads a report as CSV. @example location.href = api.reports.csvUrl('spend', { from, to }) */
      csvUrl: (
        kind: 'overview' | 'numbers' | 'templates' | 'spend' | 'campaigns' | 'agents',
        o: GroupedReportQuery,
      ) => `${base}/api/v1/reports/${kind}.csv${query(o)}`,
    },
    retention: {
      /**
       * What the next nightly retention run would delete (nothing is deleted); `days` previews
       * another setting before saving it.
       * @example const { counts, next_run_at } = await api.retention.preview({ days: 90 })
       */
      preview: (o: { days?: number } = {}) =>
        call(RetentionPreview, 'GET', `/api/v1/retention/preview${query(o)}`),
    },
    teams: {
      /** @example const { data } = await api.teams.list() */
      list: () => call(TeamList, 'GET', '/api/v1/teams'),
      /** @example await api.teams.create({ name: 'Billing', member_ids: [userId] }) */
      create: (body: z.input<typeof TeamBody>) => call(Team, 'POST', '/api/v1/teams', body),
      /** Renames and sets the members. @example await api.teams.update(id, { name: 'Billing', member_ids: [] }) */
      update: (id: string, body: z.input<typeof TeamBody>) =>
        call(Team, 'PUT', `/api/v1/teams/${q(id)}`, body),
      /** @example await api.teams.remove(id) */
      remove: (id: string) => call(Ok, 'DELETE', `/api/v1/teams/${q(id)}`),
    },
    members: {
      /** @example const { data } = await api.members.list() */
      list: () => call(MemberList, 'GET', '/api/v1/members'),
      /** @example await api.members.update(userId, { role: 'manager' }) */
      update: (userId: string, body: { role: Role }) =>
        call(Member, 'PATCH', `/api/v1/members/${q(userId)}`, body),
      /** @example await api.members.remove(userId) */
      remove: (userId: string) => call(Ok, 'DELETE', `/api/v1/members/${q(userId)}`),
    },
    invitations: {
      /** @example const { data } = await api.invitations.list() */
      list: () => call(InvitationList, 'GET', '/api/v1/invitations'),
      /** @example const { accept_path } = await api.invitations.create({ email, role: 'agent' }) */
      create: (body: { email: string; role: Role }) =>
        call(CreatedInvitation, 'POST', '/api/v1/invitations', body),
      /** @example await api.invitations.revoke(id) */
      revoke: (id: string) => call(Ok, 'DELETE', `/api/v1/invitations/${q(id)}`),
      /** The token goes in the body, never a URL. @example const { org_name, email, role } = await api.invitations.lookup(token) */
      lookup: (token: string) => call(InvitationLookup, 'POST', '/api/v1/invitations/lookup', { token }),
      /**
       * Signed in as the invited email, the token alone; otherwise that account's password, or a new
       * one for a new account. @example await api.invitations.accept({ token, password, name })
       */
      accept: (body: AcceptInvitationBody) => call(Ok, 'POST', '/api/v1/invitations/accept', body),
    },
    /**
     * What the server runs: openwaba's version and git commit (null without git), the Graph API
     * version it calls Meta with, and Node's. Needs no sign-in.
     * @example const { version, commit, graph_api_version } = await api.version()
     */
    version: () => call(AppVersion, 'GET', '/api/v1/version'),
  };
}
export type Client = ReturnType<typeof createClient>;
