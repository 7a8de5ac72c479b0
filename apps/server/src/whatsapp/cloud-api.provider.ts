import { createHmac } from 'node:crypto';
import type { MessageContent } from '@openwaba/contracts';
import { Agent, type Dispatcher, FormData, request, fetch as undiciFetch } from 'undici';
import { z } from 'zod';
import { addressing } from '../lib/address.ts';
import { readLimited } from '../lib/read-limited.ts';
import { GraphError } from './graph-error.ts';
import {
  CreatedTemplate,
  MediaInfo,
  MetaTemplate,
  Paged,
  PhoneNumberInfo,
  SendResult,
  TokenInfo,
  type WabaCredentials,
  WabaInfo,
  type WhatsAppProvider,
} from './provider.ts';

export interface CloudApiOptions {
  /** e.g. https://graph.facebook.com, or the simulator's URL. */
  baseUrl: string;
  /** e.g. v23.0 */
  version: string;
  timeoutMs?: number;
  connections?: number;
  /** Injected for tests; defaults to a keep-alive pool. */
  dispatcher?: Dispatcher;
  /**
   * Hosts (and their subdomains) media may be downloaded from over https — the token is sent there.
   * Meta's by default; the configured Graph origin is always allowed (the simulator serves media).
   */
  mediaHosts?: string[];
}

const Success = z.looseObject({ success: z.boolean().optional() });
const CreatedMedia = z.object({ id: z.string().min(1) });

/** Meta's domains: media URLs point at lookaside.fbsbx.com (its CDNs: fbcdn.net, whatsapp.net). */
const META_MEDIA_HOSTS = ['fbsbx.com', 'facebook.com', 'fbcdn.net', 'whatsapp.net'];
const DEFAULT_MAX_DOWNLOAD = 100 * 1024 * 1024;

