import type { ConsentState } from '@openwaba/contracts';
import { type ReactNode, useEffect, useId, useRef } from 'react';
import { Badge, type BadgeTone, Button } from '../../components/ui.tsx';

export const CONSENT_LABEL: Record<ConsentState, string> = {
  opted_in: 'Opted in',
  opted_out: 'Opted out',
  unknown: 'Unknown',
};
const CONSENT_TONE: Record<ConsentState, BadgeTone> = {
  opted_in: 'green',
  opted_out: 'red',
  unknown: 'slate',
};

export function ConsentBadge({ state }: { state: ConsentState }) {
  return <Badge tone={CONSENT_TONE[state]}>{CONSENT_LABEL[state]}</Badge>;
}

export const SOURCE_LABEL: Record<string, string> = {
  import: 'Import',
  api: 'API',
  web_form: 'Web form',
  keyword: 'Keyword',
  manual: 'Entered by hand',
};

/** A tag as a chip in its colour (a light tint of it, so the text stays readable). */
export function TagChip({
  tag,
  children,
}: {
  tag: { name: string; color: string | null };
  children?: ReactNode;
}) {
  const color = tag.color ?? '#64748b';
  return (
    <span
      className="inline-flex items-center gap-1 whitespace-nowrap rounded-full border px-2 py-0.5 text-xs font-medium text-slate-800"
      style={{ borderColor: color, backgroundColor: `${color}1f` }}
    >
      <span aria-hidden="true" className="h-2 w-2 rounded-full" style={{ backgroundColor: color }} />
      {tag.name}
      {children}
    </span>
  );
}

/** A modal question before something that cannot be undone; Escape or Cancel closes it. */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  danger,
  busy,
  confirmDisabled,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  /** Until the person has done what the question asks (e.g. typed a word). */
  confirmDisabled?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  // Several dialogs can be on one page: each is named by its own title.
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
      className="m-auto w-full max-w-md rounded-lg border border-slate-200 p-5 shadow-xl backdrop:bg-slate-900/40"
    >
      <h2 id={titleId} className="text-base font-semibold text-slate-900">
        {title}
      </h2>
      <div className="mt-2 space-y-3 text-sm text-slate-700">{children}</div>
      <div className="mt-5 flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel} disabled={busy}>
          Cancel
        </Button>
        <Button
          variant={danger ? 'danger' : 'primary'}
          onClick={onConfirm}
          disabled={busy || confirmDisabled}
        >
          {confirmLabel}
        </Button>
      </div>
    </dialog>
  );
}

export const dateTime = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');
export const dateOnly = (iso: string | null) => (iso ? new Date(iso).toLocaleDateString() : '—');

/** Today's times as the time of day, older ones as the date (the full time in a tooltip). */
export function shortWhen(iso: string) {
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString()
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString();
}
