import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Simulator } from '@openwaba/simulator';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../../test/helpers/connect-number.ts';
import { metaEnvelope } from '../../../test/helpers/meta-fixtures.ts';
import { until } from '../../../test/helpers/until.ts';
import { deliverWebhook } from '../../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../../test/helpers.ts';
import { queryRows, transaction } from '../../db/tx.ts';
import { createServices } from '../../services.ts';
import type { InboundForFlows } from '../flow-control.ts';

const WABA = '8600001';
const NUM = {
  phone_number_id: '8600101',
  waba_id: WABA,
  display_phone_number: '+1 555 086 0101',
  access_token: 'tok-flows-1',
  throughput_mps: 80,
};
const SECRET = 'flows-secret';
const phone = (n: number) => `1202556${String(3000 + n).padStart(4, '0')}`;
const pos = { x: 0, y: 0 };
// biome-ignore lint/suspicious/noExplicitAny: test graphs are plain JSON
const node = (id: string, type: string, data: any = {}) => ({ id, type, position: pos, data });
const edge = (source: string, target: string, handle = 'next') => ({
  id: `${source}-${handle}-${target}`,
  source,
  source_handle: handle,
  target,
});
const apiTrigger = node('t', 'trigger', { kind: 'api' });

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let numberId: string;
let http: Server;
let httpUrl: string;

/** A customer writes (opening the 24 h window); what the chain would hand the flows. */
async function customerWrites(
  n: number,
  text: string,
  reply?: { id: string; title: string },
): Promise<InboundForFlows> {
  const sent = reply
    ? sim.customerSend(NUM.phone_number_id, phone(n), 'button_reply', { id: reply.id, title: reply.title })!
    : sim.customerSend(NUM.phone_number_id, phone(n), 'text', { text, name: `Customer ${n}` })!;
  await deliverWebhook(t, metaEnvelope(WABA, [sent.change]), SECRET);
  // The automation chain (STOP/START → waiting run → rules → triggers → hours) handles it after commit.
  await t.app.services.automationChain.idle();
  const [m] = await queryRows<{ id: string; conversation_id: string; contact_id: string }>(
    t.database.db,
    sql`select m.id, m.conversation_id, c.contact_id from messages m join conversations c on c.id = m.conversation_id
        where m.wamid = ${sent.id}`,
  );
  return {
    orgId: t.orgId,
    numberId,
    contactId: m!.contact_id,
    conversationId: m!.conversation_id,
    messageId: m!.id,
    wamid: sent.id,
    text: reply ? null : text,
    replyId: reply?.id ?? null,
    replyTitle: reply?.title ?? null,
    contextWamid: null,
    firstEver: false,
  };
}

/** The chain's step for a waiting run, called directly (the chain already called it for each message). */
const resume = (m: InboundForFlows) =>
  transaction(t.database.db, (tx, onCommit) =>
    t.app.services.flowEngine.control.resumeWaiting(tx, onCommit, m),
  );

async function outboundTexts(contactId: string) {
  const rows = await queryRows<{ content: { text?: { body: string }; interactive?: unknown } }>(
    t.database.db,
    sql`select m.content from messages m join conversations c on c.id = m.conversation_id
        where c.contact_id = ${contactId} and m.direction = 'out' order by m.created_at, m.id`,
  );
  return rows.map((r) => r.content.text?.body ?? JSON.stringify(r.content));
}

async function publishedFlow(name: string, nodes: unknown[], edges: unknown[]) {
  const f = await owner.post('/api/v1/automation/flows', { name, graph: { nodes, edges } });
  expect(f.statusCode, f.body).toBe(201);
  const p = await owner.post(`/api/v1/automation/flows/${f.json().id}/publish`);
  expect(p.statusCode, p.body).toBe(200);
  return f.json().id as string;
}

