/**
 * Query keys of contacts and what describes them. Everything under `contactKeys.all` is read again
 * when a contact changes (a realtime event, an import, a bulk action); tags, fields and segments are
 * lists of their own.
 */
export const contactKeys = {
  all: ['contacts'] as const,
  lists: ['contacts', 'list'] as const,
  list: (filter: object) => ['contacts', 'list', filter] as const,
  one: (id: string) => ['contacts', 'one', id] as const,
  timeline: (id: string) => ['contacts', 'timeline', id] as const,
  consent: (id: string) => ['contacts', 'consent', id] as const,
  campaigns: (id: string) => ['contacts', 'campaigns', id] as const,
  /** The contact picker of a template's preview. */
  pick: (search: string) => ['contacts', 'pick', search] as const,
  /** A campaign audience's size, opted-in part and first contact (for the preview). */
  audience: (filter: object | null, part: 'count' | 'opted_in' | 'first') =>
    ['contacts', 'campaign-audience', filter, part] as const,
  /** Opt-out and opt-in keywords. */
  settings: ['contacts', 'settings'] as const,
};

export const tagKeys = { all: ['tags'] as const };
export const fieldKeys = { all: ['fields'] as const };
export const segmentKeys = { all: ['segments'] as const };

/** A contact import, updated in place by its realtime progress events. */
export const importKeys = {
  one: (id: string) => ['contact-import', id] as const,
  preview: (id: string, options: object) => ['contact-import', id, 'preview', options] as const,
};
