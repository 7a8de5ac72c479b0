import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ApiError, type Client, createClient } from '@openwaba/sdk';
import { registerTools } from './tools.ts';

const INSTRUCTIONS = [
  "openwaba is a WhatsApp Business platform. These tools act on one organisation's contacts,",
  'conversations and campaigns as an API key, limited to its scopes: a tool the key is not scoped for',
  'answers an error naming the scope. Sending follows WhatsApp rules: free-form text only within 24 h',
  "of the customer's last message (see window_expires_at), otherwise an approved template; contacts",
  'who opted out are not sent to.',
].join(' ');

/**
 * An MCP server whose tools call openwaba at `baseUrl` as one API key.
 * @example
 * const server = createMcpServer({ baseUrl: 'https://wa.example.com', apiKey: 'owk_…' }, '0.1.0');
 * await server.connect(new StdioServerTransport());
 */
export function createMcpServer(opts: { baseUrl: string; apiKey: string }, version: string): McpServer {
  const server = new McpServer(
    { name: 'openwaba', title: 'openwaba', version },
    { instructions: INSTRUCTIONS },
  );
  registerTools(server, createClient({ baseUrl: opts.baseUrl, apiKey: opts.apiKey }), opts.baseUrl);
  return server;
}

/** What openwaba says of a key: null when it takes it, else its reason (unknown, revoked, expired…). */
export async function keyRefusal(api: Client): Promise<string | null> {
  try {
    await api.orgs.current();
    return null;
  } catch (err) {
    // A key without org.read is still a key openwaba knows: only a 401 says it is not.
    if (err instanceof ApiError && err.status !== 401) return null;
    if (err instanceof ApiError) return err.message;
    throw err;
  }
}

/** Serves MCP on this process's stdin/stdout (the client launched us); stdout carries only the protocol. */
export async function serveStdio(opts: { baseUrl: string; apiKey: string }, version: string) {
  const server = createMcpServer(opts, version);
  await server.connect(new StdioServerTransport());
  return server;
}

export interface HttpMcp {
  /** Where clients connect: `http://host:port/mcp`. */
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
/** 1 MiB: a tool call is a few hundred bytes; nothing an MCP client sends here needs more. */
const MAX_BODY = 1024 * 1024;

function answer(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  // A JSON-RPC error without an id: MCP clients show its message.
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message }, id: null }));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new RangeError('too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const isInitialize = (body: unknown) =>
  [body].flat().some((m) => (m as { method?: unknown } | null)?.method === 'initialize');

/**
 * Serves MCP over streamable HTTP at `/mcp`, stateless: each request brings its own
 * `Authorization: Bearer owk_…`, gets a server for that key and is answered, so one process serves
 * any number of keys and keeps nothing between requests. A client's `initialize` is refused with a
 * 401 when openwaba does not take its key.
 */
export async function serveHttp(
  opts: { baseUrl: string; host: string; port: number },
  version: string,
): Promise<HttpMcp> {
  const loopback = LOOPBACK.has(opts.host);
  const http = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/mcp') return answer(res, 404, 'Not found: the MCP endpoint is /mcp');
      // DNS rebinding: a web page must not reach a server bound to this machine under another name.
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
      if (loopback && !LOOPBACK.has(host)) return answer(res, 403, `Host ${host} is not allowed`);
      if (req.method !== 'POST')
        return answer(res, 405, 'Only POST: this server is stateless (no SSE stream)', { allow: 'POST' });
      const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (!auth)
        return answer(res, 401, 'Send your openwaba API key: Authorization: Bearer owk_…', {
          'www-authenticate': 'Bearer realm="openwaba"',
        });
      const apiKey = auth[1]!;
      let body: unknown;
      try {
        body = await readJson(req);
      } catch (err) {
        return err instanceof RangeError
          ? answer(res, 413, 'The request body is over 1 MiB')
          : answer(res, 400, 'The request body is not JSON');
      }
      if (isInitialize(body)) {
        const refusal = await keyRefusal(createClient({ baseUrl: opts.baseUrl, apiKey }));
        if (refusal)
          return answer(res, 401, `openwaba refused the API key: ${refusal}`, {
            'www-authenticate': 'Bearer realm="openwaba", error="invalid_token"',
          });
      }
      const server = createMcpServer({ baseUrl: opts.baseUrl, apiKey }, version);
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } catch (err) {
      const reach = err instanceof TypeError && /fetch failed/i.test(err.message);
      if (!res.headersSent)
        answer(res, reach ? 502 : 500, reach ? `Cannot reach openwaba at ${opts.baseUrl}` : 'Internal error');
    }
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const shown = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shown}:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
