import type {
  IDataObject,
  IExecuteFunctions,
  IHookFunctions,
  IHttpRequestMethods,
  IHttpRequestOptions,
  ILoadOptionsFunctions,
  IWebhookFunctions,
  JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

/** The credential type every openwaba node authenticates with (`credentials/OpenwabaApi.credentials.ts`). */
export const CREDENTIAL = 'openwabaApi';

type Caller = IExecuteFunctions | IHookFunctions | ILoadOptionsFunctions | IWebhookFunctions;

export interface RequestExtra {
  qs?: IDataObject;
  headers?: IDataObject;
  itemIndex?: number;
}

/** openwaba's one error shape: `{ error: { code, message, details } }`. */
interface OpenwabaErrorBody {
  error?: { code?: string; message?: string; details?: unknown };
}

/**
 * One call to openwaba's `/api/v1`, authenticated with the credential's API key. Any answer but a
 * 2xx becomes a NodeApiError carrying openwaba's own message, code and details, so a workflow's
 * error output says what openwaba said (e.g. "The contact opted out", "This API key lacks the scope
 * contacts.manage") rather than n8n's generic text for the status.
 *
 * @example
 * const sent = await openwabaRequest.call(this, 'POST', '/api/v1/messages', { to: { phone: '+12025550123' }, content });
 */
export async function openwabaRequest(
  this: Caller,
  method: IHttpRequestMethods,
  path: string,
  body?: IDataObject,
  extra: RequestExtra = {},
): Promise<IDataObject> {
  const credentials = await this.getCredentials(CREDENTIAL);
  const baseUrl = String(credentials.baseUrl ?? '').replace(/\/+$/, '');
  const options: IHttpRequestOptions = {
    method,
    url: `${baseUrl}${path}`,
    json: true,
    // Read every answer ourselves: openwaba's error body is the message a person needs.
    ignoreHttpStatusErrors: true,
    returnFullResponse: true,
  };
  if (body !== undefined) options.body = body;
  if (extra.qs) options.qs = extra.qs;
  if (extra.headers) options.headers = extra.headers;
  const res = (await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL, options)) as {
    statusCode: number;
    headers: IDataObject;
    body: unknown;
  };
  if (res.statusCode >= 200 && res.statusCode < 300) return res.body as IDataObject;
  throw apiError(this, res.statusCode, res.body, res.headers, extra.itemIndex);
}

function apiError(
  ctx: Caller,
  status: number,
  body: unknown,
  headers: IDataObject,
  itemIndex?: number,
): NodeApiError {
  const parsed = typeof body === 'string' ? parseJson(body) : body;
  const err = (parsed as OpenwabaErrorBody | undefined)?.error;
  const code = err?.code ?? `HTTP_${status}`;
  const retryAfter = headers['retry-after'];
  const message = err?.message ?? `openwaba answered ${status}`;
  const details = err?.details === undefined ? '' : ` Details: ${JSON.stringify(err.details)}`;
  const wait = status === 429 && retryAfter ? ` Retry after ${String(retryAfter)} s.` : '';
  return new NodeApiError(
    ctx.getNode(),
    { code, status, message, details: (err?.details ?? null) as JsonObject } as JsonObject,
    {
      message,
      description: `openwaba ${code} (HTTP ${status}).${wait}${details}`,
      httpCode: String(status),
      itemIndex,
    },
  );
}

/** The JSON value of `s`, or undefined when it is not JSON. */
export function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
