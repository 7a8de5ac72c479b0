import { ApiError } from '@openwaba/sdk';

/** Messages by dotted path into the body sent (`actions.0.text`), to show beside their fields. */
export type Problems = Record<string, string>;

/**
 * The paths of a 400 (`['body', 'actions', '0', 'text']`, the request part first) or of a service's
 * own details (`['match', 'patterns', 0]`), as dotted paths into the body.
 */
export function problemsOf(err: unknown): Problems {
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return {};
  const out: Problems = {};
  for (const d of err.details as { path?: unknown; message?: unknown }[]) {
    if (!Array.isArray(d.path) || typeof d.message !== 'string') continue;
    const path = d.path[0] === 'body' ? d.path.slice(1) : d.path;
    out[path.join('.')] ??= d.message;
  }
  return out;
}

/** The same, from the schema checked in the browser before sending. */
export function issuesOf(issues: readonly { path: readonly PropertyKey[]; message: string }[]): Problems {
  const out: Problems = {};
  for (const i of issues) out[i.path.map(String).join('.')] ??= i.message;
  return out;
}

/** A field's message: its own path, or the first one below it (`match` shows `match.patterns.0`). */
export function problemAt(p: Problems, path: string): string | undefined {
  if (p[path]) return p[path];
  const below = Object.keys(p).find((k) => k.startsWith(`${path}.`));
  return below ? p[below] : undefined;
}
