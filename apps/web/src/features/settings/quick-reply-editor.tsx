import { type CustomField, type QuickReply, QuickReplyBody } from '@openwaba/contracts';
import { ApiError } from '@openwaba/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Card, Field, Input } from '../../components/ui.tsx';
import { useFields } from '../contacts/queries.ts';
import { quickReplyKeys } from './keys.ts';

const VARIABLES: { token: string; meaning: string }[] = [
  { token: '{{contact.name}}', meaning: 'the contact’s name' },
  { token: '{{contact.phone}}', meaning: 'their phone number, +44…' },
  { token: '{{contact.field.<key>}}', meaning: 'a custom field, e.g. {{contact.field.city}}' },
];

/** The same pattern the server fills in (`conversations/quick-replies.ts`). */
const VARIABLE = /\{\{\s*contact\.(name|phone|field\.[a-z0-9_]+)\s*\}\}/g;
const ANY_BRACES = /\{\{[^{}]*\}\}/g;

const SAMPLE = { name: 'Ana Costa', phone: '+447700900123' };

/** A believable value per custom field type, so the preview of `{{contact.field.<key>}}` reads well. */
function sampleValue(f: CustomField): string {
  switch (f.type) {
    case 'number':
      return '42';
    case 'date':
      return '2026-03-14';
    case 'boolean':
      return 'true';
    case 'enum':
      return f.options?.[0] ?? f.label;
    default:
      return `${f.label} value`;
  }
}

/**
 * Mirrors the server's `fillQuickReply`: a variable without a value is dropped and named in
 * `missing`; braces that are not a known variable are sent as typed, so they are named in `unknown`.
 */
function previewQuickReply(body: string, fields: Record<string, string>) {
  const missing: string[] = [];
  const text = body.replace(VARIABLE, (whole, key: string) => {
    const raw =
      key === 'name' ? SAMPLE.name : key === 'phone' ? SAMPLE.phone : fields[key.slice('field.'.length)];
    if (!raw) {
      missing.push(whole.replace(/\s+/g, ''));
      return '';
    }
    return raw;
  });
  const unknown = (body.match(ANY_BRACES) ?? []).filter((m) => !new RegExp(VARIABLE.source).test(m));
  return { text: text.replace(/ {2,}/g, ' ').trim(), missing, unknown: [...new Set(unknown)] };
}

/** Field errors the server sent back: its 409 names `shortcut`, its 400 paths start with `body`. */
function serverFieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return {};
  const out: Record<string, string> = {};
  for (const d of err.details as { path?: unknown; message?: unknown }[]) {
    if (!Array.isArray(d.path) || typeof d.message !== 'string') continue;
    const path = err.code === 'VALIDATION_FAILED' ? d.path.slice(1) : d.path;
    const key = String(path[0] ?? 'form');
    out[key] ??= d.message;
  }
  return out;
}

const textarea =
  'block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-brand-600 focus:outline-none';

