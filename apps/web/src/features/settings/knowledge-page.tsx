import type { CreateKnowledgeBody, KnowledgeDoc as KnowledgeDocSchema } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import type { z } from 'zod';
import { api, errorMessage } from '../../api.ts';
import { RelativeTime } from '../../components/relative-time.tsx';
import { type Column, Table } from '../../components/table.tsx';
import { Alert, Button, Card, ConfirmPanel, Field, Input, Select } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';
import { useNumbers } from '../numbers/use-numbers.ts';
import { serverFieldErrors } from './ai-form.ts';
import { aiKeys } from './keys.ts';

type KnowledgeDoc = z.infer<typeof KnowledgeDocSchema>;

const FORMAT_LABEL: Record<KnowledgeDoc['format'], string> = {
  entry: 'Entry',
  text: 'Text file',
  markdown: 'Markdown',
  pdf: 'PDF',
  docx: 'Word',
};

const textarea =
  'block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-brand-600 focus:outline-none';

/** The number select: "All numbers" is `''`. */
function NumberSelect({
  id,
  value,
  onChange,
  label,
}: {
  id: string;
  value: string;
  onChange: (v: string) => void;
  /** Where no visible label names it. */
  label?: string;
}) {
  const numbers = useNumbers();
  return (
    <Select
      id={id}
      aria-label={label}
      className={label ? 'w-56' : undefined}
      value={value}
      onChange={(e) => onChange(e.target.value)}
    >
      <option value="">All numbers</option>
      {(numbers.data?.data ?? []).map((n) => (
        <option key={n.id} value={n.id}>
          {n.display_name}
        </option>
      ))}
    </Select>
  );
}

/**
 * Settings → Knowledge base: what the AI replies are grounded in. Entries typed here and uploaded
 * documents (text, Markdown, PDF, Word), for every number or one; "Try a question" shows the passages
 * the model would be given. Managers and above (`ai.knowledge`).
 */
export function KnowledgePage() {
  const me = useMe();
  const canManage = me.data?.permissions.includes('ai.knowledge') ?? false;
  const qc = useQueryClient();
  const numbers = useNumbers();
  const list = useQuery({
    queryKey: aiKeys.knowledge,
    queryFn: () => api.ai.knowledge.list(),
    enabled: canManage,
  });
  const [editing, setEditing] = useState<KnowledgeDoc | 'new' | null>(null);
  const [doomed, setDoomed] = useState<KnowledgeDoc | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: (d: KnowledgeDoc) => api.ai.knowledge.remove(d.id),
    onSuccess: (_r, d) => {
      setDoomed(null);
      setNotice(`Deleted “${d.title}”.`);
      void qc.invalidateQueries({ queryKey: aiKeys.knowledge });
    },
  });
  if (me.data && !canManage)
    return <Alert kind="info">Only managers, admins and owners look after the knowledge base.</Alert>;
  const numberName = (id: string | null) =>
    id === null ? 'All numbers' : (numbers.data?.data.find((n) => n.id === id)?.display_name ?? 'A number');
  const columns: Column<KnowledgeDoc>[] = [
    {
      header: 'Title',
      cell: (d) => (
        <>
          <span className="font-medium text-slate-900">{d.title}</span>
          {d.filename && <span className="block text-xs text-slate-500">{d.filename}</span>}
        </>
      ),
    },
    { header: 'Format', cell: (d) => FORMAT_LABEL[d.format] },
    { header: 'Number', cell: (d) => numberName(d.number_id) },
    {
      header: 'Characters',
      align: 'right',
      className: 'tabular-nums',
      cell: (d) => d.chars.toLocaleString(),
    },
    { header: 'Passages', align: 'right', className: 'tabular-nums', cell: (d) => d.chunks.toLocaleString() },
    { header: 'Updated', className: 'whitespace-nowrap', cell: (d) => <RelativeTime iso={d.updated_at} /> },
    {
      header: 'Actions',
      headerHidden: true,
      className: 'whitespace-nowrap text-right',
      cell: (d) => (
        <span className="flex justify-end gap-1">
          <Button
            variant="secondary"
            aria-label={`Edit ${d.title}`}
            onClick={() => {
              setNotice(null);
              setDoomed(null);
              setEditing(d);
            }}
          >
            Edit
          </Button>
          <Button
            variant="ghost"
            aria-label={`Delete ${d.title}`}
            onClick={() => {
              remove.reset();
              setNotice(null);
              setDoomed(d);
            }}
          >
            Delete
          </Button>
        </span>
      ),
    },
  ];
  const docs = list.data?.data ?? [];
  return (
    <div className="max-w-5xl space-y-6">
      <Card
        title="Knowledge base"
        description="What the AI answers from: it only says what these entries and documents say, and hands over to people otherwise."
      >
        {list.error && <Alert>{errorMessage(list.error)}</Alert>}
        <Table
          caption="Knowledge base"
          testId="knowledge-list"
          columns={columns}
          rows={docs}
          rowKey={(d) => d.id}
          rowProps={(d) => ({ 'aria-label': d.title })}
          status={list.status}
          empty="Nothing yet: add an entry or upload a document."
        />
        {doomed && (
          <div className="mt-3">
            <ConfirmPanel
              id={`delete-${doomed.id}`}
              title={`Delete “${doomed.title}”?`}
              confirmLabel="Delete"
              busyLabel="Deleting…"
              busy={remove.isPending}
              error={remove.error ? errorMessage(remove.error) : undefined}
              onConfirm={() => remove.mutate(doomed)}
              onCancel={() => setDoomed(null)}
            >
              The AI no longer answers from it. Replies already sent stay as they are.
            </ConfirmPanel>
          </div>
        )}
        {notice && (
          <div className="mt-3">
            <Alert kind="success">{notice}</Alert>
          </div>
        )}
        {editing === null && (
          <div className="mt-4 flex flex-wrap items-start gap-3 border-t border-slate-100 pt-4">
            <Button onClick={() => setEditing('new')}>New entry</Button>
            <Upload onDone={(d) => setNotice(`Uploaded “${d.title}”: ${d.chunks} passages.`)} />
          </div>
        )}
      </Card>
      {editing !== null && (
        <Editor
          key={editing === 'new' ? 'new' : editing.id}
          initial={editing === 'new' ? null : editing}
          onDone={(saved) => {
            setEditing(null);
            setNotice(saved ? `Saved “${saved.title}”.` : null);
          }}
        />
      )}
      <TryQuestion />
    </div>
  );
}

