import {
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  useId,
} from 'react';
import { Link } from 'react-router';
import { Icon } from './icons.tsx';

export const cx = (...c: (string | false | undefined)[]) => c.filter(Boolean).join(' ');

const BUTTON_BASE =
  'inline-flex items-center justify-center gap-2 rounded-md px-3 py-2 text-sm font-medium transition disabled:cursor-not-allowed';
const BUTTON_VARIANTS = {
  primary: 'bg-brand-600 text-white hover:bg-brand-700 disabled:bg-brand-600/50',
  secondary: 'bg-white text-slate-800 border border-slate-300 hover:bg-slate-50',
  danger: 'bg-white text-red-700 border border-red-300 hover:bg-red-50',
  ghost: 'text-slate-700 hover:bg-slate-100',
} as const;
type ButtonVariant = keyof typeof BUTTON_VARIANTS;

/**
 * `disabledReason`: while set, the button is disabled and says why — on hover (title) and to screen
 * readers (aria-describedby). Prefer it to a bare `disabled`, which leaves people guessing.
 */
export function Button({
  variant = 'primary',
  className,
  disabledReason,
  disabled,
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: ButtonVariant;
  disabledReason?: string | false | null | undefined;
}) {
  const reasonId = useId();
  const button = (
    <button
      type="button"
      className={cx(BUTTON_BASE, BUTTON_VARIANTS[variant], className)}
      {...props}
      disabled={Boolean(disabledReason) || disabled}
      {...(disabledReason ? { title: disabledReason, 'aria-describedby': reasonId } : {})}
    />
  );
  if (!disabledReason) return button;
  return (
    <>
      {button}
      <span id={reasonId} className="sr-only">
        {disabledReason}
      </span>
    </>
  );
}

/** A link that looks like a button: "New campaign" opening the wizard. */
export function ButtonLink({
  to,
  variant = 'primary',
  className,
  children,
}: {
  to: string;
  variant?: ButtonVariant;
  className?: string;
  children: ReactNode;
}) {
  return (
    <Link to={to} className={cx(BUTTON_BASE, BUTTON_VARIANTS[variant], className)}>
      {children}
    </Link>
  );
}

/** A file the server builds (a CSV export), downloaded rather than opened. */
export function DownloadLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <a href={href} download className={cx(BUTTON_BASE, BUTTON_VARIANTS.secondary)}>
      <Icon name="document" className="h-4 w-4" /> {children}
    </a>
  );
}

/** Back to the list a page belongs to: "← Campaigns". */
export function BackLink({
  to,
  children,
  className,
}: {
  to: string;
  children: ReactNode;
  className?: string;
}) {
  return (
    <Link
      to={to}
      className={cx('inline-flex items-center gap-1 text-sm text-brand-700 hover:underline', className)}
    >
      <Icon name="back" className="h-4 w-4" /> {children}
    </Link>
  );
}

export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: string;
  error?: string | undefined;
  children: (id: string) => ReactNode;
}) {
  const id = useId();
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      {children(id)}
      {hint && !error && <p className="text-xs text-slate-500">{hint}</p>}
      {error && (
        <p className="text-xs text-red-700" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

const inputClass =
  'block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-brand-600 focus:outline-none';

/** A width given by the caller (`w-48`) replaces the full width: both in one class list, full would win. */
const inputClasses = (className?: string) =>
  cx(/(^|\s)w-/.test(className ?? '') ? inputClass.replace('w-full', '') : inputClass, className);

export function Input(props: InputHTMLAttributes<HTMLInputElement>) {
  return <input {...props} className={inputClasses(props.className)} />;
}

export function Select(props: SelectHTMLAttributes<HTMLSelectElement>) {
  return <select {...props} className={inputClasses(props.className)} />;
}

export function Card({
  title,
  description,
  children,
}: {
  title?: string;
  description?: string;
  children: ReactNode;
}) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      {title && <h2 className="text-base font-semibold text-slate-900">{title}</h2>}
      {description && <p className="mt-1 text-sm text-slate-600">{description}</p>}
      <div className={title || description ? 'mt-4' : ''}>{children}</div>
    </section>
  );
}

export function Alert({
  kind = 'error',
  children,
}: {
  kind?: 'error' | 'success' | 'info';
  children: ReactNode;
}) {
  const styles = {
    error: 'border-red-200 bg-red-50 text-red-800',
    success: 'border-emerald-200 bg-emerald-50 text-emerald-800',
    info: 'border-sky-200 bg-sky-50 text-sky-800',
  }[kind];
  return (
    <div
      role={kind === 'error' ? 'alert' : 'status'}
      className={cx('rounded-md border px-3 py-2 text-sm', styles)}
    >
      {children}
    </div>
  );
}

export function EmptyState({
  title,
  children,
  icon,
}: {
  title: string;
  children: ReactNode;
  icon: ReactNode;
}) {
  return (
    <div className="mx-auto mt-16 max-w-md rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center">
      <div aria-hidden="true">{icon}</div>
      <h2 className="mt-3 text-lg font-semibold">{title}</h2>
      <div className="mt-2 text-sm text-slate-600">{children}</div>
    </div>
  );
}

const BADGE_TONES = {
  green: 'bg-green-100 text-green-800',
  red: 'bg-red-100 text-red-800',
  amber: 'bg-amber-100 text-amber-800',
  sky: 'bg-sky-100 text-sky-800',
  slate: 'bg-slate-100 text-slate-700',
} as const;
export type BadgeTone = keyof typeof BADGE_TONES;

export function Badge({
  tone,
  children,
  className,
}: {
  tone: BadgeTone;
  children: ReactNode;
  className?: string;
}) {
  return (
    <span
      className={cx(
        'inline-flex items-center gap-1 whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium',
        BADGE_TONES[tone],
        className,
      )}
    >
      {children}
    </span>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="mb-6 flex flex-wrap items-center justify-between gap-3">
      <h1 className="text-xl font-semibold text-slate-900">{title}</h1>
      {children}
    </div>
  );
}

/**
 * A destructive action asked for in place: what happens, a red confirm button (its `busyLabel` while
 * running), Cancel, and the failure if there was one.
 */
export function ConfirmPanel({
  id,
  title,
  children,
  confirmLabel,
  busyLabel,
  busy,
  error,
  onConfirm,
  onCancel,
}: {
  /** Names the title element (aria-labelledby). */
  id: string;
  title: ReactNode;
  children: ReactNode;
  confirmLabel: string;
  busyLabel: string;
  busy: boolean;
  error?: string | undefined;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <div role="alertdialog" aria-labelledby={id} className="rounded-lg border border-red-300 bg-white p-4">
      <h2 id={id} className="font-semibold text-slate-900">
        {title}
      </h2>
      <p className="mt-1 text-sm text-slate-600">{children}</p>
      <div className="mt-3 flex gap-2">
        <Button variant="danger" disabledReason={busy && busyLabel} onClick={onConfirm}>
          {busy ? busyLabel : confirmLabel}
        </Button>
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
      {error && (
        <div className="mt-3">
          <Alert>{error}</Alert>
        </div>
      )}
    </div>
  );
}
