import { createHash } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../lib/errors.ts';

export interface AccessClaims {
  userId: string;
  sessionId: string;
}

/** Short-lived access tokens (JWT, HS256). The session row is still checked on every request. */
export function createTokenSigner(appSecret: string, ttlSeconds: number) {
  const key = createHash('sha256').update(`openwaba:access-token:${appSecret}`).digest();
  return {
    ttlSeconds,
    async sign(claims: AccessClaims): Promise<string> {
      return new SignJWT({ sid: claims.sessionId })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(claims.userId)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key);
    },
    async verify(token: string): Promise<AccessClaims> {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw new Error('bad claims');
        return { userId: payload.sub, sessionId: payload.sid };
      } catch (err) {
        const expired = err instanceof errors.JWTExpired;
        throw new AppError('UNAUTHENTICATED', expired ? 'Access token expired' : 'Invalid access token', {
          details: { reason: expired ? 'token_expired' : 'token_invalid' },
        });
      }
    },
  };
}
export type TokenSigner = ReturnType<typeof createTokenSigner>;
