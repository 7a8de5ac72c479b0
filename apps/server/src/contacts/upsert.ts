/**
 * Finding or creating contacts by address (a phone, or the BSUID of a customer without one) and
 * linking a customer's identifiers, for the domains that meet customers inside their own
 * transactions: inbound (a customer wrote), messages (a send to a phone), campaigns (an audience of
 * phones). The contacts domain owns the `contacts` table; this is the one way other domains write
 * it, and it is a function taking their transaction rather than a service call because those
 * writes must commit or roll back with theirs (the layering rules forbid importing `repo.ts` itself).
 */
export { type Identity, identityKey, linkIdentities } from './link.ts';
export {
  addressesOfUserIds,
  type ContactInput,
  markContactsMessaged,
  type UpsertContactsOptions,
  type UpsertedContact,
  upsertContacts,
} from './repo.ts';