/** A new entry, or changes to one; an uploaded document's text is its file's, so only title and number. */
function Editor({
  initial,
  onDone,
}: {
  initial: KnowledgeDoc | null;
  onDone: (saved: KnowledgeDoc | null) => void;
}) {
  const qc = useQueryClient();
  const isEntry = !initial || initial.format === 'entry';
  const full = useQuery({
    queryKey: aiKeys.knowledgeDoc(initial?.id ?? ''),
    queryFn: () => api.ai.knowledge.get(initial!.id),
    enabled: Boolean(initial) && isEntry,
  });
  const [title, setTitle] = useState(initial?.title ?? '');
  const [body, setBody] = useState<string | null>(initial ? null : '');
  const [numberId, setNumberId] = useState(initial?.number_id ?? '');
  const shownBody = body ?? full.data?.body ?? '';
  const save = useMutation({
    mutationFn: () => {
      if (!initial) {
        const b: z.input<typeof CreateKnowledgeBody> = {
          title,
          body: shownBody,
          number_id: numberId || null,
        };
        return api.ai.knowledge.create(b);
      }
      return api.ai.knowledge.update(initial.id, {
        ...(title !== initial.title ? { title } : {}),
        ...(isEntry && body !== null ? { body } : {}),
        ...((numberId || null) !== initial.number_id ? { number_id: numberId || null } : {}),
      });
    },
    onSuccess: (saved) => {
      void qc.invalidateQueries({ queryKey: aiKeys.knowledge });
      onDone(saved);
    },
  });
  const errors = serverFieldErrors(save.error);
  const name = initial ? `Edit ${initial.title}` : 'New entry';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <Card title={name}>
      <form aria-label={name} noValidate onSubmit={submit} className="space-y-4">
        <Field label="Title" error={errors.title}>
          {(id) => (
            <Input
              id={id}
              value={title}
              maxLength={200}
              aria-invalid={errors.title ? true : undefined}
              onChange={(e) => setTitle(e.target.value)}
            />
          )}
        </Field>
        {isEntry ? (
          <Field
            label="Text"
            hint="Plain text or Markdown; headings split it into passages"
            error={errors.body}
          >
            {(id) => (
              <textarea
                id={id}
                rows={10}
                className={textarea}
                value={shownBody}
                aria-invalid={errors.body ? true : undefined}
                placeholder="Opening hours: Monday to Saturday, 9:00 to 17:00."
                onChange={(e) => setBody(e.target.value)}
              />
            )}
          </Field>
        ) : (
          <p className="text-sm text-slate-600">
            The text comes from {initial?.filename ?? 'the uploaded file'}: upload a new version to change it.
          </p>
        )}
        <Field label="Number" hint="Which number’s AI uses it" error={errors.number_id}>
          {(id) => <NumberSelect id={id} value={numberId} onChange={setNumberId} />}
        </Field>
        {save.error && <Alert>{errorMessage(save.error)}</Alert>}
        <div className="flex gap-2">
          <Button type="submit" disabledReason={save.isPending && 'Saving…'}>
            {save.isPending ? 'Saving…' : initial ? 'Save changes' : 'Add entry'}
          </Button>
          <Button variant="secondary" onClick={() => onDone(null)}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}

