import type { Conversation, Message } from '@openwaba/contracts';
import type { PhoneView } from '../contacts/phone-privacy.ts';

/** The customer's phone as the caller may see it (the organisation may hide it from their role). */
export const conversationFor = (view: PhoneView, c: Conversation): Conversation =>
  view.masked ? { ...c, contact: { ...c.contact, wa_id: view.waId(c.contact.wa_id) } } : c;
/** A received message carries the customer's phone as `from` (WhatsApp's payload, stored as it came). */
export const messageFor = (view: PhoneView, m: Message): Message =>
  view.masked && m.direction === 'in' && typeof m.content.from === 'string'
    ? { ...m, content: { ...m.content, from: view.waId(m.content.from) } }
    : m;
/** A send refused for consent names the phone: masked in the error too. */
export async function asCaller<T>(view: PhoneView, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw view.error(err);
  }
}
