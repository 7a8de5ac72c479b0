import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  ICredentialType,
  IDataObject,
  IExecuteFunctions,
  IHookFunctions,
  IHttpRequestOptions,
  ILoadOptionsFunctions,
  INode,
  INodeExecutionData,
  INodePropertyOptions,
  INodeType,
  IWebhookFunctions,
} from 'n8n-workflow';

/**
 * A small stand-in for n8n that runs this package's nodes the way n8n does, for the tests. n8n's own
 * runtime (n8n-core) needs Node 22+ and pulls in LangChain, Sentry and native modules, so instead this
 * implements only what the nodes use, with the same meaning:
 *
 * - parameters: a node's values, with the description's defaults for those not set;
 * - `helpers.httpRequestWithAuthentication`: real HTTP (fetch) with the credential type's
 *   `authenticate` applied (its `={{$credentials.x}}` expressions substituted), `json`, `qs`,
 *   `returnFullResponse` and `ignoreHttpStatusErrors` as n8n reads them;
 * - the credential's `test` request and its `responseSuccessBody` rules;
 * - webhooks: a real HTTP server at `/webhook/<webhookId>/<path>`, the node's `webhookMethods`
 *   (checkExists, then create) on activation and `delete` on deactivation, static data kept per node,
 *   `rawBody` on the request as n8n sets it, and `responseMode: 'onReceived'` answers.
 *
 * What it does not do: evaluate arbitrary expressions, binary data, pagination helpers, or run a
 * workflow past the node (emitted items are collected instead).
 */

export interface Credentials {
  baseUrl: string;
  apiKey: string;
}

type Params = Record<string, unknown>;

function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Substitutes `{{$credentials.x}}` (and `?.x`) in a `=`-prefixed n8n expression string. */
function resolve(value: unknown, credentials: Credentials): unknown {
  if (typeof value !== 'string' || !value.startsWith('=')) return value;
  return value
    .slice(1)
    .replace(/\{\{\s*\$credentials\??\.(\w+)\s*\}\}/g, (_, k: string) =>
      String((credentials as unknown as Record<string, unknown>)[k] ?? ''),
    );
}

function nodeOf(type: INodeType, params: Params): INode {
  return {
    id: randomUUID(),
    name: type.description.defaults.name ?? type.description.displayName,
    type: `n8n-nodes-openwaba.${type.description.name}`,
    typeVersion: 1,
    position: [0, 0],
    parameters: params as INode['parameters'],
  };
}

/** The parameter's value: as set, else the node description's default, else the caller's fallback. */
function parameter(type: INodeType, params: Params, name: string, fallback: unknown): unknown {
  const set = getPath(params, name);
  if (set !== undefined) return set;
  if (fallback !== undefined) return fallback;
  const top = name.split('.')[0];
  const prop = type.description.properties.find((p) => p.name === top);
  if (prop && !name.includes('.')) return prop.default;
  throw new Error(`Could not get parameter "${name}"`);
}

