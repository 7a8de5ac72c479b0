import type { Simulator } from '@openwaba/simulator';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, OWNER, type TestApp } from '../test/helpers.ts';
import { ORG_A, type SeededOrg, seedOrg, startDrillSimulator } from '../test/security/seed.ts';
import { RAW_BODY_ROUTES } from './lib/guards.ts';

/**
 * The served OpenAPI document is good enough to generate a client from: it lints clean with
 * Redocly's recommended rules, openapi-typescript turns it into types a client compiles against,
 * and what the server really answers matches what it says.
 */

type Schema = Record<string, unknown>;
type Parameter = { in: string; name: string; required?: boolean; schema?: Schema; content?: Schema };
type Op = {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Op>>;
  components: { schemas: Record<string, Schema> };
};

let t: TestApp;
let sim: Simulator;
let seeded: SeededOrg;
let doc: Doc;
let text: string;
beforeAll(async () => {
  sim = await startDrillSimulator();
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  // One of everything, through the API: every list has something in it.
  seeded = await seedOrg(t, sim, ORG_A, { orgId: t.orgId, email: OWNER.email, password: OWNER.password });
  const res = await t.client().get('/api/v1/openapi.json');
  text = res.body;
  doc = res.json() as Doc;
}, 120_000);
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

/** Public routes that take nothing and check nothing: they only ever answer 200. */
const ONLY_200 = new Set(['/api/v1/auth/session', '/api/v1/version']);

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method, op })),
  );

/** Ajv on the document's own dialect (OpenAPI 3.1: JSON Schema 2020-12), its components as `$defs`. */
function validatorOf() {
  expect(doc.openapi).toMatch(/^3\.1\./);
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addFormat('binary', true);
  const rewrite = (s: unknown) =>
    JSON.parse(JSON.stringify(s).replaceAll('"#/components/schemas/', '"openapi.json#/$defs/')) as Schema;
  ajv.addSchema({ $id: 'openapi.json', $defs: rewrite(doc.components.schemas) });
  return (schema: Schema) => ajv.compile(rewrite(schema));
}

