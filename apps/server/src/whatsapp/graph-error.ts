/**
 * What went wrong on a Graph call, kept whole: Meta says to key logic on `code` (and `details`),
 * so the class is derived from the code first and the HTTP status second.
 */
export type GraphErrorKind = 'throttled' | 'token' | 'recipient' | 'template' | 'permanent' | 'transient';

export interface GraphErrorInit {
  status: number;
  code: number | string;
  subcode?: number | undefined;
  title: string;
  details?: string | undefined;
  fbtraceId?: string | undefined;
  isTransient?: boolean | undefined;
}

const THROTTLED = new Set([4, 17, 32, 613, 80007, 130429, 131048, 131056, 131064, 133016]);
const TOKEN = new Set([0, 102, 104, 190, 463, 467]);
// 131062: a business-scoped user id cannot receive this message (an authentication template to a
// customer known only by their BSUID): the recipient, not the message, is the problem.
const RECIPIENT = new Set([130403, 131021, 131026, 131030, 131047, 131049, 131050, 131062]);
const TRANSIENT = new Set([1, 2, 131000, 131016, 131057, 133004]);

export function classifyGraphError(
  code: number | string,
  status: number,
  isTransient?: boolean,
): GraphErrorKind {
  // A URL in Meta's answer we refused to follow (paging off the Graph host, media off Meta's hosts).
  if (code === 'REFUSED_URL') return 'permanent';
  if (typeof code === 'string') return 'transient'; // network-level: TIMEOUT, NETWORK
  if (THROTTLED.has(code)) return 'throttled';
  if (TOKEN.has(code)) return 'token';
  if (RECIPIENT.has(code)) return 'recipient';
  if ((code >= 132000 && code < 133000) || (code >= 2388000 && code < 2389000)) return 'template';
  if (TRANSIENT.has(code) || isTransient) return 'transient';
  if (status === 429) return 'throttled';
  if (status >= 500) return 'transient';
  return 'permanent';
}

export class GraphError extends Error {
  readonly status: number;
  /**
   * Meta's numeric code, or 'TIMEOUT' / 'NETWORK' / 'BAD_RESPONSE' when Meta never answered properly,
   * or 'REFUSED_URL' when its answer pointed somewhere we do not go.
   */
  readonly code: number | string;
  readonly subcode: number | undefined;
  readonly title: string;
  readonly details: string | undefined;
  readonly fbtraceId: string | undefined;
  readonly kind: GraphErrorKind;

  constructor(init: GraphErrorInit) {
    super(init.details ? `${init.title}: ${init.details}` : init.title);
    this.name = 'GraphError';
    this.status = init.status;
    this.code = init.code;
    this.subcode = init.subcode;
    this.title = init.title;
    this.details = init.details;
    this.fbtraceId = init.fbtraceId;
    this.kind = classifyGraphError(init.code, init.status, init.isTransient);
  }

  /** Worth retrying later with backoff (the send queue decides how). */
  get retryable(): boolean {
    return this.kind === 'throttled' || this.kind === 'transient';
  }

  toJSON() {
    return {
      status: this.status,
      code: this.code,
      subcode: this.subcode,
      title: this.title,
      details: this.details,
      fbtrace_id: this.fbtraceId,
      kind: this.kind,
    };
  }
}
