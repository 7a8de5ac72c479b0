import {
  type Campaign,
  type ImportUpload,
  type Template,
  templateVariables,
  type VariableMapping,
} from '@openwaba/contracts';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Icon } from '../../components/icons.tsx';
import { type Column, Table } from '../../components/table.tsx';
import { Alert, BackLink, Button, Card, Field, Input, PageHeader, Select } from '../../components/ui.tsx';
import { StepFooter, Stepper } from '../../components/wizard.tsx';
import { contactKeys } from '../contacts/keys.ts';
import { useFields, useSegments, useTags } from '../contacts/queries.ts';
import { useNumbers } from '../numbers/use-numbers.ts';
import { templateKeys } from '../templates/keys.ts';
import { type PreviewValues, previewTemplate, TemplateBubble } from '../templates/template-bubble.tsx';
import { defOf, mappingKey, variableLabel } from '../templates/template-page.tsx';
import { campaignKeys } from './keys.ts';
import { n, useCampaignRights } from './queries.ts';
import { useOrgTimezone, zonedToIso } from './time.ts';

type CreateBody = Parameters<typeof api.campaigns.create>[0];

const STEPS = ['Name and number', 'Audience', 'Templates', 'Review and start'] as const;

type Audience =
  | { kind: 'contacts'; tagIds: string[]; tagMatch: 'any' | 'all'; segmentId: string }
  | { kind: 'paste'; text: string }
  | { kind: 'file'; upload: ImportUpload | null; phoneColumn: string };

/** Where one variable's value comes from: `name`, `phone`, `field.<key>`, `fixed` or `column.<n>`. */
interface Source {
  from: string;
  text: string;
}
interface Choice {
  templateId: string;
  sources: Record<string, Source>;
  share: string;
}

interface Pasted {
  recipients: { phone: string; variables?: Record<string, string> }[];
  columns: number;
}

/** One phone per line, optionally `phone,value1,value2` (commas, semicolons or tabs). */
export function parsePasted(text: string): Pasted {
  const recipients: Pasted['recipients'] = [];
  let columns = 0;
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const [phone = '', ...values] = line.split(/[,;\t]/).map((v) => v.trim());
    if (!phone) continue;
    columns = Math.max(columns, values.length);
    recipients.push(
      values.length
        ? { phone, variables: Object.fromEntries(values.map((v, i) => [String(i + 1), v])) }
        : { phone },
    );
  }
  return { recipients, columns };
}

/** The variables a person maps (a media header takes a link or media id); quick-reply payloads need none. */
const mappable = (t: Template) =>
  templateVariables(defOf(t)).filter(
    (v) => v.kind === 'text' || v.kind === 'media' || v.kind === 'url_suffix' || v.kind === 'coupon_code',
  );

/**
 * The file column a variable takes by default: `{{1}}` for body variable 1, `{{Media}}` for a media
 * header (the layout `Phone,{{Media}},{{1}},{{2}}`), else a column named like the variable.
 */
export function defaultColumn(headers: string[], v: { component: string; key: string; kind: string }) {
  const norm = (h: string) => h.trim().toLowerCase();
  const wanted =
    v.kind === 'media'
      ? ['{{media}}', 'media', v.key]
      : v.component === 'body' || v.component === 'header'
        ? [`{{${v.key}}}`.toLowerCase(), v.key.toLowerCase()]
        : [];
  return headers.find((h) => wanted.includes(norm(h)));
}

function toMapping(sources: Record<string, Source>): VariableMapping {
  return Object.fromEntries(
    Object.entries(sources).map(([k, s]) => [
      k,
      s.from === 'fixed'
        ? { fixed: s.text }
        : s.from.startsWith('column.')
          ? { column: s.from.slice('column.'.length) }
          : { contact: s.from },
    ]),
  );
}

