import type { QuickReply } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Card, ConfirmPanel } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';
import { quickReplyKeys } from './keys.ts';
import { useQuickReplies } from './queries.ts';
import { QuickReplyEditor, VariablesHelp } from './quick-reply-editor.tsx';

/** Settings → Quick replies: the canned answers agents insert in the composer with `/shortcut`. */
export function QuickRepliesPage() {
  const me = useMe();
  const canManage = me.data?.permissions.includes('conversations.manage') ?? false;
  const qc = useQueryClient();
  const list = useQuickReplies();
  // `null`: no editor open; `'new'`: a new one; otherwise the quick reply being changed.
  const [editing, setEditing] = useState<QuickReply | 'new' | null>(null);
  const [doomed, setDoomed] = useState<QuickReply | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: (q: QuickReply) => api.quickReplies.remove(q.id),
    onSuccess: (_r, q) => {
      setDoomed(null);
      if (editing !== 'new' && editing?.id === q.id) setEditing(null);
      setNotice(`Deleted /${q.shortcut}.`);
      // Gone from the list at once, not after the refetch.
      qc.setQueryData<{ data: QuickReply[] }>(quickReplyKeys.all, (old) =>
        old ? { data: old.data.filter((x) => x.id !== q.id) } : old,
      );
      void qc.invalidateQueries({ queryKey: quickReplyKeys.all });
    },
  });
  const replies = list.data?.data ?? [];
  const open = (next: QuickReply | 'new') => {
    setNotice(null);
    remove.reset();
    setDoomed(null);
    setEditing(next);
  };

  return (
    <div className="max-w-5xl space-y-6">
      {!canManage && me.data && (
        <Alert kind="info">
          Only managers, admins and owners change quick replies; you can look at them and use them in the
          inbox.
        </Alert>
      )}
      <Card
        title="Quick replies"
        description="Canned answers for the inbox: type / and the shortcut in the reply box to insert one, filled in for the conversation’s contact."
      >
        {list.error && <Alert>{errorMessage(list.error)}</Alert>}
        {list.isPending && <p className="text-sm text-slate-500">Loading…</p>}
        {list.isSuccess && replies.length === 0 && (
          <p className="text-sm text-slate-500">
            No quick replies yet.
            {canManage && ' Add one for the answers you type most often.'}
          </p>
        )}
        {replies.length > 0 && (
          <ul aria-label="Quick replies" className="divide-y divide-slate-100">
            {replies.map((q) => (
              <li key={q.id} aria-label={`/${q.shortcut}`} className="py-3">
                <div className="flex flex-wrap items-start gap-3">
                  <span className="w-36 shrink-0 break-all font-mono text-sm font-semibold text-brand-700">
                    /{q.shortcut}
                  </span>
                  <p className="min-w-0 flex-1 basis-64 text-sm text-slate-700" title={q.body}>
                    {q.body.length > 140 ? `${q.body.slice(0, 140)}…` : q.body}
                  </p>
                  {canManage && (
                    <span className="ml-auto flex shrink-0 gap-1">
                      <Button variant="secondary" aria-label={`Edit /${q.shortcut}`} onClick={() => open(q)}>
                        Edit
                      </Button>
                      <Button
                        variant="ghost"
                        aria-label={`Delete /${q.shortcut}`}
                        onClick={() => {
                          remove.reset();
                          setNotice(null);
                          setDoomed(q);
                        }}
                      >
                        Delete
                      </Button>
                    </span>
                  )}
                </div>
                {doomed?.id === q.id && (
                  <div className="mt-3">
                    <ConfirmPanel
                      id={`delete-${q.id}`}
                      title={`Delete /${q.shortcut}?`}
                      confirmLabel="Delete quick reply"
                      busyLabel="Deleting…"
                      busy={remove.isPending}
                      error={remove.error ? errorMessage(remove.error) : undefined}
                      onConfirm={() => remove.mutate(q)}
                      onCancel={() => setDoomed(null)}
                    >
                      Agents can no longer insert it. Messages already sent with it stay as they are.
                    </ConfirmPanel>
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
        {notice && (
          <div className="mt-3">
            <Alert kind="success">{notice}</Alert>
          </div>
        )}
        {canManage && editing === null && (
          <div className="mt-4 border-t border-slate-100 pt-4">
            <Button onClick={() => open('new')}>New quick reply</Button>
          </div>
        )}
      </Card>
      {canManage && editing !== null && (
        <QuickReplyEditor
          key={editing === 'new' ? 'new' : editing.id}
          initial={editing === 'new' ? null : editing}
          onDone={(saved) => {
            setEditing(null);
            setNotice(saved ? `Saved /${saved.shortcut}.` : null);
          }}
        />
      )}
      <VariablesHelp />
    </div>
  );
}
