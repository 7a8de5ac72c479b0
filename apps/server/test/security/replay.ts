import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { TestClient } from '../helpers.ts';
import {
  fieldKind,
  fillPath,
  type Operation,
  pathParamKind,
  servedOperations,
  undocumentedRoutes,
} from './openapi.ts';
import { arbitraryFor, type JsonSchema } from './schema-arbitrary.ts';
import type { Drillground, SeededOrg } from './seed.ts';
import { changedTables, snapshotOrg } from './snapshot.ts';

/**
 * Cross-organisation replay: every operation of the served OpenAPI document, called as
 * organisation B's owner with organisation A's ids in its path, and with A's ids in the id fields of
 * B's own requests (its query and body). A leak is an answer of 2xx about A's object, A's data in an
 * answer, or any change to A's rows. Operations are read from the document, so a new route is
 * covered without editing the drill; one that cannot be exercised is listed here with the reason.
 */
export const REPLAY_ALLOW_LIST: Record<string, string> = {};

export interface Finding {
  op: string;
  variant: string;
  method: string;
  url: string;
  body?: unknown;
  status: number;
  why: string;
  answer?: string;
}

export interface ReplayResult {
  operations: number;
  routesTried: number;
  requests: number;
  leaks: Finding[];
  /** Answers of 5xx (each is also a bug, though not a leak). */
  errors: Finding[];
  /** Operations whose every attempt with A's ids was refused as invalid input (400), never reaching a lookup. */
  refusedAsInvalid: string[];
  /** Operations the drill could not call, with why (allow-list or no id of that kind in the seed). */
  skipped: { op: string; reason: string }[];
  /** Routes under /api missing from the OpenAPI document (escaping every generated drill). */
  undocumented: string[];
  statuses: Record<string, number>;
  /** Every request and its answer, abridged (for the report of a finding). */
  trace: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** B's values → A's counterparts: ids kind by kind, and the number's Meta ids. */
function counterparts(a: SeededOrg, b: SeededOrg) {
  const map = new Map<string, string>();
  for (const [kind, bIds] of Object.entries(b.ids)) {
    const aIds = a.ids[kind] ?? [];
    bIds.forEach((id, i) => {
      const aId = aIds[i] ?? aIds[0];
      if (aId) map.set(id, aId);
    });
  }
  map.set(b.spec.phoneNumberId, a.spec.phoneNumberId);
  map.set(b.spec.wabaId, a.spec.wabaId);
  return map;
}

/** Replaces B's ids with A's in a JSON value (only uuids and long Meta ids: short strings are data). */
function swapIds(value: unknown, map: Map<string, string>): unknown {
  if (typeof value === 'string')
    return (UUID.test(value) || /^\d{6,}$/.test(value)) && map.has(value) ? map.get(value) : value;
  if (Array.isArray(value)) return value.map((v) => swapIds(v, map));
  if (value && typeof value === 'object' && !Buffer.isBuffer(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swapIds(v, map)]));
  return value;
}

const containsIdOf = (value: unknown, ids: Set<string>): boolean =>
  typeof value === 'string'
    ? ids.has(value)
    : Array.isArray(value)
      ? value.some((v) => containsIdOf(v, ids))
      : value && typeof value === 'object' && !Buffer.isBuffer(value)
        ? Object.values(value).some((v) => containsIdOf(v, ids))
        : false;

/** The same URL with A's ids in the path replaced by ids of the same shape that exist nowhere. */
function ghostOf(url: string, aIds: Set<string>) {
  const [path, query] = url.split('?') as [string, string | undefined];
  const ghost = path
    .split('/')
    .map((s) => {
      const v = decodeURIComponent(s);
      if (!aIds.has(v)) return s;
      return UUID.test(v) ? randomUUID() : /^\d+$/.test(v) ? '987654321' : s;
    })
    .join('/');
  return query ? `${ghost}?${query}` : ghost;
}

/** A second try at a recorded create whose names are taken in B already (a 409 would hide the check). */
function uniquify(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (['name', 'key', 'shortcut', 'label'].includes(key)) return `${value}x2`;
    if (key === 'email') return value.replace('@', 'x2@');
    if (key === 'phone') return value.replace(/\d$/, '4');
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => uniquify(v, key));
  if (value && typeof value === 'object' && !Buffer.isBuffer(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, uniquify(v, k)]));
  return value;
}

