import type { Template } from '@openwaba/contracts';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, errorMessage } from '../../../api.ts';
import { Alert, Button, Card, Input, Select } from '../../../components/ui.tsx';
import { StepFooter } from '../../../components/wizard.tsx';
import { contactKeys } from '../../contacts/keys.ts';
import { useFields } from '../../contacts/queries.ts';
import { useNumbers } from '../../numbers/use-numbers.ts';
import { templateKeys } from '../../templates/keys.ts';
import { type PreviewValues, previewTemplate, TemplateBubble } from '../../templates/template-bubble.tsx';
import { defOf, mappingKey, variableLabel } from '../../templates/variables.ts';
import {
  type Audience,
  type Choice,
  contactsFilter,
  defaultColumn,
  mappable,
  type Pasted,
  type Source,
  type Split,
} from './draft.ts';

/** Step 3: the templates, how they split the audience, and where each variable's value comes from. */
export function TemplatesStep({
  numberId,
  audience,
  pasted,
  choices,
  split,
  onChange,
  onBack,
  onNext,
}: {
  numberId: string;
  audience: Audience;
  pasted: Pasted;
  choices: Choice[];
  split: Split;
  onChange: (c: Choice[], s: Split) => void;
  onBack: () => void;
  onNext: () => void;
}) {
  const numbers = useNumbers();
  const wabaId = numbers.data?.data.find((x) => x.id === numberId)?.waba_id;
  const templates = useQuery({
    queryKey: templateKeys.list({ usable: true, waba_id: wabaId }),
    queryFn: () => api.templates.list({ usable: true, ...(wabaId ? { waba_id: wabaId } : {}) }),
    enabled: Boolean(wabaId),
  });
  const fields = useFields();
  const list = templates.data?.data ?? [];
  const byId = (id: string) => list.find((t) => t.id === id);

  // The first recipient, for the preview.
  const contacts = audience.kind === 'contacts' ? audience : null;
  const first = useQuery({
    queryKey: contactKeys.audience(contacts, 'first'),
    queryFn: () => api.contacts.list({ ...contactsFilter(contacts), limit: 1 }),
    enabled: contacts !== null,
  });
  const firstContact = first.data?.data[0];
  const fromFile = audience.kind === 'file' ? audience : null;
  const file = fromFile?.upload ?? null;
  const phoneColumn = fromFile?.phoneColumn ?? '';
  // The first recipient as the preview shows it: a pasted line or the file's first row.
  const firstRow = file
    ? {
        phone: file.sample_rows[0]?.[file.headers.indexOf(phoneColumn)] ?? '',
        variables: Object.fromEntries(file.headers.map((h, j) => [h, file.sample_rows[0]?.[j] ?? ''])),
      }
    : pasted.recipients[0];
  /** Columns a variable can come from: pasted values by number, file columns by name. */
  const columns = file
    ? file.headers.filter((h) => h !== phoneColumn)
    : audience.kind === 'paste'
      ? Array.from({ length: pasted.columns }, (_, j) => String(j + 1))
      : [];

  const toggle = (t: Template) => {
    if (choices.some((c) => c.templateId === t.id)) {
      const next = choices.filter((c) => c.templateId !== t.id);
      onChange(next, next.length < 2 ? 'sequential' : split);
      return;
    }
    const sources: Record<string, Source> = {};
    mappable(t).forEach((v, i) => {
      const column = file
        ? defaultColumn(columns, v)
        : audience.kind === 'paste' && i < pasted.columns
          ? String(i + 1)
          : undefined;
      sources[mappingKey(v)] = { from: column ? `column.${column}` : '', text: '' };
    });
    onChange([...choices, { templateId: t.id, sources, share: '' }], split);
  };
  const update = (i: number, c: Choice) =>
    onChange(
      choices.map((x, j) => (j === i ? c : x)),
      split,
    );

  const unmapped = choices.some((c) =>
    Object.values(c.sources).some((s) => !s.from || (s.from === 'fixed' && !s.text.trim())),
  );
  const shareSum = choices.reduce((s, c) => s + (Number(c.share) || 0), 0);
  const shareBad =
    split === 'ab' &&
    (choices.length < 2 ||
      shareSum !== 100 ||
      choices.some((c) => !Number.isInteger(Number(c.share)) || Number(c.share) < 1 || Number(c.share) > 99));

  const sourceValue = (s: Source): string | undefined => {
    if (s.from === 'fixed') return s.text;
    if (s.from.startsWith('column.')) return firstRow?.variables?.[s.from.slice('column.'.length)];
    if (audience.kind !== 'contacts') return s.from === 'phone' ? firstRow?.phone : undefined;
    if (!firstContact) return undefined;
    const raw =
      s.from === 'name'
        ? firstContact.name
        : s.from === 'phone'
          ? firstContact.phone
          : firstContact.fields[s.from.slice('field.'.length)];
    return raw === null || raw === undefined ? undefined : String(raw);
  };

  return (
    <Card
      title="What do they receive?"
      description="Templates approved by Meta, not quarantined and of a category your campaign policy allows."
    >
      {templates.error && <Alert>{errorMessage(templates.error)}</Alert>}
      {templates.isPending && <p className="text-sm text-slate-500">Loading templates…</p>}
      {templates.isSuccess && list.length === 0 && (
        <Alert kind="info">
          No template of this number's WhatsApp account can be used in campaigns.{' '}
          <Link to="/templates" className="font-medium underline">
            Open templates
          </Link>{' '}
          to sync or create one.
        </Alert>
      )}
      {list.length > 0 && (
        <fieldset>
          <legend className="text-sm font-medium text-slate-700">Templates</legend>
          <ul className="mt-2 grid gap-2 sm:grid-cols-2">
            {list.map((t) => (
              <li key={t.id}>
                <label className="flex items-start gap-2 rounded-md border border-slate-200 px-3 py-2 text-sm hover:bg-slate-50">
                  <input
                    type="checkbox"
                    className="mt-1"
                    checked={choices.some((c) => c.templateId === t.id)}
                    onChange={() => toggle(t)}
                  />
                  <span>
                    <span className="font-medium text-slate-900">{t.name}</span>{' '}
                    <span className="text-xs text-slate-500">
                      {t.language} · {t.category.toLowerCase()}
                    </span>
                  </span>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
      )}

      {choices.length > 1 && (
        <fieldset className="mt-5">
          <legend className="text-sm font-medium text-slate-700">Split between the templates</legend>
          <div className="mt-2 flex flex-wrap gap-4 text-sm">
            <label className="flex items-center gap-2">
              <input
                type="radio"
                name="split"
                checked={split === 'sequential'}
                onChange={() => onChange(choices, 'sequential')}
              />
              Sequential (even chunks, in order)
            </label>
            <label className="flex items-center gap-2">
              <input
                type="radio"
                name="split"
                checked={split === 'ab'}
                onChange={() => onChange(choices, 'ab')}
              />
              A/B test (at random, by share)
            </label>
          </div>
          {split === 'ab' && (
            <p
              className={`mt-2 text-sm ${shareSum === 100 ? 'text-slate-600' : 'text-red-700'}`}
              role="status"
            >
              Shares add up to {shareSum}% {shareSum === 100 ? '' : '(they must add up to 100%)'}
            </p>
          )}
        </fieldset>
      )}

      <div className="mt-5 space-y-5">
        {choices.map((c, i) => {
          const t = byId(c.templateId);
          if (!t) return null;
          const def = defOf(t);
          const vars = mappable(t);
          const values: PreviewValues = {};
          for (const [k, s] of Object.entries(c.sources)) if (s.from) values[k] = sourceValue(s);
          return (
            <section
              key={c.templateId}
              aria-label={`Template ${t.name}`}
              className="rounded-lg border border-slate-200 p-4"
            >
              <div className="flex flex-wrap items-center justify-between gap-2">
                <h3 className="font-semibold text-slate-900">{t.name}</h3>
                {split === 'ab' && (
                  <span className="flex items-center gap-2 text-sm">
                    <span aria-hidden="true">Share (%)</span>
                    <Input
                      type="number"
                      min={1}
                      max={99}
                      className="w-20"
                      aria-label={`Share of ${t.name} (%)`}
                      value={c.share}
                      onChange={(e) => update(i, { ...c, share: e.target.value })}
                    />
                  </span>
                )}
              </div>
              <div className="mt-3 grid gap-4 lg:grid-cols-2">
                <fieldset className="space-y-2">
                  <legend className="sr-only">Variables of {t.name}</legend>
                  {vars.length === 0 && (
                    <p className="text-sm text-slate-600">No variables: everyone gets the same message.</p>
                  )}
                  {vars.map((v) => {
                    const key = mappingKey(v);
                    const s = c.sources[key] ?? { from: '', text: '' };
                    const label = variableLabel(key, def);
                    const set = (patch: Partial<Source>) =>
                      update(i, { ...c, sources: { ...c.sources, [key]: { ...s, ...patch } } });
                    const id = `var-${i}-${key.replace(/\W/g, '-')}`;
                    return (
                      <div key={key} className="grid grid-cols-[7rem_1fr] items-start gap-2">
                        {/* The visible name; the control's accessible name adds the template's. */}
                        <label htmlFor={id} className="pt-2 text-sm font-medium text-slate-800">
                          {label}
                        </label>
                        <div className="space-y-1">
                          <Select
                            id={id}
                            aria-label={`${t.name}: ${label} comes from`}
                            value={s.from}
                            onChange={(e) => set({ from: e.target.value })}
                          >
                            <option value="">Choose…</option>
                            {columns.map((col) => (
                              <option key={col} value={`column.${col}`}>
                                {file ? `Column ${col}` : `Pasted value ${col}`}
                                {firstRow?.variables?.[col] ? ` (e.g. ${firstRow.variables[col]})` : ''}
                              </option>
                            ))}
                            {audience.kind === 'contacts' && <option value="name">Contact name</option>}
                            {v.kind !== 'media' && (
                              <option value="phone">
                                {audience.kind === 'contacts' ? 'Contact phone' : 'Phone'}
                              </option>
                            )}
                            {audience.kind === 'contacts' &&
                              fields.data?.data.map((f) => (
                                <option key={f.key} value={`field.${f.key}`}>
                                  Field: {f.label}
                                </option>
                              ))}
                            <option value="fixed">
                              {v.kind === 'media' ? 'Fixed link or media id' : 'Fixed text'}
                            </option>
                          </Select>
                          {s.from === 'fixed' && (
                            <Input
                              aria-label={`${t.name}: ${label} text`}
                              value={s.text}
                              placeholder={v.example ?? ''}
                              onChange={(e) => set({ text: e.target.value })}
                            />
                          )}
                        </div>
                      </div>
                    );
                  })}
                </fieldset>
                <div>
                  <TemplateBubble rendered={previewTemplate(def, values)} label={`Preview of ${t.name}`} />
                  <p className="mt-1 text-xs text-slate-500">
                    {audience.kind === 'contacts'
                      ? firstContact
                        ? `As ${firstContact.name ?? firstContact.phone} would see it.`
                        : 'No contact in the audience to preview with.'
                      : firstRow
                        ? `As ${firstRow.phone} would see it.`
                        : ''}{' '}
                    Recipients without a value for a variable are left out, with the reason.
                  </p>
                </div>
              </div>
            </section>
          );
        })}
      </div>

      {unmapped && (
        <div className="mt-3">
          <Alert kind="info">Choose where every variable's value comes from.</Alert>
        </div>
      )}
      <StepFooter>
        <Button variant="secondary" onClick={onBack}>
          Back
        </Button>
        <Button
          disabledReason={
            choices.length === 0
              ? 'Choose a template first'
              : unmapped
                ? "Choose where every variable's value comes from"
                : shareBad
                  ? 'An A/B split needs two or more templates whose shares (whole numbers, 1–99) add up to 100'
                  : null
          }
          onClick={onNext}
        >
          Next: review
        </Button>
      </StepFooter>
    </Card>
  );
}
