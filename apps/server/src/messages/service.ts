import { MessageContent } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import { capsSetSql } from '../billing/caps-sql.ts';
import type { BillingService } from '../billing/service.ts';
import type { ConsentService } from '../contacts/consent.ts';
import { markContactsMessaged, upsertContacts } from '../contacts/upsert.ts';
import { windowOpen } from '../conversations/rules.ts';
import { openConversationsForSend, touchConversations } from '../conversations/writes.ts';
import type { Db, Tx } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { isBsuid } from '../lib/address.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { normalizePhone } from '../lib/phone.ts';
import { collectLinks, type UrlGuard } from '../lib/url-guard.ts';
import { insertOutboundMessages } from './repo.ts';

type OnCommit = (f: () => unknown) => void;

/** Why an authentication template is refused to a customer known only by their BSUID (409 details, campaign skip reason). */
export const BSUID_AUTHENTICATION = 'authentication_template_needs_phone';

export type OutboundSource = 'inbox' | 'api' | 'automation' | 'ai' | 'system';

export interface SendInput {
  numberId: string;
  to: { contactId: string } | { phone: string };
  content: unknown;
  source: OutboundSource;
  authorUserId?: string | null;
  /** wamid of the message this one answers. */
  replyTo?: string | null;
  /**
   * The confirmation of an opt-out ("you will get no more messages"): the one message allowed to a
   * contact who just opted out, inside the window they opened by writing STOP.
   */
  purpose?: 'consent_confirmation';
  /**
   * The conversation is in a free entry-point window (72 h after a click-to-WhatsApp ad): the
   * message costs nothing. Absent: the conversation says (`free_entry_until`, set by a referral).
   */
  freeEntryPoint?: boolean;
}

export interface QueuedMessage {
  message_id: string;
  conversation_id: string;
  contact_id: string;
  status: 'pending';
}

/**
 * The one outbound path (SPEC F6): every message a person, the API or an automation sends is checked
 * here — the number is active, the template is approved, free-form only inside the 24-hour window,
 * consent — then recorded in the contact's conversation as `pending` and put on the send queue in
 * the same transaction; `sendMany` makes the same checks for many messages at once (the automation
 * chain's and the flow sweep's batches). Campaigns check the same rules in bulk (pre-flight) and queue their chunks
 * with `insertCampaignChunk` (messages repo). The sender (`sender.ts`) takes them from the queue.
 */
