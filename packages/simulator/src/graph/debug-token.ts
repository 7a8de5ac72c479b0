import type { FastifyInstance } from 'fastify';
import { appIdOf } from '../apps.ts';
import type { Core } from '../core/build-core.ts';
import { graphError, tokenError } from '../errors.ts';
import type { GraphHttp } from './http.ts';

/**
 * `GET /{version}/debug_token?input_token=…`: what Meta says about a token. The caller's token must
 * belong to the same app (Meta: an app token, or a token of the app's own users); a token that is
 * not valid answers 200 with `is_valid: false` and the error, as Meta does.
 */
export function registerDebugTokenRoute(app: FastifyInstance, core: Core, http: GraphHttp) {
  const { rnd } = core;
  const { authorise, fail } = http;
  app.get<{ Params: { version: string }; Querystring: Record<string, string | undefined> }>(
    '/:version/debug_token',
    async (req, reply) => {
      const caller = authorise(req, undefined);
      if (!('phone_number_id' in caller)) return fail(reply, caller);
      const input = req.query.input_token;
      if (!input) {
        return fail(
          reply,
          graphError(100, rnd, {
            details: 'The parameter input_token is required',
            type: 'GraphMethodException',
          }),
        );
      }
      const n = core.byToken(input);
      if (n?.token_status !== 'valid') {
        const e = tokenError(n?.token_status ?? 'invalid', rnd).body.error;
        return {
          data: {
            error: {
              code: e.code,
              message: e.message,
              ...(e.error_subcode ? { subcode: e.error_subcode } : {}),
            },
            is_valid: false,
            scopes: [],
          },
        };
      }
      if (appIdOf(n) !== appIdOf(caller)) {
        return fail(
          reply,
          graphError(100, rnd, {
            type: 'GraphMethodException',
            message:
              '(#100) You must provide an app access token, or a user access token that is an owner or developer of the app',
            details: '',
          }),
        );
      }
      const scopes = ['whatsapp_business_management', 'whatsapp_business_messaging'];
      return {
        data: {
          app_id: appIdOf(n),
          type: 'SYSTEM_USER',
          application: n.verified_name,
          data_access_expires_at: 0,
          expires_at: 0,
          is_valid: true,
          issued_at: Math.floor(core.startedAt / 1000),
          scopes,
          granular_scopes: scopes.map((scope) => ({ scope, target_ids: [n.waba_id] })),
          user_id: `9${n.waba_id}`.slice(0, 16),
        },
      };
    },
  );
}
