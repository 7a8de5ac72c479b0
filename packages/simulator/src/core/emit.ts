import { type Change, INBOUND_KINDS, OTHER_KINDS, type TemplateRef, TIMED_FIELDS } from '../events/index.ts';
import type { SimNumber } from '../state.ts';
import type { SimTemplate } from '../templates.ts';
import type { Customers } from './customers.ts';
import type { Store } from './store.ts';

export const templateRef = (t: SimTemplate): TemplateRef => ({
  id: t.id,
  name: t.name,
  language: t.language,
  category: t.category,
});

export type Emitter = ReturnType<typeof createEmitter>;

/** Webhook changes: logged for the control API and queued for the WABA's webhook, if it has one. */
export function createEmitter(store: Store, customers: Customers) {
  const { numbers, events, webhooks, templates, inbound, stats } = store;
  const { customer, context } = customers;

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
      store.remember(inbound, id, {
        wamid: id,
        phone_number_id: phoneNumberId,
        from: waId,
        kind,
        read: false,
        typing: 0,
        at: now,
      });
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
        id: store.nextId(16),
        name: 'sample_template',
        language: 'en_US',
        category: 'UTILITY',
      } satisfies TemplateRef;
    }
    const replyTo = typeof p.context_message_id === 'string' ? p.context_message_id : undefined;
    const change = build(context(n, c, replyTo, p.forwarded === true), p);
    // A customer who stops marketing messages gets none after (Meta fails them with 131050).
    if (kind === 'user_preferences' && (p.value === 'stop' || p.value === 'resume' || p.value === undefined))
      c.optedOutMarketing = p.value !== 'resume';
    emit(n, n.waba_id, change);
    return change;
  }

  return { emit, customerSend, emitEvent };
}