export function createN8nHarness(credentialType: ICredentialType, credentials: Credentials) {
  async function httpRequestWithAuthentication(credentialName: string, options: IHttpRequestOptions) {
    if (credentialName !== credentialType.name) throw new Error(`unknown credential ${credentialName}`);
    const auth = credentialType.authenticate;
    if (!auth || typeof auth === 'function') throw new Error('expected a generic authenticate');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.headers ?? {})) headers[k] = String(v);
    for (const [k, v] of Object.entries(auth.properties.headers ?? {}))
      headers[k] = String(resolve(v, credentials));
    return request({ ...options, headers });
  }

  async function request(options: IHttpRequestOptions) {
    const url = new URL(`${options.baseURL ?? ''}${options.url}`);
    for (const [k, v] of Object.entries(options.qs ?? {})) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { ...(options.headers as Record<string, string>) };
    let body: string | undefined;
    if (options.body !== undefined) {
      body =
        options.json || typeof options.body === 'object'
          ? JSON.stringify(options.body)
          : String(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(url, { method: options.method ?? 'GET', headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    if (options.json && text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!res.ok && !options.ignoreHttpStatusErrors)
      throw Object.assign(new Error(`Request failed with status code ${res.status}`), {
        httpCode: String(res.status),
        response: { status: res.status, data: parsed },
      });
    if (options.returnFullResponse)
      return { statusCode: res.status, headers: Object.fromEntries(res.headers), body: parsed };
    return parsed;
  }

  const helpers = {
    httpRequestWithAuthentication,
    returnJsonArray: (data: IDataObject | IDataObject[]): INodeExecutionData[] =>
      (Array.isArray(data) ? data : [data]).map((json) => ({ json })),
  };

  const base = (type: INodeType, params: Params) => {
    const node = nodeOf(type, params);
    return {
      node,
      getNode: () => node,
      getCredentials: async (name: string) => {
        if (name !== credentialType.name) throw new Error(`unknown credential ${name}`);
        return { ...credentials };
      },
      helpers,
    };
  };

  /** Runs the node's `execute` over `items`, as one n8n node execution. */
  async function execute(
    type: INodeType,
    params: Params,
    opts: { items?: IDataObject[]; continueOnFail?: boolean } = {},
  ): Promise<INodeExecutionData[][]> {
    const items = (opts.items ?? [{}]).map((json) => ({ json }));
    const ctx = {
      ...base(type, params),
      getInputData: () => items,
      getNodeParameter: (name: string, _i: number, fallback?: unknown) =>
        parameter(type, params, name, fallback),
      continueOnFail: () => opts.continueOnFail === true,
    };
    if (!type.execute) throw new Error('not an action node');
    return (await type.execute.call(ctx as unknown as IExecuteFunctions)) as INodeExecutionData[][];
  }

  /** Calls one of the node's `methods.loadOptions`, as the editor does to fill a drop-down. */
  async function loadOptions(
    type: INodeType,
    method: string,
    params: Params = {},
  ): Promise<INodePropertyOptions[]> {
    const fn = type.methods?.loadOptions?.[method];
    if (!fn) throw new Error(`no loadOptions method ${method}`);
    const ctx = {
      ...base(type, params),
      getNodeParameter: (name: string, fallback?: unknown) => parameter(type, params, name, fallback),
      getCurrentNodeParameter: (name: string) => getPath(params, name),
    };
    return fn.call(ctx as unknown as ILoadOptionsFunctions);
  }

  /** The credential's test request and rules, as n8n's "Test" button runs them. */
  async function testCredential(): Promise<{ status: 'OK' | 'Error'; message: string }> {
    const test = credentialType.test;
    if (!test) throw new Error('the credential has no test');
    let res: { statusCode: number; body: unknown };
    try {
      res = (await httpRequestWithAuthentication(credentialType.name, {
        method: test.request.method,
        url: `${String(resolve(test.request.baseURL, credentials)).replace(/\/+$/, '')}${test.request.url}`,
        json: true,
        returnFullResponse: true,
      })) as { statusCode: number; body: unknown };
    } catch (err) {
      return { status: 'Error', message: (err as Error).message };
    }
    for (const rule of test.rules ?? []) {
      if (rule.type !== 'responseSuccessBody') continue;
      if (getPath(res.body, rule.properties.key) === rule.properties.value)
        return { status: 'Error', message: rule.properties.message };
    }
    return { status: 'OK', message: 'Connection successful!' };
  }

  // ---- webhooks ---------------------------------------------------------------------------------
  interface Active {
    type: INodeType;
    params: Params;
    node: INode;
    staticData: IDataObject;
    emitted: IDataObject[][];
    answers: number[];
  }
  const active = new Map<string, Active>();
  let server: Server | undefined;
  let webhookBase = '';

  async function listen(): Promise<string> {
    if (server) return webhookBase;
    server = createServer((req, res) => {
      receive(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err));
      });
    });
    await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
    webhookBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return webhookBase;
  }

  async function receive(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks);
    const a = active.get(new URL(req.url ?? '/', webhookBase).pathname);
    if (!a || req.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 404, message: 'The requested webhook is not registered.' }));
      return;
    }
    let body: unknown = {};
    try {
      body = rawBody.length ? JSON.parse(rawBody.toString('utf8')) : {};
    } catch {
      body = {};
    }
    Object.assign(req, { rawBody, body });
    const ctx = {
      ...base(a.type, a.params),
      node: a.node,
      getNode: () => a.node,
      getNodeParameter: (name: string, fallback?: unknown) => parameter(a.type, a.params, name, fallback),
      getWorkflowStaticData: () => a.staticData,
      getRequestObject: () => req,
      getResponseObject: () => res,
      getHeaderData: () => req.headers,
      getBodyData: () => body,
    };
    const out = await a.type.webhook!.call(ctx as unknown as IWebhookFunctions);
    if (out.noWebhookResponse) {
      a.answers.push(res.statusCode);
      return;
    }
    if (out.workflowData) a.emitted.push(out.workflowData[0]!.map((item) => item.json));
    const answer = out.workflowData ? { message: 'Workflow was started' } : (out.webhookResponse ?? {});
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
    a.answers.push(200);
  }

  /**
   * Activates a trigger as n8n does when a workflow is switched on: checkExists, then create when it
   * answers false. `staticData` carries over between activations of the same node (pass the previous
   * trigger's to re-activate it).
   */
  async function activate(
    type: INodeType,
    params: Params,
    opts: { staticData?: IDataObject; webhookId?: string } = {},
  ) {
    const baseUrl = await listen();
    const webhookId = opts.webhookId ?? randomUUID();
    const hook = type.description.webhooks?.[0];
    if (!hook || !type.webhookMethods?.default) throw new Error('not a webhook trigger');
    const path = `/webhook/${webhookId}/${String(hook.path)}`;
    const { node, ...rest } = base(type, params);
    const a: Active = { type, params, node, staticData: opts.staticData ?? {}, emitted: [], answers: [] };
    const hookCtx = {
      ...rest,
      getNode: () => node,
      getNodeParameter: (name: string, fallback?: unknown) => parameter(type, params, name, fallback),
      getWorkflowStaticData: () => a.staticData,
      getNodeWebhookUrl: () => `${baseUrl}${path}`,
      getWorkflow: () => ({ id: 'wf1', name: 'Harness workflow', active: true }),
    } as unknown as IHookFunctions;
    const methods = type.webhookMethods.default;
    if (!(await methods.checkExists!.call(hookCtx))) await methods.create!.call(hookCtx);
    active.set(path, a);
    return {
      webhookId,
      url: `${baseUrl}${path}`,
      staticData: a.staticData,
      /** Items each workflow run started with (one array per run). */
      emitted: a.emitted,
      /** The HTTP status answered to each delivery. */
      answers: a.answers,
      checkExists: () => methods.checkExists!.call(hookCtx),
      /** Deactivates the workflow: the node's `delete`, and its URL is no longer served. */
      async deactivate(): Promise<boolean> {
        active.delete(path);
        return methods.delete!.call(hookCtx);
      },
    };
  }

  async function close() {
    active.clear();
    if (server) await new Promise((ok) => server!.close(ok));
    server = undefined;
  }

  return { execute, loadOptions, testCredential, activate, close };
}
