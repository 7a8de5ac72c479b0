import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test/helpers.ts';
import { operationIdOf } from './openapi-document.ts';

/** The served OpenAPI document names each operation and says who may call it, from the routes. */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

type Op = { operationId?: string; security?: Record<string, string[]>[]; 'x-permission'?: string };

describe('the OpenAPI document', () => {
  it('gives every operation a unique operationId and its security from the declared access', async () => {
    const doc = (await t.client().get('/api/v1/openapi.json')).json() as {
      paths: Record<string, Record<string, Op>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'bearer', 'cookie']);
    const ids = new Set<string>();
    let n = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const [method, op] of Object.entries(ops)) {
        n++;
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z]+[A-Za-z0-9]*$/);
        expect(ids.has(op.operationId!), `${op.operationId} twice`).toBe(false);
        ids.add(op.operationId!);
        const route = t.app.accessTable.find(
          (r) => r.method === method.toUpperCase() && r.url.replace(/:(\w+)/g, '{$1}') === path,
        );
        expect(route, `${method} ${path} in the access table`).toBeDefined();
        const schemes = (op.security ?? []).flatMap((s) => Object.keys(s)).sort();
        if (route!.access === 'public') expect(op.security).toEqual([]);
        else if (route!.access === 'authenticated') expect(schemes).toEqual(['bearer', 'cookie']);
        else {
          expect(schemes).toEqual(['apiKey', 'bearer', 'cookie']);
          expect(op['x-permission']).toBe(route!.access);
        }
      }
    }
    expect(n).toBeGreaterThan(150);
    expect(operationIdOf('GET', '/api/v1/ai/knowledge/:id')).toBe('getAiKnowledgeById');
    expect(operationIdOf('POST', '/api/v1/conversations/:id/ai/take-over')).toBe(
      'postConversationsByIdAiTakeOver',
    );
  });
});
