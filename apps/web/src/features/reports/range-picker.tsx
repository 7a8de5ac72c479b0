import { REPORT_MAX_DAYS } from '@openwaba/contracts';
import { useId, useState } from 'react';
import { FilterBar, FilterSelect } from '../../components/filters.tsx';
import { Button, Input } from '../../components/ui.tsx';
import { useTags } from '../contacts/queries.ts';
import { useNumbers } from '../numbers/use-numbers.ts';
import { PRESETS, type Preset, presetOf, presetRange, type ReportRange } from './range.ts';

/**
 * The period, number and contact tag a report covers (the tag only where it applies: `showTag`): presets (last 7 or 30 days, this or last month) and custom
 * days of the organisation's timezone; applied together, and not while "from" is after "to". Keyed by
 * the applied range, so a change of address (a tab, back) shows what is applied.
 */
export function RangePicker({
  range,
  today,
  timezone,
  onApply,
  showTag,
}: {
  range: ReportRange;
  today: string;
  timezone: string | undefined;
  onApply: (r: ReportRange) => void;
  showTag: boolean;
}) {
  const numbers = useNumbers();
  const tags = useTags();
  const [draft, setDraft] = useState(range);
  const [preset, setPreset] = useState<Preset>(() => presetOf(range, today));
  const fromId = useId();
  const toId = useId();
  const choosePreset = (p: Preset) => {
    setPreset(p);
    const r = presetRange(p, today);
    if (r) setDraft((d) => ({ ...d, ...r }));
  };
  const reversed = draft.from > draft.to;
  const days = (Date.parse(draft.to) - Date.parse(draft.from)) / 86_400_000 + 1;
  const refusal =
    !draft.from || !draft.to
      ? 'Choose both days'
      : reversed
        ? '“From” is after “To”'
        : days > REPORT_MAX_DAYS
          ? `A report covers at most ${REPORT_MAX_DAYS} days`
          : undefined;
  const numberOptions: [string, string][] = [
    ['', 'All numbers'],
    ...(numbers.data?.data.map((n) => [n.id, n.display_name] as [string, string]) ?? []),
  ];
  const tagOptions: [string, string][] = [
    ['', 'All contacts'],
    ...(tags.data?.data.map((t) => [t.id, t.name] as [string, string]) ?? []),
  ];
  // A tag typed into the address that is not in the list still shows (the server says what is wrong).
  if (draft.tag_id && !tagOptions.some(([id]) => id === draft.tag_id))
    tagOptions.push([draft.tag_id, 'Unknown tag']);
  const { tag_id: _tag, ...withoutTag } = draft;
  return (
    <FilterBar label="Report range" onSubmit={() => !refusal && onApply(draft)}>
      <FilterSelect label="Period" value={preset} onChange={choosePreset} options={PRESETS} />
      <div className="space-y-1">
        <label htmlFor={fromId} className="block text-sm font-medium text-slate-700">
          From
        </label>
        <Input
          id={fromId}
          type="date"
          value={draft.from}
          max={today}
          onChange={(e) => {
            setPreset('custom');
            setDraft((d) => ({ ...d, from: e.target.value }));
          }}
        />
      </div>
      <div className="space-y-1">
        <label htmlFor={toId} className="block text-sm font-medium text-slate-700">
          To
        </label>
        <Input
          id={toId}
          type="date"
          value={draft.to}
          onChange={(e) => {
            setPreset('custom');
            setDraft((d) => ({ ...d, to: e.target.value }));
          }}
        />
      </div>
      <FilterSelect
        label="Number"
        value={draft.number_id ?? ''}
        onChange={(v) => {
          const { number_id: _n, ...rest } = draft;
          setDraft({ ...rest, ...(v ? { number_id: v } : {}) });
        }}
        options={numberOptions}
      />
      {showTag && (
        <FilterSelect
          label="Contact tag"
          value={draft.tag_id ?? ''}
          onChange={(v) => setDraft({ ...withoutTag, ...(v ? { tag_id: v } : {}) })}
          options={tagOptions}
        />
      )}
      <Button type="submit" disabledReason={refusal}>
        Apply
      </Button>
      <p className="self-center text-xs text-slate-500">
        Days in {timezone ?? 'the organisation’s time zone'}.
      </p>
    </FilterBar>
  );
}
