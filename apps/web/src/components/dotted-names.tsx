/**
 * Names of the form `noun.verb` (permissions, event types): grouped by the part before the dot,
 * summed up in one line, and picked with one checkbox each in a box per group.
 */

/** `[group, names]` pairs, groups and names in the order given. */
export function groupByPrefix<T extends string>(names: readonly T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const n of names) {
    const prefix = n.slice(0, n.indexOf('.'));
    groups.set(prefix, [...(groups.get(prefix) ?? []), n]);
  }
  return [...groups];
}

/** "contacts: read, write · conversations: read" */
export const compactNames = (names: readonly string[]) =>
  groupByPrefix(names)
    .map(([prefix, ns]) => `${prefix}: ${ns.map((n) => n.slice(prefix.length + 1)).join(', ')}`)
    .join(' · ');

/** A checkbox per name, in a titled box per group. */
export function GroupedCheckboxes<T extends string>({
  names,
  checked,
  onToggle,
}: {
  names: readonly T[];
  checked: readonly T[];
  onToggle: (name: T) => void;
}) {
  return (
    <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
      {groupByPrefix(names).map(([prefix, ns]) => (
        <fieldset key={prefix} className="rounded-md border border-slate-200 p-3">
          <legend className="px-1 text-xs font-semibold uppercase tracking-wide text-slate-500">
            {prefix}
          </legend>
          <div className="space-y-1">
            {ns.map((n) => (
              <label key={n} className="flex items-center gap-2 text-sm text-slate-700">
                <input type="checkbox" checked={checked.includes(n)} onChange={() => onToggle(n)} />
                <span className="font-mono text-xs">{n}</span>
              </label>
            ))}
          </div>
        </fieldset>
      ))}
    </div>
  );
}
