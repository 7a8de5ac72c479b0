/** What the campaign flags say, parsed: the `--map` variable mapping and the `--phones` file. */
import { readFile } from 'node:fs/promises';
import type { VariableMapping, VariableSource } from '@openwaba/contracts';
import { CliError } from '../output.ts';

/**
 * `body.1=contact.name,body.2=fixed:Hello,body.3=field.city,body.4=column:1` → the API's mapping.
 * `--map` may also be repeated.
 */
export function parseVariableMap(parts: readonly string[]): VariableMapping {
  const mapping: VariableMapping = {};
  // A comma starts the next variable only when one follows, so `fixed:Hello, world` keeps its comma.
  for (const part of parts.flatMap((p) => p.split(/,(?=\s*[A-Za-z0-9_.]+=)/))) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CliError(`--map: "${part}" is not variable=source, e.g. body.1=contact.name`, 2);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1);
    if (!/^(header|body|buttons)\.[a-zA-Z0-9_]+$/.test(key))
      throw new CliError(
        `--map: "${key}" is not a template variable (body.1, header.1, buttons.0, body.name)`,
        2,
      );
    mapping[key] = parseSource(key, value);
  }
  return mapping;
}

function parseSource(key: string, raw: string): VariableSource {
  if (raw.startsWith('fixed:')) return { fixed: raw.slice(6) };
  const value = raw.trim();
  if (value.startsWith('column:') && value.length > 7) return { column: value.slice(7) };
  const contact = value.startsWith('contact.') ? value.slice(8) : value;
  if (contact === 'name' || contact === 'phone') return { contact };
  if (/^field\.[a-z0-9_]+$/.test(contact)) return { contact: contact as `field.${string}` };
  throw new CliError(
    `--map ${key}: "${raw}" is not contact.name, contact.phone, field.<key>, fixed:<text> or column:<n>`,
    2,
  );
}

/** Splits one CSV line, honouring double quotes ("a, b" and "" inside them). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

/**
 * A phones file: one phone a line, or CSV `phone,v1,v2` whose values become the recipient's
 * variables `1`, `2`… (used with `--map body.1=column:1`). A first line without a digit in its first
 * cell is a header and is left out.
 */
export function parsePhonesFile(text: string): { phone: string; variables?: Record<string, string> }[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  if (lines.length > 0 && !/\d/.test(csvCells(lines[0]!)[0] ?? '')) lines.shift();
  return lines.map((line) => {
    const [phone = '', ...values] = csvCells(line);
    return values.length === 0
      ? { phone }
      : { phone, variables: Object.fromEntries(values.map((v, i) => [String(i + 1), v])) };
  });
}

export async function readPhones(file: string) {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CliError(`--phones: cannot read ${file}`, 2);
  });
  const recipients = parsePhonesFile(text);
  if (recipients.length === 0) throw new CliError(`--phones: ${file} has no phone numbers`, 2);
  if (recipients.length > 100_000)
    throw new CliError(`--phones: ${file} has ${recipients.length} lines; at most 100,000 per campaign`, 2);
  return recipients;
}
