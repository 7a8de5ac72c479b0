import { CONSENT_STATES, type ConsentState } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { FilterBar, FilterSelect, SearchBox } from '../../components/filters.tsx';
import { Alert, Button, Input, Select } from '../../components/ui.tsx';
import { isFiltered, type ListFilter } from './contact-filter.ts';
import { segmentKeys } from './keys.ts';
import { CONSENT_LABEL, TagChip } from './parts.tsx';
import { useContactRights, usePhonesHidden, useSegments, useTags } from './queries.ts';

const CONSENT_OPTIONS = [
  ['', 'Any'],
  ...CONSENT_STATES.map((s) => [s, CONSENT_LABEL[s]] as const),
] as const satisfies readonly (readonly [ConsentState | '', string])[];

/** Search, consent, segment and tags; a filtered view can be saved as a segment. */
export function ContactsFilters({
  filter,
  setFilter,
  onNotice,
}: {
  filter: ListFilter;
  setFilter: (f: ListFilter) => void;
  onNotice: (text: string) => void;
}) {
  const { canWrite } = useContactRights();
  const phonesHidden = usePhonesHidden();
  const tags = useTags();
  const segments = useSegments();
  const qc = useQueryClient();
  const [search, setSearch] = useState(filter.q ?? '');
  const [segmentName, setSegmentName] = useState('');
  const { segment_id, ...plainFilter } = filter;
  const saveSegment = useMutation({
    mutationFn: () => api.segments.create({ name: segmentName.trim(), filter: plainFilter }),
    onSuccess: (s) => {
      setSegmentName('');
      // The new segment is in the list at once, so the Segment select shows it (not a blank).
      qc.setQueryData<Awaited<ReturnType<typeof api.segments.list>>>(segmentKeys.all, (old) =>
        old && !old.data.some((x) => x.id === s.id) ? { ...old, data: [...old.data, s] } : old,
      );
      void qc.invalidateQueries({ queryKey: segmentKeys.all });
      setFilter({ segment_id: s.id });
      setSearch('');
      onNotice(`Saved the segment “${s.name}”.`);
    },
  });
  const tagList = tags.data?.data ?? [];
  const toggleTag = (id: string) => {
    const ids = new Set(filter.tag_ids ?? []);
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    setFilter({ ...filter, tag_ids: [...ids] });
  };
  const segment = segments.data?.data.find((s) => s.id === segment_id);
  const segmentOptions: [string, string][] = [
    ['', 'All contacts'],
    ...(segments.data?.data ?? []).map((s): [string, string] => [s.id, s.name]),
  ];

  const tagRow = tagList.length > 0 && (
    <fieldset className="flex flex-wrap items-center gap-2">
      <legend className="sr-only">Tags</legend>
      <span className="text-sm font-medium text-slate-700">Tags</span>
      {tagList.map((t) => {
        const on = filter.tag_ids?.includes(t.id) ?? false;
        return (
          <button
            key={t.id}
            type="button"
            aria-pressed={on}
            onClick={() => toggleTag(t.id)}
            className={`rounded-full ${on ? 'ring-2 ring-brand-600 ring-offset-1' : 'opacity-80 hover:opacity-100'}`}
          >
            <TagChip tag={t} />
          </button>
        );
      })}
      {(filter.tag_ids?.length ?? 0) > 1 && (
        <Select
          aria-label="Tag match"
          className="w-44 py-1"
          value={filter.tag_match ?? 'any'}
          onChange={(e) => setFilter({ ...filter, tag_match: e.target.value as 'any' | 'all' | 'none' })}
        >
          <option value="any">any of these tags</option>
          <option value="all">all of these tags</option>
          <option value="none">none of these tags</option>
        </Select>
      )}
    </fieldset>
  );

  const clearRow = isFiltered(filter) && (
    <div className="flex flex-wrap items-center gap-3 border-t border-slate-100 pt-3 text-sm">
      {segment && (
        <span className="text-slate-700">
          Segment <strong>{segment.name}</strong>
        </span>
      )}
      <Button
        variant="ghost"
        onClick={() => {
          setSearch('');
          setFilter({});
        }}
      >
        Clear filters
      </Button>
      {canWrite && !segment_id && (
        <form
          className="ml-auto flex items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            saveSegment.mutate();
          }}
        >
          <Input
            aria-label="Segment name"
            placeholder="Name this filter"
            className="w-48 py-1.5"
            value={segmentName}
            onChange={(e) => setSegmentName(e.target.value)}
          />
          <Button type="submit" variant="secondary" disabled={!segmentName.trim() || saveSegment.isPending}>
            Save as segment
          </Button>
        </form>
      )}
    </div>
  );

  return (
    <FilterBar
      below={
        <>
          {tagRow}
          {clearRow}
          {saveSegment.error && <Alert>{errorMessage(saveSegment.error)}</Alert>}
        </>
      }
    >
      <SearchBox
        label="Search"
        submitLabel="Search contacts"
        className="min-w-64"
        placeholder={phonesHidden ? 'Name or a field value' : 'Name, phone or a field value'}
        value={search}
        onChange={setSearch}
        onSubmit={(q) => setFilter({ ...filter, q: q.trim() || undefined })}
      />
      <FilterSelect
        label="Consent"
        className="w-40"
        value={filter.consent ?? ''}
        options={CONSENT_OPTIONS}
        onChange={(v) => setFilter({ ...filter, consent: v || undefined })}
      />
      <FilterSelect
        label="Segment"
        className="w-48"
        value={segment_id ?? ''}
        options={segmentOptions}
        onChange={(v) => {
          setSearch('');
          setFilter(v ? { segment_id: v } : {});
        }}
      />
    </FilterBar>
  );
}