/** A .txt, .md, .pdf or .docx file; the server reads it and says why when it cannot. */
function Upload({ onDone }: { onDone: (d: KnowledgeDoc) => void }) {
  const qc = useQueryClient();
  const picker = useRef<HTMLInputElement>(null);
  const [numberId, setNumberId] = useState('');
  const upload = useMutation({
    mutationFn: (f: File) => api.ai.knowledge.upload(f, f.name, numberId ? { number_id: numberId } : {}),
    onSuccess: (d) => {
      void qc.invalidateQueries({ queryKey: aiKeys.knowledge });
      onDone(d);
    },
  });
  return (
    <div className="flex flex-wrap items-start gap-2">
      <input
        ref={picker}
        type="file"
        className="hidden"
        aria-label="Document to upload"
        accept=".txt,.md,.markdown,.pdf,.docx,text/plain,text/markdown,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) upload.mutate(f);
        }}
      />
      <NumberSelect
        id="knowledge-upload-number"
        label="Number of the uploaded document"
        value={numberId}
        onChange={setNumberId}
      />
      <Button
        variant="secondary"
        disabledReason={upload.isPending && 'Uploading…'}
        onClick={() => {
          upload.reset();
          picker.current?.click();
        }}
      >
        {upload.isPending ? 'Uploading…' : 'Upload a document'}
      </Button>
      <p className="basis-full text-xs text-slate-500">Text (.txt), Markdown (.md), PDF or Word (.docx).</p>
      {upload.error && (
        <div className="basis-full">
          <Alert>{errorMessage(upload.error)}</Alert>
        </div>
      )}
    </div>
  );
}

/** What the model would be given for a question: the passages found, with their titles. */
function TryQuestion() {
  const [q, setQ] = useState('');
  const [numberId, setNumberId] = useState('');
  const search = useMutation({
    mutationFn: () => api.ai.knowledge.search(q.trim(), numberId || undefined),
  });
  return (
    <Card
      title="Try a question"
      description="The passages found for a customer's question: what the model is given to answer from."
    >
      <form
        aria-label="Try a question"
        className="flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (q.trim()) search.mutate();
        }}
      >
        <div className="min-w-64 flex-1">
          <Field label="Question">
            {(id) => (
              <Input
                id={id}
                value={q}
                placeholder="When are you open on Saturday?"
                onChange={(e) => setQ(e.target.value)}
              />
            )}
          </Field>
        </div>
        <Field label="As number">
          {(id) => <NumberSelect id={id} value={numberId} onChange={setNumberId} />}
        </Field>
        <Button
          type="submit"
          disabledReason={search.isPending ? 'Searching…' : !q.trim() && 'Type a question'}
        >
          {search.isPending ? 'Searching…' : 'Search'}
        </Button>
      </form>
      {search.error && (
        <div className="mt-3">
          <Alert>{errorMessage(search.error)}</Alert>
        </div>
      )}
      {search.data && search.data.data.length === 0 && (
        <p className="mt-3 text-sm text-slate-600">
          Nothing found: the AI would hand this question over to people.
        </p>
      )}
      {search.data && search.data.data.length > 0 && (
        <ol aria-label="Passages" className="mt-4 space-y-3">
          {search.data.data.map((p) => (
            <li key={`${p.doc_id}-${p.chunk_id}`} className="rounded-md border border-slate-200 p-3">
              <p className="text-sm font-semibold text-slate-900">
                {p.title}
                {p.heading && <span className="font-normal text-slate-600"> — {p.heading}</span>}
              </p>
              <p className="mt-1 whitespace-pre-wrap text-sm text-slate-700">{p.text}</p>
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}
