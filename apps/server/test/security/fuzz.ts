import { createHmac } from 'node:crypto';
import { escapeNonAscii, INBOUND_KINDS, OTHER_KINDS } from '@openwaba/simulator';
import fc from 'fast-check';
import { buildXlsx, sheetRowsXml, worksheetXml } from '../fixtures/import/make-files.ts';
import type { TestClient } from '../helpers.ts';
import { fillPath, type Operation, pathParamKind, servedOperations } from './openapi.ts';
import {
  arbitraryFor,
  HOSTILE_STRINGS,
  hostileString,
  hostileValue,
  type JsonSchema,
} from './schema-arbitrary.ts';
import { type Drillground, envelopeOf, signInAs } from './seed.ts';

/**
 * Fuzzing through the public seams: every JSON route's body and query generated from its own schema
 * in the served OpenAPI document (valid shapes with hostile values mixed in at every level, plus
 * mutations of the requests the seed made), the signed Meta webhook (every change kind, mutated), and
 * the contact import reader (malformed CSV and XLSX bytes). An answer of 500 or a crash (an injected
 * request that throws, an unhandled rejection) is a finding; memory is read before and after.
 */
export interface ServerError {
  where: string;
  input: string;
  status: number;
  answer: string;
}
export interface FuzzResult {
  requests: number;
  errors500: ServerError[];
  crashes: string[];
  /** Signed webhook bodies stored but failing processing (each failed event is retried and fails again). */
  webhookFailures: { input: string; error: string }[];
  webhooks: number;
  webhookStatuses: Record<string, number>;
  imports: number;
  rssBeforeMb: number;
  rssAfterMb: number;
}

/** Routes whose fuzzing would lock the fuzzing account itself out: fuzzed last. */
const LAST = new Set(['POST /api/v1/me/password', 'POST /api/v1/auth/logout']);

const abridge = (v: unknown) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 400 ? `${s.slice(0, 400)}… (${s.length} chars)` : s;
};
const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);

export async function runFuzz(
  g: Drillground,
  opts: { perRoute?: number; webhooks?: number; imports?: number; seed?: number } = {},
): Promise<FuzzResult> {
  const perRoute = opts.perRoute ?? 6;
  const seed = opts.seed ?? 1818;
  const result: FuzzResult = {
    requests: 0,
    errors500: [],
    crashes: [],
    webhookFailures: [],
    webhooks: 0,
    webhookStatuses: {},
    imports: 0,
    rssBeforeMb: rssMb(),
    rssAfterMb: 0,
  };
  const onCrash = (err: unknown) => result.crashes.push(abridge(String((err as Error)?.stack ?? err)));
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  try {
    // Routes last: their fuzz may change B's number (its app secret) and settings.
    await fuzzWebhooks(g, result, opts.webhooks ?? 120, seed);
    await fuzzImports(g, result, opts.imports ?? 40, seed);
    await fuzzRoutes(g, result, perRoute, seed);
  } finally {
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtException', onCrash);
  }
  (globalThis as { gc?: () => void }).gc?.();
  result.rssAfterMb = rssMb();
  return result;
}

