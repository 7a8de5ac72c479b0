import type { Permission } from '@openwaba/contracts';
import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';

/** What a route requires: a permission from the table, any signed-in user, or nothing. */
export type Access = Permission | 'authenticated' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

/**
 * The authenticated caller of a route that declared a non-public access. `req.auth` (auth's
 * `AuthContext`) is declared and set by the access hook in auth/access.ts, registered by the app.
 */
export function authOf(req: FastifyRequest): NonNullable<FastifyRequest['auth']> {
  if (!req.auth) throw new AppError('UNAUTHENTICATED', 'Sign in first');
  return req.auth;
}