async function start(flowId: string, contactId: string, vars: Record<string, string> = {}) {
  const r = await owner.post(`/api/v1/automation/flows/${flowId}/runs`, {
    number_id: numberId,
    contact_id: contactId,
    vars,
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().id as string;
}
const run = async (id: string) => (await owner.get(`/api/v1/automation/runs/${id}`)).json();
const makeDue = (runId: string) =>
  t.database.db.execute(sql`update flow_runs set due_at = now() - interval '1 second' where id = ${runId}`);

beforeAll(async () => {
  sim = await startSimulator(
    {
      seed: 7,
      customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
    },
    [NUM],
  );
  http = createServer((req, res) => {
    if (req.url?.startsWith('/order')) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ order: { status: 'shipped', items: [{ id: 'A-1' }] } }));
    } else {
      res.statusCode = 500;
      res.end('boom');
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  // Loopback is allowed for the local test server only: 10.x and the rest stay refused.
  t = await createTestApp({ META_GRAPH_URL: sim.url, FETCH_ALLOW_PRIVATE: '127.0.0.1' });
  owner = await t.owner();
  numberId = await connectNumber(owner, NUM, { appSecret: SECRET, displayName: 'Flows' });
  await owner.post('/api/v1/fields', { key: 'city', label: 'City', type: 'text' });
});
afterAll(async () => {
  await t.close();
  await sim.close();
  await new Promise((r) => http.close(r));
});

describe(`flows on ${settings.backend}`, () => {
  it('validation names each problem with its path and severity', async () => {
    const f = await owner.post('/api/v1/automation/flows', {
      name: 'Draft',
      graph: { nodes: [apiTrigger], edges: [] },
    });
    expect(f.statusCode, f.body).toBe(201);
    const graph = {
      nodes: [
        apiTrigger,
        node('t2', 'trigger', { kind: 'keyword', match: { kind: 'equals', patterns: ['hi'] } }),
        node('w', 'wait_reply', { timeout_minutes: 5 }),
        node('s', 'send_text', { text: 'Order {{vars.order}} to {{contact.field.nowhere}}' }),
        node('a', 'set_field', { key: 'city', value: 'x' }),
        node('b', 'set_field', { key: 'city', value: 'y' }),
        node('h', 'http', { method: 'GET', url: 'ftp://example.com/x' }),
        node('lost', 'end'),
      ],
      edges: [
        edge('t', 'w'),
        edge('w', 's', 'reply'),
        edge('s', 'a', 'bogus'),
        edge('s', 'a'),
        edge('a', 'b'),
        edge('b', 'a'),
        edge('t2', 'h'),
      ],
    };
    const v = await owner.post(`/api/v1/automation/flows/${f.json().id}/validate`, { graph });
    expect(v.statusCode, v.body).toBe(200);
    const { ok, problems } = v.json() as {
      ok: boolean;
      problems: { severity: string; path: unknown[]; message: string }[];
    };
    expect(ok).toBe(false);
    const find = (path: unknown[], re: RegExp) =>
      problems.find((p) => JSON.stringify(p.path) === JSON.stringify(path) && re.test(p.message));
    expect(find(['nodes', 1], /exactly one trigger/)?.severity).toBe('error');
    expect(find(['nodes', 2], /timeout .* leads nowhere/)?.severity).toBe('error');
    expect(find(['edges', 2, 'source_handle'], /no handle "bogus"/)?.severity).toBe('error');
    expect(find(['nodes', 3, 'data', 'text'], /variable "order"/)?.severity).toBe('warning');
    expect(find(['nodes', 3, 'data', 'text'], /no contact field "nowhere"/)?.severity).toBe('warning');
    expect(find(['nodes', 4], /loop without a wait/)?.severity).toBe('error');
    expect(find(['nodes', 6, 'data', 'url'], /http:\/\/ or https/)?.severity).toBe('error');
    expect(find(['nodes', 7], /cannot be reached/)?.severity).toBe('warning');
    // A graph that is not even a graph: zod's paths.
    const bad = await owner.post(`/api/v1/automation/flows/${f.json().id}/validate`, {
      graph: { nodes: [{ id: 'x', type: 'ask', position: pos, data: {} }], edges: [] },
    });
    expect(bad.json().ok).toBe(false);
    expect(bad.json().problems[0].path.slice(0, 2)).toEqual(['nodes', 0]);
    // Publishing refuses errors with their paths; a regex too costly is refused when saved.
    const saved = await owner.patch(`/api/v1/automation/flows/${f.json().id}`, { graph });
    expect(saved.statusCode).toBe(200);
    const refused = await owner.post(`/api/v1/automation/flows/${f.json().id}/publish`);
    expect(refused.statusCode).toBe(400);
    expect(
      refused.json().error.details.some((d: { path: unknown[] }) => d.path.join('.') === 'graph.nodes.2'),
    ).toBe(true);
    const costly = await owner.patch(`/api/v1/automation/flows/${f.json().id}`, {
      graph: {
        nodes: [
          node('t', 'trigger', {
            kind: 'keyword',
            match: { kind: 'regex', patterns: ['(a{1,50}){1,20}'] },
          }),
        ],
        edges: [],
      },
    });
    expect(costly.statusCode).toBe(400);
    expect(costly.body).toMatch(/too costly/);
    // The draft is unchanged by the refused save (nothing half-saved).
    expect((await owner.get(`/api/v1/automation/flows/${f.json().id}`)).json().graph.nodes).toHaveLength(8);
  });

  it('an ask validates the answer, asks again, then leaves by invalid; a valid one saves and branches', async () => {
    const flowId = await publishedFlow(
      'Email',
      [
        apiTrigger,
        node('ask', 'ask', {
          question: 'Your email?',
          save_to: { kind: 'var', key: 'email' },
          validation: 'email',
          retry_message: 'That is not an email, try again',
          max_retries: 1,
          timeout_minutes: 10,
        }),
        node('c', 'condition', {
          branches: [
            { id: 'vip', label: 'VIP', when: { subject: 'var', key: 'email', op: 'contains', value: 'vip' } },
          ],
        }),
        node('yes', 'send_text', { text: 'Welcome VIP {{vars.email}}' }),
        node('no', 'send_text', { text: 'Thanks {{vars.email}}' }),
        node('bad', 'send_text', { text: 'Never mind' }),
        node('late', 'send_text', { text: 'Too late' }),
      ],
      [
        edge('t', 'ask'),
        edge('ask', 'c'),
        edge('ask', 'bad', 'invalid'),
        edge('ask', 'late', 'timeout'),
        edge('c', 'yes', 'vip'),
        edge('c', 'no', 'else'),
      ],
    );
    const hello = await customerWrites(1, 'hello');
    const runId = await start(flowId, hello.contactId);
    expect((await run(runId)).status).toBe('waiting');
    await customerWrites(1, 'not an email');
    await customerWrites(1, 'still not');
    const done = await run(runId);
    expect(done.status).toBe('completed');
    expect(await outboundTexts(hello.contactId)).toEqual([
      'Your email?',
      'That is not an email, try again',
      'Never mind',
    ]);
    expect(done.log.map((s: { node_id: string; outcome: string }) => `${s.node_id}:${s.outcome}`)).toContain(
      'ask:waiting',
    );

    const c2 = await customerWrites(2, 'hi');
    const run2 = await start(flowId, c2.contactId);
    await customerWrites(2, 'Ana.VIP@example.com');
    expect((await run(run2)).vars.email).toBe('ana.vip@example.com');
    expect(await outboundTexts(c2.contactId)).toEqual(['Your email?', 'Welcome VIP ana.vip@example.com']);

    // A wait that times out leaves by its timeout handle, through the due sweep.
    const c3 = await customerWrites(3, 'hi');
    const run3 = await start(flowId, c3.contactId);
    await makeDue(run3);
    expect(await t.app.services.flowEngine.sweepDue()).toBeGreaterThanOrEqual(1);
    expect((await run(run3)).status).toBe('completed');
    expect(await outboundTexts(c3.contactId)).toEqual(['Your email?', 'Too late']);
    const stats = (await owner.get(`/api/v1/automation/flows/${flowId}/stats`)).json();
    expect(stats.nodes.ask.timed_out).toBe(1);
    expect(stats.nodes.c.completed).toBe(1);
    expect(stats.runs.completed).toBe(3);
  });

  it('conditions on text, reply id, field, tag and hours; set_tags and set_field act on the contact', async () => {
    const flowId = await publishedFlow(
      'Conditions',
      [
        apiTrigger,
        node('tag', 'set_tags', { add: ['Lead'] }),
        node('field', 'set_field', { key: 'city', value: 'Lisbon' }),
        node('w', 'wait_reply', { timeout_minutes: 5, save_as: 'said' }),
        node('c', 'condition', {
          branches: [
            { id: 'b1', when: { subject: 'reply_id', op: 'equals', value: 'opt_a' } },
            { id: 'b2', when: { subject: 'text', op: 'starts_with', value: 'price' } },
          ],
        }),
        node('c2', 'condition', {
          branches: [
            {
              id: 'all',
              when: { subject: 'field', key: 'city', op: 'equals', value: 'lisbon' },
            },
          ],
        }),
        node('c3', 'condition', {
          branches: [{ id: 'lead', when: { subject: 'tag', key: 'lead', op: 'has' } }],
        }),
        node('c4', 'condition', { branches: [{ id: 'open', when: { subject: 'hours', op: 'open' } }] }),
        node('A', 'send_text', { text: 'A' }),
        node('P', 'send_text', { text: 'P {{vars.said}}' }),
        node('E', 'send_text', { text: 'E' }),
        node('ok', 'send_text', { text: 'field+tag+open' }),
      ],
      [
        edge('t', 'tag'),
        edge('tag', 'field'),
        edge('field', 'w'),
        edge('w', 'c', 'reply'),
        edge('w', 'E', 'timeout'),
        edge('c', 'A', 'b1'),
        edge('c', 'P', 'b2'),
        edge('c', 'E', 'else'),
        edge('P', 'c2'),
        edge('c2', 'c3', 'all'),
        edge('c3', 'c4', 'lead'),
        edge('c4', 'ok', 'open'),
      ],
    );
    const c = await customerWrites(4, 'hi');
    const r1 = await start(flowId, c.contactId);
    await customerWrites(4, 'Price please');
    expect((await run(r1)).status).toBe('completed');
    // Both sent in one transaction: same created_at, so compared as a set.
    expect((await outboundTexts(c.contactId)).sort()).toEqual(['P Price please', 'field+tag+open'].sort());
    const contact = (await owner.get(`/api/v1/contacts/${c.contactId}`)).json();
    expect(contact.fields.city).toBe('Lisbon');
    expect(contact.tags.map((x: { name: string }) => x.name)).toContain('Lead');

    const r2 = await start(flowId, c.contactId);
    await customerWrites(4, '', { id: 'opt_a', title: 'Option A' });
    expect((await run(r2)).log.some((s: { detail: string | null }) => s.detail === 'branch b1')).toBe(true);
  });

  it('a delay waits in the table and a run survives a restart: new services on the same database fire it', async () => {
    const flowId = await publishedFlow(
      'Delay',
      [apiTrigger, node('d', 'delay', { seconds: 3600 }), node('s', 'send_text', { text: 'later' })],
      [edge('t', 'd'), edge('d', 's')],
    );
    const c = await customerWrites(5, 'hi');
    const runId = await start(flowId, c.contactId);
    expect((await run(runId)).waiting_for).toBe('delay');
    expect(await t.app.services.flowEngine.sweepDue()).toBe(0); // not due yet
    await makeDue(runId);
    // "Restart": services built anew on the same database (no memory of the run).
    const fresh = createServices({ config: t.config, database: t.database, appSecret: t.config.APP_SECRET! });
    expect(await fresh.flowEngine.sweepDue()).toBe(1);
    expect((await run(runId)).status).toBe('completed');
    expect(await outboundTexts(c.contactId)).toEqual(['later']);
  });

  it('the worker loop (as worker processes run it) fires a due delay by itself and stops cleanly', async () => {
    const flowId = await publishedFlow(
      'Loop sweep',
      [apiTrigger, node('d', 'delay', { seconds: 1 }), node('s', 'send_text', { text: 'swept' })],
      [edge('t', 'd'), edge('d', 's')],
    );
    const c = await customerWrites(12, 'hi');
    const runId = await start(flowId, c.contactId);
    await makeDue(runId);
    const engine = t.app.services.flowEngine;
    engine.start({ pollMs: 20 });
    try {
      await until('the delay fired', async () => (await run(runId)).status === 'completed');
    } finally {
      await engine.stop();
    }
    expect(await outboundTexts(c.contactId)).toEqual(['swept']);
  });

  it('http: answer fields saved into vars (ok), a failing endpoint leaves by error, a private address is refused', async () => {
    const flowId = await publishedFlow(
      'HTTP',
      [
        apiTrigger,
        node('h', 'http', {
          method: 'GET',
          url: '{{vars.base}}/order?id={{vars.id}}',
          save: [
            { var: 'status', path: 'order.status' },
            { var: 'item', path: 'order.items.0.id' },
          ],
          timeout_ms: 2000,
        }),
        node('ok', 'send_text', { text: 'Status {{vars.status}} {{vars.item}}' }),
        node('err', 'send_text', { text: 'Could not check' }),
      ],
      [edge('t', 'h'), edge('h', 'ok', 'ok'), edge('h', 'err', 'error')],
    );
    const sweep = () => t.app.services.flowEngine.sweepHttp();
    const c = await customerWrites(6, 'hi');
    const r1 = await start(flowId, c.contactId, { base: httpUrl, id: '7' });
    expect((await run(r1)).waiting_for).toBe('http');
    await sweep();
    expect((await run(r1)).vars).toMatchObject({ status: 'shipped', item: 'A-1' });
    const r2 = await start(flowId, c.contactId, { base: `${httpUrl}/fail`, id: '7' });
    await sweep();
    expect((await run(r2)).log.find((s: { node_id: string }) => s.node_id === 'h' && s).error ?? '').toBe('');
    const r3 = await start(flowId, c.contactId, { base: 'http://10.20.30.40', id: '7' });
    await sweep();
    const d3 = await run(r3);
    const errStep = d3.log.find((s: { outcome: string }) => s.outcome === 'error');
    expect(errStep?.error).toMatch(/private|not allowed|refused/i);
    expect(await outboundTexts(c.contactId)).toEqual([
      'Status shipped A-1',
      'Could not check',
      'Could not check',
    ]);
    void r2;
  });

  it('one active run per contact and number (a new start replaces it); 409 when not published or disabled; stopping is audited', async () => {
    const flowId = await publishedFlow(
      'Once',
      [apiTrigger, node('w', 'wait_reply', { timeout_minutes: 5 }), node('e', 'end')],
      [edge('t', 'w'), edge('w', 'e', 'reply'), edge('w', 'e', 'timeout')],
    );
    const c = await customerWrites(7, 'hi');
    const runId = await start(flowId, c.contactId);
    // A second start replaces the first: never two active runs of a contact on a number.
    const again = await owner.post(`/api/v1/automation/flows/${flowId}/runs`, {
      number_id: numberId,
      contact_id: c.contactId,
    });
    expect(again.statusCode).toBe(201);
    const first = await run(runId);
    expect(first.status).toBe('stopped');
    expect(first.end_reason).toMatch(/replaced/);
    const active = await queryRows<{ n: number }>(
      t.database.db,
      sql`select count(*)::int as n from flow_runs where contact_id = ${c.contactId} and status in ('active', 'waiting')`,
    );
    expect(active[0]!.n).toBe(1);
    const stopped = await owner.post(`/api/v1/automation/runs/${again.json().id}/stop`);
    expect(stopped.json().status).toBe('stopped');
    await owner.patch(`/api/v1/automation/flows/${flowId}`, { enabled: false });
    expect(
      (
        await owner.post(`/api/v1/automation/flows/${flowId}/runs`, {
          number_id: numberId,
          contact_id: c.contactId,
        })
      ).statusCode,
    ).toBe(409);
    const draft = await owner.post('/api/v1/automation/flows', {
      name: 'Unpublished',
      graph: { nodes: [apiTrigger], edges: [] },
    });
    expect(
      (
        await owner.post(`/api/v1/automation/flows/${draft.json().id}/runs`, {
          number_id: numberId,
          to: '+12025550199',
        })
      ).statusCode,
    ).toBe(409);
    const audit = (await owner.get('/api/v1/audit?entity_type=flow_run')).json();
    expect(JSON.stringify(audit)).toMatch(/flow_run.stop/);
  });

  it('a reply resumes a run exactly once, even delivered twice at the same time', async () => {
    const flowId = await publishedFlow(
      'Twice',
      [
        apiTrigger,
        node('w', 'wait_reply', { timeout_minutes: 5 }),
        node('s', 'send_text', { text: 'got it' }),
        node('w2', 'wait_reply', { timeout_minutes: 5 }),
        node('e', 'end'),
      ],
      [
        edge('t', 'w'),
        edge('w', 's', 'reply'),
        edge('w', 'e', 'timeout'),
        edge('s', 'w2'),
        edge('w2', 'e', 'reply'),
        edge('w2', 'e', 'timeout'),
      ],
    );
    const c = await customerWrites(8, 'hi');
    const runId = await start(flowId, c.contactId);
    // The chain advanced the run with this message; delivering it again (three at once) does nothing.
    const m = await customerWrites(8, 'answer');
    const results = await Promise.all([resume(m), resume(m), resume(m)]);
    expect(results).toEqual([true, true, true]);
    expect(await outboundTexts(c.contactId)).toEqual(['got it']);
    const d = await run(runId);
    expect(d.current_node).toBe('w2');
    expect(d.log.filter((s: { node_id: string }) => s.node_id === 's')).toHaveLength(2); // entered + completed
    // A new message resumed by three processes at once: one advances the run, the others find it moved on.
    const next = { ...m, messageId: randomUUID(), text: 'second' };
    const raced = await Promise.all([resume(next), resume(next), resume(next)]);
    expect(raced.filter(Boolean)).toHaveLength(1);
    const done = await run(runId);
    expect(done.status).toBe('completed');
    expect(
      done.log.filter(
        (s: { node_id: string; outcome: string }) => s.node_id === 'e' && s.outcome === 'entered',
      ),
    ).toHaveLength(1);
  });

  it('a run finishes on the version it started on after a new publish', async () => {
    const v = (text: string) => ({
      nodes: [apiTrigger, node('w', 'wait_reply', { timeout_minutes: 5 }), node('s', 'send_text', { text })],
      edges: [edge('t', 'w'), edge('w', 's', 'reply'), edge('w', 's', 'timeout')],
    });
    const f = await owner.post('/api/v1/automation/flows', { name: 'Versions', graph: v('one') });
    const id = f.json().id;
    await owner.post(`/api/v1/automation/flows/${id}/publish`);
    const c = await customerWrites(9, 'hi');
    const r1 = await start(id, c.contactId);
    await owner.patch(`/api/v1/automation/flows/${id}`, { graph: v('two') });
    expect((await owner.get(`/api/v1/automation/flows/${id}`)).json().draft_changed).toBe(true);
    await owner.post(`/api/v1/automation/flows/${id}/publish`);
    await customerWrites(9, 'ok');
    expect((await run(r1)).version).toBe(1);
    const r2 = await start(id, c.contactId);
    await customerWrites(9, 'ok');
    expect((await run(r2)).version).toBe(2);
    expect(await outboundTexts(c.contactId)).toEqual(['one', 'two']);
    const versions = (await owner.get(`/api/v1/automation/flows/${id}/versions`)).json().data;
    expect(versions.map((x: { version: number }) => x.version)).toEqual([2, 1]);
  });

  it('a loop without a wait fails at the step limit', async () => {
    const f = await owner.post('/api/v1/automation/flows', {
      name: 'Loop',
      graph: { nodes: [apiTrigger], edges: [] },
    });
    const id = f.json().id;
    // An older graph published before validation refused loops: written straight into a version.
    const loop = {
      nodes: [apiTrigger, node('a', 'set_tags', { add: ['x'] }), node('b', 'set_tags', { remove: ['x'] })],
      edges: [edge('t', 'a'), edge('a', 'b'), edge('b', 'a')],
    };
    await t.database.db.execute(
      sql`insert into flow_versions (flow_id, version, org_id, graph) values (${id}, 1, ${t.orgId}, ${JSON.stringify(loop)}::jsonb)`,
    );
    await t.database.db.execute(sql`update flows set published_version = 1 where id = ${id}`);
    const c = await customerWrites(10, 'hi');
    const d = await run(await start(id, c.contactId));
    expect(d.status).toBe('failed');
    expect(d.end_reason).toBe('step limit');
    expect(d.steps).toBeLessThanOrEqual(101);
  });

  it('test mode: the draft runs against a transcript, no message is sent and no contact changes', async () => {
    const f = await owner.post('/api/v1/automation/flows', {
      name: 'Tested',
      graph: {
        nodes: [
          apiTrigger,
          node('ask', 'ask', {
            question: 'Pick one',
            save_to: { kind: 'field', key: 'city' },
            validation: 'choice',
            choices: ['Lisbon', 'Porto'],
            timeout_minutes: 5,
          }),
          node('tag', 'set_tags', { add: ['tested'] }),
          node('s', 'send_text', { text: 'You chose {{contact.field.city}}' }),
          node('late', 'end'),
        ],
        edges: [
          edge('t', 'ask'),
          edge('ask', 'tag'),
          edge('ask', 'late', 'timeout'),
          edge('ask', 'late', 'invalid'),
          edge('tag', 's'),
        ],
      },
    });
    const before = (
      await queryRows<{ n: number }>(t.database.db, sql`select count(*)::int as n from messages`)
    )[0]!.n;
    const r = await owner.post(`/api/v1/automation/flows/${f.json().id}/test`, {});
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().test).toBe(true);
    expect(r.json().transcript[0].content.text.body).toBe('Pick one');
    const after = await owner.post(`/api/v1/automation/runs/${r.json().id}/test-reply`, { text: 'porto' });
    expect(after.statusCode, after.body).toBe(200);
    const d = after.json();
    expect(d.status).toBe('completed');
    expect(d.transcript.map((m: { from: string }) => m.from)).toEqual(['bot', 'customer', 'bot']);
    expect(d.transcript[2].content.text.body).toBe('You chose Porto');
    expect(d.log.map((s: { node_id: string }) => s.node_id)).toContain('tag');
    expect(
      (await queryRows<{ n: number }>(t.database.db, sql`select count(*)::int as n from messages`))[0]!.n,
    ).toBe(before);
    // A finished run takes no more replies; a real run takes no test replies.
    expect((await owner.post(`/api/v1/automation/runs/${d.id}/test-reply`, { text: 'x' })).statusCode).toBe(
      409,
    );
    expect((await owner.post(`/api/v1/automation/runs/${d.id}/test-reply`, {})).statusCode).toBe(400);
  });

  it('export and import round-trip; a bad import is a 400 with paths and saves nothing; other organisations get 404', async () => {
    const id = await publishedFlow(
      'Portable',
      [apiTrigger, node('s', 'send_text', { text: 'hi' })],
      [edge('t', 's')],
    );
    const exported = (await owner.get(`/api/v1/automation/flows/${id}/export`)).json();
    expect(exported.openwaba_flow).toBe(1);
    const imported = await owner.post('/api/v1/automation/flows/import', exported);
    expect(imported.statusCode, imported.body).toBe(201);
    expect(imported.json().graph).toEqual(exported.graph);
    expect(imported.json().published_version).toBeNull();
    const count = async () => (await owner.get('/api/v1/automation/flows')).json().data.length;
    const n = await count();
    const bad = await owner.post('/api/v1/automation/flows/import', {
      ...exported,
      graph: {
        nodes: [apiTrigger, node('w', 'wait_reply', { timeout_minutes: 0 })],
        edges: [edge('t', 'w')],
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.map((d: { path: unknown[] }) => d.path.join('.'))).toContain(
      'graph.nodes.1.data.timeout_minutes',
    );
    const dangling = await owner.post('/api/v1/automation/flows/import', {
      ...exported,
      graph: {
        nodes: [apiTrigger, node('w', 'wait_reply', { timeout_minutes: 3 })],
        edges: [edge('t', 'w')],
      },
    });
    expect(dangling.statusCode).toBe(400);
    expect(dangling.json().error.details.map((d: { path: unknown[] }) => d.path.join('.'))).toContain(
      'graph.nodes.1',
    );
    expect((await owner.post('/api/v1/automation/flows/import', { name: 'x' })).statusCode).toBe(400);
    expect(await count()).toBe(n);

    await t.app.services.orgs.setupOwner({
      email: 'other-flows@example.com',
      password: 'correct horse battery',
      orgName: 'Other',
    });
    const other = t.client();
    await other.login('other-flows@example.com', 'correct horse battery');
    expect((await other.get(`/api/v1/automation/flows/${id}`)).statusCode).toBe(404);
    expect((await other.post(`/api/v1/automation/flows/${id}/publish`)).statusCode).toBe(404);
    expect((await other.get(`/api/v1/automation/flows/${id}/export`)).statusCode).toBe(404);
    const anyRun = (await owner.get(`/api/v1/automation/runs?limit=1`)).json().data[0].id;
    expect((await other.get(`/api/v1/automation/runs/${anyRun}`)).statusCode).toBe(404);
    expect((await other.post(`/api/v1/automation/runs/${anyRun}/stop`)).statusCode).toBe(404);
    expect((await other.delete(`/api/v1/automation/flows/${id}`)).statusCode).toBe(404);
  });

  it("through the chain: a keyword starts a flow and the customer's button reply resumes it", async () => {
    const flowId = await publishedFlow(
      'Menu',
      [
        node('t', 'trigger', { kind: 'keyword', match: { kind: 'equals', patterns: ['menu please'] } }),
        node('b', 'send_buttons', {
          buttons: {
            body: 'Pick',
            buttons: [
              { id: 'opt_hours', title: 'Hours' },
              { id: 'opt_human', title: 'Human' },
            ],
          },
        }),
        node('w', 'wait_reply', { timeout_minutes: 10 }),
        node('c', 'condition', {
          branches: [{ id: 'h', when: { subject: 'reply_id', op: 'equals', value: 'opt_hours' } }],
        }),
        node('hours', 'send_text', { text: 'We open at 9' }),
        node('human', 'handover', { message: 'A person will answer' }),
      ],
      [
        edge('t', 'b'),
        edge('b', 'w'),
        edge('w', 'c', 'reply'),
        edge('w', 'human', 'timeout'),
        edge('c', 'hours', 'h'),
        edge('c', 'human', 'else'),
      ],
    );
    const first = await customerWrites(11, 'Menu  please');
    await t.app.services.automationChain.idle();
    const runs = (await owner.get(`/api/v1/automation/runs?flow_id=${flowId}`)).json().data;
    expect(runs).toHaveLength(1);
    expect(runs[0].status).toBe('waiting');
    await customerWrites(11, '', { id: 'opt_hours', title: 'Hours' });
    await t.app.services.automationChain.idle();
    const d = await run(runs[0].id);
    expect(d.status).toBe('completed');
    const texts = await outboundTexts(first.contactId);
    expect(texts).toHaveLength(2);
    expect(texts[1]).toBe('We open at 9');
    // A second delivery of the same webhook is not a second reply.
    expect(
      d.log.filter(
        (s: { node_id: string; outcome: string }) => s.node_id === 'hours' && s.outcome === 'entered',
      ),
    ).toHaveLength(1);
  });

  it('runs list pages with a cursor and filters', async () => {
    const page1 = (await owner.get('/api/v1/automation/runs?limit=2&test=false')).json();
    expect(page1.data).toHaveLength(2);
    const page2 = (
      await owner.get(`/api/v1/automation/runs?limit=2&test=false&cursor=${page1.next_cursor}`)
    ).json();
    expect(page2.data[0].id).not.toBe(page1.data[0].id);
    expect((await owner.get('/api/v1/automation/runs?cursor=nonsense')).statusCode).toBe(400);
  });
});