function swapUrl(url: string, map: Map<string, string>) {
  const [path, query] = url.split('?') as [string, string | undefined];
  const p = path
    .split('/')
    .map((s) => map.get(decodeURIComponent(s)) ?? s)
    .join('/');
  if (!query) return p;
  const params = new URLSearchParams(query);
  for (const [k, v] of [...params]) params.set(k, map.get(v) ?? v);
  return `${p}?${params}`;
}

interface Variant {
  name: 'a-path' | 'a-refs' | 'own';
  /** Concrete requests to try in order; the first answer that is not 400 counts. */
  tries: { url: string; body?: unknown; headers?: Record<string, string> }[];
}

const ORDER: Record<string, number> = { GET: 0, POST: 1, PUT: 1, PATCH: 1, DELETE: 2 };

export async function runReplay(
  g: Drillground,
  opts: { tries?: number; seed?: number } = {},
): Promise<ReplayResult> {
  const { t, a, b } = g;
  const tries = opts.tries ?? 12;
  const seed = opts.seed ?? 18;
  const ops = (await servedOperations(t.app)).sort((x, y) => (ORDER[x.method] ?? 1) - (ORDER[y.method] ?? 1));
  const map = counterparts(a, b);
  const bIds = new Set(
    Object.values(b.ids)
      .flat()
      .filter((x) => UUID.test(x) || /^\d{6,}$/.test(x)),
  );
  bIds.add(b.spec.phoneNumberId).add(b.spec.wabaId);
  const markers = a.markers.filter((m) => m.length >= 6);
  const aPathIds = new Set(Object.values(a.ids).flat());
  const result: ReplayResult = {
    operations: ops.length,
    routesTried: 0,
    requests: 0,
    leaks: [],
    errors: [],
    refusedAsInvalid: [],
    skipped: [],
    undocumented: undocumentedRoutes(t.app, ops).filter((r) => r !== 'GET /api/v1/openapi.json'),
    statuses: {},
    trace: [],
  };

  let attacker = new TestClient(t.app, '10.66.0.1');
  await attacker.login(b.ownerEmail, b.ownerPassword);
  /** B signed out, switched organisation or changed password along the way: sign in again as B, in B. */
  async function keepAttacker() {
    const me = await attacker.get('/api/v1/me');
    if (me.statusCode === 200 && me.json().org?.id === b.orgId) return;
    attacker = new TestClient(t.app, '10.66.0.1');
    await attacker.login(b.ownerEmail, b.ownerPassword);
    const again = await attacker.get('/api/v1/me');
    if (again.json().org?.id !== b.orgId) await attacker.post('/api/v1/me/org', { org_id: b.orgId });
  }

  /** A's ids B got accepted once (reported there): B's own lists echo them afterwards. */
  const echoed = new Set<string>();
  const kindOf = new Map(Object.entries(a.ids).flatMap(([k, v]) => v.map((id) => [id, k] as const)));
  let baseline = await snapshotOrg(t.database, a.orgId);

  // Attacks first, then B's own requests without A's ids (they may change B's settings, sign B out
  // or delete B's objects, which the attacks borrow).
  const work: { op: Operation; name: string; variants: Variant[] }[] = [];
  for (const op of ops) {
    const name = `${op.method} ${op.path}`;
    if (REPLAY_ALLOW_LIST[name]) {
      result.skipped.push({ op: name, reason: REPLAY_ALLOW_LIST[name] });
      continue;
    }
    const built = buildVariants(op, g, map, bIds, tries, seed);
    if ('missing' in built) {
      result.skipped.push({ op: name, reason: `no seeded id of kind "${built.missing}" for A (seed one)` });
      continue;
    }
    result.routesTried++;
    work.push({ op, name, variants: built.variants });
  }
  const passes = [
    work.map((w) => ({ ...w, variants: w.variants.filter((v) => v.name !== 'own') })),
    work.map((w) => ({ ...w, variants: w.variants.filter((v) => v.name === 'own') })),
  ];
  for (const { op, name, variants } of passes.flat()) {
    if (!variants.length) continue;
    let allInvalid = true;
    let triedWithA = false;
    for (const v of variants) {
      let res: Awaited<ReturnType<TestClient['request']>> | undefined;
      let used: Variant['tries'][number] | undefined;
      for (const attempt of v.tries) {
        used = attempt;
        res = await attacker.request(op.method as 'GET', attempt.url, attempt.body, attempt.headers ?? {});
        result.requests++;
        result.trace.push(
          `${v.name} ${op.method} ${attempt.url} ${JSON.stringify(attempt.body)?.slice(0, 160)} → ${res.statusCode} ${res.body.slice(0, 160)}`,
        );
        if (res.statusCode !== 400 && res.statusCode !== 409) break;
      }
      if (!res || !used) continue;
      result.statuses[res.statusCode] = (result.statuses[res.statusCode] ?? 0) + 1;
      const finding = (why: string): Finding => ({
        op: name,
        variant: v.name,
        method: op.method,
        url: used!.url,
        ...(used!.body !== undefined ? { body: used!.body } : {}),
        status: res!.statusCode,
        why,
        answer: res!.body.slice(0, 300),
      });
      if (v.name !== 'own') {
        triedWithA = true;
        if (res.statusCode !== 400) allInvalid = false;
      }
      if (res.statusCode >= 500) result.errors.push(finding('server error'));
      else if (v.name === 'a-path' && res.statusCode < 300)
        result.leaks.push(finding("answered 2xx for organisation A's object"));
      else if (v.name === 'a-path') {
        // A's object must be indistinguishable from one that exists nowhere (else its existence leaks).
        const ghost = await attacker.request(
          op.method as 'GET',
          ghostOf(used.url, aPathIds),
          used.body,
          used.headers ?? {},
        );
        result.requests++;
        if (ghost.statusCode !== res.statusCode)
          result.leaks.push(
            finding(
              `existence oracle: ${res.statusCode} for A's object, ${ghost.statusCode} for an id that exists nowhere`,
            ),
          );
      } else if (res.statusCode < 300) {
        const sent = JSON.stringify(used.body ?? '') + used.url;
        // An id B sent and got accepted is reported there; B's own lists echo it afterwards.
        const seen =
          markers.find((m) => res!.body.includes(m) && sent.includes(m)) ??
          markers.find((m) => res!.body.includes(m) && !echoed.has(m));
        if (seen && sent.includes(seen)) {
          result.leaks.push(
            finding(`accepted organisation A's id ${seen} (${kindOf.get(seen) ?? 'id'}) and kept it`),
          );
          echoed.add(seen);
        } else if (seen)
          result.leaks.push(finding(`organisation A's data in the answer: ${JSON.stringify(seen)}`));
      }
      const after = await snapshotOrg(t.database, a.orgId);
      const changed = changedTables(baseline, after);
      if (changed.length) result.leaks.push(finding(`organisation A's rows changed: ${changed.join(', ')}`));
      baseline = after;
      await keepAttacker();
    }
    if (triedWithA && allInvalid) result.refusedAsInvalid.push(name);
  }
  return result;
}

