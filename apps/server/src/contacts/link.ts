import { mergeContactConversations } from '../conversations/writes.ts';
import type { Tx } from '../db/client.ts';
import { isBsuid } from '../lib/address.ts';
import { contactsByIdentity, foldContact, type IdentityRow, rekeyContact } from './repo.ts';

/**
 * One customer as a message names them: their phone (wa_id), their BSUID, or both; and, for a
 * system message, the identifiers they changed to.
 */
export interface Identity {
  phone: string | null;
  userId: string | null;
  parentUserId?: string | null;
  change?: { phone: string | null; userId: string | null; parentUserId: string | null } | null;
}

/** The key of an identity in `linkIdentities`' answer. */
export const identityKey = (i: Pick<Identity, 'phone' | 'userId'>) => `${i.phone ?? ''} ${i.userId ?? ''}`;

/**
 * Resolves customers to their contacts' addresses (`contacts.wa_id`), linking identifiers on the way,
 * inside the caller's transaction; answers each identity's address by `identityKey` (the contact may
 * not exist yet: the caller upserts it under that address).
 *
 * - a phone is its own address; a BSUID alone is the address of the contact that holds it, else
 *   the BSUID itself (a username customer without a phone);
 * - both: a BSUID-only contact gets the phone as its address (its history stays), and when the phone
 *   has a contact of its own too, the BSUID-only one is folded into it (conversations merged);
 *   a BSUID held by a contact of another phone moves to this phone's (Meta gives a new BSUID to a new
 *   phone: the message is the latest word);
 * - a system message of a phone or BSUID change re-keys the contact to the new identifiers (folding
 *   into a contact that already holds them), so its history stays in one conversation.
 *
 * Only the rows that change are written; contacts are locked in id order (no deadlock between batches).
 *
 * @example
 * const addr = await linkIdentities(tx, orgId, [{ phone: null, userId: 'US.134…' }]);
 * addr.get(identityKey({ phone: null, userId: 'US.134…' })) // 'US.134…' or the phone it was linked to
 */
export async function linkIdentities(tx: Tx, orgId: string, identities: Identity[]) {
  const out = new Map<string, string>();
  // A phone alone is its own address: only identities with a BSUID or a change are looked up.
  const keys = new Set<string>();
  for (const i of identities) {
    if (!i.userId && !i.change) continue;
    for (const k of [i.phone, i.userId, i.change?.phone, i.change?.userId]) if (k) keys.add(k);
  }
  const rows = keys.size ? await contactsByIdentity(tx, orgId, [...keys]) : [];
  const live = new Set(rows);
  const byWa = (k: string | null | undefined) =>
    k ? rows.find((r) => live.has(r) && r.wa_id === k) : undefined;
  const byUser = (k: string | null | undefined) =>
    k ? rows.find((r) => live.has(r) && (r.user_id === k || r.wa_id === k)) : undefined;
  const fold = async (from: IdentityRow, into: IdentityRow) => {
    await mergeContactConversations(tx, orgId, from.id, into.id);
    live.delete(from);
    await foldContact(tx, orgId, from, into);
  };
  /** Gives `userId` to contact `c`, taking it from (or folding) whoever holds it. */
  const giveUser = async (c: IdentityRow, userId: string, parentUserId: string | null) => {
    const holder = byUser(userId);
    if (holder && holder !== c) {
      if (isBsuid(holder.wa_id)) await fold(holder, c);
      else await rekeyContact(tx, orgId, holder, { userId: null });
    }
    if (c.user_id !== userId) await rekeyContact(tx, orgId, c, { userId, parentUserId });
  };

  for (const i of identities) {
    const key = identityKey(i);
    if (i.change) {
      const c = byWa(i.phone) ?? byUser(i.userId);
      const next = { phone: i.change.phone, userId: i.change.userId ?? null };
      if (c) {
        if (next.phone && c.wa_id !== next.phone) {
          const other = byWa(next.phone);
          if (other && other !== c) await fold(other, c);
          await rekeyContact(tx, orgId, c, { waId: next.phone });
        }
        if (next.userId) {
          const wasBsuidOnly = isBsuid(c.wa_id) && c.wa_id === c.user_id;
          await giveUser(c, next.userId, i.change.parentUserId);
          if (wasBsuidOnly) await rekeyContact(tx, orgId, c, { waId: next.userId });
        }
        out.set(key, c.wa_id);
        continue;
      }
    }
    if (i.phone && i.userId) {
      const phoneContact = byWa(i.phone);
      const userContact = byUser(i.userId);
      if (userContact && !phoneContact && isBsuid(userContact.wa_id)) {
        await rekeyContact(tx, orgId, userContact, { waId: i.phone });
      } else if (phoneContact && userContact !== phoneContact) {
        await giveUser(phoneContact, i.userId, i.parentUserId ?? null);
      } else if (userContact && !phoneContact) {
        // The BSUID belongs to a contact of another phone: it goes with this phone (upserted by the caller).
        await rekeyContact(tx, orgId, userContact, { userId: null });
      }
      out.set(key, i.phone);
    } else if (i.phone) {
      out.set(key, i.phone);
    } else if (i.userId) {
      out.set(key, byUser(i.userId)?.wa_id ?? i.userId);
    }
  }
  return out;
}
