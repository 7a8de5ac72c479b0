import type { Permission, Role } from '@openwaba/contracts';

/** Who is calling, resolved once per request by the auth hook. Every service call takes it. */
export interface AuthContext {
  userId: string;
  orgId: string;
  role: Role;
  sessionId: string;
  /** Set for HTTP requests: recorded in the audit log. */
  requestId?: string;
  ip?: string;
  /** Set when the change does not come through the API (e.g. `cli`): recorded as the audit label. */
  via?: string;
  /** A request made with an API key: the key, and the permissions it may use (besides the role's limit). */
  apiKeyId?: string;
  scopes?: Permission[];
}
