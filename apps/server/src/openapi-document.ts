import * as contracts from '@openwaba/contracts';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { $ZodRegistry, $ZodType, globalRegistry, type JSONSchema, toJSONSchema } from 'zod/v4/core';

/**
 * What makes the served OpenAPI document good enough to generate a client from: each operation's
 * name, security and error answers derived from the route's declaration, the shared response shapes
 * as named component schemas (the contracts' export names), file uploads and downloads with their
 * real content types, and parameters described as the server reads them.
 */

const REF = '#/components/schemas/';
type Schema = Record<string, unknown>;
type TransformArgs = Parameters<ReturnType<typeof createJsonSchemaTransform>>[0];
type Transformed = { schema: Schema; url: string };

/**
 * The component names of response shapes, kept apart from zod's global registry: naming a schema
 * there would also turn request bodies into `$ref`s and change every other `toJSONSchema` caller.
 * Metadata (descriptions, and any `.meta({ id })`) still comes from the global registry.
 */
class ResponseNames extends $ZodRegistry<{ id?: string }> {
  override get(schema: $ZodType) {
    const own = this._map.get(schema);
    const meta = globalRegistry.get(schema) as Record<string, unknown> | undefined;
    return own ? { ...meta, ...own } : (meta as { id?: string } | undefined);
  }
}

/**
 * Every object or union the contracts export, named by its export name (`ErrorBody` is `Error`):
 * stable, unique, and a new contract file is named without a line here.
 */
function responseNames() {
  const names = new ResponseNames();
  // A module namespace lists its exports in name order: an alias gets the first name, always.
  for (const [name, value] of Object.entries(contracts)) {
    if (!(value instanceof $ZodType) || names.has(value)) continue;
    if (!['object', 'union'].includes(value._zod.def.type)) continue;
    names.add(value, { id: name === 'ErrorBody' ? 'Error' : name });
  }
  return names;
}
const names = responseNames();

/** What the public routes that check something answer besides bad input (signed-in ones are derived). */
const PUBLIC_ERRORS: Record<string, number[]> = {
  'POST /api/v1/auth/login': [401, 429],
  'POST /api/v1/auth/refresh': [401],
  'POST /api/v1/invitations/lookup': [404],
  'POST /api/v1/invitations/accept': [404, 409, 429],
};

const ERRORS: Record<number, string> = {
  400: 'Invalid input (`VALIDATION_FAILED`): `details` lists each problem with its path',
  401: 'Not signed in, or the session or API key is not valid (`UNAUTHENTICATED`)',
  403: 'Not allowed: the role, or the API key’s scopes (`FORBIDDEN`)',
  404: 'Not found in this organisation (`NOT_FOUND`)',
  409: 'Conflicts with the current state (`CONFLICT`, or a send refused: `CONSENT_REQUIRED`, `WINDOW_CLOSED`, `MARKETING_STOPPED`, `CAP_REACHED`), or the same `Idempotency-Key` is still being answered',
  413: 'The request body is too large (`PAYLOAD_TOO_LARGE`)',
  415: 'The request body’s `Content-Type` is not one this operation takes (`UNSUPPORTED_MEDIA_TYPE`)',
  422: 'This `Idempotency-Key` was used with a different request (`IDEMPOTENCY_MISMATCH`)',
  429: 'Too many requests (`RATE_LIMITED`): wait `Retry-After` seconds',
};

const errorResponse = (status: number) => ({
  description: ERRORS[status],
  content: { 'application/json': { schema: { $ref: `${REF}Error` } } },
  ...(status === 429
    ? {
        headers: {
          'Retry-After': { type: 'integer', description: 'Seconds to wait before trying again' },
          RateLimit: { type: 'string', description: '`limit=…, remaining=…, reset=…` (seconds)' },
        },
      }
    : {}),
});

