import { ApiError } from '@openwaba/sdk';

/** A button as the form edits it, before it becomes part of the create body. */
export type ButtonType = 'QUICK_REPLY' | 'URL' | 'PHONE_NUMBER';
export interface DraftButton {
  /** Identity while buttons are added and removed. */
  key: number;
  type: ButtonType;
  text: string;
  url: string;
  phone_number: string;
  /** The value a URL's `{{1}}` takes in Meta's review example. */
  example: string;
}
/** Suggestions for the language field; any code Meta knows is accepted. */
export const LANGUAGES = [
  'en_US',
  'en_GB',
  'en',
  'es',
  'es_MX',
  'pt_BR',
  'fr',
  'de',
  'it',
  'hi',
  'id',
  'ar',
  'nl',
  'tr',
];
/** `{{1}}` variables are positional; any `{{name}}` makes the whole template use named ones. */
export const formatOf = (vars: string[]) => (vars.every((v) => /^\d+$/.test(v)) ? 'POSITIONAL' : 'NAMED');

/** Validation issues by form path (`body.text`, `buttons.0.url`); the server's paths start with `body`. */
export function issuesByPath(issues: { path: (string | number)[]; message: string }[]) {
  const out: Record<string, string> = {};
  for (const i of issues) {
    const key = i.path.join('.') || 'form';
    out[key] ??= i.message;
  }
  return out;
}

/** The server's validation issues by form path, or `null` for another error. */
export function serverIssues(err: unknown): Record<string, string> | null {
  if (!(err instanceof ApiError) || err.code !== 'VALIDATION_FAILED' || !Array.isArray(err.details))
    return null;
  const issues = (err.details as { path?: unknown; message?: unknown }[])
    .filter((d) => Array.isArray(d.path) && typeof d.message === 'string')
    .map((d) => ({ path: (d.path as (string | number)[]).slice(1), message: d.message as string }));
  return issues.length ? issuesByPath(issues) : null;
}

/** Meta's own refusal, with its code for support. */
export function metaOf(err: unknown) {
  const meta =
    err instanceof ApiError
      ? (err.details as { meta?: { code: unknown; details?: string | null } })?.meta
      : null;
  return meta ? `Meta error ${String(meta.code)}${meta.details ? `: ${meta.details}` : ''}` : null;
}
