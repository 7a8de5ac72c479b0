import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { appIdOf, checkAppSecretProof, registerAppRoutes } from './apps.ts';
import {
  type CustomerBehaviour,
  DEFAULT_BEHAVIOUR,
  NumberInput,
  Seed,
  SimulatorOptions,
  TemplateSeed,
  TIER_LIMIT,
} from './config.ts';
import { registerControlRoutes } from './control-routes.ts';
import { asyncError, type GraphFailure, graphError, tokenError } from './errors.ts';
import {
  type Change,
  type EventContext,
  INBOUND_KINDS,
  type NumberRef,
  OTHER_KINDS,
  statusChange,
  type TemplateRef,
  TIMED_FIELDS,
} from './events.ts';
import { createFaultState, type Faults } from './faults.ts';
import { registerGraphRoutes } from './graph-routes.ts';
import { createRateMeter, createTokenBucket, type TokenBucket } from './limits.ts';
import { mediaUrl, type StoredMedia, sampleMedia, storedMedia } from './media.ts';
import { createRandom, seedFrom } from './random.ts';
import type { CustomerState, InboundRecord, SentRecord, SimNumber } from './state.ts';
import { reviewTemplate, type SimTemplate } from './templates.ts';
import { createWebhookDispatcher } from './webhooks.ts';

const DAY = 86_400_000;

type SentInteractive = {
  type: string;
  action: {
    buttons?: { reply: { id: string; title: string } }[];
    sections?: { rows: { id: string; title: string; description?: string }[] }[];
  };
};
type SentTemplate = {
  name: string;
  language: { code: string };
  components?: { type: string; index?: string | number; parameters?: { payload?: string }[] }[];
};
const FIRST_NAMES = [
  'Ana',
  'Ben',
  'Chen',
  'Divya',
  'Emeka',
  'Fatima',
  'Gustavo',
  'Hana',
  'Ivan',
  'Jamal',
  'Kiko',
  'Lucía',
  'Mehmet',
  'Nia',
  'Omar',
  'Priya',
];
const LAST_NAMES = [
  'Silva',
  'Okafor',
  'Wang',
  'Sharma',
  'Müller',
  'García',
  'Kim',
  'Haddad',
  'Novak',
  'Smith',
];

export type Simulator = ReturnType<typeof buildSimulator>;

/**
 * Creates a Cloud API simulator. Nothing listens until `listen()`; tests and the sandbox can also
 * embed it in-process.
 *
 * @example
 * const sim = await createSimulator({ seed: 7 });
 * await sim.listen(0);
 * sim.addNumber({ phone_number_id: '1001', waba_id: '2001', display_phone_number: '+1 555 0100', access_token: 'token-1001' });
 */
export async function createSimulator(options: SimulatorOptions = {}) {
  const sim = buildSimulator(SimulatorOptions.parse(options));
  await sim.app.ready();
  return sim;
}

export type Core = ReturnType<typeof buildCore>;

