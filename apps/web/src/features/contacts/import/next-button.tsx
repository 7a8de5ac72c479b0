import { useId } from 'react';
import { Button } from '../../../components/ui.tsx';

/**
 * A wizard step's forward button. While something is missing it is disabled and says why next to it
 * (also its accessible description), so nobody is left guessing at a greyed-out button.
 */
export function NextButton({
  label,
  why,
  busy = false,
  onClick,
}: {
  label: string;
  /** At work (the request sent): disabled, the label says so. */
  busy?: boolean;
  /** Why the step cannot go on yet; null when it can. */
  why: string | null;
  onClick: () => void;
}) {
  const id = useId();
  return (
    <span className="flex flex-wrap items-center justify-end gap-3">
      {why && (
        <span id={id} className="text-sm text-slate-600" data-testid="why-disabled">
          {why}
        </span>
      )}
      <Button disabled={why !== null || busy} aria-describedby={why ? id : undefined} onClick={onClick}>
        {label}
      </Button>
    </span>
  );
}
