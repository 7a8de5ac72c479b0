import { MessageContent } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { BillingService } from '../billing/service.ts';
import type { ConsentService } from '../contacts/consent.ts';
import { markContactsMessaged, upsertContacts } from '../contacts/upsert.ts';
import { openConversation, touchConversation } from '../conversations/writes.ts';
import type { Db, Tx } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { isBsuid } from '../lib/address.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { normalizePhone } from '../lib/phone.ts';
import { collectLinks, type UrlGuard } from '../lib/url-guard.ts';
import { insertOutboundMessage } from './repo.ts';

type OnCommit = (f: () => unknown) => void;

/** Why an authentication template is refused to a customer known only by their BSUID (409 details, campaign skip reason). */
export const BSUID_AUTHENTICATION = 'authentication_template_needs_phone';

export type OutboundSource = 'inbox' | 'api' | 'automation' | 'system';

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
 * the same transaction. Campaigns check the same rules in bulk (pre-flight) and queue their chunks
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

  async function numberOf(tx: Db | Tx, orgId: string, numberId: string) {
    const [n] = await queryRows<{
      id: string;
      status: string;
      waba_id: string;
      inactive_reason: string | null;
    }>(
      tx,
      sql`select id, status, waba_id, inactive_reason from numbers where org_id = ${orgId} and id = ${numberId}`,
    );
    if (!n) throw notFound('Number');
    if (n.status !== 'active') {
      throw new AppError(
        'CONFLICT',
        `The number is inactive${n.inactive_reason ? `: ${n.inactive_reason}` : ''}; nothing can be sent from it`,
        { details: { reason: 'number_inactive' } },
      );
    }
    return n;
  }

  /** The contact for a phone, created when new (a reply to an unknown phone is a new contact). */
  async function contactOf(tx: Db | Tx, orgId: string, to: SendInput['to']) {
    if ('contactId' in to) {
      const [c] = await queryRows<{ id: string; wa_id: string; country: string | null }>(
        tx,
        sql`select id, wa_id, country from contacts where org_id = ${orgId} and id = ${to.contactId}`,
      );
      if (!c) throw notFound('Contact');
      return c;
    }
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

  /** Queues one message after every check; returns it as `pending`. */
  async function send(
    orgId: string,
    input: SendInput,
    opts?: { tx: Tx; onCommit: OnCommit },
  ): Promise<QueuedMessage> {
    const parsed = MessageContent.safeParse(input.content);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: ['content', ...i.path], message: i.message }));
      throw new AppError(
        'VALIDATION_FAILED',
        issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        { details: issues },
      );
    }
    const content = parsed.data;
    await checkLinks(content);
    const work = async (tx: Tx, onCommit: OnCommit) => {
      const number = await numberOf(tx, orgId, input.numberId);
      const contact = await contactOf(tx, orgId, input.to);
      const conv = await openConversation(tx, orgId, number.id, contact.id);
      const { windowOpen } = conv;
      if (content.type !== 'template' && !windowOpen) {
        throw new AppError(
          'WINDOW_CLOSED',
          'The 24-hour customer-service window is closed: the customer has not written in the last 24 hours. Send an approved template instead.',
          { details: { conversation_id: conv.id } },
        );
      }
      const templateCategory = await checkTemplate(tx, orgId, number.waba_id, content, contact.wa_id);
      // A customer who stopped marketing messages from the number gets no MARKETING template (409).
      if (templateCategory === 'MARKETING')
        await consent.assertMarketingAllowed(orgId, number.id, contact.wa_id, tx);
      if (input.purpose !== 'consent_confirmation') {
        // A template outside the window starts a conversation: business-initiated, needs an opt-in.
        await consent.assertCanMessage(
          orgId,
          { contactId: contact.id },
          {
            businessInitiated: content.type === 'template' && !windowOpen,
            tx,
          },
        );
      }
      const messageId = await insertOutboundMessage(tx, orgId, {
        numberId: number.id,
        conversationId: conv.id,
        toWaId: contact.wa_id,
        content,
        replyTo: input.replyTo ?? null,
        source: input.source,
        authorUserId: input.authorUserId ?? null,
        cost: await billing.priceSend(tx, contact, {
          kind: content.type === 'template' ? 'template' : 'service',
          templateCategory,
          inWindow: windowOpen,
          freeEntryPoint: input.freeEntryPoint ?? conv.freeEntryPoint,
        }),
      });
      // Caps (the organisation's daily messages and monthly spend) count this message: crossing one
      // refuses it (CAP_REACHED) and rolls it back. The confirmation of an opt-out is owed to the
      // customer whatever the budget: counted, never refused.
      if (input.purpose !== 'consent_confirmation') await billing.checkCaps(tx, onCommit, orgId);
      await touchConversation(tx, conv.id);
      await markContactsMessaged(tx, orgId, sql`select ${contact.id}::uuid as contact_id`);
      onCommit(() =>
        events.publish(orgId, [
          {
            type: 'message.status_updated',
            conversation_id: conv.id,
            data: { message_id: messageId, status: 'pending', conversation_id: conv.id },
          },
          { type: 'conversation.updated', conversation_id: conv.id, data: { conversation_id: conv.id } },
        ]),
      );
      return {
        message_id: messageId,
        conversation_id: conv.id,
        contact_id: contact.id,
        status: 'pending' as const,
      };
    };
    return opts ? work(opts.tx, opts.onCommit) : transaction(db, work);
  }

  return { send, checkLinks };
}
export type OutboundService = ReturnType<typeof createOutboundService>;