function buildCore(opts: z.output<typeof SimulatorOptions>) {
  const rnd = createRandom(opts.seed);
  const faults = createFaultState(createRandom(seedFrom('faults', opts.seed)));
  const webhooks = createWebhookDispatcher(
    {
      batchWindowMs: opts.webhook_batch_ms,
      maxBatch: opts.webhook_max_batch,
      retryDelaysMs: opts.webhook_retry_ms,
      timeoutMs: opts.webhook_timeout_ms,
      concurrency: opts.webhook_concurrency,
    },
    faults,
    createRandom(seedFrom('webhooks', opts.seed)),
  );
  let publicUrl = opts.public_url?.replace(/\/$/, '') ?? 'http://127.0.0.1';
  const mediaKey = `media-${opts.seed}-${rnd.hex(16)}`;
  let behaviourDefaults: CustomerBehaviour = { ...DEFAULT_BEHAVIOUR, ...opts.customers };

  const numbers = new Map<string, SimNumber>();
  const templates = new Map<string, SimTemplate>();
  const media = new Map<string, StoredMedia>();
  const customers = new Map<string, CustomerState>();
  const sent = new Map<string, SentRecord>();
  const inbound = new Map<string, InboundRecord>();
  const pairBuckets = new Map<string, TokenBucket>();
  const conversations = new Map<string, { id: string; until: number }>();
  const events: {
    at: string;
    phone_number_id?: string;
    waba_id: string;
    change: Change;
    delivered_to?: string;
  }[] = [];
  const stats = {
    requests: 0,
    accepted: 0,
    errors: {} as Record<string, number>,
    statuses: { sent: 0, delivered: 0, read: 0, failed: 0 },
    inbound: 0,
    replies: 0,
  };
  const timers = new Set<NodeJS.Timeout>();
  let ids = 0;

  const later = (fn: () => void, ms: number) => {
    if (ms <= 0) {
      queueMicrotask(fn);
      return;
    }
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const nextId = (digits = 15) => {
    ids += 1;
    return `${rnd.int(1, 9)}${String(ids).padStart(6, '0')}${rnd.hex(12).replace(/[a-f]/g, (c) => String(c.charCodeAt(0) % 10))}`.slice(
      0,
      digits,
    );
  };
  const wamid = (waId = '0') =>
    `wamid.HBgL${Buffer.from(waId).toString('base64').replace(/=+$/, '')}FQIAERgS${rnd.hex(20).toUpperCase()}AA==`;

  // ---- numbers -------------------------------------------------------------------------------

  function addNumber(input: NumberInput) {
    const n = NumberInput.parse(input);
    const existing = numbers.get(n.phone_number_id);
    const now = Date.now();
    const num: SimNumber = {
      ...n,
      customers: n.customers ?? {},
      bucket: existing?.bucket ?? createTokenBucket(n.throughput_mps, burstOf(n.throughput_mps), now),
      meter: existing?.meter ?? createRateMeter(),
      accepted: existing?.accepted ?? 0,
      initiated: existing?.initiated ?? new Map(),
    };
    num.bucket.setRate(n.throughput_mps, burstOf(n.throughput_mps));
    numbers.set(n.phone_number_id, num);
    return publicNumber(num);
  }

  function updateNumber(id: string, patch: Partial<NumberInput>) {
    const current = numbers.get(id);
    if (!current) return undefined;
    const { bucket: _b, meter: _m, accepted: _a, initiated: _i, ...plain } = current;
    return addNumber({ ...plain, ...patch, phone_number_id: id });
  }

  function publicNumber(n: SimNumber) {
    const { bucket: _b, meter: _m, initiated: _i, access_token: _t, app_secret: _s, ...rest } = n;
    return { ...rest, app_id: appIdOf(n), current_mps: n.meter.perSecond(Date.now()) };
  }

  const burstOf = (mps: number) => Math.max(1, Math.round(mps / 10));

  const byToken = (token: string) => {
    for (const n of numbers.values()) if (n.access_token === token) return n;
    return undefined;
  };

  function behaviourOf(n: SimNumber): CustomerBehaviour {
    return { ...behaviourDefaults, ...n.customers };
  }

  /** Checks the bearer token (and its `appsecret_proof`, if given) against the numbers of the WABA that owns the object. */
  function authorise(req: FastifyRequest, wabaId: string | undefined): GraphFailure | SimNumber {
    const header = req.headers.authorization;
    const token = header?.toLowerCase().startsWith('bearer ')
      ? header.slice(7).trim()
      : (req.query as Record<string, string>)?.access_token;
    if (!token) return tokenError('missing', rnd);
    const owner = byToken(token);
    if (!owner) return tokenError('invalid', rnd);
    if (owner.token_status !== 'valid') return tokenError(owner.token_status, rnd);
    // A proof that is given is checked, whether or not the app requires one (as Meta does).
    const proof = (req.query as Record<string, string | undefined>)?.appsecret_proof;
    if (proof !== undefined) {
      const refused = checkAppSecretProof(owner, token, proof, rnd);
      if (refused) return refused;
    }
    if (wabaId !== undefined && owner.waba_id !== wabaId) return objectMissing(req, 'the object');
    return owner;
  }

  function objectMissing(req: FastifyRequest, id: string): GraphFailure {
    return graphError(100, rnd, {
      subcode: 33,
      message: `Unsupported ${req.method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      details: '',
    });
  }

  function fail(reply: FastifyReply, f: GraphFailure) {
    const code = String(f.body.error.code);
    stats.errors[code] = (stats.errors[code] ?? 0) + 1;
    return reply.code(f.status).send(f.body);
  }

  // ---- customers and the 24 h window ---------------------------------------------------------

  function customer(waId: string): CustomerState {
    let c = customers.get(waId);
    if (!c) {
      const r = createRandom(seedFrom(waId, opts.seed));
      c = {
        wa_id: waId,
        name: `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}`,
        rnd: r,
        lastInboundAt: new Map(),
        undeliverable: false,
        optedOutMarketing: false,
      };
      c.undeliverable = r.chance(behaviourDefaults.undeliverable_rate);
      customers.set(waId, c);
    }
    return c;
  }

  function windowOpen(c: CustomerState, phoneId: string, now: number) {
    if (c.windowOverride) return c.windowOverride === 'open';
    const last = c.lastInboundAt.get(phoneId);
    return last !== undefined && now - last < DAY;
  }

  function context(n: SimNumber, c: CustomerState, replyTo?: string, forwarded = false): EventContext {
    const ref: NumberRef = {
      phone_number_id: n.phone_number_id,
      display_phone_number: n.display_phone_number,
      waba_id: n.waba_id,
    };
    return {
      number: ref,
      customer: { wa_id: c.wa_id, name: c.name },
      rnd: c.rnd,
      now: Math.floor(Date.now() / 1000),
      wamid: () => wamid(c.wa_id),
      media: (kind) => {
        const s = sampleMedia(kind);
        const m = storedMedia(nextId(16), n.phone_number_id, s.mime, s.data);
        media.set(m.id, m);
        return {
          id: m.id,
          mime_type: m.mime_type,
          sha256: m.sha256,
          url: mediaUrl(publicUrl, m.id, opts.media_url_ttl_ms, mediaKey),
        };
      },
      ...(forwarded ? { forwarded } : {}),
      ...(replyTo ? { replyTo } : {}),
    };
  }

  // ---- webhooks ------------------------------------------------------------------------------

  function emit(n: SimNumber | undefined, wabaId: string, change: Change) {
    const time = TIMED_FIELDS.has(change.field) ? Math.floor(Date.now() / 1000) : undefined;
    const target =
      n?.webhook_url && n.app_secret
        ? n
        : [...numbers.values()].find((x) => x.waba_id === wabaId && x.webhook_url && x.app_secret);
    if (events.length >= 1000) events.shift();
    events.push({
      at: new Date().toISOString(),
      ...(n ? { phone_number_id: n.phone_number_id } : {}),
      waba_id: wabaId,
      change,
      ...(target ? { delivered_to: target.webhook_url } : {}),
    });
    if (target?.webhook_url && target.app_secret) {
      webhooks.enqueue({ url: target.webhook_url, appSecret: target.app_secret }, wabaId, change, time);
    }
  }

  /** A customer sends the business a message of `kind`; opens the 24 h window. */
  function customerSend(
    phoneNumberId: string,
    waId: string,
    kind: string,
    params: Record<string, unknown> = {},
  ): { id: string; change: Change } | undefined {
    const n = numbers.get(phoneNumberId);
    const build = INBOUND_KINDS[kind];
    if (!n || !build) return undefined;
    const c = customer(waId);
    if (typeof params.name === 'string') c.name = params.name;
    const replyTo = typeof params.context_message_id === 'string' ? params.context_message_id : undefined;
    const change = build(context(n, c, replyTo, params.forwarded === true), params);
    const msg = ((change.value.messages as Record<string, unknown>[] | undefined) ?? [])[0];
    const id = String(msg?.id ?? '');
    const now = Date.now();
    c.lastInboundAt.set(phoneNumberId, now);
    if (c.windowOverride === 'closed') c.windowOverride = undefined;
    if (id)
      inbound.set(id, { wamid: id, phone_number_id: phoneNumberId, from: waId, kind, read: false, at: now });
    stats.inbound++;
    emit(n, n.waba_id, change);
    return { id, change };
  }

  /** Emits any other event kind (statuses, echoes, calls, template and account updates). */
  function emitEvent(
    kind: string,
    target: { phone_number_id?: string; waba_id?: string; wa_id?: string },
    params: Record<string, unknown> = {},
  ) {
    const build = OTHER_KINDS[kind] ?? INBOUND_KINDS[kind];
    const n = target.phone_number_id
      ? numbers.get(target.phone_number_id)
      : [...numbers.values()].find((x) => x.waba_id === target.waba_id);
    if (!build || !n) return undefined;
    const c = customer(target.wa_id ?? '15550009999');
    const p = { ...params };
    if (typeof p.template_id === 'string') {
      const t = templates.get(p.template_id);
      if (!t) return undefined;
      p.template = templateRef(t);
    } else if (kind.includes('template')) {
      p.template = {
        id: nextId(16),
        name: 'sample_template',
        language: 'en_US',
        category: 'UTILITY',
      } satisfies TemplateRef;
    }
    const replyTo = typeof p.context_message_id === 'string' ? p.context_message_id : undefined;
    const change = build(context(n, c, replyTo, p.forwarded === true), p);
    emit(n, n.waba_id, change);
    return change;
  }

  const templateRef = (t: SimTemplate): TemplateRef => ({
    id: t.id,
    name: t.name,
    language: t.language,
    category: t.category,
  });

  // ---- sending -------------------------------------------------------------------------------

  function takeThroughput(n: SimNumber, now: number) {
    return n.bucket.take(now);
  }

  function takePair(n: SimNumber, waId: string, now: number) {
    const key = `${n.phone_number_id}:${waId}`;
    let b = pairBuckets.get(key);
    if (!b) {
      b = createTokenBucket(opts.pair_rate_per_s, opts.pair_rate_burst, now);
      pairBuckets.set(key, b);
    }
    return b.take(now);
  }

  function conversationId(n: SimNumber, waId: string, category: string, now: number) {
    const key = `${n.phone_number_id}:${waId}:${category}`;
    const c = conversations.get(key);
    if (c && c.until > now) return c.id;
    const id = rnd.hex(32);
    conversations.set(key, { id, until: now + DAY });
    return id;
  }

  /** Records an accepted send and plays out its life: sent → delivered → read → maybe a reply. */
  function accept(
    n: SimNumber,
    to: string,
    body: Record<string, unknown>,
    category: string | undefined,
    missingMedia: boolean,
  ) {
    const now = Date.now();
    const id = wamid(to);
    const rec: SentRecord = {
      wamid: id,
      phone_number_id: n.phone_number_id,
      to,
      type: String(body.type),
      ...(category ? { category } : {}),
      body,
      status: 'accepted',
      ...(typeof body.biz_opaque_callback_data === 'string'
        ? { biz_opaque_callback_data: body.biz_opaque_callback_data }
        : {}),
      at: now,
    };
    if (opts.message_log_size > 0) {
      if (sent.size >= opts.message_log_size) sent.delete(sent.keys().next().value!);
      sent.set(id, rec);
    }
    n.accepted++;
    n.meter.mark(now);
    stats.accepted++;

    const c = customer(to);
    const b = behaviourOf(n);
    const open = windowOpen(c, n.phone_number_id, now);
    let failure: number | undefined;
    if (c.undeliverable) failure = 131026;
    else if (missingMedia) failure = 131053;
    else if (!category && !open) failure = 131047;
    else if (category === 'MARKETING' && c.optedOutMarketing) failure = 131050;
    else if (category && !open) {
      const limit = TIER_LIMIT[n.messaging_limit_tier as keyof typeof TIER_LIMIT] ?? Number.POSITIVE_INFINITY;
      // Oldest first (a Map keeps insertion order): stop at the first conversation still inside its day.
      for (const [w, t] of n.initiated) {
        if (now - t < DAY) break;
        n.initiated.delete(w);
      }
      if (!n.initiated.has(to) && n.initiated.size >= limit) failure = 131048;
      else n.initiated.set(to, now);
    }

    const status = (s: 'sent' | 'delivered' | 'read' | 'failed', errorCode?: number) => {
      rec.status = s;
      if (errorCode) rec.error_code = errorCode;
      stats.statuses[s]++;
      const ctx = context(n, c);
      emit(
        n,
        n.waba_id,
        statusChange(ctx, {
          wamid: id,
          status: s,
          recipient: to,
          ...(category ? { category } : {}),
          conversationId: conversationId(n, to, category ?? 'SERVICE', now),
          ...(rec.biz_opaque_callback_data ? { bizOpaqueCallbackData: rec.biz_opaque_callback_data } : {}),
          ...(errorCode ? { errorCode } : {}),
        }),
      );
    };

    if (failure) {
      later(() => status('failed', failure), b.sent_delay_ms);
      return id;
    }
    const delivered = c.rnd.chance(b.deliver_rate);
    const read = delivered && c.rnd.chance(b.read_rate);
    const reply = read && c.rnd.chance(b.reply_rate);
    later(() => {
      status('sent');
      if (!delivered) return;
      later(() => {
        status('delivered');
        if (!read) return;
        later(() => {
          status('read');
          if (reply) later(() => simulateReply(n, c, rec), b.reply_delay_ms);
        }, b.read_delay_ms);
      }, b.delivered_delay_ms);
    }, b.sent_delay_ms);
    return id;
  }

  function simulateReply(n: SimNumber, c: CustomerState, rec: SentRecord) {
    const b = behaviourOf(n);
    const params: Record<string, unknown> = { context_message_id: rec.wamid };
    let kind = 'text';
    const interactive = rec.body.interactive as SentInteractive | undefined;
    const template = rec.body.template as SentTemplate | undefined;
    if (c.rnd.chance(b.stop_rate)) {
      params.text = 'STOP';
    } else if (interactive?.type === 'button') {
      const btn = c.rnd.pick(interactive.action.buttons ?? []);
      kind = 'button_reply';
      Object.assign(params, { id: btn.reply.id, title: btn.reply.title });
    } else if (interactive?.type === 'list') {
      const rows = (interactive.action.sections ?? []).flatMap((s) => s.rows);
      const row = c.rnd.pick(rows);
      kind = 'list_reply';
      Object.assign(params, { id: row.id, title: row.title, description: row.description ?? '' });
    } else if (template && quickReplies(template).length) {
      const q = c.rnd.pick(quickReplies(template));
      kind = 'button';
      Object.assign(params, q);
    } else if (c.rnd.chance(b.media_reply_rate)) {
      kind = 'image';
    }
    stats.replies++;
    customerSend(n.phone_number_id, c.wa_id, kind, params);
  }

  function quickReplies(template: SentTemplate): { payload: string; text: string }[] {
    const t = [...templates.values()].find(
      (x) => x.name === template.name && x.language === template.language.code,
    );
    const texts = (
      (t?.components.find((x) => x.type === 'BUTTONS')?.buttons ?? []) as { type: string; text?: string }[]
    )
      .map((b, i) => ({ ...b, i }))
      .filter((b) => b.type === 'QUICK_REPLY');
    return texts.map((b) => {
      const comp = (template.components ?? []).find((x) => x.type === 'button' && Number(x.index) === b.i);
      return {
        payload: String(comp?.parameters?.[0]?.payload ?? b.text ?? 'yes'),
        text: String(b.text ?? 'Yes'),
      };
    });
  }

  const numbersOfWaba = (wabaId: string) => [...numbers.values()].filter((x) => x.waba_id === wabaId);

  // ---- templates -----------------------------------------------------------------------------

  function addTemplate(input: z.input<typeof TemplateSeed>) {
    const t = TemplateSeed.parse(input);
    const tpl: SimTemplate = {
      id: t.id ?? nextId(16),
      waba_id: t.waba_id,
      name: t.name,
      language: t.language,
      category: t.category,
      status: t.status,
      parameter_format: t.parameter_format,
      components: t.components,
      quality_score: {
        score: t.status === 'APPROVED' ? 'GREEN' : 'UNKNOWN',
        date: Math.floor(Date.now() / 1000),
      },
      created_at: Date.now(),
    };
    templates.set(tpl.id, tpl);
    return tpl;
  }

  function scheduleReview(t: SimTemplate) {
    later(() => {
      if (!templates.has(t.id) || t.status !== 'PENDING') return;
      const decision = reviewTemplate(t);
      const n = numbersOfWaba(t.waba_id)[0];
      if (decision.newCategory) {
        const previous = t.category;
        t.previous_category = previous;
        t.category = decision.newCategory;
        emit(
          n,
          t.waba_id,
          OTHER_KINDS.template_category_update!(context(n!, customer('15550009999')), {
            template: templateRef(t),
            previous_category: previous,
            new_category: decision.newCategory,
          }),
        );
      }
      t.status = decision.status;
      if (decision.reason) t.rejected_reason = decision.reason;
      if (n) {
        emit(
          n,
          t.waba_id,
          OTHER_KINDS.message_template_status_update!(context(n, customer('15550009999')), {
            template: templateRef(t),
            event: decision.status,
            ...(decision.reason ? { reason: decision.reason } : {}),
          }),
        );
      }
    }, opts.template_review_ms);
  }

  /** Changes a template's status (PAUSED, DISABLED, APPROVED, …) and sends the webhook. */
  function setTemplateStatus(id: string, status: string, reason?: string) {
    const t = templates.get(id);
    if (!t) return undefined;
    t.status = status;
    const n = numbersOfWaba(t.waba_id)[0];
    if (n) {
      emit(
        n,
        t.waba_id,
        OTHER_KINDS.message_template_status_update!(context(n, customer('15550009999')), {
          template: templateRef(t),
          event: status,
          ...(reason ? { reason } : {}),
        }),
      );
    }
    return t;
  }

  function setTemplateCategory(id: string, category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION') {
    const t = templates.get(id);
    if (!t) return undefined;
    const previous = t.category;
    t.previous_category = previous;
    t.category = category;
    const n = numbersOfWaba(t.waba_id)[0];
    if (n) {
      emit(
        n,
        t.waba_id,
        OTHER_KINDS.template_category_update!(context(n, customer('15550009999')), {
          template: templateRef(t),
          previous_category: previous,
          new_category: category,
        }),
      );
    }
    return t;
  }

  const core = {
    opts,
    rnd,
    faults,
    webhooks,
    numbers,
    templates,
    media,
    customers,
    sent,
    inbound,
    stats,
    events,
    mediaKey,
    get publicUrl() {
      return publicUrl;
    },
    nextId,
    startedAt: Date.now(),
    byToken,
    authorise,
    objectMissing,
    fail,
    customer,
    windowOpen,
    takeThroughput,
    takePair,
    accept,
    addNumber,
    updateNumber,
    publicNumber,
    addTemplate,
    scheduleReview,
    setTemplateStatus,
    setTemplateCategory,
    customerSend,
    emitEvent,
    setFaults: (f: Faults) => faults.set(f),
    setBehaviour(b: Partial<CustomerBehaviour>) {
      behaviourDefaults = { ...behaviourDefaults, ...b };
    },
    snapshotStats,
    reset,
    loadSeed,
    asyncError,
    timers,
    setPublicUrl(url: string) {
      publicUrl = url;
    },
    setCustomer(
      waId: string,
      patch: {
        name?: string;
        undeliverable?: boolean;
        opted_out_marketing?: boolean;
        window?: 'open' | 'closed';
      },
    ) {
      const c = customer(waId);
      if (patch.name) c.name = patch.name;
      if (patch.undeliverable !== undefined) c.undeliverable = patch.undeliverable;
      if (patch.opted_out_marketing !== undefined) c.optedOutMarketing = patch.opted_out_marketing;
      if (patch.window) c.windowOverride = patch.window;
      return c;
    },
  };

  function snapshotStats() {
    const now = Date.now();
    return {
      requests: stats.requests,
      accepted: stats.accepted,
      errors: { ...stats.errors },
      statuses: { ...stats.statuses },
      inbound: stats.inbound,
      replies: stats.replies,
      webhooks: webhooks.stats(),
      numbers: Object.fromEntries(
        [...numbers.values()].map((n) => [
          n.phone_number_id,
          { accepted: n.accepted, current_mps: n.meter.perSecond(now), throughput_mps: n.throughput_mps },
        ]),
      ),
      templates: templates.size,
      media: media.size,
    };
  }

  function reset(all = false) {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    webhooks.reset();
    sent.clear();
    inbound.clear();
    customers.clear();
    pairBuckets.clear();
    conversations.clear();
    media.clear();
    events.length = 0;
    faults.set({});
    Object.assign(stats, {
      requests: 0,
      accepted: 0,
      errors: {},
      statuses: { sent: 0, delivered: 0, read: 0, failed: 0 },
      inbound: 0,
      replies: 0,
    });
    for (const n of numbers.values()) {
      n.accepted = 0;
      n.initiated.clear();
      n.meter = createRateMeter();
      n.bucket = createTokenBucket(n.throughput_mps, burstOf(n.throughput_mps), Date.now());
    }
    if (all) {
      numbers.clear();
      templates.clear();
    }
  }

  function loadSeed(seed: Seed) {
    const s = Seed.parse(seed);
    for (const n of s.numbers) addNumber(n);
    for (const t of s.templates) addTemplate(t);
    for (const c of s.customers) {
      const st = customer(c.wa_id);
      if (c.name) st.name = c.name;
      if (c.undeliverable !== undefined) st.undeliverable = c.undeliverable;
      if (c.opted_out_marketing !== undefined) st.optedOutMarketing = c.opted_out_marketing;
      if (c.window) st.windowOverride = c.window;
    }
    if (s.faults) faults.set(s.faults);
  }

  return core;
}

function buildSimulator(opts: z.output<typeof SimulatorOptions>) {
  const core = buildCore(opts);
  const app: FastifyInstance = Fastify({
    logger: opts.logger,
    bodyLimit: 8 * 1024 * 1024,
    keepAliveTimeout: 65_000,
    forceCloseConnections: true,
  });
  void app.register(multipart, { limits: { fileSize: 100 * 1024 * 1024, files: 1, fields: 10 } });
  registerAppRoutes(app, core);
  registerGraphRoutes(app, core);
  registerControlRoutes(app, core);

  return {
    app,
    /** Base URL once listening, e.g. http://127.0.0.1:4010 — pass it as META_GRAPH_URL. */
    get url() {
      return core.publicUrl;
    },
    async listen(port = 0, host = '127.0.0.1') {
      const address = await app.listen({ port, host });
      if (!opts.public_url) core.setPublicUrl(address.replace('[::1]', 'localhost'));
      return core.publicUrl;
    },
    async close() {
      for (const t of core.timers) clearTimeout(t);
      core.timers.clear();
      core.webhooks.close();
      await app.close();
    },
    addNumber: core.addNumber,
    numbers: () => [...core.numbers.values()].map((n) => core.publicNumber(n)),
    updateNumber: core.updateNumber,
    addTemplate: core.addTemplate,
    setTemplateStatus: core.setTemplateStatus,
    setTemplateCategory: core.setTemplateCategory,
    customerSend: core.customerSend,
    emitEvent: core.emitEvent,
    setFaults: core.setFaults,
    setBehaviour: core.setBehaviour,
    setCustomer: core.setCustomer,
    stats: core.snapshotStats,
    sentMessages: () => [...core.sent.values()],
    getMessage: (id: string) => core.sent.get(id),
    /** A customer's message as the simulator keeps it (`read` once the business marked it read). */
    inboundMessage: (id: string) => core.inbound.get(id),
    templates: () => [...core.templates.values()],
    events: () => [...core.events],
    webhookDeliveries: (limit?: number) => core.webhooks.deliveries(limit),
    reset: core.reset,
    loadSeed: core.loadSeed,
    /** Resolves when no status, reply or review is scheduled and every webhook has been delivered or given up. */
    async settle(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await new Promise((r) => setTimeout(r, 5));
        if (core.timers.size === 0 && core.webhooks.idle()) return;
        if (Date.now() > deadline) {
          throw new Error(
            `simulator did not settle in time (${core.timers.size} timers, webhooks ${JSON.stringify(core.webhooks.stats())})`,
          );
        }
      }
    },
  };
}