export function NewCampaignPage() {
  const { canManage } = useCampaignRights();
  const [step, setStep] = useState(0);
  const [name, setName] = useState('');
  const [numberId, setNumberId] = useState('');
  const [audience, setAudience] = useState<Audience>({
    kind: 'contacts',
    tagIds: [],
    tagMatch: 'any',
    segmentId: '',
  });
  const [choices, setChoices] = useState<Choice[]>([]);
  const [split, setSplit] = useState<'sequential' | 'ab'>('sequential');
  const pasted = useMemo(
    () => (audience.kind === 'paste' ? parsePasted(audience.text) : { recipients: [], columns: 0 }),
    [audience],
  );

  const body = (): CreateBody => ({
    name: name.trim(),
    number_id: numberId,
    audience:
      audience.kind === 'paste'
        ? { kind: 'recipients', recipients: pasted.recipients }
        : audience.kind === 'file'
          ? { kind: 'file', file_id: audience.upload?.id ?? '', phone_column: audience.phoneColumn }
          : {
              kind: 'contacts',
              filter: audience.tagIds.length
                ? { tag_ids: audience.tagIds, tag_match: audience.tagMatch }
                : {},
              ...(audience.segmentId ? { segment_id: audience.segmentId } : {}),
            },
    templates: choices.map((c) => ({
      template_id: c.templateId,
      mapping: toMapping(c.sources),
      ...(split === 'ab' ? { share: Number(c.share) } : {}),
    })),
    split,
  });

  return (
    <div className="max-w-5xl">
      <BackLink to="/campaigns" className="mb-2">
        Campaigns
      </BackLink>
      <PageHeader title="New campaign" />
      {!canManage ? (
        <Alert>Creating campaigns needs the manager role or above. Ask an admin of your organisation.</Alert>
      ) : (
        <>
          <Stepper steps={STEPS} step={step} label="Campaign steps" />
          {step === 0 && (
            <BasicsStep
              name={name}
              numberId={numberId}
              onChange={(nm, id) => {
                setName(nm);
                if (id !== numberId) setChoices([]);
                setNumberId(id);
              }}
              onNext={() => setStep(1)}
            />
          )}
          {step === 1 && (
            <AudienceStep
              audience={audience}
              pasted={pasted}
              onChange={setAudience}
              onBack={() => setStep(0)}
              onNext={() => setStep(2)}
            />
          )}
          {step === 2 && (
            <TemplatesStep
              numberId={numberId}
              audience={audience}
              pasted={pasted}
              choices={choices}
              split={split}
              onChange={(c, s) => {
                setChoices(c);
                setSplit(s);
              }}
              onBack={() => setStep(1)}
              onNext={() => setStep(3)}
            />
          )}
          {step === 3 && (
            <ReviewStep
              body={body()}
              fileSummary={
                audience.kind === 'file' && audience.upload
                  ? `${n(audience.upload.total_rows)} rows of ${audience.upload.filename}`
                  : undefined
              }
              onBack={() => setStep(2)}
              onDiscarded={() => {
                // A file is read into the draft and deleted: editing starts from a new upload.
                if (audience.kind === 'file') {
                  setAudience({ kind: 'file', upload: null, phoneColumn: '' });
                  setStep(1);
                } else setStep(2);
              }}
            />
          )}
        </>
      )}
    </div>
  );
}

// ---- 1 name and number ------------------------------------------------------------------------

