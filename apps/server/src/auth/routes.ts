import {
  ChangePasswordBody,
  LoginBody,
  LoginResult,
  Me,
  Ok,
  SessionList,
  SessionState,
  SwitchOrgBody,
  Uuid,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { AppError } from '../lib/errors.ts';
import { authOf } from '../lib/http.ts';
import { optionalAuthOf } from './access.ts';
import {
  ACCESS_COOKIE,
  clearSessionCookies,
  clientInfo,
  REFRESH_COOKIE,
  setSessionCookies,
} from './cookies.ts';
import type { AuthService } from './service.ts';

/** Endpoints that take no input still refuse input they do not expect. */
const NoBody = z.strictObject({}).nullish();

export const authRoutes =
  (deps: { auth: AuthService; config: Config }): FastifyPluginAsyncZod =>
  async (app) => {
    const { auth, config } = deps;
    const tag = { tags: ['auth'] };

    app.post(
      '/api/v1/auth/login',
      {
        config: { access: 'public' },
        schema: {
          ...tag,
          summary: 'Sign in with email and password',
          body: LoginBody,
          response: { 200: LoginResult },
        },
      },
      async (req, reply) => {
        const tokens = await auth.login(req.body.email, req.body.password, clientInfo(req));
        setSessionCookies(reply, config, tokens);
        return { ok: true as const, expires_in: config.ACCESS_TOKEN_TTL_SECONDS };
      },
    );

    app.post(
      '/api/v1/auth/refresh',
      {
        config: { access: 'public' },
        schema: {
          ...tag,
          summary: 'Rotate the refresh token and get a new access token',
          body: NoBody,
          response: { 200: LoginResult },
        },
      },
      async (req, reply) => {
        const token = req.cookies[REFRESH_COOKIE];
        if (!token)
          throw new AppError('UNAUTHENTICATED', 'Sign in first', { details: { reason: 'no_refresh_token' } });
        try {
          const tokens = await auth.refresh(token);
          setSessionCookies(reply, config, tokens);
          return { ok: true as const, expires_in: config.ACCESS_TOKEN_TTL_SECONDS };
        } catch (err) {
          if (err instanceof AppError && err.code === 'UNAUTHENTICATED') clearSessionCookies(reply);
          throw err;
        }
      },
    );

    // Under /api/v1/auth, so the browser sends the refresh cookie too. Always 200: the sign-in page
    // learns it is signed out without a failing request, and nothing is consumed or changed.
    app.get(
      '/api/v1/auth/session',
      {
        config: { access: 'public' },
        schema: {
          ...tag,
          summary: 'Whether the caller is signed in, and whether the session needs a refresh first',
          response: { 200: SessionState },
        },
      },
      async (req, reply) => {
        reply.header('cache-control', 'no-store');
        if (await optionalAuthOf(req, auth)) return { signed_in: true, needs_refresh: false };
        const refresh = req.cookies[REFRESH_COOKIE];
        const live = refresh ? await auth.canRefresh(refresh) : false;
        return { signed_in: live, needs_refresh: live };
      },
    );

    app.post(
      '/api/v1/auth/logout',
      {
        config: { access: 'public' },
        schema: { ...tag, summary: 'End this session', body: NoBody, response: { 200: Ok } },
      },
      async (req, reply) => {
        const refresh = req.cookies[REFRESH_COOKIE];
        if (refresh) await auth.logoutByRefreshToken(refresh);
        const access = req.cookies[ACCESS_COOKIE];
        if (access) {
          const ctx = await auth.authenticate(access).catch(() => null);
          if (ctx) await auth.logout(ctx);
        }
        clearSessionCookies(reply);
        return { ok: true as const };
      },
    );

    app.get(
      '/api/v1/me',
      {
        config: { access: 'authenticated' },
        schema: {
          ...tag,
          summary: 'The signed-in user, current org, role and permissions',
          response: { 200: Me },
        },
      },
      async (req) => auth.getMe(authOf(req)),
    );

    app.post(
      '/api/v1/me/org',
      {
        config: { access: 'authenticated' },
        schema: {
          ...tag,
          summary: 'Switch the current organisation',
          body: SwitchOrgBody,
          response: { 200: Me },
        },
      },
      async (req) => auth.switchOrg(authOf(req), req.body.org_id),
    );

    app.post(
      '/api/v1/me/password',
      {
        config: { access: 'authenticated' },
        schema: {
          ...tag,
          summary: 'Change password; ends every other session',
          body: ChangePasswordBody,
          response: { 200: Ok },
        },
      },
      async (req) => {
        await auth.changePassword(
          authOf(req),
          req.body.current_password,
          req.body.new_password,
          clientInfo(req),
        );
        return { ok: true as const };
      },
    );

    app.get(
      '/api/v1/me/sessions',
      {
        config: { access: 'authenticated' },
        schema: { ...tag, summary: 'Active sessions', response: { 200: SessionList } },
      },
      async (req) => ({ data: await auth.listSessions(authOf(req)) }),
    );

    app.delete(
      '/api/v1/me/sessions/:id',
      {
        config: { access: 'authenticated' },
        schema: {
          ...tag,
          summary: 'Revoke a session',
          params: z.object({ id: Uuid }),
          response: { 200: Ok },
        },
      },
      async (req) => {
        await auth.revokeSession(authOf(req), req.params.id);
        return { ok: true as const };
      },
    );
  };
