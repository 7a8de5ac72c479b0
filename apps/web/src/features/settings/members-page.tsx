import { ROLES, type Role, roleAtLeast } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Table } from '../../components/table.tsx';
import { Alert, Button, Card, Field, Input, Select } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';
import { invitationKeys, memberKeys } from './keys.ts';
import { useMembers } from './queries.ts';

export function MembersPage() {
  const me = useMe();
  const qc = useQueryClient();
  const members = useMembers();
  const myRole = me.data?.role ?? 'viewer';
  const canManage = me.data?.permissions.includes('members.manage') ?? false;
  const canInvite = me.data?.permissions.includes('members.invite') ?? false;
  const invitations = useQuery({
    queryKey: invitationKeys.all,
    queryFn: () => api.invitations.list(),
    enabled: canInvite,
  });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('agent');
  const [link, setLink] = useState<string | null>(null);
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: memberKeys.all }),
      qc.invalidateQueries({ queryKey: invitationKeys.all }),
    ]);
  const update = useMutation({
    mutationFn: (v: { userId: string; role: Role }) => api.members.update(v.userId, { role: v.role }),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (userId: string) => api.members.remove(userId),
    onSettled: refresh,
  });
  const invite = useMutation({
    mutationFn: () => api.invitations.create({ email, role }),
    onSuccess: (inv) => {
      setLink(`${window.location.origin}${inv.accept_path}`);
      setEmail('');
      refresh();
    },
  });
  const revoke = useMutation({ mutationFn: (id: string) => api.invitations.revoke(id), onSettled: refresh });
  const grantable = ROLES.filter((r) => roleAtLeast(myRole, r));
  /** An owner is changed by owners only. */
  const editable = (m: { role: Role }) => canManage && (m.role !== 'owner' || myRole === 'owner');
  const error = update.error ?? remove.error ?? revoke.error;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setLink(null);
    invite.mutate();
  };
  return (
    <div className="max-w-3xl space-y-6">
      {error && <Alert>{errorMessage(error)}</Alert>}
      <Card
        title="Members"
        description="Owner > admin > manager > agent > viewer. Each role can do everything the roles below it can."
      >
        {members.error && <Alert>{errorMessage(members.error)}</Alert>}
        <Table
          caption="Members"
          valign="middle"
          columns={[
            {
              header: 'Person',
              cell: (m) => (
                <>
                  <div className="font-medium">{m.name || m.email}</div>
                  <div className="text-xs text-slate-500">
                    {m.email}
                    {m.user_id === me.data?.user.id && ' (you)'}
                  </div>
                </>
              ),
            },
            {
              header: 'Role',
              cell: (m) =>
                editable(m) ? (
                  <Select
                    aria-label={`Role of ${m.email}`}
                    className="w-32 py-1"
                    value={m.role}
                    onChange={(e) => update.mutate({ userId: m.user_id, role: e.target.value as Role })}
                  >
                    {(grantable.includes(m.role) ? grantable : [m.role, ...grantable]).map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </Select>
                ) : (
                  <span className="capitalize">{m.role}</span>
                ),
            },
            {
              header: 'Actions',
              headerHidden: true,
              className: 'text-right',
              cell: (m) =>
                editable(m) &&
                m.user_id !== me.data?.user.id && (
                  <Button
                    variant="danger"
                    onClick={() => {
                      if (window.confirm(`Remove ${m.email} from this organisation?`))
                        remove.mutate(m.user_id);
                    }}
                  >
                    Remove
                  </Button>
                ),
            },
          ]}
          rows={members.data?.data ?? []}
          rowKey={(m) => m.user_id}
          status={members.status}
        />
      </Card>
      {canInvite && (
        <Card
          title="Invite someone"
          description="They get a link to join; it works once and expires after 7 days."
        >
          <form onSubmit={submit} className="flex flex-wrap items-end gap-3">
            <div className="min-w-56 flex-1">
              <Field label="Email">
                {(id) => (
                  <Input id={id} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
                )}
              </Field>
            </div>
            <Field label="Role">
              {(id) => (
                <Select id={id} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                  {grantable.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <Button
              type="submit"
              disabledReason={invite.isPending ? 'Creating…' : !email && 'Enter the email to invite first'}
            >
              Create invitation
            </Button>
          </form>
          {invite.error && (
            <div className="mt-3">
              <Alert>{errorMessage(invite.error)}</Alert>
            </div>
          )}
          {link && (
            <div className="mt-3">
              <Alert kind="success">
                Invitation created. Send this link (it is shown only once):{' '}
                <code className="break-all" data-testid="invite-link">
                  {link}
                </code>
              </Alert>
            </div>
          )}
          {(invitations.data?.data.length ?? 0) > 0 && (
            <div className="mt-5">
              <h3 className="text-sm font-semibold">Pending invitations</h3>
              <ul className="mt-2 divide-y divide-slate-100 text-sm">
                {invitations.data?.data.map((i) => (
                  <li key={i.id} className="flex items-center justify-between py-2">
                    <span>
                      {i.email} · {i.role} · expires {new Date(i.expires_at).toLocaleDateString()}
                    </span>
                    <Button variant="ghost" onClick={() => revoke.mutate(i.id)}>
                      Revoke
                    </Button>
                  </li>
                ))}
              </ul>
            </div>
          )}
        </Card>
      )}
    </div>
  );
}
