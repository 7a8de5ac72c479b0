import type { ImportMapping, ImportUpload } from '@openwaba/contracts';
import { AppError } from '../../lib/errors.ts';

/** "Número de teléfono" → "numero de telefono": headers compared without case, accents or punctuation. */
export function headerKey(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const PHONE_WORDS = [
  'phone',
  'phone number',
  'mobile',
  'mobile number',
  'mobile phone',
  'cell',
  'cell phone',
  'cellphone',
  'whatsapp',
  'whatsapp number',
  'wa id',
  'msisdn',
  'tel',
  'telephone',
  'telefone',
  'telefono',
  'celular',
  'movil',
  'numero',
  'number',
  'contact number',
  'handy',
  'telefon',
];
const NAME_WORDS = ['name', 'full name', 'fullname', 'contact name', 'nome', 'nombre', 'customer', 'client'];
const FIRST_WORDS = ['first name', 'firstname', 'given name', 'first', 'primeiro nome', 'nombre de pila'];
const LAST_WORDS = [
  'last name',
  'lastname',
  'surname',
  'family name',
  'last',
  'apellido',
  'apellidos',
  'sobrenome',
];
const TAG_WORDS = ['tags', 'tag', 'labels', 'label', 'etiquetas', 'groups', 'group'];

function findColumn(keys: string[], words: string[], taken: Set<number>, exact = false): number {
  // Exact words first, then a header that contains one ("Mobile phone (work)").
  for (const w of words) {
    const i = keys.findIndex((k, i) => !taken.has(i) && k === w);
    if (i >= 0) return i;
  }
  if (exact) return -1;
  for (const w of words) {
    if (w.length < 4) continue;
    const i = keys.findIndex((k, i) => !taken.has(i) && ` ${k} `.includes(` ${w} `));
    if (i >= 0) return i;
  }
  return -1;
}

/**
 * A first guess at the mapping from the headers and the organisation's custom fields, for a person to
 * check. Without a full-name column, a first-name column and a last-name column make the name.
 */
export function suggestMapping(
  headers: string[],
  fields: { key: string; label: string }[],
): ImportUpload['suggested_mapping'] {
  const keys = headers.map(headerKey);
  const taken = new Set<number>();
  const take = (i: number) => {
    if (i >= 0) taken.add(i);
    return i >= 0 ? headers[i] : undefined;
  };
  const phone = take(findColumn(keys, PHONE_WORDS, taken));
  // "Name" itself, else first + last name ("Given name" contains "name" but is only half of it).
  let name = take(findColumn(keys, NAME_WORDS, taken, true));
  let lastName: string | undefined;
  if (!name) {
    name = take(findColumn(keys, FIRST_WORDS, taken));
    if (name) lastName = take(findColumn(keys, LAST_WORDS, taken));
  }
  if (!name) name = take(findColumn(keys, NAME_WORDS, taken));
  const tags = take(findColumn(keys, TAG_WORDS, taken));
  const mapped: Record<string, string> = {};
  for (const f of fields) {
    const i = findColumn(keys, [headerKey(f.key), headerKey(f.label)], taken);
    const column = take(i);
    if (column) mapped[f.key] = column;
  }
  return {
    phone: phone ?? null,
    ...(name ? { name } : {}),
    ...(lastName ? { last_name: lastName } : {}),
    ...(tags ? { tags } : {}),
    fields: mapped,
  };
}

export type ColumnIndexes = {
  phone: number;
  name?: number;
  lastName?: number;
  tags?: number;
  fields: [key: string, index: number][];
};

/**
 * The mapping's column names as positions in the file. A name that is not a header is a 400 naming
 * it; two names may share a column (a header repeated in the file resolves to the first one).
 */
export function resolveColumns(headers: string[], mapping: ImportMapping): ColumnIndexes {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const indexOf = (column: string, path: (string | number)[]) => {
    let i = headers.indexOf(column);
    if (i < 0) i = headers.findIndex((h) => headerKey(h) === headerKey(column));
    if (i < 0) issues.push({ path, message: `no column is called "${column}"` });
    return i;
  };
  const phone = indexOf(mapping.phone, ['mapping', 'phone']);
  const name = mapping.name !== undefined ? indexOf(mapping.name, ['mapping', 'name']) : undefined;
  const lastName =
    mapping.last_name !== undefined ? indexOf(mapping.last_name, ['mapping', 'last_name']) : undefined;
  const tags = mapping.tags !== undefined ? indexOf(mapping.tags, ['mapping', 'tags']) : undefined;
  const fields = Object.entries(mapping.fields ?? {}).map(
    ([key, column]) => [key, indexOf(column, ['mapping', 'fields', key])] as [string, number],
  );
  if (issues.length) {
    throw new AppError(
      'VALIDATION_FAILED',
      issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      {
        details: issues,
      },
    );
  }
  return {
    phone,
    ...(name !== undefined ? { name } : {}),
    ...(lastName !== undefined ? { lastName } : {}),
    ...(tags !== undefined ? { tags } : {}),
    fields,
  };
}
