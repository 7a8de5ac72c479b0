import type { IDisplayOptions } from 'n8n-workflow';

/** n8n's wording under a drop-down whose value may also be an ID from an expression. */
export const LIST_HINT =
  'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>';

/**
 * Shows a field for some operations of one resource, and optionally when other fields have given values.
 *
 * @example
 * displayOptions: showFor('message', ['sendMedia'], { mediaType: ['document'] })
 */
export function showFor(
  resource: string,
  operation?: string[],
  also: Record<string, string[]> = {},
): IDisplayOptions {
  return { show: { resource: [resource], ...(operation ? { operation } : {}), ...also } };
}
