import type { Contact } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Field, Input } from '../../components/ui.tsx';
import { addressOf } from '../inbox/format.ts';
import { inboxKeys } from '../inbox/keys.ts';
import { contactKeys } from './keys.ts';
import { ConfirmDialog } from './parts.tsx';
import { useContactRights } from './queries.ts';

/** The word typed to erase: a click alone is not enough for what cannot be undone. */
const ERASE_WORD = 'erase';

/**
 * A customer's rights over their data (GDPR): a download of everything held about them, and
 * erasure — asked for explicitly (the person types "erase") because nothing comes back.
 */
export function ContactPrivacyActions({ contact }: { contact: Contact }) {
  const { canManage } = useContactRights();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const who = contact.name || addressOf(contact);
  const erase = useMutation({
    mutationFn: () => api.contacts.erase(contact.id),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: contactKeys.all });
      void qc.invalidateQueries({ queryKey: inboxKeys.all });
      const kept = r.opt_out_kept
        ? ' Their opt-out is kept (without their number) so they are not messaged again.'
        : '';
      navigate('/contacts', {
        state: { notice: `${who} was erased with ${r.deleted.messages} messages.${kept}` },
      });
    },
  });
  if (!canManage) return null;
  const close = () => {
    setOpen(false);
    setTyped('');
  };
  return (
    <>
      <a
        className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50"
        href={api.contacts.exportDataUrl(contact.id)}
        download
      >
        Export data
      </a>
      <Button variant="danger" onClick={() => setOpen(true)}>
        Erase…
      </Button>
      <ConfirmDialog
        open={open}
        title={`Erase ${who} for good?`}
        confirmLabel="Erase"
        danger
        busy={erase.isPending}
        confirmDisabled={typed.trim().toLowerCase() !== ERASE_WORD}
        onConfirm={() => erase.mutate()}
        onCancel={close}
      >
        <p>
          Every message, file, note, conversation and campaign record of this person is deleted, with their
          consent history. If they opted out, only the proof of it is kept, under a scrambled form of their
          number, so that they are never messaged again. This cannot be undone.
        </p>
        <Field label={`Type “${ERASE_WORD}” to confirm`}>
          {(id) => (
            <Input id={id} value={typed} autoComplete="off" onChange={(e) => setTyped(e.target.value)} />
          )}
        </Field>
        {erase.error && <Alert>{errorMessage(erase.error)}</Alert>}
      </ConfirmDialog>
    </>
  );
}
