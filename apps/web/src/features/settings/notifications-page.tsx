import { useMutation } from '@tanstack/react-query';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Card } from '../../components/ui.tsx';

export function NotificationsPage() {
  const test = useMutation({ mutationFn: () => api.notifications.sendTest() });
  return (
    <div className="max-w-3xl space-y-6">
      <Card
        title="Notifications"
        description="The bell at the top shows what needs your attention. They arrive live; older than 30 days are removed."
      >
        <ul className="mb-4 list-disc space-y-1 pl-5 text-sm text-slate-700" aria-label="What you are told">
          <li>Your campaigns: finished, paused (and why), or not started because a check failed.</li>
          <li>Conversations assigned to you, and notes that mention you.</li>
          <li>Your contact imports: finished or failed.</li>
          <li>
            Admins and owners also: failed background jobs, new members, quarantined templates, and numbers
            whose access token stopped working.
          </li>
        </ul>
        <div className="flex flex-wrap items-center gap-3">
          <Button onClick={() => test.mutate()} disabledReason={test.isPending && 'Sending…'}>
            Send me a test notification
          </Button>
          <span className="text-sm text-slate-600">
            A background worker sends it; the bell should light up within a second or two.
          </span>
        </div>
        {test.isSuccess && (
          <p className="mt-3 text-sm text-green-700" role="status">
            Queued. Watch the bell.
          </p>
        )}
        {test.error && <Alert>{errorMessage(test.error)}</Alert>}
      </Card>
    </div>
  );
}
