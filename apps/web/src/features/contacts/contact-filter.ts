import { CONSENT_STATES, type ConsentState, type ContactFilter } from '@openwaba/contracts';
import { useMemo } from 'react';
import { useSearchParams } from 'react-router';

export type ListFilter = ContactFilter & { segment_id?: string };

export const isFiltered = (f: ListFilter) => Boolean(f.q || f.tag_ids?.length || f.consent || f.segment_id);

/** The filter lives in the address, so a link (an import's result, a shared view) opens it. */
export function useContactFilter() {
  const [params, setParams] = useSearchParams();
  const filter: ListFilter = useMemo(() => {
    const tags = params.get('tags')?.split(',').filter(Boolean) ?? [];
    const consent = params.get('consent');
    const match = params.get('match');
    return {
      ...(params.get('q') ? { q: params.get('q') ?? '' } : {}),
      ...(tags.length ? { tag_ids: tags } : {}),
      ...(tags.length && (match === 'all' || match === 'none') ? { tag_match: match } : {}),
      ...(consent && (CONSENT_STATES as readonly string[]).includes(consent)
        ? { consent: consent as ConsentState }
        : {}),
      ...(params.get('segment') ? { segment_id: params.get('segment') ?? '' } : {}),
    };
  }, [params]);
  const setFilter = (f: ListFilter) => {
    const next = new URLSearchParams();
    if (f.q) next.set('q', f.q);
    if (f.tag_ids?.length) next.set('tags', f.tag_ids.join(','));
    if (f.tag_ids?.length && f.tag_match && f.tag_match !== 'any') next.set('match', f.tag_match);
    if (f.consent) next.set('consent', f.consent);
    if (f.segment_id) next.set('segment', f.segment_id);
    setParams(next, { replace: true });
  };
  return [filter, setFilter] as const;
}
