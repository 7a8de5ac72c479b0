import type { z } from 'zod';
import { CliError } from './output.ts';

/** `displayName` and `display_name` both name the flag `--display-name`; an argument is `<name>`. */
export const flagName = (key: PropertyKey, args: readonly string[] = []) =>
  args.includes(String(key))
    ? `<${String(key)}>`
    : `--${String(key)
        .replace(/_/g, '-')
        .replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * Checks a verb's flags with zod. Bad usage is exit code 2, with one line per problem that names the
 * flag to fix; a problem about the flags as a whole (no path) is printed as it is. `args` names the
 * positional arguments among the keys.
 * @example
 *   const flags = parseFlags(z.object({ org: z.string().min(1) }), opts);
 */
export function parseFlags<S extends z.ZodType>(
  schema: S,
  input: unknown,
  args: readonly string[] = [],
): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new CliError(
    parsed.error.issues
      .map((i) => (i.path.length > 0 ? `${flagName(i.path[0]!, args)}: ${i.message}` : i.message))
      .join('\n'),
    2,
  );
}
