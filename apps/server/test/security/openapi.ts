import type { FastifyInstance } from 'fastify';
import type { JsonSchema } from './schema-arbitrary.ts';

/** One operation of the served OpenAPI document. */
export interface Operation {
  method: string;
  /** OpenAPI template, e.g. `/api/v1/contacts/{id}`. */
  path: string;
  pathParams: { name: string; schema: JsonSchema }[];
  queryParams: { name: string; schema: JsonSchema; required: boolean }[];
  /** The JSON body's schema (undefined: no JSON body). */
  body?: JsonSchema;
  /** The route takes a body that is not JSON (file uploads). */
  rawBody: boolean;
  /** Matches a concrete URL path of this operation. */
  matcher: RegExp;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string; required?: boolean; schema?: JsonSchema }[];
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
      }
    >
  >;
}

/** Reads the document the running app serves (never a hard-coded route list). */
export async function servedOperations(app: FastifyInstance): Promise<Operation[]> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  if (res.statusCode !== 200) throw new Error(`openapi.json answered ${res.statusCode}`);
  const doc = res.json() as OpenApiDoc;
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params
          .filter((p) => p.in === 'path')
          .map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        queryParams: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema ?? {}, required: Boolean(p.required) })),
        body: content['application/json']?.schema,
        rawBody: Object.keys(content).some((c) => c !== 'application/json'),
        matcher: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/?]+')}(\\?.*)?$`),
      });
    }
  }
  return ops;
}

/** Routes the app serves under /api that the document does not describe (a hidden route escapes every drill). */
export function undocumentedRoutes(app: FastifyInstance, ops: Operation[]) {
  const documented = new Set(ops.map((o) => `${o.method} ${o.path.replace(/\{([^}]+)\}/g, ':$1')}`));
  return app.accessTable
    .filter((r) => r.url.startsWith('/api/') && !documented.has(`${r.method} ${r.url}`))
    .map((r) => `${r.method} ${r.url}`);
}

const ALIASES: Record<string, string> = {
  user: 'members',
  users: 'members',
  userId: 'members',
  assignee: 'members',
  actor: 'members',
  member: 'members',
  author: 'members',
  messageId: 'messages',
  reply_to: 'messages',
  queue: 'job-queues',
  file: 'audience-files',
  org: 'orgs',
  entity: 'contacts',
  number: 'numbers',
  waba: 'wabas',
};

/**
 * What kind of object a path parameter names: its own name when that says (`userId`, `messageId`,
 * `queue`), else the path segment before it (`/contacts/{id}` → contacts, `/contacts/imports/{id}`
 * → imports, `/me/sessions/{id}` → sessions, `/jobs/{queue}/{id}` → jobs).
 */
export function pathParamKind(op: Operation, name: string): string {
  if (ALIASES[name]) return ALIASES[name];
  const segs = op.path.split('/');
  const at = segs.indexOf(`{${name}}`);
  for (let i = at - 1; i >= 0; i--) if (!segs[i]!.startsWith('{')) return segs[i]!;
  return name;
}

/** The resource an operation is about: the first segment after /api/v1. */
export const resourceOf = (op: Operation) => op.path.split('/')[3] ?? '';

/**
 * What kind of object an id-looking body or query field names (`number_id` → numbers, `tag_ids` →
 * tags, `assignee_id` → members, `ids` → the route's own resource); undefined for other fields.
 */
export function fieldKind(op: Operation, field: string, known: Record<string, string[]>): string | undefined {
  const m = /^(.*?)_?ids?$/.exec(field);
  if (!m || field === 'id' || !/(^|_)ids?$/.test(field)) return field === 'reply_to' ? 'messages' : undefined;
  const stem = m[1] ?? '';
  if (!stem) return resourceOf(op) in known ? resourceOf(op) : 'contacts';
  if (ALIASES[stem]) return ALIASES[stem];
  for (const k of [`${stem}s`, stem, `${stem.replaceAll('_', '-')}s`]) if (k in known) return k;
  return undefined;
}

/** Fills an OpenAPI path template (a lone surrogate, which no URL can hold, becomes U+FFFD). */
export const fillPath = (op: Operation, values: Record<string, string>) =>
  op.path.replace(/\{([^}]+)\}/g, (_, n: string) => encodeURIComponent(wellFormed(values[n] ?? '')));

const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
