import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../../server/test/helpers/connect-number.ts';
import { metaEnvelope } from '../../../server/test/helpers/meta-fixtures.ts';
import { until } from '../../../server/test/helpers/until.ts';
import { deliverWebhook } from '../../../server/test/helpers/webhooks.ts';
import { settings } from '../../../server/test/helpers.ts';
import { type CliServer, startCliServer } from '../../test/cli-server.ts';
import { runMcp } from '../commands/mcp.ts';
import { createMcpServer, type HttpMcp, serveHttp } from './server.ts';
import { TOOLS } from './tools.ts';

/** `openwaba mcp` against a live openwaba in-process, with a real MCP client on each transport. */
const WABA = '8824301';
const NUM = {
  phone_number_id: '8824311',
  waba_id: WABA,
  display_phone_number: '+1 555 082 4311',
  access_token: 'tok-mcp-server',
  throughput_mps: 80,
};
const SECRET = 'mcp-app-secret';
const CUSTOMER = '12025574321';
const BIN = fileURLToPath(new URL('../../bin/openwaba.js', import.meta.url));

let sim: Simulator;
let server: CliServer;
let http: HttpMcp;
/** contacts, conversations (read and reply), campaigns.read, reports.read. */
let fullKey: string;
/** contacts.read and conversations.read only. */
let readOnlyKey: { id: string; key: string };
let contactId: string;
let numberId: string;
const clients: Client[] = [];

const call = async (client: Client, name: string, args: Record<string, unknown> = {}) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult & {
    structuredContent?: Record<string, unknown>;
  };
const sentTo = () => sim.sentMessages().filter((m) => m.phone_number_id === NUM.phone_number_id);
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

async function inMemoryClient(apiKey: string, baseUrl = server.url) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer({ baseUrl, apiKey }, 'test').connect(serverSide);
  const client = new Client({ name: 'mcp-test', version: '1.0.0' });
  await client.connect(clientSide);
  clients.push(client);
  return client;
}

async function httpClient(apiKey: string | null, url = http.url) {
  const client = new Client({ name: 'mcp-test-http', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} },
    }),
  );
  clients.push(client);
  return client;
}

beforeAll(async () => {
  sim = await startSimulator(
    {
      seed: 24,
      customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
    },
    [NUM],
  );
  sim.addTemplate({
    waba_id: WABA,
    name: 'order_update',
    language: 'en_US',
    category: 'UTILITY',
    components: [
      { type: 'BODY', text: 'Hi {{1}}, order {{2}} ships today.', example: { body_text: [['Ana', 'A-1']] } },
    ],
  });
  server = await startCliServer({ META_GRAPH_URL: sim.url });
  const owner = await server.t.owner();
  numberId = await connectNumber(owner, NUM, { appSecret: SECRET, verifyToken: 'mcp-verify' });
  await server.api.templates.sync();
  server.t.app.services.sender.start();
  // The customer writes first: the conversation exists and its 24-hour window is open.
  const inbound = sim.customerSend(NUM.phone_number_id, CUSTOMER, 'text', { text: 'Where is my order?' })!;
  await deliverWebhook(server.t, metaEnvelope(WABA, [inbound.change]), SECRET);
  const vip = await server.api.tags.create({ name: 'vip' });
  contactId = (
    await server.api.contacts.upsert({ phone: `+${CUSTOMER}`, name: 'Ada Lovelace', tag_ids: [vip.id] })
  ).id;
  await server.api.contacts.upsert({ phone: '+12025574322', name: 'Grace Hopper' });
  fullKey = (
    await server.api.apiKeys.create({
      name: 'Assistant',
      scopes: [
        'contacts.read',
        'conversations.read',
        'conversations.reply',
        'campaigns.read',
        'reports.read',
      ],
    })
  ).key;
  readOnlyKey = await server.api.apiKeys.create({
    name: 'Read only',
    scopes: ['contacts.read', 'conversations.read'],
  });
  http = await serveHttp({ baseUrl: server.url, host: '127.0.0.1', port: 0 }, 'test');
}, 120_000);
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await http?.close();
  await server?.close();
  await sim?.close();
});

