import type { Tag } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../../api.ts';
import { Alert, Button, Card, Field, Input } from '../../../components/ui.tsx';
import { contactKeys, tagKeys } from '../keys.ts';
import { ConfirmDialog, TagChip } from '../parts.tsx';
import { useTags } from '../queries.ts';

const PALETTE = ['#25d366', '#0ea5e9', '#6366f1', '#f59e0b', '#ef4444', '#64748b'];

function TagRow({ tag, editable, onDelete }: { tag: Tag; editable: boolean; onDelete: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState(tag.name);
  const [color, setColor] = useState(tag.color ?? '#64748b');
  const update = useMutation({
    mutationFn: () =>
      api.tags.update(tag.id, {
        ...(name.trim() !== tag.name ? { name: name.trim() } : {}),
        ...(color !== tag.color ? { color } : {}),
      }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: tagKeys.all });
      void qc.invalidateQueries({ queryKey: contactKeys.all });
    },
  });
  const dirty = name.trim() !== tag.name || color !== (tag.color ?? '#64748b');
  return (
    <li className="py-2">
      <div className="flex flex-wrap items-center gap-2">
        {editable ? (
          <>
            <input
              type="color"
              aria-label={`Colour of ${tag.name}`}
              value={color}
              onChange={(e) => setColor(e.target.value)}
              className="h-8 w-10 cursor-pointer rounded border border-slate-300"
            />
            <Input
              aria-label={`Name of ${tag.name}`}
              className="w-48 py-1.5"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </>
        ) : (
          <TagChip tag={tag} />
        )}
        <span className="text-xs text-slate-500">
          {tag.contact_count} contact{tag.contact_count === 1 ? '' : 's'}
        </span>
        {editable && (
          <span className="ml-auto flex gap-1">
            <Button
              variant="secondary"
              disabled={!dirty || !name.trim() || update.isPending}
              onClick={() => update.mutate()}
            >
              Save
            </Button>
            <Button variant="ghost" onClick={onDelete} aria-label={`Delete tag ${tag.name}`}>
              Delete
            </Button>
          </span>
        )}
      </div>
      {update.error && (
        <div className="mt-1">
          <Alert>{errorMessage(update.error)}</Alert>
        </div>
      )}
    </li>
  );
}

/** The organisation's tags: renamed and recoloured in place, added, deleted after a question. */
export function TagsCard({ editable }: { editable: boolean }) {
  const qc = useQueryClient();
  const tags = useTags();
  const [name, setName] = useState('');
  const [color, setColor] = useState(PALETTE[0] ?? '#25d366');
  const [doomed, setDoomed] = useState<Tag | null>(null);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: tagKeys.all });
    void qc.invalidateQueries({ queryKey: contactKeys.all });
  };
  const create = useMutation({
    mutationFn: () => api.tags.create({ name: name.trim(), color }),
    onSuccess: () => {
      setName('');
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.tags.remove(id),
    onSuccess: () => {
      setDoomed(null);
      refresh();
    },
  });
  const list = tags.data?.data ?? [];
  return (
    <Card title="Tags" description="Label contacts to filter them, build segments and target campaigns.">
      {tags.error && <Alert>{errorMessage(tags.error)}</Alert>}
      {list.length === 0 && tags.isSuccess && <p className="text-sm text-slate-500">No tags yet.</p>}
      <ul className="divide-y divide-slate-100">
        {list.map((t) => (
          <TagRow
            key={`${t.id}-${t.name}-${t.color}`}
            tag={t}
            editable={editable}
            onDelete={() => setDoomed(t)}
          />
        ))}
      </ul>
      {editable && (
        <form
          className="mt-4 flex flex-wrap items-end gap-2 border-t border-slate-100 pt-4"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <input
            type="color"
            aria-label="Colour of the new tag"
            value={color}
            onChange={(e) => setColor(e.target.value)}
            className="h-9 w-10 cursor-pointer rounded border border-slate-300"
          />
          <div className="w-56">
            <Field label="New tag">
              {(id) => (
                <Input id={id} value={name} onChange={(e) => setName(e.target.value)} placeholder="VIP" />
              )}
            </Field>
          </div>
          <Button type="submit" disabled={!name.trim() || create.isPending}>
            Add tag
          </Button>
        </form>
      )}
      {(create.error ?? remove.error) && (
        <div className="mt-2">
          <Alert>{errorMessage(create.error ?? remove.error)}</Alert>
        </div>
      )}
      <ConfirmDialog
        open={doomed !== null}
        title={`Delete the tag “${doomed?.name ?? ''}”?`}
        confirmLabel="Delete tag"
        danger
        busy={remove.isPending}
        onConfirm={() => doomed && remove.mutate(doomed.id)}
        onCancel={() => setDoomed(null)}
      >
        {doomed?.contact_count ?? 0} contact{doomed?.contact_count === 1 ? '' : 's'} lose it. The contacts
        themselves stay.
      </ConfirmDialog>
    </Card>
  );
}