async function fuzzRoutes(g: Drillground, result: FuzzResult, perRoute: number, seed: number) {
  const { b } = g;
  const ops = (await servedOperations(g.t.app)).sort(
    (x, y) => Number(LAST.has(`${x.method} ${x.path}`)) - Number(LAST.has(`${y.method} ${y.path}`)),
  );
  let client = await signInAs(g, b, '10.55.0.1');
  const send = async (op: Operation, url: string, body: unknown) => {
    result.requests++;
    let res: Awaited<ReturnType<TestClient['request']>>;
    try {
      res = await client.request(op.method as 'POST', url, body);
    } catch (err) {
      result.crashes.push(`${op.method} ${url} ${abridge(body)}: ${String(err)}`);
      return;
    }
    if (res.statusCode >= 500)
      result.errors500.push({
        where: `${op.method} ${op.path}`,
        input: `${url} ${abridge(body)}`,
        status: res.statusCode,
        answer: res.body.slice(0, 300),
      });
    if (res.statusCode === 401 && !op.path.startsWith('/api/v1/auth/'))
      client = await signInAs(g, b, '10.55.0.1');
  };

  for (const op of ops) {
    const bodyArb = op.body ? arbitraryFor(op.body as JsonSchema, { hostile: true }) : fc.constant(undefined);
    const queryArb = fc.record(
      Object.fromEntries(op.queryParams.map((q) => [q.name, arbitraryFor(q.schema, { hostile: true })])),
      { requiredKeys: [] },
    );
    // B's own objects in the path most of the time (handlers run to the end), hostile strings otherwise;
    // never B's real ids in a DELETE (the rest of the fuzz needs them).
    const pathArb = fc.oneof(
      ...(op.method === 'DELETE' ? [] : [fc.constant(undefined)]),
      fc.dictionary(fc.constantFrom(...op.pathParams.map((p) => p.name), 'x'), hostileString(), {
        maxKeys: 3,
      }),
    );
    const samples = fc.sample(fc.tuple(pathArb, queryArb, bodyArb), { numRuns: perRoute, seed });
    for (const [hostilePath, query, body] of samples) {
      const values: Record<string, string> = {};
      for (const p of op.pathParams) {
        const own = b.ids[pathParamKind(op, p.name)]?.[0] ?? 'x';
        values[p.name] = hostilePath && p.name in hostilePath ? String(hostilePath[p.name]) : own;
      }
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query as Record<string, unknown>))
        qs.set(k, typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
      const url = fillPath(op, values) + (qs.size ? `?${qs}` : '');
      await send(op, url, op.body ? body : undefined);
    }
  }

  // Mutations of the requests the seed made (valid bodies with one to three values made hostile).
  const recorded = b.owner.recorded.filter(
    (r) => r.body && typeof r.body === 'object' && !Buffer.isBuffer(r.body),
  );
  const opOf = (url: string, method: string) =>
    ops.find((o) => o.method === method && o.matcher.test(url.split('?')[0]!));
  for (const [i, r] of recorded.entries()) {
    const op = opOf(r.url, r.method);
    if (!op || LAST.has(`${op.method} ${op.path}`)) continue;
    for (const body of fc.sample(mutationOf(r.body), {
      numRuns: Math.max(2, Math.ceil(perRoute / 2)),
      seed: seed + i,
    }))
      await send(op, r.url, body);
  }
}

/** A JSON value with one to three of its values replaced by hostile ones, or removed, or doubled up. */
export function mutationOf(value: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v)) for (const [i, x] of v.entries()) walk(x, [...path, i]);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(value, []);
  const edit = fc.tuple(fc.nat(), fc.constantFrom('replace', 'delete', 'wrap'), hostileValue());
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    let out = structuredClone(value);
    for (const [at, how, hostile] of edits) {
      const path = paths[at % paths.length]!;
      if (!path.length) {
        out = how === 'wrap' ? [out] : hostile;
        continue;
      }
      const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], out) as
        | Record<string | number, unknown>
        | undefined;
      if (!parent || typeof parent !== 'object') continue;
      const key = path.at(-1)!;
      if (how === 'delete' && !Array.isArray(parent)) delete parent[key];
      else if (how === 'wrap') parent[key] = [parent[key], hostile];
      else parent[key] = hostile;
    }
    return out;
  });
}

async function fuzzWebhooks(g: Drillground, result: FuzzResult, n: number, seed: number) {
  const { t, sim, b } = g;
  const target = { phone_number_id: b.spec.phoneNumberId, wa_id: b.customers[0]! };
  const kinds = [...Object.keys(INBOUND_KINDS), ...Object.keys(OTHER_KINDS)];
  const raw = fc.oneof(
    fc.constantFrom(
      '',
      '{',
      '[]',
      'null',
      '{"object":"whatsapp_business_account","entry":null}',
      '{"entry":[{"changes":[{}]}]}',
    ),
    fc.constant(`${'['.repeat(5000)}${']'.repeat(5000)}`),
    fc.string({ unit: 'binary', maxLength: 200 }),
  );
  // First every hostile string as a customer's text and as their profile name, then random mutations.
  const targeted = HOSTILE_STRINGS.flatMap((text) => [
    { text: text || 'x', name: 'Fuzz' },
    { text: 'hello', name: text },
  ]);
  for (let i = 0; i < n + targeted.length; i++) {
    const kind = kinds[i % kinds.length]!;
    let body: string;
    const aimed = targeted[i - n];
    if (aimed) {
      const change = sim.customerSend(b.spec.phoneNumberId, target.wa_id, 'text', aimed)!.change;
      body = escapeNonAscii(JSON.stringify(envelopeOf(b.spec.wabaId, change)));
    } else if (i % 10 === 9) body = fc.sample(raw, { numRuns: 1, seed: seed + i })[0]!;
    else {
      const change =
        kind in INBOUND_KINDS
          ? sim.customerSend(b.spec.phoneNumberId, target.wa_id, kind, {})?.change
          : sim.emitEvent(kind, target, {});
      const envelope = envelopeOf(b.spec.wabaId, change ?? { field: kind, value: {} });
      body = escapeNonAscii(
        JSON.stringify(fc.sample(mutationOf(envelope), { numRuns: 1, seed: seed + i })[0]),
      );
    }
    // Signed as Meta signs: the HMAC of the exact bytes (raw ones too, so they get past the signature check).
    const signed = {
      body,
      signature: `sha256=${createHmac('sha256', b.spec.appSecret).update(body).digest('hex')}`,
    };
    result.webhooks++;
    result.requests++;
    const before = await lastEventId(g);
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      payload: signed.body,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signed.signature },
    });
    result.webhookStatuses[res.statusCode] = (result.webhookStatuses[res.statusCode] ?? 0) + 1;
    if (res.statusCode >= 500)
      result.errors500.push({
        where: 'POST /webhooks/whatsapp',
        input: abridge(body),
        status: res.statusCode,
        answer: res.body.slice(0, 300),
      });
    const id = await lastEventId(g);
    if (id === before) continue;
    try {
      await t.app.services.inbound.processEvent(id);
    } catch (err) {
      // The database's own words (a query error's cause) say more than the failed SQL.
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      const message = String((err as Error).message)
        .split('\n')[0]!
        .slice(0, 120);
      result.webhookFailures.push({ input: abridge(body), error: cause ? `${message} — ${cause}` : message });
    }
  }
}