export function createOutboundService(deps: {
  db: Db;
  consent: ConsentService;
  events: EventService;
  urlGuard: UrlGuard;
  /** The expected cost stamped on each message, and the spend caps checked before it is queued. */
  billing: Pick<BillingService, 'priceSend' | 'checkCaps'>;
}) {
  const { db, consent, events, urlGuard, billing } = deps;

  /**
   * Media links (and a call-to-action's URL) must not point inside our network: Meta fetches them,
   * not us, but such a link is never legitimate and we may fetch it ourselves one day. A name our
   * resolver cannot answer is left to Meta (see the URL guard). 400 naming each refused field.
   */
  async function checkLinks(content: unknown) {
    const links = collectLinks(content, ['content']);
    const c = content as { interactive?: { action?: { parameters?: { url?: unknown } } } } | null;
    const cta = c?.interactive?.action?.parameters?.url;
    if (typeof cta === 'string') {
      links.push({ path: ['content', 'interactive', 'action', 'parameters', 'url'], url: cta });
    }
    if (links.length) await urlGuard.assertLinks(links, { onLookupFailure: 'accept' });
  }

  /** The contact for a phone, created when new (a reply to an unknown phone is a new contact). */
  async function contactOf(tx: Db | Tx, orgId: string, to: { phone: string }) {
    const [settings] = await queryRows<{ default_region: string }>(
      tx,
      sql`select default_region from org_settings where org_id = ${orgId}`,
    );
    const phone = normalizePhone(to.phone, { defaultRegion: settings?.default_region ?? 'US' });
    if (!phone.ok) {
      throw new AppError('VALIDATION_FAILED', `to: ${phone.reason}`, {
        details: [{ path: ['to'], message: phone.reason }],
      });
    }
    const [c] = await upsertContacts(tx, orgId, [{ waId: phone.waId, country: phone.country }], {
      existing: 'lock',
    });
    // The country is the phone's, as the contact records it.
    return { ...c!, country: phone.country };
  }

  /**
   * Checks a template send: the template exists for the number's account, approved and active; an
   * authentication template needs the customer's phone (Meta refuses it to a business-scoped user id).
   * Returns its category (null for a free-form message).
   */
  async function checkTemplate(
    tx: Db | Tx,
    orgId: string,
    wabaId: string,
    content: MessageContent,
    to: string,
  ) {
    if (content.type !== 'template') return null;
    const { name, language } = content.template;
    const [t] = await queryRows<{ status: string; active: boolean; category: string | null }>(
      tx,
      sql`select status, active, category from templates
          where org_id = ${orgId} and waba_id = ${wabaId} and name = ${name} and language = ${language.code}
          order by active desc limit 1`,
    );
    if (!t?.active) {
      throw new AppError(
        'CONFLICT',
        `No template "${name}" (${language.code}) for this number; sync templates`,
        {
          details: { reason: 'template_unknown' },
        },
      );
    }
    if (t.status !== 'APPROVED') {
      throw new AppError('CONFLICT', `Template "${name}" (${language.code}) is ${t.status}, not APPROVED`, {
        details: { reason: 'template_not_approved', status: t.status },
      });
    }
    if (t.category === 'AUTHENTICATION' && isBsuid(to)) {
      throw new AppError(
        'CONFLICT',
        `Template "${name}" is an authentication template: Meta sends those only to a phone number, and this customer is known only by their WhatsApp username. Ask for their phone number first.`,
        { details: { reason: BSUID_AUTHENTICATION } },
      );
    }
    return t.category;
  }

  /** The content, validated; a 400 naming each problem. */
  function parseContent(content: unknown) {
    const parsed = MessageContent.safeParse(content);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.map((i) => ({ path: ['content', ...i.path], message: i.message }));
    throw new AppError(
      'VALIDATION_FAILED',
      issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      {
        details: issues,
      },
    );
  }

  /** Queues one message after every check; returns it as `pending`. */
  async function send(
    orgId: string,
    input: SendInput,
    opts?: { tx: Tx; onCommit: OnCommit },
  ): Promise<QueuedMessage> {
    const content = parseContent(input.content);
    await checkLinks(content);
    const work = async (tx: Tx, onCommit: OnCommit) => {
      const [r] = await queue(tx, onCommit, orgId, [{ input, content }], false);
      if (r instanceof AppError) throw r;
      return r!;
    };
    return opts ? work(opts.tx, opts.onCommit) : transaction(db, work);
  }

  /**
   * `send` for many messages in the caller's transaction, with the same checks, in a few statements
   * whatever their number (the automation chain and the flow sweep queue what a whole batch of
   * customers' messages asks for at once). Per input, in order: the message queued, or the AppError
   * `send` would have thrown for it — a refused message is left out, the others go. One difference:
   * a conversation opened for a refused message stays (empty), where `send` rolls it back.
   */
  async function sendMany(
    tx: Tx,
    onCommit: OnCommit,
    orgId: string,
    inputs: SendInput[],
  ): Promise<(QueuedMessage | AppError)[]> {
    const out: (QueuedMessage | AppError | undefined)[] = new Array(inputs.length);
    const items: { i: number; input: SendInput; content: MessageContent }[] = [];
    for (const [i, input] of inputs.entries()) {
      try {
        const content = parseContent(input.content);
        await checkLinks(content);
        items.push({ i, input, content });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        out[i] = err;
      }
    }
    if (items.length) {
      const queued = await queue(tx, onCommit, orgId, items, true);
      items.forEach((it, k) => {
        out[it.i] = queued[k];
      });
    }
    return out as (QueuedMessage | AppError)[];
  }

  /**
   * The checks and writes of `send` for validated messages, set-based: every check in `send`'s
   * order (number, contact, window, template, marketing stop, consent), one insert for the messages
   * and their queue rows, then the spend caps. A cap crossed by several messages at once: each is
   * tried alone (in a savepoint), so those within the cap go, as if sent one by one.
   */
  async function queue(
    tx: Tx,
    onCommit: OnCommit,
    orgId: string,
    items: { input: SendInput; content: MessageContent }[],
    /** Refusals after the insert (caps) roll back to a savepoint and come back as outcomes. */
    atomic: boolean,
  ): Promise<(QueuedMessage | AppError)[]> {
    const out: (QueuedMessage | AppError | undefined)[] = new Array(items.length);
    const refuse = (k: number, err: unknown) => {
      if (!(err instanceof AppError)) throw err;
      out[k] = err;
    };
    const live = () => items.map((it, k) => ({ ...it, k })).filter(({ k }) => out[k] === undefined);

    // The numbers, the contacts (one by phone is created when new, below), whether caps are set: one read.
    const numberIds = [...new Set(items.map((it) => it.input.numberId))];
    const byId = live().filter(({ input }) => 'contactId' in input.to);
    const contactIds = [...new Set(byId.map(({ input }) => (input.to as { contactId: string }).contactId))];
    const [pre] = await queryRows<{
      numbers: { id: string; status: string; waba_id: string; inactive_reason: string | null }[];
      contacts: { id: string; wa_id: string; country: string | null }[];
      conversations: {
        id: string;
        number_id: string;
        contact_id: string;
        window_open: boolean;
        free_entry: boolean;
      }[];
      capped: boolean;
    }>(
      tx,
      sql`select
            coalesce((select json_agg(json_build_object('id', n.id, 'status', n.status, 'waba_id', n.waba_id,
                                                        'inactive_reason', n.inactive_reason))
                      from numbers n where n.org_id = ${orgId} and n.id = any(${sql.param(numberIds)}::uuid[])), '[]') as numbers,
            coalesce((select json_agg(json_build_object('id', c.id, 'wa_id', c.wa_id, 'country', c.country))
                      from contacts c where c.org_id = ${orgId} and c.id = any(${sql.param(contactIds)}::uuid[])), '[]') as contacts,
            coalesce((select json_agg(json_build_object('id', v.id, 'number_id', v.number_id, 'contact_id', v.contact_id,
                                                        'window_open', ${windowOpen('v')},
                                                        'free_entry', coalesce(v.free_entry_until > now(), false)))
                      from conversations v where v.org_id = ${orgId} and v.contact_id = any(${sql.param(contactIds)}::uuid[])
                        and v.number_id = any(${sql.param(numberIds)}::uuid[])), '[]') as conversations,
            ${capsSetSql(orgId)} as capped`,
    );
    const numbers = new Map(pre!.numbers.map((n) => [n.id, n]));
    for (const { input, k } of live()) {
      const n = numbers.get(input.numberId);
      if (!n) refuse(k, notFound('Number'));
      else if (n.status !== 'active')
        refuse(
          k,
          new AppError(
            'CONFLICT',
            `The number is inactive${n.inactive_reason ? `: ${n.inactive_reason}` : ''}; nothing can be sent from it`,
            { details: { reason: 'number_inactive' } },
          ),
        );
    }
    const contacts = new Map<number, { id: string; wa_id: string; country: string | null }>();
    const found = new Map(pre!.contacts.map((c) => [c.id, c]));
    for (const { input, k } of byId) {
      if (out[k] !== undefined) continue;
      const c = found.get((input.to as { contactId: string }).contactId);
      if (c) contacts.set(k, c);
      else refuse(k, notFound('Contact'));
    }
    for (const { input, k } of live().filter(({ input }) => 'phone' in input.to)) {
      try {
        contacts.set(k, await contactOf(tx, orgId, input.to as { phone: string }));
      } catch (err) {
        refuse(k, err);
      }
    }

    // Their conversations (read above; created when missing) and the 24-hour window.
    const convs = new Map(
      pre!.conversations.map((c) => [
        `${c.number_id} ${c.contact_id}`,
        { id: c.id, windowOpen: c.window_open, freeEntryPoint: c.free_entry },
      ]),
    );
    const missing = live()
      .map(({ input, k }) => ({ number_id: input.numberId, contact_id: contacts.get(k)!.id }))
      .filter((p) => !convs.has(`${p.number_id} ${p.contact_id}`));
    if (missing.length)
      for (const [key, c] of await openConversationsForSend(tx, orgId, missing)) convs.set(key, c);
    const convOf = (k: number) => convs.get(`${items[k]!.input.numberId} ${contacts.get(k)!.id}`)!;
    for (const { content, k } of live()) {
      const conv = convOf(k);
      if (content.type !== 'template' && !conv.windowOpen)
        refuse(
          k,
          new AppError(
            'WINDOW_CLOSED',
            'The 24-hour customer-service window is closed: the customer has not written in the last 24 hours. Send an approved template instead.',
            { details: { conversation_id: conv.id } },
          ),
        );
    }

    // Templates (approved, active; authentication needs a phone) and the marketing stop.
    const categories = new Map<number, string | null>();
    for (const { input, content, k } of live()) {
      try {
        const category = await checkTemplate(
          tx,
          orgId,
          numbers.get(input.numberId)!.waba_id,
          content,
          contacts.get(k)!.wa_id,
        );
        // A customer who stopped marketing messages from the number gets no MARKETING template (409).
        if (category === 'MARKETING')
          await consent.assertMarketingAllowed(orgId, input.numberId, contacts.get(k)!.wa_id, tx);
        categories.set(k, category);
      } catch (err) {
        refuse(k, err);
      }
    }

    // Consent: a template outside the window starts a conversation (business-initiated, needs an opt-in).
    const asked = live().filter(({ input }) => input.purpose !== 'consent_confirmation');
    const refusals = await consent.checkCanMessageMany(
      tx,
      orgId,
      asked.map(({ content, k }) => ({
        contactId: contacts.get(k)!.id,
        waId: contacts.get(k)!.wa_id,
        businessInitiated: content.type === 'template' && !convOf(k).windowOpen,
      })),
    );
    asked.forEach(({ k }, j) => {
      if (refusals[j]) out[k] = refusals[j]!;
    });

    const go = live();
    if (!go.length) return out as (QueuedMessage | AppError)[];
    const write = async (sp: Tx, hooks: OnCommit, batch: typeof go) => {
      const ids = await insertOutboundMessages(
        sp,
        orgId,
        await Promise.all(
          batch.map(async ({ input, content, k }) => {
            const conv = convOf(k);
            const contact = contacts.get(k)!;
            return {
              numberId: input.numberId,
              conversationId: conv.id,
              toWaId: contact.wa_id,
              content,
              replyTo: input.replyTo ?? null,
              source: input.source,
              authorUserId: input.authorUserId ?? null,
              cost: await billing.priceSend(sp, contact, {
                kind: content.type === 'template' ? 'template' : 'service',
                templateCategory: categories.get(k) ?? null,
                inWindow: conv.windowOpen,
                freeEntryPoint: input.freeEntryPoint ?? conv.freeEntryPoint,
              }),
            };
          }),
        ),
      );
      // Caps (the organisation's daily messages and monthly spend) count these messages: crossing
      // one refuses them (CAP_REACHED). The confirmation of an opt-out is owed to the customer
      // whatever the budget: counted, never refused.
      if (pre!.capped && batch.some(({ input }) => input.purpose !== 'consent_confirmation'))
        await billing.checkCaps(sp, hooks, orgId);
      const convIds = batch.map(({ k }) => convOf(k).id);
      await touchConversations(sp, convIds);
      await markContactsMessaged(
        sp,
        orgId,
        sql`select unnest(${sql.param([...new Set(batch.map(({ k }) => contacts.get(k)!.id))])}::uuid[]) as contact_id`,
      );
      batch.forEach(({ k }, j) => {
        out[k] = {
          message_id: ids[j]!,
          conversation_id: convIds[j]!,
          contact_id: contacts.get(k)!.id,
          status: 'pending',
        };
      });
      hooks(() =>
        events.publish(
          orgId,
          batch.flatMap((_, j) => [
            {
              type: 'message.status_updated' as const,
              conversation_id: convIds[j]!,
              data: { message_id: ids[j]!, status: 'pending', conversation_id: convIds[j]! },
            },
            {
              type: 'conversation.updated' as const,
              conversation_id: convIds[j]!,
              data: { conversation_id: convIds[j]! },
            },
          ]),
        ),
      );
    };
    // `send`: its caller's transaction (or savepoint) undoes everything when it throws. Without caps
    // nothing after the insert refuses a message: no savepoint needed.
    if (!atomic || !pre!.capped) {
      await write(tx, onCommit, go);
      return out as (QueuedMessage | AppError)[];
    }
    // At once in a savepoint; a refusal (a cap crossed) → each alone, in its own.
    const hooks: Parameters<OnCommit>[0][] = [];
    try {
      await tx.transaction((sp) => write(sp, (h) => hooks.push(h), go));
      for (const h of hooks) onCommit(h);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      if (go.length === 1) {
        refuse(go[0]!.k, err);
        return out as (QueuedMessage | AppError)[];
      }
      for (const one of go) {
        const own: Parameters<OnCommit>[0][] = [];
        try {
          await tx.transaction((sp) => write(sp, (h) => own.push(h), [one]));
          for (const h of own) onCommit(h);
        } catch (e) {
          refuse(one.k, e);
        }
      }
    }
    return out as (QueuedMessage | AppError)[];
  }

  return { send, sendMany, checkLinks };
}
export type OutboundService = ReturnType<typeof createOutboundService>;