describe(`openwaba mcp on ${settings.backend}`, { timeout: 120_000 }, () => {
  it('lists the tools, each with a description and an object input schema', async () => {
    const client = await inMemoryClient(fullKey);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'get_campaign',
      'get_contact',
      'list_campaigns',
      'list_conversations',
      'read_conversation',
      'read_report',
      'search_contacts',
      'send_message',
      'start_campaign',
    ]);
    for (const t of tools) {
      expect(t.description, t.name).toMatch(/scope/);
      expect(t.inputSchema.type).toBe('object');
    }
    const send = tools.find((t) => t.name === 'send_message')!;
    expect(Object.keys(send.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['phone', 'contact_id', 'text', 'template', 'number_id']),
    );
    expect(send.annotations).toMatchObject({ readOnlyHint: false, openWorldHint: true });
  });

  it('searches contacts, reads a conversation oldest first, and sends through the send path', async () => {
    const client = await inMemoryClient(fullKey);
    const found = await call(client, 'search_contacts', { query: 'Ada' });
    expect(found.isError, text(found)).toBeFalsy();
    expect(found.structuredContent!.contacts).toEqual([
      expect.objectContaining({ id: contactId, name: 'Ada Lovelace', tags: ['vip'], phone: `+${CUSTOMER}` }),
    ]);
    expect(JSON.parse(text(found))).toEqual(found.structuredContent);
    const byTag = await call(client, 'search_contacts', { tag: 'VIP' });
    expect((byTag.structuredContent!.contacts as { id: string }[]).map((c) => c.id)).toEqual([contactId]);
    const noTag = await call(client, 'search_contacts', { tag: 'gold' });
    expect(noTag.isError).toBe(true);
    expect(text(noTag)).toBe('No tag "gold". The tags are: vip');
    const one = await call(client, 'get_contact', { contact_id: contactId });
    expect(one.structuredContent!.contact).toMatchObject({
      name: 'Ada Lovelace',
      consent: expect.any(String),
    });

    const list = await call(client, 'list_conversations', { status: 'open' });
    const [conversation] = list.structuredContent!.conversations as { id: string; contact: { id: string } }[];
    expect(conversation!.contact.id).toBe(contactId);

    const sent = await call(client, 'send_message', { contact_id: contactId, text: 'It ships today.' });
    expect(sent.isError, text(sent)).toBeFalsy();
    expect(sent.structuredContent).toMatchObject({ conversation_id: conversation!.id, status: 'pending' });
    const messageId = sent.structuredContent!.message_id as string;
    // The sender hands it to Meta (the simulator) in the background, like any other send.
    await until(
      'the message is sent',
      async () => (await server.api.messages.get(messageId)).status === 'sent',
    );
    expect((await server.api.messages.get(messageId)).source).toBe('api');

    const read = await call(client, 'read_conversation', { conversation_id: conversation!.id });
    expect(read.isError, text(read)).toBeFalsy();
    const messages = read.structuredContent!.messages as { direction: string; text: string }[];
    expect(messages.map((m) => [m.direction, m.text])).toEqual([
      ['in', 'Where is my order?'],
      ['out', 'It ships today.'],
    ]);
    expect(read.structuredContent!.conversation).toMatchObject({ window_expires_at: expect.any(String) });
    const latest = await call(client, 'read_conversation', { conversation_id: conversation!.id, limit: 1 });
    expect((latest.structuredContent!.messages as { text: string }[]).map((m) => m.text)).toEqual([
      'It ships today.',
    ]);
  });

  it("refuses what openwaba refuses, with openwaba's reason, and bad input, without a crash", async () => {
    const client = await inMemoryClient(fullKey);
    // A phone that never wrote: outside the 24-hour window only a template may be sent.
    const closed = await call(client, 'send_message', {
      phone: '+12025574399',
      text: 'Hello out of the blue',
    });
    expect(closed.isError).toBe(true);
    expect(text(closed)).toMatch(/WINDOW_CLOSED, HTTP 409/);
    expect(closed.structuredContent!.error).toMatchObject({ code: 'WINDOW_CLOSED', status: 409 });
    const both = await call(client, 'send_message', {
      phone: `+${CUSTOMER}`,
      contact_id: contactId,
      text: 'x',
    });
    expect(both.isError).toBe(true);
    expect(text(both)).toContain('give exactly one of phone or contact_id');
    const neither = await call(client, 'send_message', { phone: `+${CUSTOMER}` });
    expect(text(neither)).toContain('give exactly one of text or template');
    const badId = await call(client, 'get_contact', { contact_id: 'nope' });
    expect(text(badId)).toContain('must be the contact id');
    const missing = await call(client, 'get_campaign', {
      campaign_id: '00000000-0000-4000-8000-000000000000',
    });
    expect(missing.structuredContent!.error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    // Not in this key's scopes: openwaba's own message.
    const start = await call(client, 'start_campaign', {
      campaign_id: '00000000-0000-4000-8000-000000000000',
    });
    expect(start.isError).toBe(true);
    expect(text(start)).toBe('This API key lacks the scope campaigns.manage (FORBIDDEN, HTTP 403)');
    // Nothing was written by any of these.
    expect((await server.api.contacts.list({ q: '12025574399' })).data).toEqual([]);
  });

  it('reads the reports that exist: usage and spend (reports.read), campaigns (campaigns.read)', async () => {
    const client = await inMemoryClient(fullKey);
    const usage = await call(client, 'read_report', { report: 'usage' });
    expect(usage.isError, text(usage)).toBeFalsy();
    expect(usage.structuredContent).toMatchObject({
      report: 'usage',
      month: { messages: expect.any(Number) },
    });
    const today = new Date().toISOString().slice(0, 10);
    const spend = await call(client, 'read_report', { report: 'spend', from: today, to: today });
    expect(spend.structuredContent).toMatchObject({
      report: 'spend',
      group_by: 'day',
      currency: expect.any(String),
    });
    const noRange = await call(client, 'read_report', { report: 'spend' });
    expect(text(noRange)).toContain("the 'spend' report needs from and to");
    const campaigns = await call(client, 'list_campaigns');
    expect(campaigns.structuredContent).toEqual({ campaigns: [] });
  });

  it('sends a template at any time, with its parameters; refuses a contact who opted out, with the reason', async () => {
    const client = await inMemoryClient(fullKey);
    await server.api.contacts.recordConsent(contactId, {
      kind: 'opt_in',
      source: 'manual',
      proof: 'asked in the shop',
    });
    const before = sentTo().length;
    const sent = await call(client, 'send_message', {
      contact_id: contactId,
      number_id: numberId,
      template: { name: 'order_update', language: 'en_US', body_parameters: ['Ada', 'A-17'] },
    });
    expect(sent.isError, text(sent)).toBeFalsy();
    const [delivered] = await until(
      'the template reaches Meta',
      () => sentTo().length > before && sentTo().slice(before),
    );
    expect(delivered!.body.template).toMatchObject({
      name: 'order_update',
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ada' },
            { type: 'text', text: 'A-17' },
          ],
        },
      ],
    });

    const grace = (await server.api.contacts.list({ q: 'Grace' })).data[0]!;
    await server.api.contacts.recordConsent(grace.id, { kind: 'opt_out', source: 'manual' });
    const refused = await call(client, 'send_message', {
      contact_id: grace.id,
      template: { name: 'order_update', language: 'en_US', body_parameters: ['Grace', 'A-18'] },
    });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/^Cannot message \+12025574322: .*\(CONSENT_REQUIRED, HTTP 409\)$/);
    expect(sentTo().length).toBe(before + 1);
  });

  it('starts a draft campaign with a key scoped for it, and checks its progress and report', async () => {
    const manager = await inMemoryClient(
      (await server.api.apiKeys.create({ name: 'Campaigns', scopes: ['campaigns.read', 'campaigns.manage'] }))
        .key,
    );
    const template = (await server.api.templates.list({ search: 'order_update' })).data[0]!;
    const vip = (await server.api.tags.list()).data.find((t) => t.name === 'vip')!;
    const draft = await server.api.campaigns.create({
      name: 'Orders',
      number_id: numberId,
      audience: { kind: 'contacts', filter: { tag_ids: [vip.id] } },
      templates: [
        { template_id: template.id, mapping: { 'body.1': { contact: 'name' }, 'body.2': { fixed: 'A-20' } } },
      ],
    });
    const listed = await call(manager, 'list_campaigns', { state: 'draft' });
    expect(listed.structuredContent!.campaigns).toEqual([
      expect.objectContaining({ id: draft.id, name: 'Orders' }),
    ]);
    const started = await call(manager, 'start_campaign', { campaign_id: draft.id });
    expect(started.isError, text(started)).toBeFalsy();
    expect(started.structuredContent!.campaign).toMatchObject({
      id: draft.id,
      state: expect.stringMatching(/running|completed/),
    });
    const done = await until('the campaign completes', async () => {
      const r = await call(manager, 'get_campaign', { campaign_id: draft.id });
      return (
        (r.structuredContent!.campaign as { state: string }).state === 'completed' && r.structuredContent!
      );
    });
    expect(done.campaign).toMatchObject({ counts: { total: 1, sent: 1 } });
    expect(done.report).toMatchObject({
      funnel: { sent: 1 },
      rates: expect.any(Object),
      per_template: [expect.objectContaining({ name: 'order_update' })],
    });
    const report = await call(manager, 'read_report', { report: 'campaign', campaign_id: draft.id });
    expect(report.structuredContent).toMatchObject({ report: 'campaign', funnel: { sent: 1 } });
    // A second start is refused by openwaba, in its words.
    const again = await call(manager, 'start_campaign', { campaign_id: draft.id });
    expect(again.isError).toBe(true);
    expect(again.structuredContent!.error).toMatchObject({ status: 409 });
  });

  it('over streamable HTTP, one process serves several keys, each limited by its own scopes', async () => {
    const full = await httpClient(fullKey);
    const readOnly = await httpClient(readOnlyKey.key);
    expect((await readOnly.listTools()).tools).toHaveLength(9);
    const found = await call(readOnly, 'search_contacts', { query: 'Grace' });
    expect(found.isError, text(found)).toBeFalsy();
    expect((found.structuredContent!.contacts as { name: string }[]).map((c) => c.name)).toEqual([
      'Grace Hopper',
    ]);
    const refused = await call(readOnly, 'send_message', { phone: `+${CUSTOMER}`, text: 'Not allowed' });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toBe('This API key lacks the scope conversations.reply (FORBIDDEN, HTTP 403)');
    const usage = await call(readOnly, 'read_report', { report: 'usage' });
    expect(text(usage)).toContain('This API key lacks the scope reports.read');
    const sent = await call(full, 'send_message', { phone: `+${CUSTOMER}`, text: 'Sent over HTTP' });
    expect(sent.isError, text(sent)).toBeFalsy();
    await until(
      'the message is sent',
      async () =>
        (await server.api.messages.get(sent.structuredContent!.message_id as string)).status === 'sent',
    );
  });

  it('over HTTP, refuses a missing, unknown or revoked key; a key revoked later fails its tool calls', async () => {
    await expect(httpClient(null)).rejects.toThrow();
    await expect(httpClient('owk_not-a-real-key')).rejects.toThrow(/Unknown API key/);
    const key = await server.api.apiKeys.create({ name: 'Soon revoked', scopes: ['contacts.read'] });
    const client = await httpClient(key.key);
    await server.api.apiKeys.revoke(key.id);
    const after = await call(client, 'search_contacts', { query: 'Ada' });
    expect(after.isError).toBe(true);
    expect(text(after)).toBe('This API key was revoked (UNAUTHENTICATED, HTTP 401)');
    await expect(httpClient(key.key)).rejects.toThrow(/This API key was revoked/);
    // Plain HTTP: no key, another method, another path, a foreign Host on a loopback server.
    const noKey = await fetch(http.url, { method: 'POST', body: '{}' });
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get('www-authenticate')).toContain('Bearer');
    expect((await fetch(http.url)).status).toBe(405);
    expect((await fetch(http.url.replace('/mcp', '/other'))).status).toBe(404);
    const notJson = await fetch(http.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${fullKey}` },
      body: 'not json',
    });
    expect(notJson.status).toBe(400);
    const foreignHost = await new Promise<number>((resolve, reject) => {
      const req = request(http.url, { method: 'POST', headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(foreignHost).toBe(403);
  });

  it('says plainly when openwaba cannot be reached: at initialize over HTTP, in a tool call, at the start of the verb', async () => {
    // Port 9 (discard): nothing listens there.
    const down = 'http://127.0.0.1:9';
    const orphan = await serveHttp({ baseUrl: down, host: '127.0.0.1', port: 0 }, 'test');
    try {
      await expect(httpClient(fullKey, orphan.url)).rejects.toThrow(`Cannot reach openwaba at ${down}`);
    } finally {
      await orphan.close();
    }
    const client = await inMemoryClient(fullKey, down);
    const r = await call(client, 'search_contacts', { query: 'Ada' });
    expect(r.isError).toBe(true);
    expect(text(r)).toBe(`Cannot reach openwaba at ${down}`);
    const verb = await server.cli(['mcp', '--url', down, '--api-key', fullKey]);
    expect(verb.code).toBe(1);
    expect(verb.err).toContain(`Cannot reach the server at ${down}`);
  });

  it('docs/mcp.md lists every tool with the scopes it needs', () => {
    const docs = readFileSync(new URL('../../../../docs/mcp.md', import.meta.url), 'utf8');
    for (const tool of TOOLS) {
      const row = docs.split('\n').find((l) => l.startsWith(`| \`${tool.name}\``));
      expect(row, tool.name).toBeDefined();
      for (const scope of tool.scopes) expect(row, tool.name).toContain(`\`${scope}\``);
      for (const scope of tool.scopes) expect(tool.description, tool.name).toContain(scope);
    }
  });

  it('the verb: checks its flags and the key before serving, exit code 2 for bad usage', async () => {
    const badUrl = await server.cli(['mcp', '--url', 'not a url', '--api-key', fullKey]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.err).toContain('--url: must be the openwaba server URL');
    const noKey = await server.cli(['mcp']);
    expect(noKey.code).toBe(2);
    expect(noKey.err).toContain('--api-key: is required (or OPENWABA_API_KEY)');
    const notAKey = await server.cli(['mcp', '--api-key', 'secret']);
    expect(notAKey.code).toBe(2);
    expect(notAKey.err).toContain('--api-key: must be an openwaba API key');
    const unknown = await server.cli(['mcp', '--api-key', 'owk_unknown']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe(`error: openwaba at ${server.url} refused the API key: Unknown API key`);
    const httpWithKey = await server.cli(['mcp', '--http', '--api-key', fullKey]);
    expect(httpWithKey.code).toBe(2);
    expect(httpWithKey.err).toContain('--api-key is for stdio');
    const badPort = await server.cli(['mcp', '--http', '--port', '99999']);
    expect(badPort.code).toBe(2);
    const help = await server.cli(['mcp', '--help']);
    expect(help.out).toContain('Authorization: Bearer owk_');
  });

  it('`openwaba mcp --http`: serves where it says, warns when openwaba is not up yet, names a port in use', async () => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(`out: ${l}`), err: (l: string) => lines.push(l) };
    const run = await runMcp({ publicUrl: server.url }, io, { http: true, port: '0' }, 'test');
    try {
      if (run.transport !== 'http') throw new Error('expected HTTP');
      expect(lines[0]).toBe(
        `openwaba MCP server (streamable HTTP) at ${run.url}, for openwaba at ${server.url}`,
      );
      expect(lines.some((l) => l.startsWith('out:'))).toBe(false);
      const client = await httpClient(readOnlyKey.key, run.url);
      expect((await call(client, 'search_contacts', { query: 'Ada' })).isError).toBeFalsy();
      const port = new URL(run.url).port;
      await expect(runMcp({ publicUrl: server.url }, io, { http: true, port }, 'test')).rejects.toThrow(
        `Cannot listen on 127.0.0.1:${port}: EADDRINUSE`,
      );
    } finally {
      if (run.transport === 'http') await run.close();
    }
    const early = await runMcp({ publicUrl: 'http://127.0.0.1:9' }, io, { http: true, port: '0' }, 'test');
    if (early.transport === 'http') await early.close();
    expect(lines).toContain(
      'warning: openwaba does not answer at http://127.0.0.1:9 yet; tool calls fail until it does',
    );
  });

  it('`openwaba mcp` on stdio, launched by an MCP client as a process, acts as OPENWABA_API_KEY', async () => {
    const client = new Client({ name: 'mcp-test-stdio', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '--url', server.url],
      env: { OPENWABA_API_KEY: readOnlyKey.key, DATA_DIR: server.dir },
      cwd: server.dir,
      stderr: 'pipe',
    });
    await client.connect(transport);
    clients.push(client);
    expect((await client.listTools()).tools).toHaveLength(9);
    const found = await call(client, 'search_contacts', { query: 'Ada' });
    expect((found.structuredContent!.contacts as { id: string }[]).map((c) => c.id)).toEqual([contactId]);
    const refused = await call(client, 'send_message', { contact_id: contactId, text: 'Not allowed' });
    expect(text(refused)).toContain('This API key lacks the scope conversations.reply');
  });
});
