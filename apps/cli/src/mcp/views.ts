import type { Campaign, Contact, Conversation, Message } from '@openwaba/contracts';

/**
 * What the tools answer: the API's objects cut to what an assistant reads (ids to act on, names,
 * states, the words of messages), so a model's context is not filled with every column.
 */

/** A contact as an assistant needs it: who, how to reach them, consent, tags and fields. */
export const contactView = (c: Contact) => ({
  id: c.id,
  name: c.name,
  phone: c.phone,
  wa_id: c.wa_id,
  username: c.username,
  country: c.country,
  tags: c.tags.map((t) => t.name),
  fields: c.fields,
  consent: c.consent.state,
  last_inbound_at: c.last_inbound_at,
  last_message_at: c.last_message_at,
});

export const conversationView = (c: Conversation) => ({
  id: c.id,
  number_id: c.number_id,
  contact: c.contact,
  status: c.status,
  assignee: c.assignee?.email ?? null,
  tags: c.tags.map((t) => t.name),
  last_message_at: c.last_message_at,
  last_message: c.last_message,
  /** Free-form text is allowed until then; after it, only a template. */
  window_expires_at: c.window_expires_at,
});

/** The words of a message, whatever its type (null for ones without any, e.g. a sticker). */
function messageText(m: Message): string | null {
  if (m.template) return m.template.body;
  const c = m.content as Record<
    string,
    { body?: unknown; caption?: unknown; text?: unknown; emoji?: unknown }
  >;
  const part = c[m.type];
  const text = part?.body ?? part?.caption ?? part?.text ?? part?.emoji;
  if (typeof text === 'string') return text;
  const interactive = c.interactive as { body?: { text?: unknown } } | undefined;
  return typeof interactive?.body?.text === 'string' ? interactive.body.text : null;
}

export const messageView = (m: Message) => ({
  id: m.id,
  direction: m.direction,
  sent_at: m.sent_at,
  type: m.type,
  text: messageText(m),
  status: m.status,
  source: m.source,
  ...(m.error ? { error: m.error } : {}),
  ...(m.type === 'text' ? {} : { content: m.content }),
});

export const campaignView = (c: Campaign) => ({
  id: c.id,
  name: c.name,
  state: c.state,
  number_id: c.number_id,
  templates: c.templates.map((t) => `${t.name} (${t.language})`),
  counts: c.counts,
  scheduled_at: c.scheduled_at,
  started_at: c.started_at,
  finished_at: c.finished_at,
  paused_reason: c.paused_reason,
  failure_reason: c.failure_reason,
  rate: c.rate,
  eta_seconds: c.eta_seconds,
  created_at: c.created_at,
});