const GraphErrorBody = {
  parse(json: unknown) {
    const e = (json as { error?: Record<string, unknown> } | null)?.error;
    if (!e || typeof e !== 'object') return undefined;
    const data = (e.error_data ?? {}) as Record<string, unknown>;
    return {
      code: typeof e.code === 'number' ? e.code : Number(e.code ?? 0),
      subcode: typeof e.error_subcode === 'number' ? e.error_subcode : undefined,
      // Meta's message repeats the code ("(#131021) Recipient cannot be sender"): the code is kept apart.
      title: String(e.error_user_title ?? e.message ?? 'Graph API error').replace(/^\(#\d+\)\s*/, ''),
      details:
        typeof data.details === 'string'
          ? data.details
          : typeof e.error_user_msg === 'string'
            ? e.error_user_msg
            : undefined,
      fbtraceId: typeof e.fbtrace_id === 'string' ? e.fbtrace_id : undefined,
      isTransient: e.is_transient === true,
    };
  },
};

function networkError(err: unknown): GraphError {
  const code = (err as { code?: string }).code ?? '';
  const timeout =
    /TIMEOUT/.test(code) || (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
  return new GraphError({
    status: 0,
    code: timeout ? 'TIMEOUT' : 'NETWORK',
    title: timeout ? 'Graph API did not answer in time' : 'Could not reach the Graph API',
    details: `${code || (err as Error).name}: ${(err as Error).message}`,
  });
}

/**
 * The Graph API client. One keep-alive pool per process; every call has a timeout; every answer is
 * validated; every failure becomes a GraphError that keeps Meta's code, subcode, details and trace id.
 */
export function createCloudApiProvider(opts: CloudApiOptions): WhatsAppProvider {
  const base = `${opts.baseUrl.replace(/\/$/, '')}/${opts.version}`;
  const graphOrigin = new URL(opts.baseUrl).origin;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const ownsDispatcher = !opts.dispatcher;
  const dispatcher =
    opts.dispatcher ??
    new Agent({
      connections: opts.connections ?? 64,
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: { timeout: Math.min(timeoutMs, 10_000) },
    });
  const mediaHosts = opts.mediaHosts ?? META_MEDIA_HOSTS;

  async function call<S extends z.ZodType>(
    schema: S,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    token: string,
    body?: unknown,
  ): Promise<z.infer<S>> {
    const url = path.startsWith('http') ? path : `${base}${path}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method,
        dispatcher,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        // The timeouts of the answer's headers and body (no AbortSignal timer per request: at
        // thousands of sends a second its timers and listeners were a tenth of the worker's time).
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      throw networkError(err);
    }
    return readJson(schema, res.statusCode, () => res.body.text());
  }

  async function readJson<S extends z.ZodType>(
    schema: S,
    status: number,
    text: () => Promise<string>,
  ): Promise<z.infer<S>> {
    let raw: string;
    try {
      raw = await text();
    } catch (err) {
      throw networkError(err);
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new GraphError({
        status,
        code: status >= 500 ? 'NETWORK' : 'BAD_RESPONSE',
        title: `Graph API answered HTTP ${status} with a body that is not JSON`,
        details: raw.slice(0, 200),
      });
    }
    if (status < 200 || status >= 300) {
      const e = GraphErrorBody.parse(json);
      throw new GraphError(
        e
          ? { status, ...e }
          : {
              status,
              code: status >= 500 ? 'NETWORK' : 'BAD_RESPONSE',
              title: `Graph API answered HTTP ${status}`,
            },
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new GraphError({
        status,
        code: 'BAD_RESPONSE',
        title: 'Graph API answered with an unexpected shape',
        details: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      });
    }
    return parsed.data;
  }

  const seg = (s: string) => encodeURIComponent(s);
  /** Meta checks a given proof against the token's app: a secret of another app is refused (100). */
  const proofOf = (creds: { accessToken: string; appSecret?: string | undefined }) =>
    creds.appSecret
      ? `&appsecret_proof=${createHmac('sha256', creds.appSecret).update(creds.accessToken).digest('hex')}`
      : '';

  /**
   * Meta's `paging.next` is a whole URL, and the token goes with it: followed only on the configured
   * Graph origin. Anything else (a tampered answer, a proxy's mistake) ends the listing with an
   * error rather than sending the token — or this server — elsewhere.
   */
  function nextPage(next: string | undefined): string | undefined {
    if (next === undefined) return undefined;
    const u = parseUrl(next);
    if (!u || u.origin !== graphOrigin || u.username || u.password) {
      throw refusedUrl('Refusing to follow a paging link off the Graph API host', next);
    }
    return u.href;
  }

  return {
    async sendMessage(creds, to, content: MessageContent, sendOpts = {}) {
      const body = {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        // A phone goes as `to`, a business-scoped user id (a customer without a known phone) as `recipient`.
        ...addressing(to),
        ...withLanguagePolicy(content),
        ...(sendOpts.replyTo ? { context: { message_id: sendOpts.replyTo } } : {}),
        ...(sendOpts.bizOpaqueCallbackData
          ? { biz_opaque_callback_data: sendOpts.bizOpaqueCallbackData }
          : {}),
        ...(sendOpts.marketingMessages?.ttlSeconds
          ? { message_send_ttl_seconds: sendOpts.marketingMessages.ttlSeconds }
          : {}),
      };
      const endpoint = sendOpts.marketingMessages ? 'marketing_messages' : 'messages';
      const r = await call(
        SendResult,
        'POST',
        `/${seg(creds.phoneNumberId)}/${endpoint}`,
        creds.accessToken,
        body,
      );
      const contact = r.contacts[0]!;
      const message = r.messages[0]!;
      return {
        wamid: message.id,
        waId: contact.wa_id,
        userId: contact.user_id,
        input: contact.input,
        messageStatus: message.message_status,
      };
    },

    async markRead(creds, wamid, o = {}) {
      await call(Success, 'POST', `/${seg(creds.phoneNumberId)}/messages`, creds.accessToken, {
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: wamid,
        ...(o.typingIndicator ? { typing_indicator: { type: 'text' } } : {}),
      });
    },

    async uploadMedia(creds, file) {
      const form = new FormData();
      form.set('messaging_product', 'whatsapp');
      form.set('type', file.mimeType);
      form.set(
        'file',
        new Blob([new Uint8Array(file.data)], { type: file.mimeType }),
        file.filename ?? 'upload',
      );
      let res: Awaited<ReturnType<typeof undiciFetch>>;
      try {
        res = await undiciFetch(`${base}/${seg(creds.phoneNumberId)}/media`, {
          method: 'POST',
          dispatcher,
          headers: { authorization: `Bearer ${creds.accessToken}` },
          body: form,
          signal: AbortSignal.timeout(timeoutMs * 4),
        });
      } catch (err) {
        throw networkError(err);
      }
      const r = await readJson(CreatedMedia, res.status, () => res.text());
      return { id: r.id };
    },

    getMedia: (creds, mediaId) =>
      call(
        MediaInfo,
        'GET',
        `/${seg(mediaId)}?phone_number_id=${seg(creds.phoneNumberId)}`,
        creds.accessToken,
      ),

    async downloadMedia(creds, url, o = {}) {
      // The access token goes with the request: only to Meta, over https (or to the configured Graph
      // origin itself, which is how the simulator serves media over http on localhost).
      const u = parseUrl(url);
      const meta =
        u?.protocol === 'https:' &&
        u.port === '' &&
        mediaHosts.some((h) => u.hostname === h || u.hostname.endsWith(`.${h}`));
      if (!u || u.username || u.password || (u.origin !== graphOrigin && !meta)) {
        throw refusedUrl('Refusing to download media from an unexpected host (not Meta’s)', url);
      }
      let res: Dispatcher.ResponseData;
      try {
        res = await request(u, {
          method: 'GET',
          dispatcher,
          headers: { authorization: `Bearer ${creds.accessToken}` },
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs * 4,
        });
      } catch (err) {
        throw networkError(err);
      }
      if (res.statusCode < 200 || res.statusCode >= 300) {
        return readJson(Success, res.statusCode, () => res.body.text()).then(() => {
          throw new GraphError({
            status: res.statusCode,
            code: 'BAD_RESPONSE',
            title: `Media download answered HTTP ${res.statusCode}`,
          });
        });
      }
      const max = o.maxBytes ?? DEFAULT_MAX_DOWNLOAD;
      const data = await readLimited(res.body, max);
      if (!data) {
        throw new GraphError({
          status: res.statusCode,
          code: 'BAD_RESPONSE',
          title: `Media is larger than ${max} bytes`,
        });
      }
      const mimeType = String(res.headers['content-type'] ?? 'application/octet-stream')
        .split(';')[0]!
        .trim();
      return { data, mimeType };
    },

    async deleteMedia(creds, mediaId) {
      await call(
        Success,
        'DELETE',
        `/${seg(mediaId)}?phone_number_id=${seg(creds.phoneNumberId)}`,
        creds.accessToken,
      );
    },

    getPhoneNumber(creds, fields) {
      const f = fields ?? [
        'id',
        'display_phone_number',
        'verified_name',
        'quality_rating',
        'name_status',
        'throughput',
        'messaging_limit_tier',
        'whatsapp_business_manager_messaging_limit',
        'code_verification_status',
        'platform_type',
        'is_on_biz_app',
        'status',
        'account_mode',
      ];
      return call(
        PhoneNumberInfo,
        'GET',
        `/${seg(creds.phoneNumberId)}?fields=${f.join(',')}${proofOf(creds)}`,
        creds.accessToken,
      );
    },

    getWaba(creds, fields) {
      const f = fields ?? ['id', 'name', 'owner_business_info', 'marketing_messages_onboarding_status'];
      return call(WabaInfo, 'GET', `/${seg(creds.wabaId)}?fields=${f.join(',')}`, creds.accessToken);
    },

    async debugToken(creds) {
      const r = await call(
        z.looseObject({ data: TokenInfo }),
        'GET',
        `/debug_token?input_token=${seg(creds.accessToken)}${proofOf(creds)}`,
        creds.accessToken,
      );
      return r.data;
    },

    async listPhoneNumbers(creds: WabaCredentials) {
      const out: PhoneNumberInfo[] = [];
      let next: string | undefined = `/${seg(creds.wabaId)}/phone_numbers?limit=100`;
      for (let page = 0; next && page < 50; page++) {
        const r: z.infer<ReturnType<typeof Paged<typeof PhoneNumberInfo>>> = await call(
          Paged(PhoneNumberInfo),
          'GET',
          next,
          creds.accessToken,
        );
        out.push(...r.data);
        next = nextPage(r.paging?.next);
      }
      return out;
    },

    async listTemplates(creds, o = {}) {
      const out: MetaTemplate[] = [];
      const limit = o.pageSize ?? 100;
      let next: string | undefined = `/${seg(creds.wabaId)}/message_templates?limit=${limit}`;
      for (let page = 0; next && page < (o.maxPages ?? 1000); page++) {
        const r: z.infer<ReturnType<typeof Paged<typeof MetaTemplate>>> = await call(
          Paged(MetaTemplate),
          'GET',
          next,
          creds.accessToken,
        );
        out.push(...r.data);
        next = nextPage(r.paging?.next);
      }
      return out;
    },

    createTemplate: (creds, def) =>
      call(CreatedTemplate, 'POST', `/${seg(creds.wabaId)}/message_templates`, creds.accessToken, def),

    async deleteTemplate(creds, t) {
      const q = t.id ? `hsm_id=${seg(t.id)}&name=${seg(t.name)}` : `name=${seg(t.name)}`;
      await call(Success, 'DELETE', `/${seg(creds.wabaId)}/message_templates?${q}`, creds.accessToken);
    },

    async close() {
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}

const parseUrl = (raw: string) => {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
};

/** A URL in Meta's answer that we will not follow: permanent (retrying gets the same answer). */
function refusedUrl(title: string, url: string): GraphError {
  const u = parseUrl(url);
  return new GraphError({
    status: 0,
    code: 'REFUSED_URL',
    title,
    details: u ? `${u.protocol}//${u.host}` : 'not a URL',
  });
}

/** Meta's schema requires `language.policy` (only "deterministic" exists); its examples omit it. Send it. */
function withLanguagePolicy(content: MessageContent): MessageContent {
  if (content.type !== 'template' || content.template.language.policy) return content;
  return {
    ...content,
    template: { ...content.template, language: { ...content.template.language, policy: 'deterministic' } },
  };
}
