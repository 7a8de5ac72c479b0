import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, errorMessage } from '../../../api.ts';
import { ToggleChip } from '../../../components/filters.tsx';
import { Alert, Button, Card, Field, Select } from '../../../components/ui.tsx';
import { StepFooter } from '../../../components/wizard.tsx';
import { contactKeys } from '../../contacts/keys.ts';
import { useSegments, useTags } from '../../contacts/queries.ts';
import { n } from '../queries.ts';
import { type Audience, contactsFilter, type Pasted } from './draft.ts';
import { FileAudience } from './file-audience.tsx';

/** Step 2: contacts by tags and/or segment, pasted phones, or a file; with how many it reaches. */
export function AudienceStep({
  audience,
  pasted,
  onChange,
  onBack,
  onNext,
}: {
  audience: Audience;
  pasted: Pasted;
  onChange: (a: Audience) => void;
  onBack: () => void;
  onNext: () => void;
}) {
  const tags = useTags();
  const segments = useSegments();
  const contacts = audience.kind === 'contacts' ? audience : null;
  const count = useQuery({
    queryKey: contactKeys.audience(contacts, 'count'),
    queryFn: () => api.contacts.list({ ...contactsFilter(contacts), limit: 1, with_total: true }),
    enabled: contacts !== null,
    placeholderData: keepPreviousData,
  });
  const optedIn = useQuery({
    queryKey: contactKeys.audience(contacts, 'opted_in'),
    queryFn: () =>
      api.contacts.list({ ...contactsFilter(contacts), consent: 'opted_in', limit: 1, with_total: true }),
    enabled: contacts !== null,
    placeholderData: keepPreviousData,
  });
  const toggleTag = (id: string) => {
    if (!contacts) return;
    const tagIds = contacts.tagIds.includes(id)
      ? contacts.tagIds.filter((t) => t !== id)
      : [...contacts.tagIds, id];
    onChange({ ...contacts, tagIds });
  };
  const total = count.data?.total ?? null;
  const ready =
    audience.kind === 'paste'
      ? pasted.recipients.length > 0
      : audience.kind === 'file'
        ? Boolean(audience.upload && audience.phoneColumn && audience.upload.total_rows > 0)
        : (total ?? 0) > 0;
  return (
    <Card
      title="Who receives it?"
      description="The audience is fixed when the draft is created: later changes to the contacts do not change it."
    >
      <fieldset className="mb-5">
        <legend className="text-sm font-medium text-slate-700">Audience</legend>
        <div className="mt-2 flex flex-wrap gap-4 text-sm">
          <label className="flex items-center gap-2">
            <input
              type="radio"
              name="audience-kind"
              checked={audience.kind === 'contacts'}
              onChange={() => onChange({ kind: 'contacts', tagIds: [], tagMatch: 'any', segmentId: '' })}
            />
            Contacts (by tags and/or a saved segment)
          </label>
          <label className="flex items-center gap-2">
            <input
              type="radio"
              name="audience-kind"
              checked={audience.kind === 'paste'}
              onChange={() => onChange({ kind: 'paste', text: '' })}
            />
            Paste phones
          </label>
          <label className="flex items-center gap-2">
            <input
              type="radio"
              name="audience-kind"
              checked={audience.kind === 'file'}
              onChange={() => onChange({ kind: 'file', upload: null, phoneColumn: '' })}
            />
            Upload a CSV or Excel file
          </label>
        </div>
      </fieldset>
      {audience.kind === 'file' && <FileAudience audience={audience} onChange={onChange} />}

      {contacts && (
        <div className="space-y-4">
          <fieldset>
            <legend className="text-sm font-medium text-slate-700">Tags</legend>
            <p className="text-xs text-slate-500">
              No tag chosen: every contact (of the segment, if one is chosen).
            </p>
            <div className="mt-2 flex flex-wrap gap-2">
              {tags.data?.data.map((t) => (
                <ToggleChip
                  key={t.id}
                  size="sm"
                  pressed={contacts.tagIds.includes(t.id)}
                  onClick={() => toggleTag(t.id)}
                >
                  {t.name} <span className="text-xs text-slate-500">({t.contact_count})</span>
                </ToggleChip>
              ))}
              {tags.isSuccess && tags.data.data.length === 0 && (
                <span className="text-sm text-slate-500">No tags yet.</span>
              )}
            </div>
            {contacts.tagIds.length > 1 && (
              <div className="mt-2 flex gap-4 text-sm">
                <label className="flex items-center gap-2">
                  <input
                    type="radio"
                    name="tag-match"
                    checked={contacts.tagMatch === 'any'}
                    onChange={() => onChange({ ...contacts, tagMatch: 'any' })}
                  />
                  Any of these tags
                </label>
                <label className="flex items-center gap-2">
                  <input
                    type="radio"
                    name="tag-match"
                    checked={contacts.tagMatch === 'all'}
                    onChange={() => onChange({ ...contacts, tagMatch: 'all' })}
                  />
                  All of them
                </label>
              </div>
            )}
          </fieldset>
          <Field label="Saved segment">
            {(id) => (
              <Select
                id={id}
                className="w-72"
                value={contacts.segmentId}
                onChange={(e) => onChange({ ...contacts, segmentId: e.target.value })}
              >
                <option value="">— none —</option>
                {segments.data?.data.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <div data-testid="audience-count" role="status" className="text-sm text-slate-700">
            {count.error ? (
              <Alert>{errorMessage(count.error)}</Alert>
            ) : total === null ? (
              'Counting…'
            ) : (
              <>
                <strong>{n(total)}</strong> contact{total === 1 ? '' : 's'} match
                {optedIn.data?.total !== null && optedIn.data?.total !== undefined && (
                  <>
                    , of whom <strong>{n(optedIn.data.total)}</strong> opted in. Those without an opt-in are
                    skipped when the campaign starts.
                  </>
                )}
              </>
            )}
          </div>
        </div>
      )}

      {audience.kind === 'paste' && (
        <div className="space-y-2">
          <Field
            label="Phone list"
            hint="One per line, in international format. Add values after commas for the template's variables: +447700900123,Ana,KT-1001"
          >
            {(id) => (
              <textarea
                id={id}
                rows={8}
                className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm shadow-sm focus:border-brand-600 focus:outline-none"
                value={audience.text}
                onChange={(e) => onChange({ kind: 'paste', text: e.target.value })}
              />
            )}
          </Field>
          <p className="text-sm text-slate-700" role="status">
            {pasted.recipients.length.toLocaleString()} phone{pasted.recipients.length === 1 ? '' : 's'}
            {pasted.columns > 0 && `, ${pasted.columns} value column${pasted.columns === 1 ? '' : 's'}`}. Each
            phone still needs an opt-in to receive a template.
          </p>
        </div>
      )}
      <StepFooter>
        <Button variant="secondary" onClick={onBack}>
          Back
        </Button>
        <Button
          disabledReason={
            ready
              ? null
              : audience.kind === 'paste'
                ? 'Paste at least one phone number'
                : audience.kind === 'file'
                  ? 'Upload a file with rows and name its phone column'
                  : total === null
                    ? 'Counting the audience…'
                    : 'No contact matches this audience'
          }
          onClick={onNext}
        >
          Next: templates
        </Button>
      </StepFooter>
    </Card>
  );
}
