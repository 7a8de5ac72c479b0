import { z } from 'zod';
import { IsoDate, Text, Uuid } from './common.ts';
import { PermissionName } from './permissions.ts';

/**
 * API keys (issue 24): `Authorization: Bearer owk_…` on the `/api/v1` routes their scopes cover (and
 * the WebSocket). A key is shown once; it acts with the permissions in `scopes`, and never more than
 * its creator's current role. Created and revoked by admins, signed in (a key cannot manage keys).
 */
export const ApiKey = z.object({
  id: Uuid,
  name: z.string(),
  /** The key's first characters (`owk_` and 8 more), to tell keys apart. */
  prefix: z.string(),
  scopes: z.array(PermissionName),
  created_by: z.object({ id: Uuid, email: z.string() }),
  created_at: IsoDate,
  expires_at: IsoDate.nullable(),
  last_used_at: IsoDate.nullable(),
  last_used_ip: z.string().nullable(),
  revoked_at: IsoDate.nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
});
export type ApiKey = z.infer<typeof ApiKey>;
export const ApiKeyList = z.object({ data: z.array(ApiKey) });
/** The new key, whole: the only time it is shown. */
export const CreatedApiKey = ApiKey.extend({ key: z.string() });

export const CreateApiKeyBody = z.strictObject({
  name: Text(100).pipe(z.string().min(1, 'is required')),
  scopes: z
    .array(PermissionName)
    .min(1, 'choose at least one scope')
    .refine((s) => new Set(s).size === s.length, 'scopes must be unique'),
  /** Optional; in the future. */
  expires_at: IsoDate.nullable().default(null),
});