/** The errors an operation can answer, from what it takes and who may call it. */
export function errorStatuses(route: {
  method: string;
  url: string;
  access: string | undefined;
  body: boolean;
  query: boolean;
}) {
  const signedIn = route.access !== undefined && route.access !== 'public';
  const ids = /:\w/.test(route.url);
  const post = route.method === 'POST';
  const out = new Set<number>(PUBLIC_ERRORS[`${route.method} ${route.url}`] ?? []);
  // A POST signed in may carry an Idempotency-Key: a malformed one is a 400, one in flight a 409,
  // one used with another request a 422.
  if (route.body || route.query || ids || (signedIn && post)) out.add(400);
  if (signedIn) for (const s of [401, 403, 429]) out.add(s);
  if (ids) out.add(404);
  if (signedIn && route.method !== 'GET') out.add(409);
  if (route.body) for (const s of [413, 415]) out.add(s);
  if (signedIn && post) out.add(422);
  return [...out].sort((a, b) => a - b);
}

/** A name per operation (`getAiKnowledgeById` for `GET /api/v1/ai/knowledge/:id`): clients' method names. */
export function operationIdOf(method: string, url: string) {
  const words = url
    .replace(/^\/api\/v1\//, '')
    .split(/[/.-]+/)
    .filter(Boolean)
    .map((w) => (w.startsWith(':') ? `by_${w.slice(1)}` : w))
    .flatMap((w) => w.split('_'))
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  return `${method.toLowerCase()}${words.join('')}`;
}

const inputs = createJsonSchemaTransform({});
const outputs = createJsonSchemaTransform({ schemaRegistry: names });

/**
 * One route's operation. Security from the route's declared access (auth/access.ts): `public` needs
 * nothing; `authenticated` a session (cookie or bearer token); a permission a session or an API key
 * holding that scope (`x-permission`). A raw upload (`consumes`) gets its body, a download
 * (`produces`) its answer; neither is read or written by a zod schema.
 */
export function documentRoute(args: TransformArgs): Transformed {
  const plain = inputs(args) as Transformed;
  const declared = args.schema as Schema | undefined;
  if (!declared || plain.schema?.hide) return plain;
  const response = declared.response
    ? ((outputs({ ...args, schema: { response: declared.response } } as TransformArgs) as Transformed).schema
        .response as Record<string, Schema>)
    : {};
  const method = [args.route.method].flat()[0] as string;
  const access = (args.route.config as { access?: string } | undefined)?.access;
  const consumes = declared.consumes as string[] | undefined;
  const produces = declared.produces as string[] | undefined;
  const schema: Schema = { ...plain.schema, operationId: operationIdOf(method, args.url) };
  if (consumes && !declared.body) schema.body = { type: 'string', format: 'binary', description: 'The file' };
  if (produces && !Object.keys(response).some((s) => s.startsWith('2'))) {
    const text = produces.every((t) => t.startsWith('text/') || t.endsWith('ndjson'));
    response[200] = {
      description: produces.includes('text/csv')
        ? 'The CSV file'
        : text
          ? 'Lines of JSON, streamed as they are written'
          : 'The file, in its own type (`Content-Type`)',
      type: 'string',
      ...(text ? {} : { format: 'binary' }),
    };
  }
  const statuses = errorStatuses({
    method,
    url: args.url,
    access,
    body: Boolean(schema.body),
    query: Boolean(declared.querystring),
  });
  for (const s of statuses) response[s] ??= errorResponse(s);
  schema.response = response;
  const session = [{ cookie: [] }, { bearer: [] }];
  schema.security =
    access === undefined || access === 'public'
      ? []
      : access === 'authenticated'
        ? session
        : [...session, { apiKey: [] }];
  if (access && access !== 'public' && access !== 'authenticated') schema['x-permission'] = access;
  return { ...plain, schema };
}

/** zod's own output conversion, as fastify-type-provider-zod does it for each route. */
function componentSchemas(): Record<string, Schema> {
  const { schemas } = toJSONSchema(names, {
    target: 'draft-2020-12',
    metadata: names,
    io: 'output',
    unrepresentable: 'any',
    cycles: 'ref',
    reused: 'inline',
    uri: (id) => `${REF}${id}`,
    override: (ctx) => {
      const def = (ctx.zodSchema as $ZodType)._zod.def;
      const json = ctx.jsonSchema as Schema;
      if (def.type === 'union' && Array.isArray(json.anyOf))
        json.anyOf = json.anyOf.filter((s) => Object.keys(s as Schema).length > 0);
      if (def.type === 'date') Object.assign(json, { type: 'string', format: 'date-time' });
      if (def.type === 'undefined') json.type = 'null';
    },
  });
  if (schemas.__shared) throw new Error('A component schema shares an unnamed definition');
  return Object.fromEntries(
    Object.entries(schemas).map(([id, s]) => {
      const { id: _id, $id: _uri, $schema: _s, ...rest } = s as JSONSchema.BaseSchema & Schema;
      return [id, rest];
    }),
  );
}

const refsIn = (value: unknown) =>
  [...JSON.stringify(value).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);

/** Walks every schema object (and everything else) of the document depth first. */
function walk(value: unknown, visit: (node: Schema) => void) {
  if (Array.isArray(value)) for (const v of value) walk(v, visit);
  else if (value && typeof value === 'object') {
    visit(value as Schema);
    for (const v of Object.values(value)) walk(v, visit);
  }
}

const isEmpty = (s: unknown) => !!s && typeof s === 'object' && Object.keys(s).length === 0;

type Parameter = { in: string; name: string; schema?: Schema; content?: unknown };
type Operation = { parameters?: Parameter[]; responses?: Record<string, unknown> };

/**
 * The whole document once built: the named components the operations use (and those they use), an
 * `anyOf` that admits anything (`z.unknown().nullable()`) as the empty schema it means, a query
 * parameter holding objects as the JSON text the server parses, and `Idempotency-Key` where it is
 * honoured.
 */
export function finishDocument(doc: Schema & { paths: Record<string, Record<string, Operation>> }) {
  // Schemas named in zod's global registry (`.meta({ id })`) too, as fastify-type-provider-zod does.
  const named = jsonSchemaTransformObject({ openapiObject: { openapi: '3.1.0', components: {} } } as never);
  const global = (named as { components?: { schemas?: Record<string, Schema> } }).components?.schemas;
  const all = { ...global, ...componentSchemas() };
  const kept: Record<string, Schema> = {};
  const todo = refsIn(doc.paths);
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
    const schema = all[id];
    if (kept[id] || !schema) continue;
    kept[id] = schema;
    todo.push(...refsIn(schema));
  }
  const components = (doc.components ?? {}) as Schema;
  const out = {
    ...doc,
    components: {
      ...components,
      schemas: Object.fromEntries(Object.entries(kept).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
  walk(out, (node) => {
    if (Array.isArray(node.anyOf) && node.anyOf.some(isEmpty)) delete node.anyOf;
  });
  for (const ops of Object.values(out.paths)) {
    for (const op of Object.values(ops)) {
      op.parameters = op.parameters?.map((p) => {
        const s = p.schema;
        const items = s?.items as Schema | undefined;
        if (p.in !== 'query' || !s || !(s.type === 'object' || items?.type === 'object')) return p;
        const { schema, ...rest } = p;
        return { ...rest, content: { 'application/json': { schema } } };
      });
      if (op.responses?.['422']) {
        op.parameters = [
          ...(op.parameters ?? []),
          {
            in: 'header',
            name: 'Idempotency-Key',
            description:
              'Sent again with the same request within 24 hours, answers the first answer again (`Idempotent-Replayed: true`) instead of doing it twice',
            schema: { type: 'string', minLength: 1, maxLength: 255 },
          } as Parameter,
        ];
      }
    }
  }
  return out;
}