/** A quick reply's shortcut and text, with a live preview filled in for a sample contact. */
export function QuickReplyEditor({
  initial,
  onDone,
}: {
  initial: QuickReply | null;
  onDone: (saved: QuickReply | null) => void;
}) {
  const qc = useQueryClient();
  const fields = useFields();
  const [shortcut, setShortcut] = useState(initial?.shortcut ?? '');
  const [body, setBody] = useState(initial?.body ?? '');
  const [tried, setTried] = useState(false);
  const bodyRef = useRef<HTMLTextAreaElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  // The editor opens below the list: bring it to the person, caret in the shortcut.
  useEffect(() => {
    formRef.current?.querySelector('input')?.focus();
  }, []);
  const save = useMutation({
    mutationFn: (b: { shortcut: string; body: string }) =>
      initial ? api.quickReplies.update(initial.id, b) : api.quickReplies.create(b),
    onSuccess: (saved) => {
      // The list shows the change at once (sorted by shortcut, as the server lists them), then refetches.
      qc.setQueryData<{ data: QuickReply[] }>(quickReplyKeys.all, (old) =>
        old
          ? {
              data: [...old.data.filter((x) => x.id !== saved.id), saved].sort((a, b) =>
                a.shortcut < b.shortcut ? -1 : a.shortcut > b.shortcut ? 1 : 0,
              ),
            }
          : old,
      );
      void qc.invalidateQueries({ queryKey: quickReplyKeys.all });
      onDone(saved);
    },
  });

  // The server's own schema, checked as the person types once they tried to save.
  const checked = QuickReplyBody.safeParse({ shortcut, body });
  const errors: Record<string, string> = {};
  if (save.error) Object.assign(errors, serverFieldErrors(save.error));
  if (tried && !checked.success)
    for (const i of checked.error.issues) errors[String(i.path[0] ?? 'form')] ??= i.message;

  const sampleFields = Object.fromEntries(
    (fields.data?.data ?? []).map((f) => [f.key, sampleValue(f)] as const),
  );
  const preview = previewQuickReply(body, sampleFields);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    save.reset();
    if (checked.success) save.mutate(checked.data);
  };

  /** Puts a variable at the caret, so nobody has to type the braces. */
  const insertVariable = (token: string) => {
    const el = bodyRef.current;
    const start = el?.selectionStart ?? body.length;
    const end = el?.selectionEnd ?? body.length;
    const next = body.slice(0, start) + token + body.slice(end);
    setBody(next);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + token.length, start + token.length);
    });
  };

  const title = initial ? `Edit /${initial.shortcut}` : 'New quick reply';
  return (
    <Card title={title}>
      <form
        ref={formRef}
        aria-label={title}
        noValidate
        onSubmit={submit}
        className="grid gap-6 md:grid-cols-2"
      >
        <div className="space-y-4">
          <Field
            label="Shortcut"
            hint="Lowercase letters, digits, - and _, up to 32; agents type it after /"
            error={errors.shortcut}
          >
            {(id) => (
              <div className="flex items-center gap-1">
                <span aria-hidden="true" className="font-mono text-slate-500">
                  /
                </span>
                <Input
                  id={id}
                  value={shortcut}
                  maxLength={64}
                  autoComplete="off"
                  spellCheck={false}
                  aria-invalid={errors.shortcut ? true : undefined}
                  className="font-mono"
                  placeholder="hours"
                  onChange={(e) => {
                    setShortcut(e.target.value);
                    if (save.error) save.reset();
                  }}
                />
              </div>
            )}
          </Field>
          <Field label="Message" error={errors.body}>
            {(id) => (
              <textarea
                id={id}
                ref={bodyRef}
                rows={6}
                className={textarea}
                value={body}
                aria-invalid={errors.body ? true : undefined}
                placeholder="Hi {{contact.name}}, we are open from 9 to 5, Monday to Saturday."
                onChange={(e) => {
                  setBody(e.target.value);
                  if (save.error) save.reset();
                }}
              />
            )}
          </Field>
          <div className="flex flex-wrap items-center gap-1 text-xs text-slate-600">
            <span>Insert:</span>
            {['{{contact.name}}', '{{contact.phone}}'].map((t) => (
              <Button
                key={t}
                variant="ghost"
                className="px-2 py-1 font-mono text-xs"
                onClick={() => insertVariable(t)}
              >
                {t}
              </Button>
            ))}
            {(fields.data?.data ?? []).slice(0, 6).map((f) => (
              <Button
                key={f.key}
                variant="ghost"
                className="px-2 py-1 font-mono text-xs"
                onClick={() => insertVariable(`{{contact.field.${f.key}}}`)}
              >
                {`{{contact.field.${f.key}}}`}
              </Button>
            ))}
            <span className={`ml-auto ${body.trim().length > 4096 ? 'text-red-700' : ''}`}>
              {body.trim().length} / 4096
            </span>
          </div>
          {save.error && <Alert>{errorMessage(save.error)}</Alert>}
          <div className="flex gap-2">
            <Button type="submit" disabledReason={save.isPending && 'Saving…'}>
              {save.isPending ? 'Saving…' : initial ? 'Save changes' : 'Add quick reply'}
            </Button>
            <Button variant="secondary" onClick={() => onDone(null)}>
              Cancel
            </Button>
          </div>
        </div>
        <figure aria-label="Preview" className="space-y-2">
          <figcaption className="text-sm font-medium text-slate-700">
            Preview for a sample contact{' '}
            <span className="font-normal text-slate-500">
              ({SAMPLE.name}, {SAMPLE.phone})
            </span>
          </figcaption>
          <div className="rounded-lg bg-[#efeae2] p-4">
            <p
              data-testid="quick-reply-preview"
              className="ml-auto max-w-[85%] whitespace-pre-wrap break-words rounded-lg bg-[#d9fdd3] px-3 py-2 text-sm text-slate-900 shadow-sm"
            >
              {preview.text || <span className="text-slate-400">The filled-in message shows here.</span>}
            </p>
          </div>
          {preview.missing.length > 0 && (
            <p className="text-xs text-amber-700">
              No sample value for {preview.missing.join(', ')}: a contact without it gets the message without
              it, and the agent is told to check.
            </p>
          )}
          {preview.unknown.length > 0 && (
            <p className="text-xs text-amber-700">
              Not a variable, sent as typed: {preview.unknown.join(', ')}
            </p>
          )}
        </figure>
      </form>
    </Card>
  );
}

/** The variables a quick reply may use, and what each becomes. */
export function VariablesHelp() {
  return (
    <Card title="Variables">
      <p className="text-sm text-slate-600">
        Filled in for the conversation’s contact when an agent inserts the quick reply. A variable the contact
        has no value for is left out, and the agent sees which one.
      </p>
      <dl className="mt-3 grid gap-x-4 gap-y-1 text-sm sm:grid-cols-[auto_1fr]">
        {VARIABLES.map((v) => (
          <div key={v.token} className="contents">
            <dt className="font-mono text-brand-800">{v.token}</dt>
            <dd className="text-slate-600">{v.meaning}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}
