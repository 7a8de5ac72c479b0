import { z } from 'zod';

export const Uuid = z.uuid();
export const IsoDate = z.iso.datetime({ offset: true });
/** Free text a person typed: trimmed, no control characters except newline and tab. */
// Control characters other than tab, newline and carriage return. Built from code points so the
// source stays free of raw control characters.
const CONTROL = new RegExp(
  `[${String.fromCharCode(0)}-${String.fromCharCode(8)}${String.fromCharCode(11)}${String.fromCharCode(12)}${String.fromCharCode(14)}-${String.fromCharCode(31)}${String.fromCharCode(127)}]`,
);

/** Free text a person typed: trimmed, bounded, no control characters except tab and newlines. */
export const Text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters');
export const Email = z.string().trim().toLowerCase().pipe(z.email('must be an email address').max(254));
export const Password = z.string().min(10, 'must be at least 10 characters').max(200);
export const Ok = z.object({ ok: z.literal(true) });