describe('the OpenAPI document', () => {
  it('lints with Redocly’s recommended rules without an error', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: text, absoluteRef: 'openapi.json', config });
    const errors = problems.filter((p) => p.severity === 'error');
    expect(errors.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
    // What is left, on purpose: the test server's URL is localhost; `/contacts/{id}/campaigns` and
    // `/contacts/imports/{id}` are both real; four operations only ever answer 200 (or 503).
    const warnings = problems
      .filter((p) => p.severity === 'warn')
      .map((p) => `${p.ruleId} ${p.location[0]?.pointer}`);
    expect(warnings.sort()).toEqual([
      'no-ambiguous-paths #/paths/~1api~1v1~1contacts~1imports~1{id}',
      'no-server-example.com #/servers/0/url',
      'operation-4xx-response #/paths/~1api~1v1~1auth~1session/get/responses',
      'operation-4xx-response #/paths/~1api~1v1~1version/get/responses',
      'operation-4xx-response #/paths/~1healthz/get/responses',
      'operation-4xx-response #/paths/~1readyz/get/responses',
    ]);
  }, 60_000);

  it('says what may be null with the null type (OpenAPI 3.1), never `nullable`', () => {
    expect(text).not.toContain('"nullable"');
    const consent = validatorOf()(doc.components.schemas.ConsentSummary!);
    expect(consent({ state: 'unknown', source: null, at: null })).toBe(true);
    expect(consent({ state: 'opted_in', source: 'api', at: '2026-12-06T07:00:00.000Z' })).toBe(true);
    expect(consent({ state: 'opted_in', source: 'fax', at: null })).toBe(false);
  });

  it('says for each operation which errors it answers, all in the one Error shape', () => {
    const validate = validatorOf()(doc.components.schemas.Error!);
    expect(validate({ error: { code: 'NOT_FOUND', message: 'Contact not found' } })).toBe(true);
    expect(validate({ error: { code: 'NOPE', message: 'x' } })).toBe(false);
    for (const { path, method, op } of operations()) {
      if (!path.startsWith('/api/')) continue;
      const errors = Object.keys(op.responses).filter((s) => s.startsWith('4'));
      expect(errors.length, `${method} ${path}`).toBeGreaterThan(ONLY_200.has(path) ? -1 : 0);
      for (const s of errors)
        expect(op.responses[s]!.content!['application/json']!.schema, `${method} ${path} ${s}`).toEqual({
          $ref: '#/components/schemas/Error',
        });
      const signedIn = (op as { security?: unknown[] }).security?.length;
      if (signedIn)
        expect(errors, `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403', '429']));
      if (path.includes('{')) expect(errors, `${method} ${path}`).toContain('404');
      if (signedIn && method === 'post') expect(errors, `${method} ${path}`).toContain('422');
      if (op.requestBody) expect(errors, `${method} ${path}`).toEqual(expect.arrayContaining(['413', '415']));
    }
    expect(doc.paths['/api/v1/contacts']!.post!.responses['422']).toBeDefined();
  });

  it('describes the raw uploads with the types the server takes, and the downloads with what it sends', async () => {
    for (const route of RAW_BODY_ROUTES) {
      const [method, url] = route.split(' ') as [string, string];
      if (!url.startsWith('/api/')) continue;
      const op = doc.paths[url.replace(/:(\w+)/g, '{$1}')]![method.toLowerCase()]!;
      const types = Object.keys(op.requestBody?.content ?? {});
      expect(types.length, route).toBeGreaterThan(0);
      expect(types, route).not.toContain('application/json');
    }
    // A file sent as the document says is taken, and the answer is what it says.
    const imports = doc.paths['/api/v1/contacts/imports']!.post!;
    expect(Object.keys(imports.requestBody!.content)).toContain('text/csv');
    const csv = 'phone\n+15550100999\n';
    const headers = { 'content-type': 'text/csv' };
    const upload = await seeded.owner.request(
      'POST',
      '/api/v1/contacts/imports?filename=doc.csv',
      csv,
      headers,
    );
    expect(upload.statusCode, upload.body).toBe(201);
    const uploaded = validatorOf()(imports.responses['201']!.content!['application/json']!.schema);
    expect(uploaded(upload.json())).toBe(true);
    // Every download answers the type the document gives it.
    const owner = seeded.owner;
    const campaign = seeded.ids.campaigns![0]!;
    const downloads = operations().filter(
      ({ method, op }) => method === 'get' && !op.responses['200']?.content?.['application/json'],
    );
    expect(downloads.map((d) => d.path).sort()).toEqual([
      '/api/v1/ai/calls.csv',
      '/api/v1/audit.csv',
      '/api/v1/campaigns/{id}/export.csv',
      '/api/v1/contacts/export',
      '/api/v1/contacts/imports/{id}/rejects.csv',
      '/api/v1/messages/{id}/media',
      '/api/v1/reports/agents.csv',
      '/api/v1/reports/campaigns.csv',
      '/api/v1/reports/numbers.csv',
      '/api/v1/reports/overview.csv',
      '/api/v1/reports/spend.csv',
      '/api/v1/reports/templates.csv',
    ]);
    const range = `from=${new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10)}&to=${new Date().toISOString().slice(0, 10)}`;
    const csvs = ['/api/v1/ai/calls.csv', '/api/v1/audit.csv', '/api/v1/contacts/export'].map((u) => [u, u]);
    for (const kind of ['agents', 'campaigns', 'numbers', 'overview', 'spend', 'templates'])
      csvs.push([`/api/v1/reports/${kind}.csv`, `/api/v1/reports/${kind}.csv?${range}`]);
    for (const [path, url] of csvs as [string, string][]) {
      const res = await owner.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/csv/);
      expect(Object.keys(doc.paths[path]!.get!.responses['200']!.content!)).toEqual(['text/csv']);
    }
    const report = await owner.get(`/api/v1/campaigns/${campaign}/export.csv`);
    expect(report.headers['content-type']).toMatch(/^text\/csv/);
  });

  it('documents the contacts `fields` filter as the JSON text the server reads', async () => {
    const param = doc.paths['/api/v1/contacts']!.get!.parameters!.find((p) => p.name === 'fields')!;
    expect(param.schema).toBeUndefined();
    const schema = (param.content as Record<string, { schema: Schema }>)['application/json']!.schema;
    const conditions = [{ key: 'name', op: 'is_set' }];
    expect(validatorOf()(schema)(conditions)).toBe(true);
    const res = await seeded.owner.get(
      `/api/v1/contacts?fields=${encodeURIComponent(JSON.stringify(conditions))}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    // `tag_ids` is an array in the default style (the key repeated), and the server reads it so.
    const tag = seeded.ids.tags![0]!;
    const other = '00000000-0000-4000-8000-000000000001';
    const repeated = await seeded.owner.get(`/api/v1/contacts?tag_ids=${tag}&tag_ids=${other}`);
    expect(repeated.statusCode, repeated.body).toBe(200);
    expect(repeated.json().data.length).toBeGreaterThan(0);
    const both = await seeded.owner.get(`/api/v1/contacts?tag_ids=${tag}&tag_ids=${other}&tag_match=all`);
    expect(both.json().data).toEqual([]);
  });

  it('gives the shared shapes names, and openapi-typescript makes types a client compiles against', async () => {
    const names = ['Contact', 'ContactPage', 'Conversation', 'ConversationPage', 'Message', 'MessagePage'];
    names.push('Campaign', 'CampaignList', 'Template', 'TemplateList', 'ApiKey', 'ApiKeyList', 'Error');
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(names));
    const types = astToString(await openapiTS(doc as unknown as Parameters<typeof openapiTS>[0]));
    const ids = operations().map(({ op }) => op.operationId);
    // The generated types and a client using them, as one module.
    const client = `${types}
      type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
      type ContactPage = Json<paths['/api/v1/contacts']['get']['responses']['200']>;
      export const page: ContactPage = { data: [], next_cursor: null, total: null };
      export const same: components['schemas']['ContactPage'] = page;
      export const firstName = (p: ContactPage): string | null => p.data[0]?.name ?? null;
      type List = operations['getContacts'];
      export const query: NonNullable<List['parameters']['query']> = { limit: 10, tag_match: 'all' };
      export const notFound: Json<operations['getContactsById']['responses']['404']> = {
        error: { code: 'NOT_FOUND', message: 'Contact not found' },
      };
      export const csv: paths['/api/v1/contacts/export']['get']['responses']['200']['content']['text/csv'] = 'phone\\n';
      type Upload = NonNullable<operations['postContactsImports']['requestBody']>['content'];
      export const upload: Upload['text/csv'] = 'phone\\n';
      export const sent: components['schemas']['SentMessage']['message_id'] = 'x';
      // @ts-expect-error: not an error code
      export const wrong: components['schemas']['Error']['error']['code'] = 'OOPS';
      export const every: (keyof operations)[] = ${JSON.stringify(ids)};
      export type Named = [${names.map((n) => `components['schemas']['${n}']`).join(', ')}];
    `;
    const files: Record<string, string> = { '/gen/client.ts': client };
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'],
      types: [],
      skipLibCheck: true,
    };
    const host = ts.createCompilerHost(options);
    const original = {
      getSourceFile: host.getSourceFile,
      fileExists: host.fileExists,
      readFile: host.readFile,
    };
    host.getSourceFile = (name, lang, ...rest) =>
      files[name] !== undefined
        ? ts.createSourceFile(name, files[name]!, lang)
        : original.getSourceFile(name, lang, ...rest);
    host.fileExists = (name) => files[name] !== undefined || original.fileExists(name);
    host.readFile = (name) => files[name] ?? original.readFile(name);
    const program = ts.createProgram(['/gen/client.ts'], options, host);
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(diagnostics).toEqual([]);
    expect(ids.length).toBeGreaterThan(150);
  }, 60_000);

  it('describes what every list route really answers (Ajv, JSON Schema 2020-12)', async () => {
    const compile = validatorOf();
    const checked: string[] = [];
    // What the routes that need a query parameter are asked.
    const required: Record<string, string> = {
      since: '0',
      from: new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10),
      to: new Date().toISOString().slice(0, 10),
      q: 'order',
    };
    for (const { path, method, op } of operations()) {
      const schema = op.responses['200']?.content?.['application/json']?.schema;
      if (method !== 'get' || path.includes('{') || !schema) continue;
      const query = new URLSearchParams();
      for (const p of op.parameters ?? []) if (p.required) query.set(p.name, required[p.name]!);
      const res = await seeded.owner.get(query.size ? `${path}?${query}` : path);
      expect(res.statusCode, `${path}: ${res.body.slice(0, 300)}`).toBe(200);
      const validate = compile(schema);
      const body = res.json();
      expect(validate(body) ? [] : validate.errors, path).toEqual([]);
      checked.push(path);
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        '/api/v1/contacts',
        '/api/v1/conversations',
        '/api/v1/campaigns',
        '/api/v1/templates',
        '/api/v1/version',
      ]),
    );
    expect(checked.length).toBeGreaterThan(40);
    // The schemas are strict enough to notice: a contact without its address, or with a stray field.
    const page = compile({ $ref: '#/components/schemas/ContactPage' });
    const contacts = (await seeded.owner.get('/api/v1/contacts')).json();
    expect(contacts.data.length).toBeGreaterThan(0);
    expect(page(contacts)).toBe(true);
    const { wa_id: _gone, ...rest } = contacts.data[0];
    expect(page({ ...contacts, data: [rest] })).toBe(false);
    expect(page({ ...contacts, data: [{ ...contacts.data[0], extra: 1 }] })).toBe(false);
    // Errors too: the 404 of an unknown contact and the 422 of a reused Idempotency-Key.
    const error = compile({ $ref: '#/components/schemas/Error' });
    const missing = await seeded.owner.get('/api/v1/contacts/00000000-0000-4000-8000-000000000000');
    expect(missing.statusCode).toBe(404);
    expect(error(missing.json())).toBe(true);
    const key = { 'idempotency-key': 'openapi-doc-1' };
    expect((await seeded.owner.request('POST', '/api/v1/tags', { name: 'Doc one' }, key)).statusCode).toBe(
      201,
    );
    const reused = await seeded.owner.request('POST', '/api/v1/tags', { name: 'Doc two' }, key);
    expect(reused.statusCode).toBe(422);
    expect(error(reused.json())).toBe(true);
  }, 120_000);
});
