import fc from 'fast-check';

/**
 * fast-check arbitraries from the JSON schemas of the served OpenAPI document (what zod's schemas
 * become), so every route's body and query is generated from its own description: `valid` builds
 * values the schema accepts; `hostile` mixes in wrong types, hostile strings and odd numbers at every
 * level, for fuzzing.
 */
export type JsonSchema = {
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  nullable?: boolean;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
  $ref?: string;
};

export interface ArbitraryOptions {
  /** An id to use for a field by its name (undefined: generate one). */
  idFor?(field: string): string | undefined;
  /** Id fields are always present (else as optional as the schema says). */
  forceIds?: boolean;
  hostile?: boolean;
}

/** Strings that have broken servers: NUL, lone surrogates, direction overrides, huge, path and SQL tricks. */
export const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '𝕳𝖊𝖑𝖑𝖔 👩‍👩‍👧‍👦',
  'x'.repeat(70_000),
  '../../etc/passwd',
  "'; drop table contacts; --",
  '%00%ff%fe',
  '{{constructor.constructor("return process")()}}',
  '<script>window.__xss=1</script>',
  '__proto__',
  'NaN',
  '-0',
  '1e309',
  '9'.repeat(40),
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '2026-02-30T25:61:61Z',
];
const HOSTILE_NUMBERS = [0, -1, -0, 1e308, -1e308, 2 ** 53 + 1, -(2 ** 63), 0.1, 1e-320, 2147483648];

export const hostileString = () =>
  fc.oneof(
    fc.constantFrom(...HOSTILE_STRINGS),
    fc.string({ unit: 'binary', maxLength: 64 }),
    fc.string({ unit: 'grapheme', maxLength: 64 }),
  );
export const hostileValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    hostileString(),
    fc.constantFrom(...HOSTILE_NUMBERS),
    fc.constantFrom(null, true, false, [], {}, [[[[[]]]]]),
    fc.jsonValue({ maxDepth: 3 }),
  );

const isUuid = (s: JsonSchema) => s.format === 'uuid';

export function arbitraryFor(
  schema: JsonSchema | undefined,
  opts: ArbitraryOptions = {},
  field = '',
): fc.Arbitrary<unknown> {
  const valid = validArbitrary(schema ?? {}, opts, field);
  if (!opts.hostile) return valid;
  return fc.oneof({ arbitrary: valid, weight: 5 }, { arbitrary: hostileValue(), weight: 1 });
}

function validArbitrary(s: JsonSchema, opts: ArbitraryOptions, field: string): fc.Arbitrary<unknown> {
  const id = opts.idFor?.(field);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length) {
    const inner = fc.oneof(...alts.map((a) => arbitraryFor(a, opts, field)));
    return s.nullable
      ? fc.oneof({ arbitrary: inner, weight: 4 }, { arbitrary: fc.constant(null), weight: 1 })
      : inner;
  }
  if (s.allOf?.length) {
    const merged: JsonSchema = { type: 'object', properties: {}, required: [] };
    for (const part of s.allOf) {
      Object.assign(merged.properties!, part.properties ?? {});
      merged.required!.push(...(part.required ?? []));
    }
    return validArbitrary(merged, opts, field);
  }
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  let arb: fc.Arbitrary<unknown>;
  switch (type) {
    case 'string':
      arb = isUuid(s) && id ? fc.constant(id) : stringArbitrary(s);
      break;
    case 'integer':
    case 'number': {
      const min =
        typeof s.minimum === 'number'
          ? s.minimum
          : typeof s.exclusiveMinimum === 'number'
            ? s.exclusiveMinimum + 1
            : -1000;
      const max =
        typeof s.maximum === 'number'
          ? s.maximum
          : typeof s.exclusiveMaximum === 'number'
            ? s.exclusiveMaximum - 1
            : 1000;
      const lo = Math.max(min, -1e6);
      const hi = Math.max(lo, Math.min(max, 1e6));
      arb =
        type === 'integer'
          ? fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) })
          : fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
      break;
    }
    case 'boolean':
      arb = fc.boolean();
      break;
    case 'null':
      arb = fc.constant(null);
      break;
    case 'array': {
      const items = s.items ?? {};
      if (id && isUuid(items)) arb = fc.constant([id]);
      else {
        const minLength = s.minItems ?? 0;
        arb = fc.array(arbitraryFor(items, opts, field), {
          minLength,
          maxLength: Math.max(minLength, Math.min(s.maxItems ?? 3, 3)),
        });
      }
      break;
    }
    case 'object':
    case undefined: {
      if (
        !s.properties &&
        (type === undefined || s.additionalProperties === undefined) &&
        type === undefined
      ) {
        arb = fc.jsonValue({ maxDepth: 2 });
        break;
      }
      const props = s.properties ?? {};
      const shape = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, arbitraryFor(v, opts, k)]));
      const required = (s.required ?? []).filter((k) => k in props);
      // Id fields are always filled in: they are what the cross-organisation drill substitutes.
      const withIds = opts.forceIds
        ? Object.keys(props).filter((k) => opts.idFor?.(k) && !required.includes(k))
        : [];
      const record = fc.record(shape, { requiredKeys: [...required, ...withIds] }) as fc.Arbitrary<
        Record<string, unknown>
      >;
      if (typeof s.additionalProperties === 'object' && !Object.keys(props).length) {
        const key = s.propertyNames?.pattern
          ? fc.stringMatching(new RegExp(s.propertyNames.pattern))
          : fc.string({ minLength: 1, maxLength: 12 });
        arb = fc.dictionary(key, arbitraryFor(s.additionalProperties, opts, field), { maxKeys: 3 });
      } else arb = record;
      break;
    }
    default:
      arb = fc.jsonValue({ maxDepth: 2 });
  }
  return s.nullable
    ? fc.oneof({ arbitrary: arb, weight: 4 }, { arbitrary: fc.constant(null), weight: 1 })
    : arb;
}

function stringArbitrary(s: JsonSchema): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = Math.min(s.maxLength ?? 40, 40);
  const fits = (x: string) => x.length >= minLength && x.length <= (s.maxLength ?? Number.POSITIVE_INFINITY);
  if (isUuid(s)) return fc.uuid({ version: 4 });
  if (s.format === 'email') return fc.emailAddress().filter(fits);
  if (s.format === 'date-time')
    return fc
      .integer({ min: 60, max: 365 * 86_400 })
      .map((sec) => new Date(Date.now() + sec * 1000).toISOString());
  if (s.format === 'uri') return fc.webUrl({ validSchemes: ['https'] }).filter(fits);
  if (s.pattern) {
    try {
      return fc.stringMatching(new RegExp(s.pattern)).filter(fits);
    } catch {
      // A pattern fast-check cannot read: fall through to plain text.
    }
  }
  return fc
    .string({ minLength: Math.max(minLength, 1), maxLength: Math.max(maxLength, minLength, 1) })
    .filter(fits);
}
