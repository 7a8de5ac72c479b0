import {
  createContext,
  Fragment,
  type HTMLAttributes,
  type ReactNode,
  type TdHTMLAttributes,
  useContext,
} from 'react';
import { Link } from 'react-router';
import { cx } from './ui.tsx';

/**
 * `card`: a list that is the page's content (white box, shaded header). `inset`: a table inside a card
 * (bordered, shaded header). `plain`: rows and a header line only, for tables inside a card's text.
 */
type Look = 'card' | 'inset' | 'plain';
/** Cell spacing: `compact` for small reports, `roomy` for a page's main list. */
type Density = 'compact' | 'normal' | 'roomy';

const LookContext = createContext<{ look: Look; density: Density }>({ look: 'plain', density: 'normal' });

/**
 * `relative`: what is positioned inside (a hidden column header's screen-reader text) stays in the
 * scrolling box instead of widening the page on a phone.
 */
const WRAPPER: Record<Look, string> = {
  card: 'relative overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm',
  inset: 'relative overflow-x-auto rounded-md border border-slate-200',
  plain: 'relative overflow-x-auto',
};
const HEAD: Record<Look, string> = {
  card: 'border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500',
  inset: 'bg-slate-50 text-xs uppercase text-slate-500',
  plain: 'text-xs uppercase text-slate-500',
};
/** Boxed tables pad both sides; a plain one lines up with the card's text, so only between columns. */
const PAD_X: Record<Look, Record<Density, string>> = {
  card: { compact: 'px-2', normal: 'px-3', roomy: 'px-4' },
  inset: { compact: 'px-2', normal: 'px-3', roomy: 'px-4' },
  plain: { compact: 'pr-3 last:pr-0', normal: 'pr-3 last:pr-0', roomy: 'pr-4 last:pr-0' },
};
const PAD_Y_HEAD: Record<Density, string> = { compact: 'py-1', normal: 'py-2', roomy: 'py-2' };
const PAD_Y_CELL: Record<Density, string> = { compact: 'py-1', normal: 'py-2', roomy: 'py-3' };

/** Columns that only fit on wider screens (their facts are repeated elsewhere in the row, or can wait). */
const FROM = {
  sm: 'hidden sm:table-cell',
  md: 'hidden md:table-cell',
  lg: 'hidden lg:table-cell',
} as const;

export interface Column<T> {
  /** The column's name in the header; also its key unless `id` is given. */
  header: string;
  id?: string;
  /** The header is read by screen readers only (a column of buttons). */
  headerHidden?: boolean;
  /** Not needed when the table's `renderRow` draws the rows. */
  cell?: (row: T) => ReactNode;
  align?: 'right';
  /** Shown from this screen width up. */
  from?: keyof typeof FROM;
  /** Classes of the column's cells (`tabular-nums`, a colour), or of one row's cell. */
  className?: string | ((row: T) => string | undefined);
  /** Classes of the header cell only (`normal-case` for names that are data, such as a file's columns). */
  headerClassName?: string;
}

/** A row's own attributes: `data-*` hooks for tests and styles, a class. */
export type RowProps = HTMLAttributes<HTMLTableRowElement> & { [data: `data-${string}`]: string | undefined };

export interface Selection<T> {
  selected: ReadonlySet<string>;
  onChange: (next: Set<string>) => void;
  /** The name of one row's checkbox: "Select Ada Lovelace". */
  label: (row: T) => string;
  /** The name of the header's checkbox: "Select all shown contacts". */
  allLabel: string;
}

/** One padded cell of the surrounding table's look; for rows drawn by `renderRow`. */
export function Td({ className, ...props }: TdHTMLAttributes<HTMLTableCellElement>) {
  const { look, density } = useContext(LookContext);
  return <td {...props} className={cx(PAD_X[look][density], PAD_Y_CELL[density], className)} />;
}

/** A row of the surrounding table's look; for rows drawn by `renderRow`. */
export function Tr({ className, ...props }: RowProps) {
  const { look } = useContext(LookContext);
  return <tr {...props} className={cx(look === 'plain' && 'border-t border-slate-100', className)} />;
}

/** The link in a row to the item's own page: its name, in bold. */
export function RowLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Link to={to} className="font-medium text-slate-900 hover:text-brand-700 hover:underline">
      {children}
    </Link>
  );
}

