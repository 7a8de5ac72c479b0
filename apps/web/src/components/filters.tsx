import { type FormEvent, type ReactNode, useId } from 'react';
import { Icon } from './icons.tsx';
import { Button, cx, Input, Select } from './ui.tsx';

/**
 * The filters above a list: labelled controls side by side, wrapping on narrow screens, named for
 * screen readers. `below` holds further rows (tag chips, "Clear filters"); with `onSubmit` the bar is a
 * form whose filters apply together.
 */
export function FilterBar({
  label = 'Filters',
  children,
  below,
  boxed = true,
  onSubmit,
}: {
  label?: string;
  children: ReactNode;
  below?: ReactNode;
  /** In its own white box (a page's filters); unboxed inside a card. */
  boxed?: boolean;
  onSubmit?: () => void;
}) {
  const className = cx('mb-4 space-y-3', boxed && 'rounded-lg border border-slate-200 bg-white p-4');
  const content = (
    <>
      <div className="flex flex-wrap items-end gap-3">{children}</div>
      {below}
    </>
  );
  if (onSubmit) {
    const submit = (e: FormEvent) => {
      e.preventDefault();
      onSubmit();
    };
    return (
      <form aria-label={label} onSubmit={submit} className={className}>
        {content}
      </form>
    );
  }
  return (
    <section aria-label={label} className={className}>
      {content}
    </section>
  );
}

/**
 * A search field. With `onSubmit` it searches on Enter or its button (a list asked page by page);
 * without, the caller searches as the person types and a magnifier sits in the field.
 */
export function SearchBox({
  label,
  labelHidden,
  value,
  onChange,
  onSubmit,
  submitLabel = label,
  placeholder,
  className,
}: {
  label: string;
  labelHidden?: boolean;
  value: string;
  onChange: (value: string) => void;
  onSubmit?: (value: string) => void;
  /** The name of the search button: "Search contacts". */
  submitLabel?: string;
  placeholder?: string;
  /** Classes of the box, e.g. its minimum width. */
  className?: string;
}) {
  const id = useId();
  const labelClass = labelHidden ? 'sr-only' : 'block text-sm font-medium text-slate-700';
  if (!onSubmit) {
    return (
      <div className={className}>
        <label htmlFor={id} className={labelClass}>
          {label}
        </label>
        <div className="relative">
          <Icon
            name="search"
            className="pointer-events-none absolute top-1/2 left-2.5 h-4 w-4 -translate-y-1/2 text-slate-400"
          />
          <Input
            id={id}
            type="search"
            placeholder={placeholder}
            value={value}
            onChange={(e) => onChange(e.target.value)}
            className="pl-8"
          />
        </div>
      </div>
    );
  }
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(value);
      }}
      className={cx('flex flex-1 items-end gap-2', className)}
    >
      <div className="flex-1 space-y-1">
        <label htmlFor={id} className={labelClass}>
          {label}
        </label>
        <Input
          id={id}
          type="search"
          placeholder={placeholder}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      </div>
      <Button type="submit" variant="secondary" aria-label={submitLabel}>
        <Icon name="search" className="h-4 w-4" />
      </Button>
    </form>
  );
}

/**
 * A labelled choice among a list's filters: the label above it, beside it (`inline`: "Show …"), or
 * for screen readers only.
 */
export function FilterSelect<V extends string>({
  label,
  labelPlacement = 'above',
  value,
  onChange,
  options,
  className,
}: {
  label: string;
  labelPlacement?: 'above' | 'inline' | 'hidden';
  value: V;
  onChange: (value: V) => void;
  /** `[value, label]` pairs, in order. */
  options: readonly (readonly [V, string])[];
  /** Classes of the select, e.g. its width. */
  className?: string;
}) {
  const id = useId();
  const select = (
    <Select id={id} className={className} value={value} onChange={(e) => onChange(e.target.value as V)}>
      {options.map(([v, text]) => (
        <option key={v} value={v}>
          {text}
        </option>
      ))}
    </Select>
  );
  const labelClass = {
    above: 'block text-sm font-medium text-slate-700',
    inline: 'text-sm text-slate-700',
    hidden: 'sr-only',
  }[labelPlacement];
  return (
    <div
      className={
        labelPlacement === 'inline'
          ? 'flex items-center gap-2'
          : labelPlacement === 'above'
            ? 'space-y-1'
            : undefined
      }
    >
      <label htmlFor={id} className={labelClass}>
        {label}
      </label>
      {select}
    </div>
  );
}

/** A filter that is on or off, as a pill ("Unread only", a tag); `aria-pressed` says which. */
export function ToggleChip({
  pressed,
  onClick,
  size = 'xs',
  children,
}: {
  pressed: boolean;
  onClick: () => void;
  size?: 'xs' | 'sm';
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      aria-pressed={pressed}
      onClick={onClick}
      className={cx(
        'rounded-full border',
        size === 'xs' ? 'px-2.5 py-1 text-xs' : 'px-3 py-1 text-sm',
        pressed
          ? 'border-brand-600 bg-brand-50 font-medium text-brand-800'
          : 'border-slate-300 bg-white text-slate-700 hover:bg-slate-50',
      )}
    >
      {pressed && size === 'sm' && <Icon name="check" className="mr-1 inline h-3.5 w-3.5" />}
      {children}
    </button>
  );
}