async function lastEventId(g: Drillground) {
  const [row] = await g.t.database.query<{ id: string | null }>('select max(id) as id from webhook_events');
  return Number(row?.id ?? 0);
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

async function fuzzImports(g: Drillground, result: FuzzResult, n: number, seed: number) {
  const client = await signInAs(g, g.b, '10.56.0.1');
  const cell = fc.oneof(
    hostileString(),
    fc.constantFrom('+12025550123', '=HYPERLINK("http://x")', '"', '""', '\r\n', ','),
  );
  const csv = fc
    .array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 })
    .map((rows) => ['Phone,Name', ...rows.map((r) => r.join(','))].join('\n'));
  const flip = (bytes: Buffer) =>
    fc
      .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
      .map((edits) => {
        const out = Buffer.from(bytes);
        for (const [at, v] of edits) out[at % out.length] = v;
        return out;
      });
  const valid = buildXlsx();
  const files = fc.oneof(
    csv.map((s) => ({ type: 'text/csv', data: Buffer.from(s) })),
    fc.uint8Array({ maxLength: 4096 }).map((u) => ({ type: 'text/csv', data: Buffer.from(u) })),
    fc.uint8Array({ maxLength: 4096 }).map((u) => ({ type: XLSX, data: Buffer.from(u) })),
    flip(valid).map((data) => ({ type: XLSX, data })),
    fc.nat({ max: valid.length }).map((cut) => ({ type: XLSX, data: valid.subarray(0, cut) })),
    fc
      .array(
        fc.array(fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s.length < 1000)), {
          minLength: 1,
          maxLength: 3,
        }),
        {
          minLength: 1,
          maxLength: 4,
        },
      )
      .map((rows) => ({
        type: XLSX,
        data: buildXlsx({
          sheet: worksheetXml(sheetRowsXml(rows.map((r) => r.map((s) => s.replace(/[<&]/g, ''))))),
        }),
      })),
  );
  for (const [i, file] of fc.sample(files, { numRuns: n, seed }).entries()) {
    const route = i % 3 === 2 ? '/api/v1/campaigns/audience-files' : '/api/v1/contacts/imports';
    const name = file.type === XLSX ? 'fuzz.xlsx' : 'fuzz.csv';
    result.imports++;
    result.requests++;
    const up = await client.request('POST', `${route}?filename=${name}`, file.data, {
      'content-type': file.type,
    });
    if (up.statusCode >= 500)
      result.errors500.push({
        where: `POST ${route}`,
        input: `${file.type} ${file.data.length} bytes: ${file.data.toString('base64').slice(0, 200)}`,
        status: up.statusCode,
        answer: up.body.slice(0, 300),
      });
    if (up.statusCode !== 201 || route !== '/api/v1/contacts/imports') continue;
    const headers = up.json().headers as string[];
    result.requests++;
    const prev = await client.post(`/api/v1/contacts/imports/${up.json().id}/preview`, {
      mapping: { phone: headers[0] ?? 'Phone' },
    });
    if (prev.statusCode >= 500)
      result.errors500.push({
        where: 'POST /api/v1/contacts/imports/{id}/preview',
        input: `${file.type} ${file.data.toString('base64').slice(0, 200)}`,
        status: prev.statusCode,
        answer: prev.body.slice(0, 300),
      });
  }
}
