import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../../api.ts';
import { Alert, Button, Card, Field } from '../../../components/ui.tsx';
import { contactKeys } from '../keys.ts';

const toLines = (l: string[]) => l.join('\n');
const fromLines = (s: string) =>
  s
    .split(/[\n,]/)
    .map((k) => k.trim())
    .filter(Boolean);

/** The opt-out and opt-in keywords, and the reply to an opt-out. */
export function KeywordsCard({ editable }: { editable: boolean }) {
  const settings = useQuery({ queryKey: contactKeys.settings, queryFn: () => api.contacts.settings() });
  return (
    <Card
      title="Opt-out and opt-in keywords"
      description="A customer whose whole message is one of these words is opted out (or back in) at once. Case, accents and punctuation are ignored; “stop please” is not a keyword."
    >
      {settings.error && <Alert>{errorMessage(settings.error)}</Alert>}
      {settings.data && <KeywordsForm initial={settings.data} editable={editable} />}
    </Card>
  );
}

function KeywordsForm({
  initial,
  editable,
}: {
  initial: { opt_out_keywords: string[]; opt_in_keywords: string[]; stop_confirmation_text: string | null };
  editable: boolean;
}) {
  const qc = useQueryClient();
  const [optOut, setOptOut] = useState(toLines(initial.opt_out_keywords));
  const [optIn, setOptIn] = useState(toLines(initial.opt_in_keywords));
  const [reply, setReply] = useState(initial.stop_confirmation_text ?? '');
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: (body: Parameters<typeof api.contacts.updateSettings>[0]) =>
      api.contacts.updateSettings(body),
    onSuccess: (s) => {
      qc.setQueryData(contactKeys.settings, s);
      // What the server kept: restored lists, trimmed words.
      setOptOut(toLines(s.opt_out_keywords));
      setOptIn(toLines(s.opt_in_keywords));
      setReply(s.stop_confirmation_text ?? '');
      setSaved(true);
    },
  });
  const area =
    'block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm shadow-sm focus:border-brand-600 focus:outline-none disabled:bg-slate-50';
  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        save.mutate({
          opt_out_keywords: fromLines(optOut),
          opt_in_keywords: fromLines(optIn),
          stop_confirmation_text: reply.trim() || null,
        });
      }}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Opt-out keywords" hint="One per line">
          {(id) => (
            <textarea
              id={id}
              rows={8}
              className={area}
              disabled={!editable}
              value={optOut}
              onChange={(e) => setOptOut(e.target.value)}
            />
          )}
        </Field>
        <Field label="Opt-in keywords" hint="One per line">
          {(id) => (
            <textarea
              id={id}
              rows={8}
              className={area}
              disabled={!editable}
              value={optIn}
              onChange={(e) => setOptIn(e.target.value)}
            />
          )}
        </Field>
      </div>
      <Field
        label="Reply to an opt-out"
        hint="Sent to the customer once after each opt-out keyword, through the send path. Leave empty for no reply."
      >
        {(id) => (
          <textarea
            id={id}
            rows={2}
            className={area.replace('font-mono ', '')}
            disabled={!editable}
            value={reply}
            onChange={(e) => setReply(e.target.value)}
            placeholder="You will no longer receive messages from us. Reply START to subscribe again."
          />
        )}
      </Field>
      {save.error && <Alert>{errorMessage(save.error)}</Alert>}
      {saved && !save.isPending && <Alert kind="success">Saved.</Alert>}
      {editable && (
        <div className="flex flex-wrap gap-2">
          <Button type="submit" disabled={save.isPending}>
            Save keywords
          </Button>
          <Button
            variant="ghost"
            disabled={save.isPending}
            onClick={() => {
              setSaved(false);
              save.mutate({ opt_out_keywords: null, opt_in_keywords: null });
            }}
          >
            Restore the built-in lists
          </Button>
        </div>
      )}
    </form>
  );
}
