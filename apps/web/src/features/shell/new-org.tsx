import type { Me } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Button, Field, Input } from '../../components/ui.tsx';
import { authKeys } from '../auth/keys.ts';

/**
 * "New organisation", for those who may create one (`me.can_create_orgs`: instance administrators,
 * or everyone when the install allows it): a small form under the button; the new organisation
 * becomes the current one.
 */
export function NewOrgButton({ me }: { me: Me }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: async () => {
      const org = await api.orgs.create({ name });
      return api.me.switchOrg(org.id);
    },
    onSuccess: (next) => {
      // Everything cached belongs to the previous org.
      qc.clear();
      qc.setQueryData(authKeys.me, next);
      setOpen(false);
      setName('');
      navigate('/inbox');
    },
  });
  if (!me.can_create_orgs) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <span className="relative">
      <Button variant="ghost" className="py-1.5" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        New organisation
      </Button>
      {open && (
        <form
          onSubmit={submit}
          className="absolute top-full left-0 z-30 mt-2 w-72 space-y-3 rounded-md border border-slate-200 bg-white p-4 shadow-lg"
        >
          <Field label="Organisation name" error={create.error ? errorMessage(create.error) : undefined}>
            {(id) => <Input id={id} value={name} autoFocus onChange={(e) => setName(e.target.value)} />}
          </Field>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button
              type="submit"
              disabledReason={create.isPending ? 'Creating…' : !name.trim() && 'Enter a name first'}
            >
              Create
            </Button>
          </div>
        </form>
      )}
    </span>
  );
}
