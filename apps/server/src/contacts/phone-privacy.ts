import { type ConsentEvent, type Contact, can, type Role, type TimelineItem } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { AuthContext } from '../auth/context.ts';
import type { Db } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import { isBsuid } from '../lib/address.ts';
import { AppError } from '../lib/errors.ts';

const HIDDEN = '•••';

/**
 * A phone as a masked role sees it: the country code and the last four digits, enough to tell two
 * customers apart and to recognise one on the line, not to call or look them up.
 *
 * @example maskPhone('+447911123456') // '+44 ••• ••• 3456'
 */
export function maskPhone(phone: string): string;
export function maskPhone(phone: string | null): string | null;
export function maskPhone(phone: string | null): string | null {
  // No phone (a username customer), or a business-scoped user id: nothing to hide.
  if (phone === null || isBsuid(phone)) return phone;
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 6) return `${HIDDEN} ${HIDDEN}`;
  const cc = parsePhoneNumberFromString(`+${digits}`)?.countryCallingCode;
  return `${cc ? `+${cc}` : '+•'} ${HIDDEN} ${HIDDEN} ${digits.slice(-4)}`;
}

/**
 * Free text that may hold a phone as someone wrote it (a campaign file's cell): every digit but the
 * last four hidden, the rest kept, so a bad cell still shows why it was bad.
 *
 * @example maskDigits('07400 100001') // '••••• ••0001'
 */
export function maskDigits(text: string): string {
  const total = text.replace(/\D/g, '').length;
  if (total < 5) return text;
  let seen = 0;
  return text.replace(/\d/g, (d) => (++seen > total - 4 ? d : '•'));
}

/** A phone as the server writes one in a message: E.164 (dates and counts are left alone). */
const E164_IN_TEXT = /\+\d{6,15}\b/g;

/** How one caller sees customers' phones: as they are, or masked (see `createPhonePrivacy`). */
export interface PhoneView {
  masked: boolean;
  /** An E.164 phone (`+…`). */
  phone(p: string): string;
  /** A WhatsApp id (E.164 digits): masked, it reads like a masked phone. */
  waId(w: string): string;
  /** Free text in which phones may appear (a file cell, an error message). */
  text(t: string): string;
  contact<T extends Pick<Contact, 'phone' | 'wa_id'>>(c: T): T;
  consentEvent<T extends Pick<ConsentEvent, 'wa_id'>>(e: T): T;
  timelineItem(i: TimelineItem): TimelineItem;
  /** An error on its way to the caller: a phone in its message or details is masked too. */
  error(err: unknown): unknown;
}

const OPEN: PhoneView = {
  masked: false,
  phone: (p) => p,
  waId: (w) => w,
  text: (t) => t,
  contact: (c) => c,
  consentEvent: (e) => e,
  timelineItem: (i) => i,
  error: (e) => e,
};

/** Masks the values of `phone`/`wa_id` keys at any depth. */
function maskDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskDeep);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      (k === 'phone' || k === 'wa_id') && typeof v === 'string' ? maskPhone(v) : maskDeep(v),
    ]),
  );
}

const MASKED: PhoneView = {
  masked: true,
  phone: maskPhone,
  waId: maskPhone,
  text: maskDigits,
  contact: (c) => ({ ...c, phone: maskPhone(c.phone), wa_id: maskPhone(c.wa_id) }),
  consentEvent: (e) => ({ ...e, wa_id: maskPhone(e.wa_id) }),
  timelineItem(i) {
    if (i.kind === 'consent') return { ...i, consent: MASKED.consentEvent(i.consent) };
    // Edits carry the audit log's snapshots of the contact, phone included.
    if (i.kind === 'change') {
      return {
        ...i,
        change: { ...i.change, before: maskDeep(i.change.before), after: maskDeep(i.change.after) },
      };
    }
    return i;
  },
  error(err) {
    if (!(err instanceof AppError)) return err;
    return new AppError(
      err.code,
      err.message.replace(E164_IN_TEXT, (m) => maskPhone(m)),
      {
        ...(err.details === undefined ? {} : { details: maskDeep(err.details) }),
        ...(err.headers ? { headers: err.headers } : {}),
      },
    );
  },
};

/** Whether a role sees phones when its organisation hides them (the `contacts.phones` permission). */
export const seesPhones = (role: Role) => can(role, 'contacts.phones');

/**
 * The organisation setting `hide_phone_numbers`, applied per caller: owners, admins and managers
 * (`contacts.phones`) always see phones; agents and viewers see them masked when it is on. Read on
 * every request (one primary-key lookup), so turning it on applies at once in every process.
 */
export function createPhonePrivacy(deps: { db: Db }) {
  async function viewFor(ctx: Pick<AuthContext, 'orgId' | 'role'>): Promise<PhoneView> {
    if (seesPhones(ctx.role)) return OPEN;
    const [row] = await queryRows<{ hide: boolean }>(
      deps.db,
      sql`select hide_phone_numbers as hide from org_settings where org_id = ${ctx.orgId}`,
    );
    return row?.hide ? MASKED : OPEN;
  }
  return { viewFor };
}
export type PhonePrivacy = ReturnType<typeof createPhonePrivacy>;
