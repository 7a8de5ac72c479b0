import type { ReactNode } from 'react';
import { Icon } from './icons.tsx';

/** A wizard's steps as pills: done ones ticked, the current one marked for screen readers too. */
export function Stepper({ steps, step, label }: { steps: readonly string[]; step: number; label: string }) {
  return (
    <ol aria-label={label} className="mb-6 flex flex-wrap gap-2 text-sm">
      {steps.map((s, i) => (
        <li
          key={s}
          aria-current={i === step ? 'step' : undefined}
          className={`flex items-center gap-2 rounded-full border px-3 py-1 ${
            i === step
              ? 'border-brand-600 bg-brand-50 font-semibold text-brand-800'
              : i < step
                ? 'border-slate-200 bg-white text-slate-700'
                : 'border-slate-200 bg-white text-slate-400'
          }`}
        >
          <span
            className={`flex h-5 w-5 items-center justify-center rounded-full text-xs ${
              i <= step ? 'bg-brand-600 text-white' : 'bg-slate-200 text-slate-600'
            }`}
          >
            {i < step ? <Icon name="check" className="h-3 w-3" /> : i + 1}
          </span>
          {s}
        </li>
      ))}
    </ol>
  );
}

/** The row of buttons under a wizard step: back on the left, next on the right. */
export function StepFooter({ children }: { children: ReactNode }) {
  return (
    <div className="mt-6 flex flex-wrap items-center justify-between gap-2 border-t border-slate-100 pt-4">
      {children}
    </div>
  );
}