/**
 * A table of rows: a caption (for screen readers), a header, one row per item. With no rows it shows
 * the loading text while `status` is pending, else `empty` (text or an element) — no empty header.
 *
 * @example
 * <Table caption="Campaigns" look="card" density="roomy" rows={campaigns} rowKey={(c) => c.id}
 *   status={list.status} loadingText="Loading campaigns…" empty="No campaigns yet."
 *   columns={[{ header: 'Name', cell: (c) => <RowLink to={`/campaigns/${c.id}`}>{c.name}</RowLink> }]} />
 */
export function Table<T>({
  caption,
  columns,
  rows,
  rowKey,
  rowProps,
  renderRow,
  look = 'plain',
  density = 'normal',
  valign = 'top',
  fontSize = 'sm',
  status,
  loadingText = 'Loading…',
  empty,
  selection,
  className,
  testId,
}: {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  rowProps?: (row: T) => RowProps;
  /** Draws a row itself (with `Tr` and `Td`), for rows that hold their own state. */
  renderRow?: (row: T) => ReactNode;
  look?: Look;
  density?: Density;
  valign?: 'top' | 'middle';
  fontSize?: 'xs' | 'sm';
  /** The query's status: `pending` shows the loading text, `error` nothing (the page says why). */
  status?: 'pending' | 'error' | 'success';
  loadingText?: string;
  /** What an empty, loaded table shows instead (text is centred and grey). */
  empty?: ReactNode;
  selection?: Selection<T>;
  /** Classes of the `<table>`, e.g. a minimum width. */
  className?: string;
  testId?: string;
}) {
  if (rows.length === 0) {
    if (status === 'pending') {
      return (
        <p className="py-6 text-center text-sm text-slate-500" role="status">
          {loadingText}
        </p>
      );
    }
    if (status === 'error' || empty === undefined) return null;
    return typeof empty === 'string' ? (
      <p className="py-6 text-center text-sm text-slate-500">{empty}</p>
    ) : (
      empty
    );
  }
  const padX = PAD_X[look][density];
  const th = cx(padX, PAD_Y_HEAD[density], look === 'card' && 'font-medium');
  const td = cx(padX, PAD_Y_CELL[density]);
  const keyOf = (row: T) => String(rowKey(row));
  const allSelected = selection !== undefined && rows.every((r) => selection.selected.has(keyOf(r)));
  const toggle = (key: string) => {
    if (!selection) return;
    const next = new Set(selection.selected);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    selection.onChange(next);
  };
  return (
    <LookContext value={{ look, density }}>
      <div className={WRAPPER[look]}>
        <table
          className={cx('w-full text-left', fontSize === 'xs' ? 'text-xs' : 'text-sm', className)}
          data-testid={testId}
        >
          <caption className="sr-only">{caption}</caption>
          <thead className={HEAD[look]}>
            <tr>
              {selection && (
                <th scope="col" className={cx('w-10', th)}>
                  <input
                    type="checkbox"
                    aria-label={selection.allLabel}
                    checked={allSelected}
                    onChange={() => selection.onChange(allSelected ? new Set() : new Set(rows.map(keyOf)))}
                  />
                </th>
              )}
              {columns.map((col) => (
                <th
                  key={col.id ?? col.header}
                  scope="col"
                  className={cx(
                    col.from && FROM[col.from],
                    th,
                    col.align === 'right' && 'text-right',
                    col.headerClassName,
                  )}
                >
                  {col.headerHidden ? <span className="sr-only">{col.header}</span> : col.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody
            className={cx(look !== 'plain' && 'divide-y divide-slate-100', valign === 'top' && 'align-top')}
          >
            {rows.map((row) =>
              renderRow ? (
                <Fragment key={keyOf(row)}>{renderRow(row)}</Fragment>
              ) : (
                <Tr key={keyOf(row)} {...rowProps?.(row)}>
                  {selection && (
                    <td className={td}>
                      <input
                        type="checkbox"
                        aria-label={selection.label(row)}
                        checked={selection.selected.has(keyOf(row))}
                        onChange={() => toggle(keyOf(row))}
                      />
                    </td>
                  )}
                  {columns.map((col) => (
                    <td
                      key={col.id ?? col.header}
                      className={cx(
                        col.from && FROM[col.from],
                        td,
                        col.align === 'right' && 'text-right',
                        typeof col.className === 'function' ? col.className(row) : col.className,
                      )}
                    >
                      {col.cell?.(row)}
                    </td>
                  ))}
                </Tr>
              ),
            )}
          </tbody>
        </table>
      </div>
    </LookContext>
  );
}