function BasicsStep({
  name,
  numberId,
  onChange,
  onNext,
}: {
  name: string;
  numberId: string;
  onChange: (name: string, numberId: string) => void;
  onNext: () => void;
}) {
  const numbers = useNumbers();
  const list = numbers.data?.data ?? [];
  const chosen = numberId || (list.length === 1 ? (list[0]?.id ?? '') : '');
  return (
    <Card title="Name and number" description="The name is for your team; customers never see it.">
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Campaign name">
          {(id) => (
            <Input
              id={id}
              value={name}
              maxLength={200}
              placeholder="Spring sale 2026"
              onChange={(e) => onChange(e.target.value, chosen)}
            />
          )}
        </Field>
        <Field label="Send from" hint="The WhatsApp number the messages come from.">
          {(id) => (
            <Select id={id} value={chosen} onChange={(e) => onChange(name, e.target.value)}>
              <option value="">Choose a number…</option>
              {list.map((x) => (
                <option key={x.id} value={x.id} disabled={x.status !== 'active'}>
                  {x.display_name}
                  {x.is_sandbox ? ' (sandbox)' : ''}
                  {x.status !== 'active' ? ' — inactive' : ''}
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>
      {numbers.error && (
        <div className="mt-3">
          <Alert>{errorMessage(numbers.error)}</Alert>
        </div>
      )}
      {numbers.isSuccess && list.length === 0 && (
        <div className="mt-3">
          <Alert kind="info">Connect a number under Settings → Numbers first.</Alert>
        </div>
      )}
      <StepFooter>
        <span />
        <Button
          disabled={!name.trim() || !chosen}
          onClick={() => {
            onChange(name, chosen);
            onNext();
          }}
        >
          Next: audience
        </Button>
      </StepFooter>
    </Card>
  );
}

// ---- 2 audience -------------------------------------------------------------------------------

function AudienceStep({
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
    queryFn: () =>
      api.contacts.list({
        ...(contacts?.tagIds.length ? { tag_ids: contacts.tagIds, tag_match: contacts.tagMatch } : {}),
        ...(contacts?.segmentId ? { segment_id: contacts.segmentId } : {}),
        limit: 1,
        with_total: true,
      }),
    enabled: contacts !== null,
    placeholderData: keepPreviousData,
  });
  const optedIn = useQuery({
    queryKey: contactKeys.audience(contacts, 'opted_in'),
    queryFn: () =>
      api.contacts.list({
        ...(contacts?.tagIds.length ? { tag_ids: contacts.tagIds, tag_match: contacts.tagMatch } : {}),
        ...(contacts?.segmentId ? { segment_id: contacts.segmentId } : {}),
        consent: 'opted_in',
        limit: 1,
        with_total: true,
      }),
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
              {tags.data?.data.map((t) => {
                const on = contacts.tagIds.includes(t.id);
                return (
                  <button
                    key={t.id}
                    type="button"
                    aria-pressed={on}
                    onClick={() => toggleTag(t.id)}
                    className={`rounded-full border px-3 py-1 text-sm ${
                      on
                        ? 'border-brand-600 bg-brand-50 font-medium text-brand-800'
                        : 'border-slate-300 bg-white text-slate-700 hover:bg-slate-50'
                    }`}
                  >
                    {on && <Icon name="check" className="mr-1 inline h-3.5 w-3.5" />}
                    {t.name} <span className="text-xs text-slate-500">({t.contact_count})</span>
                  </button>
                );
              })}
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
        <Button disabled={!ready} onClick={onNext}>
          Next: templates
        </Button>
      </StepFooter>
    </Card>
  );
}

const SAMPLE = 5;

/** An audience file: uploaded at once (the server reads it), then the phone column is chosen. */
function FileAudience({
  audience,
  onChange,
}: {
  audience: Extract<Audience, { kind: 'file' }>;
  onChange: (a: Audience) => void;
}) {
  const upload = useMutation({
    mutationFn: (file: File) => api.campaigns.uploadAudience(file, file.name),
    onSuccess: (u) => onChange({ kind: 'file', upload: u, phoneColumn: u.suggested_mapping.phone ?? '' }),
  });
  const u = audience.upload;
  return (
    <div className="space-y-4">
      <Field
        label="Audience file"
        hint="CSV or XLSX, one recipient per row, up to 100,000 rows. A phone column, and any columns for the template's variables: Phone,{{Media}},{{1}},{{2}}. The file is read when the draft is created, then deleted."
      >
        {(id) => (
          <input
            id={id}
            type="file"
            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            className="block text-sm"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) upload.mutate(file);
            }}
          />
        )}
      </Field>
      {upload.isPending && <p className="text-sm text-slate-600">Reading the file…</p>}
      {upload.error && <Alert>{errorMessage(upload.error)}</Alert>}
      {u && (
        <>
          <p className="text-sm text-slate-700" role="status" data-testid="audience-file-summary">
            <strong>{u.filename}</strong>: {n(u.total_rows)} row{u.total_rows === 1 ? '' : 's'},{' '}
            {u.headers.length} column{u.headers.length === 1 ? '' : 's'}. Rows with a bad or repeated phone
            are kept as invalid, with the reason.
          </p>
          {u.warnings.map((w) => (
            <Alert key={w} kind="info">
              {w}
            </Alert>
          ))}
          <Field label="Phone column">
            {(id) => (
              <Select
                id={id}
                className="w-72"
                value={audience.phoneColumn}
                onChange={(e) => onChange({ ...audience, phoneColumn: e.target.value })}
              >
                <option value="">Choose…</option>
                {u.headers.map((h) => (
                  <option key={h} value={h}>
                    {h}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Table
            caption="First rows of the file"
            look="inset"
            density="compact"
            fontSize="xs"
            columns={u.headers.map(
              (h, j): Column<string[]> => ({
                header: h,
                id: String(j),
                headerClassName: 'normal-case',
                className: 'text-slate-800',
                cell: (row) => row[j] ?? '',
              }),
            )}
            rows={u.sample_rows.slice(0, SAMPLE)}
            // Sample rows have no identity but their place in the file.
            rowKey={(row) => u.sample_rows.indexOf(row)}
          />
        </>
      )}
    </div>
  );
}

// ---- 3 templates and variables ---------------------------------------------------------------

function TemplatesStep({
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
  split: 'sequential' | 'ab';
  onChange: (c: Choice[], s: 'sequential' | 'ab') => void;
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
    queryFn: () =>
      api.contacts.list({
        ...(contacts?.tagIds.length ? { tag_ids: contacts.tagIds, tag_match: contacts.tagMatch } : {}),
        ...(contacts?.segmentId ? { segment_id: contacts.segmentId } : {}),
        limit: 1,
      }),
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
                <div className="space-y-2">
                  {vars.length === 0 && (
                    <p className="text-sm text-slate-600">No variables: everyone gets the same message.</p>
                  )}
                  {vars.map((v) => {
                    const key = mappingKey(v);
                    const s = c.sources[key] ?? { from: '', text: '' };
                    const label = variableLabel(key, def);
                    const set = (patch: Partial<Source>) =>
                      update(i, { ...c, sources: { ...c.sources, [key]: { ...s, ...patch } } });
                    return (
                      <div key={key} className="grid grid-cols-[7rem_1fr] items-start gap-2">
                        <span className="pt-2 text-sm font-medium text-slate-800">{label}</span>
                        <div className="space-y-1">
                          <Select
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
                </div>
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
        <Button disabled={choices.length === 0 || unmapped || shareBad} onClick={onNext}>
          Next: review
        </Button>
      </StepFooter>
    </Card>
  );
}

// ---- 4 review, create, start ------------------------------------------------------------------

function ReviewStep({
  body,
  fileSummary,
  onBack,
  onDiscarded,
}: {
  body: CreateBody;
  /** “1,204 rows of list.csv” for a file audience. */
  fileSummary?: string | undefined;
  onBack: () => void;
  /** The draft was deleted to edit it again. */
  onDiscarded: () => void;
}) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const numbers = useNumbers();
  const tags = useTags();
  const segments = useSegments();
  const [draft, setDraft] = useState<Campaign | null>(null);
  const create = useMutation({
    mutationFn: () => api.campaigns.create(body),
    onSuccess: (c) => {
      setDraft(c);
      void qc.invalidateQueries({ queryKey: campaignKeys.list });
    },
  });
  const discard = useMutation({
    mutationFn: (id: string) => api.campaigns.remove(id),
    onSuccess: () => {
      setDraft(null);
      void qc.invalidateQueries({ queryKey: campaignKeys.list });
      onDiscarded();
    },
  });
  const number = numbers.data?.data.find((x) => x.id === body.number_id);
  const a = body.audience;
  const audienceWords =
    a.kind === 'recipients'
      ? `${a.recipients.length.toLocaleString()} pasted phone${a.recipients.length === 1 ? '' : 's'}`
      : a.kind === 'file'
        ? `${fileSummary ?? 'the uploaded file'}, phones in the column “${a.phone_column}”`
        : [
            a.filter?.tag_ids?.length
              ? `contacts tagged ${a.filter.tag_ids
                  .map((id) => `“${tags.data?.data.find((t) => t.id === id)?.name ?? id}”`)
                  .join(a.filter.tag_match === 'all' ? ' and ' : ' or ')}`
              : 'every contact',
            a.segment_id
              ? `in the segment “${segments.data?.data.find((s) => s.id === a.segment_id)?.name ?? a.segment_id}”`
              : '',
          ]
            .filter(Boolean)
            .join(' ');

  return (
    <Card
      title="Review"
      description="Creating the draft fixes the audience: every recipient is checked and its message rendered. Nothing is sent until you start it."
    >
      <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2">
        <div>
          <dt className="text-xs text-slate-500">Name</dt>
          <dd className="text-slate-900">{body.name}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Number</dt>
          <dd className="text-slate-900">{number?.display_name ?? body.number_id}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Audience</dt>
          <dd className="text-slate-900">{audienceWords}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Templates</dt>
          <dd className="text-slate-900">
            <TemplateNames
              ids={body.templates.map((t) => t.template_id)}
              shares={body.templates.map((t) => t.share)}
            />
            {body.templates.length > 1 && (body.split === 'ab' ? ' (A/B split)' : ' (sequential split)')}
          </dd>
        </div>
      </dl>

      {create.error && (
        <div className="mt-4">
          <Alert>The draft was not created: {errorMessage(create.error)}</Alert>
        </div>
      )}
      {!draft && (
        <StepFooter>
          <Button variant="secondary" onClick={onBack} disabled={create.isPending}>
            Back
          </Button>
          <Button onClick={() => create.mutate()} disabled={create.isPending}>
            {create.isPending ? 'Checking every recipient…' : 'Create draft'}
          </Button>
        </StepFooter>
      )}
      {draft && (
        <div className="mt-5 space-y-4">
          <DraftSummary draft={draft} />
          <StartPanel draft={draft} onStarted={(c) => navigate(`/campaigns/${c.id}`)} />
          <div className="flex flex-wrap items-center justify-between gap-2 border-t border-slate-100 pt-4">
            <Button
              variant="secondary"
              disabled={discard.isPending}
              onClick={() => discard.mutate(draft.id)}
              title={
                body.audience.kind === 'file'
                  ? 'Deletes this draft and goes back to the audience: upload the file again'
                  : 'Deletes this draft and goes back to the templates'
              }
            >
              {discard.isPending ? 'Deleting…' : 'Delete draft and edit'}
            </Button>
            <Link to={`/campaigns/${draft.id}`} className="text-sm text-brand-700 underline">
              Keep it as a draft
            </Link>
          </div>
          {discard.error && <Alert>{errorMessage(discard.error)}</Alert>}
        </div>
      )}
    </Card>
  );
}

function TemplateNames({ ids, shares }: { ids: string[]; shares: (number | undefined)[] }) {
  const qc = useQueryClient();
  const all = qc
    .getQueriesData<{ data: Template[] }>({ queryKey: templateKeys.lists })
    .flatMap(([, d]) => d?.data ?? []);
  return (
    <>
      {ids
        .map((id, i) => {
          const t = all.find((x) => x.id === id);
          return `${t ? t.name : id}${shares[i] !== undefined ? ` ${shares[i]}%` : ''}`;
        })
        .join(', ')}
    </>
  );
}

function DraftSummary({ draft }: { draft: Campaign }) {
  const invalid = useQuery({
    queryKey: campaignKeys.invalidRecipients(draft.id),
    queryFn: () => api.campaigns.recipients(draft.id, { state: 'invalid', limit: 50 }),
    enabled: draft.counts.invalid > 0,
  });
  const c = draft.counts;
  return (
    <div className="space-y-3" data-testid="draft-summary">
      <Alert kind="success">Draft “{draft.name}” created.</Alert>
      <dl className="grid grid-cols-3 gap-3" aria-label="Draft counts">
        {(
          [
            ['Recipients', c.total],
            ['Ready', c.total - c.invalid],
            ['Invalid', c.invalid],
          ] as const
        ).map(([label, v]) => (
          <div key={label} className="rounded-md border border-slate-200 bg-white px-3 py-2">
            <dt className="text-xs uppercase text-slate-500">{label}</dt>
            <dd className="text-lg font-semibold text-slate-900 tabular-nums">{n(v)}</dd>
          </div>
        ))}
      </dl>
      <p className="text-xs text-slate-500">
        Consent is checked when it starts: recipients without an opt-in are skipped then, with the reason.
      </p>
      {c.invalid > 0 && (
        <div>
          <h3 className="text-sm font-medium text-slate-800">
            {n(c.invalid)} invalid {draft.audience.kind === 'file' ? 'row' : 'recipient'}
            {c.invalid === 1 ? '' : 's'} skipped, and why
          </h3>
          {invalid.error && <Alert>{errorMessage(invalid.error)}</Alert>}
          <ul className="mt-1 max-h-56 space-y-1 overflow-y-auto text-sm" aria-label="Invalid recipients">
            {invalid.data?.data.map((r) => (
              <li key={r.id} className="flex flex-wrap gap-x-2">
                {draft.audience.kind === 'file' && <span className="text-slate-500">Row {r.row_number}</span>}
                <span className="font-mono text-slate-800">{r.phone ?? r.input}</span>
                <span className="text-red-700">{r.reason ?? 'invalid'}</span>
              </li>
            ))}
          </ul>
          {invalid.data && c.invalid > invalid.data.data.length && (
            <p className="text-xs text-slate-500">
              The first {invalid.data.data.length} of {n(c.invalid)}; the campaign's page lists them all.
            </p>
          )}
        </div>
      )}
    </div>
  );
}

/** Start now, or at a time given in the organisation's timezone. */
export function StartPanel({ draft, onStarted }: { draft: Campaign; onStarted: (c: Campaign) => void }) {
  const qc = useQueryClient();
  const tz = useOrgTimezone();
  const [at, setAt] = useState('');
  const done = (c: Campaign) => {
    qc.setQueryData(campaignKeys.one(c.id), c);
    void qc.invalidateQueries({ queryKey: campaignKeys.all });
    onStarted(c);
  };
  const start = useMutation({ mutationFn: () => api.campaigns.start(draft.id), onSuccess: done });
  const schedule = useMutation({
    mutationFn: () => api.campaigns.schedule(draft.id, zonedToIso(at, tz)),
    onSuccess: done,
  });
  const busy = start.isPending || schedule.isPending;
  const sendable = draft.counts.total - draft.counts.invalid;
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      <div className="rounded-md border border-slate-200 p-4">
        <h3 className="font-medium text-slate-900">Start now</h3>
        <p className="mt-1 text-sm text-slate-600">
          The pre-flight checks the number, the templates, consent and the daily budget, then sending begins.
        </p>
        <Button className="mt-3" disabled={busy || sendable === 0} onClick={() => start.mutate()}>
          {start.isPending ? 'Starting…' : 'Start now'}
        </Button>
        {start.error && (
          <div className="mt-2">
            <Alert>Not started: {errorMessage(start.error)}</Alert>
          </div>
        )}
      </div>
      <div className="rounded-md border border-slate-200 p-4">
        <h3 className="font-medium text-slate-900">Schedule</h3>
        <div className="mt-2">
          <Field label={`Start at (${tz})`} hint={`Time in the organisation's time zone, ${tz}.`}>
            {(id) => (
              <Input id={id} type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} />
            )}
          </Field>
        </div>
        <Button
          variant="secondary"
          className="mt-3"
          disabled={busy || !at || sendable === 0}
          onClick={() => schedule.mutate()}
        >
          {schedule.isPending ? 'Scheduling…' : 'Schedule'}
        </Button>
        {schedule.error && (
          <div className="mt-2">
            <Alert>Not scheduled: {errorMessage(schedule.error)}</Alert>
          </div>
        )}
      </div>
    </div>
  );
}
