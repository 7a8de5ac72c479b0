import { can, type Team } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Icon } from '../../components/icons.tsx';
import { Alert, Button, Card, ConfirmPanel, EmptyState, Input } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';
import { teamKeys } from './keys.ts';
import { useMembers, useTeams } from './queries.ts';

/** Settings → Teams: groups of agents; the inbox assigns round-robin within one. */
export function TeamsPage() {
  const me = useMe();
  const canManage = me.data?.permissions.includes('conversations.manage') ?? false;
  const teams = useTeams();
  const [editing, setEditing] = useState<Team | 'new' | null>(null);
  return (
    <div className="space-y-4">
      <div className="flex items-center justify-between">
        <p className="text-sm text-slate-600">
          In the inbox, “Next in a team” assigns a conversation to the team’s online agent who waited longest.
        </p>
        {canManage && !editing && <Button onClick={() => setEditing('new')}>New team</Button>}
      </div>
      {teams.error && <Alert>{errorMessage(teams.error)}</Alert>}
      {editing && (
        <TeamEditor team={editing === 'new' ? undefined : editing} onDone={() => setEditing(null)} />
      )}
      {teams.data?.data.length === 0 && !editing && (
        <EmptyState
          title="No teams yet"
          icon={<Icon name="contacts" className="mx-auto h-10 w-10 text-brand-600" />}
        >
          <p>
            Group agents to share conversations round-robin.{' '}
            {canManage ? 'Press “New team” to create one.' : 'A manager can create one.'}
          </p>
        </EmptyState>
      )}
      <ul className="space-y-2" aria-label="Teams">
        {(teams.data?.data ?? []).map((t) => (
          <li key={t.id}>
            <Card>
              <div className="flex items-start justify-between gap-3">
                <div>
                  <h3 className="font-medium text-slate-900">{t.name}</h3>
                  <p className="text-sm text-slate-600">
                    {t.members.length ? t.members.map((m) => m.name ?? m.email).join(', ') : 'No members yet'}
                  </p>
                </div>
                {canManage && (
                  <Button variant="secondary" onClick={() => setEditing(t)}>
                    Edit
                  </Button>
                )}
              </div>
            </Card>
          </li>
        ))}
      </ul>
    </div>
  );
}

function TeamEditor({ team, onDone }: { team: Team | undefined; onDone(): void }) {
  const qc = useQueryClient();
  const members = useMembers();
  const [name, setName] = useState(team?.name ?? '');
  const [ids, setIds] = useState<string[]>(team?.members.map((m) => m.id) ?? []);
  const [confirming, setConfirming] = useState(false);
  const finish = () => {
    void qc.invalidateQueries({ queryKey: teamKeys.all });
    onDone();
  };
  const save = useMutation({
    mutationFn: () =>
      team
        ? api.teams.update(team.id, { name, member_ids: ids })
        : api.teams.create({ name, member_ids: ids }),
    onSuccess: finish,
  });
  const remove = useMutation({ mutationFn: () => api.teams.remove(team!.id), onSuccess: finish });
  // Who can be in a team: people who reply to customers.
  const agents = (members.data?.data ?? []).filter((m) => can(m.role, 'conversations.reply'));
  return (
    <Card>
      <form
        aria-label={team ? `Edit ${team.name}` : 'New team'}
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <label htmlFor="team-name" className="block text-sm font-medium text-slate-800">
          Name
        </label>
        <Input id="team-name" value={name} maxLength={80} onChange={(e) => setName(e.target.value)} />
        <fieldset>
          <legend className="text-sm font-medium text-slate-800">Members</legend>
          <div className="mt-1 grid gap-1 sm:grid-cols-2">
            {agents.map((m) => (
              <label key={m.user_id} className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={ids.includes(m.user_id)}
                  onChange={(e) =>
                    setIds(e.target.checked ? [...ids, m.user_id] : ids.filter((x) => x !== m.user_id))
                  }
                />
                {m.name || m.email} <span className="text-xs text-slate-500">{m.role}</span>
              </label>
            ))}
          </div>
        </fieldset>
        {(save.error || remove.error) && <Alert>{errorMessage(save.error ?? remove.error)}</Alert>}
        <div className="flex gap-2">
          <Button
            type="submit"
            disabledReason={save.isPending ? 'Saving…' : !name.trim() && 'Enter a name first'}
          >
            {team ? 'Save team' : 'Create team'}
          </Button>
          <Button variant="secondary" onClick={onDone}>
            Cancel
          </Button>
          {team && !confirming && (
            <Button variant="danger" className="ml-auto" onClick={() => setConfirming(true)}>
              Delete
            </Button>
          )}
        </div>
        {team && confirming && (
          <ConfirmPanel
            id={`delete-team-${team.id}`}
            title={`Delete ${team.name}?`}
            confirmLabel="Delete team"
            busyLabel="Deleting…"
            busy={remove.isPending}
            onConfirm={() => remove.mutate()}
            onCancel={() => setConfirming(false)}
          >
            Conversations keep their assignees; the team is no longer offered for round-robin.
          </ConfirmPanel>
        )}
      </form>
    </Card>
  );
}
