import {
  NumberDeletionCounts as CountsSchema,
  type NumberDeletionCounts,
  type WaNumber,
} from '@openwaba/contracts';
import { ApiError } from '@openwaba/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button } from '../../components/ui.tsx';
import { numberKeys } from '../numbers/keys.ts';

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** "3 conversations, 120 messages, 1 campaign and 4 media files" */
export function describeCounts(c: NumberDeletionCounts): string {
  const parts = [
    plural(c.conversations, 'conversation'),
    plural(c.messages, 'message'),
    plural(c.campaigns, 'campaign'),
    plural(c.media_files, 'media file'),
  ];
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** The counts a 409 carries: what the number holds now. */
function currentCounts(err: unknown): NumberDeletionCounts | undefined {
  if (!(err instanceof ApiError) || err.status !== 409) return undefined;
  const parsed = CountsSchema.safeParse((err.details as { current?: unknown } | undefined)?.current);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Deleting a number: the person first sees what goes with it (conversations, messages, campaigns,
 * media files), then confirms exactly that. If the number received more meanwhile, the server refuses
 * and the new counts are shown to confirm again.
 */
export function DeleteNumber({ n }: { n: WaNumber }) {
  const qc = useQueryClient();
  const [counts, setCounts] = useState<NumberDeletionCounts | null>(null);
  const [changed, setChanged] = useState(false);
  const ask = useMutation({
    mutationFn: () => api.numbers.deletion(n.id),
    onSuccess: (c) => {
      setChanged(false);
      setCounts(c);
    },
  });
  const remove = useMutation({
    mutationFn: (c: NumberDeletionCounts) => api.numbers.remove(n.id, c),
    onSuccess: () => {
      setCounts(null);
      void qc.invalidateQueries({ queryKey: numberKeys.all });
    },
    onError: (err) => {
      const now = currentCounts(err);
      if (now) {
        setChanged(true);
        setCounts(now);
      }
    },
  });
  if (!counts) {
    return (
      <>
        <Button variant="danger" onClick={() => ask.mutate()} disabledReason={ask.isPending && 'Counting…'}>
          {ask.isPending ? 'Counting…' : 'Delete…'}
        </Button>
        {ask.error && <Alert>{errorMessage(ask.error)}</Alert>}
      </>
    );
  }
  return (
    <div
      className="w-full rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900"
      role="alertdialog"
      aria-labelledby={`delete-${n.id}`}
    >
      <p id={`delete-${n.id}`}>
        {changed && <strong>The number received more since you looked. </strong>}
        Deleting <strong>{n.display_name}</strong> also deletes its {describeCounts(counts)}. This cannot be
        undone.
      </p>
      <div className="mt-3 flex gap-2">
        <Button
          variant="danger"
          onClick={() => remove.mutate(counts)}
          disabledReason={remove.isPending && 'Deleting…'}
        >
          {remove.isPending ? 'Deleting…' : `Delete ${n.display_name} and all of it`}
        </Button>
        <Button
          variant="ghost"
          onClick={() => setCounts(null)}
          disabledReason={remove.isPending && 'The deletion has started'}
        >
          Keep it
        </Button>
      </div>
      {remove.error && !currentCounts(remove.error) && <Alert>{errorMessage(remove.error)}</Alert>}
    </div>
  );
}
