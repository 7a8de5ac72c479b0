import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

/** Meta's official OpenAPI file lives beside the repo (../shared), never copied into it. */
export const META_OPENAPI_PATH = fileURLToPath(
  new URL('../../../../shared/reference/meta-openapi/business-messaging-api_v23.0.yaml', import.meta.url),
);
export const hasMetaOpenApi = existsSync(META_OPENAPI_PATH);

type Json = Record<string, unknown>;

/**
 * Two adjustments make Meta's schema usable as a validator, both faithful to Meta's intent:
 * 1. `allOf: [Base, {additionalProperties: false, …}]` would reject every Base property (a classic
 *    JSON Schema pitfall); it becomes `unevaluatedProperties: false` on the combined schema.
 * 2. `biz_opaque_callback_data` is a documented send field (status webhooks echo it) that the file
 *    does not model; it is added to BaseMessageProperties.
 * 3. LocationMessage types latitude/longitude as strings while Meta's own "Send Location Message"
 *    example in the same file sends numbers; both are accepted.
 * 4. Template button `index` carries `pattern: ^[2-6, 11-14]$` (a character class, not a range) while
 *    its own description says "Position index of the button (0-9)" and every example sends "0";
 *    the description wins: ^[0-9]$.
 */
function normalise(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalise);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === 'discriminator' || k === 'example' || k === 'examples' || k === 'xml') continue;
    out[k] = k === 'pattern' && v === '^[2-6, 11-14]$' ? '^[0-9]$' : normalise(v);
  }
  if (Array.isArray(out.allOf) && (out.allOf as Json[]).some((s) => s && s.additionalProperties === false)) {
    out.allOf = (out.allOf as Json[]).map((s) => {
      if (s?.additionalProperties !== false) return s;
      const { additionalProperties: _drop, ...rest } = s;
      return rest;
    });
    out.unevaluatedProperties = false;
  }
  return out;
}

let cached: ((schemaName: string, value: unknown) => string[]) | undefined;

/**
 * Returns the validation errors of `value` against `#/components/schemas/<name>` (empty = valid).
 * For `Message`, the member schema is chosen by `type` as Meta's discriminator says, so errors are readable.
 */
export function metaValidator() {
  if (cached) return cached;
  const doc = parse(readFileSync(META_OPENAPI_PATH, 'utf8')) as { components: { schemas: Json } };
  const schemas = normalise(doc.components.schemas) as Json;
  const base = schemas.BaseMessageProperties as { properties: Json };
  base.properties.biz_opaque_callback_data = { type: 'string', maxLength: 512 };
  const location = JSON.stringify(schemas.LocationMessage)
    .replace(/"latitude":\{"type":"string"/, '"latitude":{"type":["string","number"]')
    .replace(/"longitude":\{"type":"string"/, '"longitude":{"type":["string","number"]');
  schemas.LocationMessage = JSON.parse(location);
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'meta', components: { schemas } });
  const byType = (doc.components.schemas.Message as { discriminator: { mapping: Record<string, string> } })
    .discriminator.mapping;
  cached = (name, value) => {
    const type = (value as { type?: string } | null)?.type;
    const member = name === 'Message' && type && byType[type] ? byType[type].split('/').pop()! : name;
    if (name === 'Message' && (!type || !byType[type]))
      return [`/type ${JSON.stringify(type)} is not a message type`];
    const validate = ajv.getSchema(`meta#/components/schemas/${member}`);
    if (!validate) throw new Error(`no schema ${name}`);
    return validate(value)
      ? []
      : (validate.errors ?? []).map(
          (e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
        );
  };
  return cached;
}

/** Validator and Meta's own examples for the JSON request body of one path and method. */
export function metaRequest(path: string, method: 'post') {
  const doc = parse(readFileSync(META_OPENAPI_PATH, 'utf8')) as {
    paths: Record<string, Record<string, { requestBody?: { content?: Record<string, Json> } }>>;
  };
  const content = doc.paths[path]?.[method]?.requestBody?.content?.['application/json'];
  if (!content) throw new Error(`no JSON request body for ${method} ${path}`);
  const examples = Object.fromEntries(
    Object.entries((content.examples ?? {}) as Record<string, { value: unknown }>).map(([k, v]) => [
      k,
      v.value,
    ]),
  );
  return {
    examples,
    /** Compiled on first use: only self-contained body schemas (no $ref into components) can be. */
    validate(value: unknown) {
      const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
      const validate = ajv.compile(normalise(content.schema) as Json);
      return validate(value)
        ? []
        : (validate.errors ?? []).map(
            (e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
          );
    },
  };
}
