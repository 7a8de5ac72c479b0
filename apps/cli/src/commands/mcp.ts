import { createClient } from '@openwaba/sdk';
import { z } from 'zod';
import { type RemoteDefaults, toCliError } from '../api.ts';
import { parseFlags } from '../flags.ts';
import { type HttpMcp, keyRefusal, serveHttp, serveStdio } from '../mcp/server.ts';
import { CliError, type Io } from '../output.ts';

/** Where `openwaba mcp` finds the API key it acts as (stdio; over HTTP each client sends its own). */
export const MCP_KEY_ENV = 'OPENWABA_API_KEY';

export interface McpOptions {
  url?: string;
  apiKey?: string;
  http?: boolean;
  port?: string;
  host?: string;
}

const Url = z.url('must be the openwaba server URL, e.g. https://wa.example.com');
const ApiKey = z
  .string()
  .trim()
  .regex(/^owk_\S+$/, 'must be an openwaba API key (owk_…, Settings → API keys)');

const StdioFlags = z.object({
  url: Url,
  apiKey: z.string({ error: `is required (or ${MCP_KEY_ENV}): the API key the tools act as` }).pipe(ApiKey),
});
const HttpFlags = z.object({
  url: Url,
  host: z.string().trim().min(1, 'must be an interface to listen on, e.g. 127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535),
});

export type McpRun = { transport: 'stdio' } | ({ transport: 'http' } & HttpMcp);

/**
 * `openwaba mcp`: a Model Context Protocol server in front of openwaba's API. On stdio (an MCP client
 * launches it) it acts as the one key given; with `--http` it serves streamable HTTP, each client
 * with its own key. Nothing but the protocol goes to stdout.
 */
export async function runMcp(
  config: RemoteDefaults,
  io: Io,
  opts: McpOptions,
  version: string,
  keySource?: string,
): Promise<McpRun> {
  if (opts.http) {
    // A key on the command line would be ignored: over HTTP the key is each client's.
    if (keySource === 'cli')
      throw new CliError(
        '--api-key is for stdio: over --http each MCP client sends its own key (Authorization: Bearer owk_…)',
        2,
      );
    const flags = parseFlags(HttpFlags, {
      url: opts.url ?? config.publicUrl,
      host: opts.host ?? '127.0.0.1',
      port: opts.port ?? '8788',
    });
    const baseUrl = flags.url.replace(/\/$/, '');
    // openwaba may start after us (containers): say so, and serve anyway.
    await createClient({ baseUrl })
      .auth.session()
      .catch(() =>
        io.err(`warning: openwaba does not answer at ${baseUrl} yet; tool calls fail until it does`),
      );
    const served = await serveHttp({ baseUrl, host: flags.host, port: flags.port }, version).catch(
      (err: NodeJS.ErrnoException) => {
        throw new CliError(`Cannot listen on ${flags.host}:${flags.port}: ${err.code ?? err.message}`);
      },
    );
    io.err(`openwaba MCP server (streamable HTTP) at ${served.url}, for openwaba at ${baseUrl}`);
    io.err('Each client authenticates with its own API key: Authorization: Bearer owk_…');
    return { transport: 'http', ...served };
  }
  const flags = parseFlags(StdioFlags, { url: opts.url ?? config.publicUrl, apiKey: opts.apiKey });
  const baseUrl = flags.url.replace(/\/$/, '');
  // Checked before serving: an MCP client shows a server that exits with a reason better than tools that all fail.
  const refusal = await keyRefusal(createClient({ baseUrl, apiKey: flags.apiKey })).catch((err) => {
    throw toCliError(err, baseUrl);
  });
  if (refusal) throw new CliError(`openwaba at ${baseUrl} refused the API key: ${refusal}`);
  await serveStdio({ baseUrl, apiKey: flags.apiKey }, version);
  io.err(`openwaba MCP server on stdio, for openwaba at ${baseUrl}`);
  return { transport: 'stdio' };
}
