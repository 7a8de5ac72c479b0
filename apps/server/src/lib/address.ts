/**
 * A customer's WhatsApp address (see `contacts.wa_id`): the phone's E.164 digits without `+` when the
 * phone is known, else their business-scoped user id (BSUID): a country code, a dot and up to 128
 * letters and digits (`US.13491208655302741918`; a parent BSUID has `ENT`: `US.ENT.1181…`).
 */

const BSUID = /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/;

/** True for a BSUID (or a parent BSUID), false for phone digits and anything else. */
export const isBsuid = (s: string | null | undefined): boolean => !!s && BSUID.test(s);

/** True for an address that is phone digits (a `wa_id`). */
export const isPhoneAddress = (s: string | null | undefined): boolean => !!s && /^[0-9]+$/.test(s);

/**
 * How Meta's `/messages` names the recipient of an address: `to` for a phone, `recipient` for a BSUID.
 *
 * @example
 * addressing('447700900123') // { to: '447700900123' }
 * addressing('US.13491208655302741918') // { recipient: 'US.13491208655302741918' }
 */
export function addressing(address: string): { to: string } | { recipient: string } {
  return isBsuid(address) ? { recipient: address } : { to: address };
}
