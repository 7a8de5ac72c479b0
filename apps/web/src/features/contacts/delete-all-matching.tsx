import type { ContactFilter } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Field, Input } from '../../components/ui.tsx';
import { contactKeys, tagKeys } from './keys.ts';
import { ConfirmDialog } from './parts.tsx';

/**
 * Deletes every contact the list matches (not only the rows shown). A filter can match every
 * contact, so the person types the number they are shown and the server deletes only if that is
 * still the number that matches; when it is not (someone added or removed contacts meanwhile),
 * the list is read again and they confirm the new number.
 */
export function DeleteAllMatching({
  filter,
  total,
  filtered,
  onDeleted,
}: {
  filter: ContactFilter & { segment_id?: string };
  total: number;
  filtered: boolean;
  onDeleted: (count: number) => void;
}) {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const { segment_id, ...plain } = filter;
  const hasPlain = Object.values(plain).some((v) => (Array.isArray(v) ? v.length > 0 : Boolean(v)));
  // One selection the server can count again: a segment alone, or the filter. A segment narrowed by
  // more conditions cannot be sent as one; then only selected rows can be deleted.
  const selection = segment_id ? (hasPlain ? null : { segment_id }) : { filter: plain };
  const remove = useMutation({
    mutationFn: (count: number) =>
      api.contacts.bulk({ action: 'delete', ...(selection ?? { filter: plain }), confirm_count: count }),
    onSuccess: (r) => {
      setOpen(false);
      setTyped('');
      onDeleted(r.affected);
      void qc.invalidateQueries({ queryKey: contactKeys.all });
      void qc.invalidateQueries({ queryKey: tagKeys.all });
    },
    onError: () => {
      setTyped('');
      void qc.invalidateQueries({ queryKey: contactKeys.all });
    },
  });
  if (!selection) return null;
  const close = () => {
    setOpen(false);
    setTyped('');
    remove.reset();
  };
  return (
    <>
      <Button variant="ghost" className="text-red-700" onClick={() => setOpen(true)}>
        {filtered ? `Delete all ${total} matching…` : `Delete all ${total} contacts…`}
      </Button>
      <ConfirmDialog
        open={open}
        title={`Delete ${total} contact${total === 1 ? '' : 's'}?`}
        confirmLabel={`Delete ${total}`}
        danger
        busy={remove.isPending}
        confirmDisabled={typed.trim() !== String(total)}
        onConfirm={() => remove.mutate(total)}
        onCancel={close}
      >
        <p>
          {filtered
            ? `Every contact that matches the current filter is deleted: ${total}, not only the ones shown.`
            : `Every contact of the organisation is deleted: all ${total} of them.`}{' '}
          Their conversations, messages and files go with them; their consent history is kept. This cannot be
          undone.
        </p>
        <Field label={`Type ${total} to confirm`}>
          {(id) => (
            <Input
              id={id}
              inputMode="numeric"
              autoComplete="off"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
            />
          )}
        </Field>
        {remove.error && <Alert>{errorMessage(remove.error)}</Alert>}
      </ConfirmDialog>
    </>
  );
}
