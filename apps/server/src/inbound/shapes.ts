import { z } from 'zod';

/**
 * Meta's webhook shapes shared by the readers of `normalize.ts`: read as loosely as they can be (an
 * optional field of the wrong type reads as absent, never an error).
 */

/** What every normalized change carries. */
export interface ChangeBase {
  /** The change's place among the body's changes: with the event id, what makes a notice unique. */
  index: number;
  /** The WABA: `entry[].id`. */
  wabaId: string;
}

/** An id or name Meta writes as a string; a number is read as its digits. */
export const Text = z.union([z.string(), z.number().transform(String)]);
/** Present and not empty: what an item cannot do without. */
export const Required = z.union([z.string().min(1), z.number().transform(String)]);
/** A field read only when it has the right type: anything else is absent, never an error. */
export const opt = <T extends z.ZodType>(s: T) => s.optional().catch(undefined);

/** A customer in a change's `contacts`: phone, BSUID, profile (name, username). */
export const Profile = z.looseObject({
  wa_id: opt(Text),
  profile: opt(z.looseObject({ name: opt(z.string()), username: opt(z.string().min(1)) })),
  user_id: opt(z.string().min(1)),
  parent_user_id: opt(z.string().min(1)),
});

export const digits = (s: string | null | undefined) => (s ?? '').replace(/\D+/g, '');
/** A phone number's digits; '' for anything else (a business-scoped user id such as `US.1349…`). */
export const phoneOf = (s: string | null | undefined) => (/^\+?[\d\s()-]+$/.test(s ?? '') ? digits(s) : '');

/** The profile names a change's `contacts` gives, by the customer's wa_id and by their BSUID. */
export function profileNames(contacts: unknown[] | undefined): Map<string, string> {
  const names = new Map<string, string>();
  for (const raw of contacts ?? []) {
    const p = Profile.safeParse(raw);
    if (!p.success || !p.data.profile?.name) continue;
    if (p.data.wa_id) names.set(p.data.wa_id, p.data.profile.name);
    if (p.data.user_id) names.set(p.data.user_id, p.data.profile.name);
  }
  return names;
}
