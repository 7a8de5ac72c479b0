import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECONDS, DEVICE_COOKIE_PATH } from './device-cookie.ts';
import type { ClientInfo, IssuedTokens } from './service.ts';

/** The session cookies, shared by the routes that sign people in (auth, invitations) and the WebSocket. */
export const ACCESS_COOKIE = 'ow_access';
export const REFRESH_COOKIE = 'ow_refresh';
const REFRESH_PATH = '/api/v1/auth';

export function setSessionCookies(reply: FastifyReply, config: Config, tokens: IssuedTokens) {
  const base = { httpOnly: true, sameSite: 'lax' as const, secure: config.cookieSecure };
  reply.setCookie(ACCESS_COOKIE, tokens.accessToken, {
    ...base,
    path: '/',
    maxAge: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, {
    ...base,
    path: REFRESH_PATH,
    maxAge: config.SESSION_TTL_DAYS * 86_400,
  });
  if (tokens.device) {
    // Outlives sessions (it is what lets the owner back in while their account is under attack) and
    // is only ever sent by this site's own pages.
    reply.setCookie(DEVICE_COOKIE, tokens.device, {
      ...base,
      sameSite: 'strict',
      path: DEVICE_COOKIE_PATH,
      maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS,
    });
  }
}

export function clearSessionCookies(reply: FastifyReply) {
  reply.clearCookie(ACCESS_COOKIE, { path: '/' });
  reply.clearCookie(REFRESH_COOKIE, { path: REFRESH_PATH });
}

export function clientInfo(req: FastifyRequest): ClientInfo {
  return {
    ip: req.ip ?? null,
    userAgent: req.headers['user-agent'] ?? null,
    device: req.cookies[DEVICE_COOKIE] ?? null,
  };
}
