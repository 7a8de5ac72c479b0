import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Card, Field, Input } from '../../components/ui.tsx';
import { contactKeys } from './keys.ts';

/** A contact typed in by hand; its page opens once it is created. */
export function NewContactForm({ onDone }: { onDone: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [phone, setPhone] = useState('');
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => api.contacts.create({ phone, ...(name.trim() ? { name: name.trim() } : {}) }),
    onSuccess: (c) => {
      void qc.invalidateQueries({ queryKey: contactKeys.all });
      onDone();
      navigate(`/contacts/${c.id}`);
    },
  });
  return (
    <div className="mb-4">
      <Card
        title="New contact"
        description="Any common phone format; numbers without a country code are read in your organisation's region."
      >
        <form
          className="flex flex-wrap items-end gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <div className="w-56">
            <Field label="Phone">
              {(id) => (
                <Input
                  id={id}
                  required
                  value={phone}
                  onChange={(e) => setPhone(e.target.value)}
                  placeholder="+44 7400 123456"
                />
              )}
            </Field>
          </div>
          <div className="w-56">
            <Field label="Name">
              {(id) => <Input id={id} value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
          </div>
          <Button type="submit" disabled={!phone.trim() || create.isPending}>
            Create contact
          </Button>
          <Button variant="ghost" onClick={onDone}>
            Cancel
          </Button>
        </form>
        {create.error && (
          <div className="mt-3">
            <Alert>{errorMessage(create.error)}</Alert>
          </div>
        )}
      </Card>
    </div>
  );
}
