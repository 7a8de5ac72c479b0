import { CreateTemplateBody, type TemplateDef, textVariables } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import type { z } from 'zod';
import { api, errorMessage } from '../../api.ts';
import { Alert, BackLink, Button, Card, Field, Input, PageHeader, Select } from '../../components/ui.tsx';
import { useNumbers } from '../numbers/use-numbers.ts';
import { ButtonsCard } from './buttons-card.tsx';
import { templateKeys } from './keys.ts';
import { useTemplateRights } from './queries.ts';
import { type PreviewValues, previewTemplate, TemplateBubble } from './template-bubble.tsx';
import {
  type DraftButton,
  formatOf,
  issuesByPath,
  LANGUAGES,
  metaOf,
  serverIssues,
} from './template-draft.ts';

const textarea =
  'block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-brand-600 focus:outline-none';

export function NewTemplatePage() {
  const numbers = useNumbers();
  const { canManage } = useTemplateRights();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [numberId, setNumberId] = useState('');
  const [name, setName] = useState('');
  const [language, setLanguage] = useState('en_US');
  const [category, setCategory] = useState<'UTILITY' | 'MARKETING'>('UTILITY');
  const [headerOn, setHeaderOn] = useState(false);
  const [headerText, setHeaderText] = useState('');
  const [headerExample, setHeaderExample] = useState('');
  const [bodyText, setBodyText] = useState('');
  const [examples, setExamples] = useState<Record<string, string>>({});
  const [footer, setFooter] = useState('');
  const [buttons, setButtons] = useState<DraftButton[]>([]);
  const [tried, setTried] = useState(false);
  /** The server's verdict, for the draft exactly as it was sent. */
  const [serverErrors, setServerErrors] = useState<{ sent: string; errors: Record<string, string> } | null>(
    null,
  );

  const number = numberId || numbers.data?.data[0]?.id || '';
  const vars = textVariables(bodyText);
  const headerVars = headerOn ? textVariables(headerText) : [];
  /** Where a variable's example sits in `body.examples`: its number's place, or its name. */
  const exampleIndex = (v: string) =>
    formatOf(vars) === 'POSITIONAL' ? [...vars].sort((a, b) => +a - +b).indexOf(v) : v;
  // Meta's review refuses `… {{2}}.` too, which the shared schema lets through: warn before it costs a review.
  const endsWithVariable = /\{\{[^}]+\}\}\s*[.!?]?\s*$/.test(bodyText);

  const body = (): z.input<typeof CreateTemplateBody> => {
    const format = formatOf(vars);
    const bodyExamples = vars.length
      ? format === 'POSITIONAL'
        ? [...vars].sort((a, b) => +a - +b).map((v) => examples[v] ?? '')
        : Object.fromEntries(vars.map((v) => [v, examples[v] ?? '']))
      : undefined;
    return {
      number_id: number,
      name: name.trim(),
      language: language.trim(),
      category,
      parameter_format: format,
      ...(headerOn && headerText.trim()
        ? {
            header: {
              format: 'TEXT' as const,
              text: headerText,
              ...(headerVars.length && headerExample ? { example: headerExample } : {}),
            },
          }
        : {}),
      body: { text: bodyText, ...(bodyExamples ? { examples: bodyExamples } : {}) },
      ...(footer.trim() ? { footer: footer.trim() } : {}),
      ...(buttons.length
        ? {
            buttons: buttons.map((b) => ({
              type: b.type,
              text: b.text,
              ...(b.type === 'URL' ? { url: b.url } : {}),
              ...(b.type === 'URL' && textVariables(b.url).length && b.example
                ? { example: [b.url.replace(/\{\{\s*\w+\s*\}\}/, b.example)] }
                : {}),
              ...(b.type === 'PHONE_NUMBER' ? { phone_number: b.phone_number } : {}),
            })),
          }
        : {}),
    };
  };

  // The live bubble: the same renderer the server sends with, fed the examples.
  const def: TemplateDef = {
    name: name || 'new_template',
    language,
    parameter_format: formatOf(vars),
    components: [
      ...(headerOn && headerText ? [{ type: 'HEADER', format: 'TEXT', text: headerText }] : []),
      { type: 'BODY', text: bodyText || ' ' },
      ...(footer ? [{ type: 'FOOTER', text: footer }] : []),
      ...(buttons.length
        ? [
            {
              type: 'BUTTONS',
              buttons: buttons.map((b) => ({
                type: b.type,
                text: b.text,
                ...(b.type === 'URL' ? { url: b.url } : {}),
                ...(b.type === 'PHONE_NUMBER' ? { phone_number: b.phone_number } : {}),
              })),
            },
          ]
        : []),
    ],
  };
  const values: PreviewValues = {};
  for (const v of vars) values[`body.${v}`] = examples[v];
  if (headerVars[0]) values[`header.${headerVars[0]}`] = headerExample;
  buttons.forEach((b, i) => {
    values[`buttons.${i}`] = b.example;
  });
  const rendered = bodyText.trim() ? previewTemplate(def, values) : null;

  const create = useMutation({
    mutationFn: (b: z.input<typeof CreateTemplateBody>) => api.templates.create(b),
    onSuccess: async (t) => {
      await qc.invalidateQueries({ queryKey: templateKeys.all });
      navigate(`/templates/${t.id}`);
    },
    onError: (err, sent) => setServerErrors({ sent: JSON.stringify(sent), errors: serverIssues(err) ?? {} }),
  });

  // After a first attempt, Meta's rules are checked as the person types (the schema the server applies),
  // so a fixed field stops being red at once.
  const draft = body();
  const checked = tried ? CreateTemplateBody.safeParse(draft) : null;
  const errors: Record<string, string> = {
    ...(serverErrors?.sent === JSON.stringify(draft) ? serverErrors.errors : {}),
    ...(checked && !checked.success
      ? issuesByPath(
          checked.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message })),
        )
      : {}),
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!CreateTemplateBody.safeParse(draft).success) return;
    create.mutate(draft);
  };

  const otherErrors = Object.entries(errors).filter(
    ([k]) =>
      ![
        'number_id',
        'name',
        'language',
        'category',
        'header',
        'header.text',
        'header.example',
        'body.text',
        'body.examples',
        'footer',
      ].includes(k) &&
      !/^buttons\.\d+\.(text|url|phone_number|example)$/.test(k) &&
      !k.startsWith('body.examples.'),
  );

  if (!canManage) {
    return (
      <>
        <PageHeader title="New template" />
        <Alert kind="info">Only managers and admins can create templates.</Alert>
      </>
    );
  }

  return (
    <>
      <BackLink to="/templates">Templates</BackLink>
      <PageHeader title="New template" />
      <form onSubmit={submit} noValidate className="grid gap-5 lg:grid-cols-[minmax(0,1fr)_24rem]">
        <div className="space-y-5">
          <Card title="About" description="Meta reviews every template; most are approved within minutes.">
            <div className="grid gap-4 sm:grid-cols-2">
              <Field
                label="Number"
                error={errors.number_id}
                hint="Its WhatsApp Business Account gets the template."
              >
                {(id) => (
                  <Select id={id} value={number} onChange={(e) => setNumberId(e.target.value)}>
                    {numbers.data?.data.length ? null : <option value="">No number connected</option>}
                    {numbers.data?.data.map((n) => (
                      <option key={n.id} value={n.id}>
                        {n.display_name}
                      </option>
                    ))}
                  </Select>
                )}
              </Field>
              <Field
                label="Name"
                error={errors.name}
                hint="Lowercase letters, digits and _, e.g. order_ready."
              >
                {(id) => (
                  <Input
                    id={id}
                    value={name}
                    onChange={(e) => setName(e.target.value.toLowerCase().replace(/[\s-]+/g, '_'))}
                    autoComplete="off"
                  />
                )}
              </Field>
              <Field label="Language" error={errors.language} hint="A code such as en_US or pt_BR.">
                {(id) => (
                  <>
                    <Input
                      id={id}
                      list="template-languages"
                      value={language}
                      onChange={(e) => setLanguage(e.target.value)}
                    />
                    <datalist id="template-languages">
                      {LANGUAGES.map((l) => (
                        <option key={l} value={l} />
                      ))}
                    </datalist>
                  </>
                )}
              </Field>
              <Field
                label="Category"
                error={errors.category}
                hint={
                  category === 'UTILITY'
                    ? 'About an order or account the customer already has. Meta re-categorises promotional ones.'
                    : 'Offers, news and anything promotional.'
                }
              >
                {(id) => (
                  <Select
                    id={id}
                    value={category}
                    onChange={(e) => setCategory(e.target.value as 'UTILITY' | 'MARKETING')}
                  >
                    <option value="UTILITY">Utility</option>
                    <option value="MARKETING">Marketing</option>
                  </Select>
                )}
              </Field>
            </div>
          </Card>

          <Card title="Message">
            <div className="space-y-4">
              <label className="flex items-center gap-2 text-sm text-slate-700">
                <input
                  type="checkbox"
                  checked={headerOn}
                  onChange={(e) => setHeaderOn(e.target.checked)}
                  className="h-4 w-4 rounded border-slate-300"
                />
                Add a text header
              </label>
              {headerOn && (
                <div className="grid gap-4 sm:grid-cols-2">
                  <Field
                    label="Header"
                    error={errors['header.text'] ?? errors.header}
                    hint="Up to 60 characters; one {{1}} at most."
                  >
                    {(id) => (
                      <Input
                        id={id}
                        value={headerText}
                        maxLength={60}
                        onChange={(e) => setHeaderText(e.target.value)}
                      />
                    )}
                  </Field>
                  {headerVars[0] && (
                    <Field label={`Example for header {{${headerVars[0]}}}`} error={errors['header.example']}>
                      {(id) => (
                        <Input
                          id={id}
                          value={headerExample}
                          onChange={(e) => setHeaderExample(e.target.value)}
                        />
                      )}
                    </Field>
                  )}
                </div>
              )}
              <Field
                label="Body"
                error={errors['body.text']}
                hint={
                  endsWithVariable
                    ? 'Meta rejects a body that ends with a variable, even before a full stop: add a few words after it.'
                    : 'Use {{1}}, {{2}}… for what changes per customer (or {{first_name}}). Not at the very start or end.'
                }
              >
                {(id) => (
                  <textarea
                    id={id}
                    rows={5}
                    maxLength={1024}
                    className={textarea}
                    value={bodyText}
                    onChange={(e) => setBodyText(e.target.value)}
                    placeholder="Hi {{1}}, your order {{2}} is ready for pickup."
                  />
                )}
              </Field>
              {vars.length > 0 && (
                <fieldset className="space-y-2 rounded-md border border-slate-200 p-3">
                  <legend className="px-1 text-sm font-medium text-slate-700">
                    Examples for Meta’s review
                  </legend>
                  {errors['body.examples'] && (
                    <p className="text-xs text-red-700" role="alert">
                      {errors['body.examples']}
                    </p>
                  )}
                  <div className="grid gap-3 sm:grid-cols-2">
                    {vars.map((v) => (
                      <Field
                        key={v}
                        label={`Example for {{${v}}}`}
                        error={
                          errors[`body.examples.${exampleIndex(v)}`] ? 'Meta needs an example' : undefined
                        }
                      >
                        {(id) => (
                          <Input
                            id={id}
                            value={examples[v] ?? ''}
                            onChange={(e) => setExamples({ ...examples, [v]: e.target.value })}
                          />
                        )}
                      </Field>
                    ))}
                  </div>
                </fieldset>
              )}
              <Field
                label="Footer (optional)"
                error={errors.footer}
                hint="Up to 60 characters, shown small and grey."
              >
                {(id) => (
                  <Input id={id} value={footer} maxLength={60} onChange={(e) => setFooter(e.target.value)} />
                )}
              </Field>
            </div>
          </Card>

          <ButtonsCard buttons={buttons} onChange={setButtons} errors={errors} />
        </div>

        <div className="space-y-4 lg:sticky lg:top-4 lg:self-start">
          <Card title="Preview" description="With your examples, as the customer will see it.">
            {rendered ? (
              <TemplateBubble rendered={rendered} />
            ) : (
              <p className="rounded-lg bg-[#efeae2] p-4 text-sm text-slate-600">
                Write the body to see the message.
              </p>
            )}
          </Card>
          {otherErrors.length > 0 && (
            <Alert>
              {otherErrors.map(([k, m]) => (
                <p key={k}>
                  {k === 'form' ? '' : `${k}: `}
                  {m}
                </p>
              ))}
            </Alert>
          )}
          {create.error && !serverIssues(create.error) && (
            <Alert>
              {errorMessage(create.error)} {metaOf(create.error)}
            </Alert>
          )}
          {Object.keys(errors).length > 0 && (
            <p className="text-sm text-red-700">Fix the fields marked in red, then submit again.</p>
          )}
          <Button
            type="submit"
            className="w-full"
            disabledReason={
              create.isPending
                ? 'Submitting to Meta…'
                : !number && 'Connect a WhatsApp number first (Settings → Numbers)'
            }
          >
            {create.isPending ? 'Submitting to Meta…' : 'Submit for review'}
          </Button>
        </div>
      </form>
    </>
  );
}
