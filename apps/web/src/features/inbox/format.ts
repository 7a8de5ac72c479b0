import { useEffect, useState } from 'react';

/** `wa_id` is digits with the country code; people read it with a leading +. */
export const phoneOf = (waId: string) => (/^\d+$/.test(waId) ? `+${waId}` : waId);

/** A customer known only by their business-scoped user id (`CC.…`): no phone to show or call. */
export const isBsuid = (waId: string) => /^[A-Z]{2}\.[A-Za-z0-9.]+$/.test(waId);

/**
 * What stands where the phone would: the phone, else the customer's username (`@name`, as WhatsApp
 * shows it), else their business-scoped user id.
 */
export const addressOf = (c: { wa_id: string; username?: string | null }) =>
  isBsuid(c.wa_id) ? (c.username ? `@${c.username}` : c.wa_id) : phoneOf(c.wa_id);

export function initialsOf(name: string | null, waId: string): string {
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return waId.slice(-2);
  return words
    .slice(0, 2)
    .map((w) => Array.from(w)[0]?.toUpperCase() ?? '')
    .join('');
}

const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();

/** List times like a messenger: 14:05 today, "Yesterday", a weekday this week, else the date. */
export function listTime(iso: string | null, now = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (sameDay(d, now)) return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(d, yesterday)) return 'Yesterday';
  if (now.getTime() - d.getTime() < 6 * 86_400_000)
    return d.toLocaleDateString(undefined, { weekday: 'short' });
  return d.toLocaleDateString();
}

export const clockTime = (iso: string) =>
  new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

/** The label of a date separator in a thread. */
export function dayLabel(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (sameDay(d, now)) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(d, yesterday)) return 'Yesterday';
  return d.toLocaleDateString(undefined, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    ...(d.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }),
  });
}

/**
 * The 24-hour customer service window: free-form replies are allowed until it closes, after that
 * only templates. `open · 5 h left` / `closed`.
 */
export function windowState(expiresAt: string | null, now = Date.now()): { open: boolean; label: string } {
  const left = expiresAt ? Date.parse(expiresAt) - now : 0;
  if (left <= 0) return { open: false, label: 'closed' };
  const minutes = Math.ceil(left / 60_000);
  const text = minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h`;
  return { open: true, label: `open · ${text} left` };
}

export function fileSize(bytes: number | null): string {
  if (bytes === null) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Re-renders every `ms` so relative labels (time left, "Yesterday") stay true on an open page. */
export function useNow(ms = 60_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