function buildVariants(
  op: Operation,
  g: Drillground,
  map: Map<string, string>,
  bIds: Set<string>,
  tries: number,
  seed: number,
): { variants: Variant[] } | { missing: string } {
  const { a, b } = g;
  const recorded = b.owner.recorded.filter(
    (r) => r.method === op.method && op.matcher.test(r.url.split('?')[0]!),
  );
  const variants: Variant[] = [];
  const known = a.ids;
  const idOf = (org: SeededOrg) => (field: string) => {
    const kind = fieldKind(op, field, known);
    return kind ? org.ids[kind]?.[0] : undefined;
  };
  const pathValues = (org: SeededOrg) => {
    const values: Record<string, string> = {};
    for (const p of op.pathParams) {
      const kind = pathParamKind(op, p.name);
      const id = org.ids[kind]?.[0];
      if (!id) return { missing: kind };
      values[p.name] = id;
    }
    return { values };
  };
  const query = (org: SeededOrg | undefined) => {
    const params = new URLSearchParams();
    for (const q of op.queryParams) {
      const id = org ? idOf(org)(q.name) : undefined;
      if (id) params.set(q.name, id);
      else if (q.required)
        params.set(q.name, String(fc.sample(arbitraryFor(q.schema), { numRuns: 1, seed })[0]));
    }
    const s = params.toString();
    return s ? `?${s}` : '';
  };
  /** Bodies from the schema, half with every id field filled in, half as optional as the schema says. */
  const generated = (org: SeededOrg) => {
    if (!op.body) return [undefined];
    const sample = (forceIds: boolean) =>
      fc.sample(arbitraryFor(op.body as JsonSchema, { idFor: idOf(org), forceIds }), {
        numRuns: Math.ceil(tries / 2),
        seed,
      });
    return sample(true).flatMap((x, i) => [x, sample(false)[i]]);
  };
  const hasIdFields =
    op.queryParams.some((q) => fieldKind(op, q.name, known)) ||
    (op.body ? schemaHasIdField(op, op.body, known) : false);

  if (op.pathParams.length) {
    const aPath = pathValues(a);
    if ('missing' in aPath) return { missing: aPath.missing! };
    // A's object in the path, B's own ids in the body first (so that only the path is foreign), then A's.
    const url = fillPath(op, aPath.values!);
    const tries1 = recorded.length
      ? recorded.flatMap((r) => {
          const q = r.url.includes('?') ? `?${r.url.split('?')[1]}` : '';
          const swapped = swapIds(r.body, map);
          return [
            { url: url + q, body: r.body, headers: r.headers },
            { url: url + swapUrl(`x${q}`, map).slice(1), body: swapped, headers: r.headers },
            { url: url + q, body: uniquify(r.body), headers: r.headers },
          ];
        })
      : [
          ...generated(b).map((body) => ({ url: url + query(b), body })),
          ...generated(a).map((body) => ({ url: url + query(a), body })),
        ];
    variants.push({ name: 'a-path', tries: tries1 });
  }
  const withRefs = recorded.filter((r) => containsIdOf(r.body, bIds) || /[?&][^=]*_?ids?=/.test(r.url));
  if (withRefs.length) {
    // One of B's ids at a time replaced by A's (B's object with A's tag, A's contact with B's tag …), then all.
    for (const r of withRefs) {
      const [path, q] = r.url.split('?') as [string, string | undefined];
      const present = [...bIds].filter((id) => containsIdOf(r.body, new Set([id])) || (q ?? '').includes(id));
      const subsets = [
        ...present.map((id) => new Map([[id, map.get(id)!]])),
        ...(present.length > 1 ? [map] : []),
      ];
      for (const m of subsets) {
        if (![...m.values()].every(Boolean)) continue;
        const url = q ? `${path}?${swapUrl(`x?${q}`, m).split('?')[1]}` : path;
        const body = swapIds(r.body, m);
        variants.push({
          name: 'a-refs',
          tries: [
            { url, body, headers: r.headers },
            { url, body: uniquify(body), headers: r.headers },
          ],
        });
      }
    }
  } else if (hasIdFields) {
    const bPath = pathValues(b);
    if ('missing' in bPath) return { missing: bPath.missing! };
    variants.push({
      name: 'a-refs',
      tries: generated(a).map((body) => ({ url: fillPath(op, bPath.values!) + query(a), body })),
    });
  }
  if (!op.pathParams.length && !hasIdFields) {
    variants.push({
      name: 'own',
      tries: recorded.length
        ? recorded.map((r) => ({ url: r.url, body: r.body, headers: r.headers }))
        : generated(b).map((body) => ({ url: op.path + query(undefined), body })),
    });
  }
  return { variants };
}

function schemaHasIdField(op: Operation, s: JsonSchema, known: Record<string, string[]>, depth = 0): boolean {
  if (depth > 6) return false;
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    if (fieldKind(op, k, known)) return true;
    if (schemaHasIdField(op, v, known, depth + 1)) return true;
  }
  for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])])
    if (schemaHasIdField(op, alt, known, depth + 1)) return true;
  return s.items ? schemaHasIdField(op, s.items, known, depth + 1) : false;
}
