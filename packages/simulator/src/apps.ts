import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { type GraphFailure, graphError, tokenError } from './errors.ts';
import type { Random } from './random.ts';
import type { Core } from './simulator.ts';
import type { SimNumber } from './state.ts';

/**
 * Meta apps. Every access token belongs to one app; a call that carries `appsecret_proof` (the hex
 * HMAC-SHA256 of the token keyed by the app secret) is refused unless the proof was made with that
 * app's secret — whether or not the app requires proofs. A number's app is its `app_secret` (and
 * `app_id`, derived from the secret when not given). A number added without an app secret belongs to
 * an app whose secret the simulator does not know: any proof is taken for it.
 */
export function appIdOf(n: Pick<SimNumber, 'app_id' | 'app_secret' | 'waba_id'>): string {
  if (n.app_id) return n.app_id;
  const seed = n.app_secret ?? `waba:${n.waba_id}`;
  const digits = BigInt(`0x${createHash('sha256').update(`app:${seed}`).digest('hex').slice(0, 15)}`);
  // Meta's app ids are 15–16 digits; the leading 1 keeps the length fixed.
  return `1${String(digits % 10n ** 14n).padStart(14, '0')}`;
}

/** The error Meta answers for a proof that was not made with the token's app secret, or undefined. */
export function checkAppSecretProof(
  owner: Pick<SimNumber, 'app_secret'>,
  token: string,
  proof: string,
  rnd: Random,
): GraphFailure | undefined {
  if (!owner.app_secret) return undefined;
  const expected = createHmac('sha256', owner.app_secret).update(token).digest();
  const given = Buffer.from(/^[0-9a-f]{64}$/i.test(proof) ? proof : '', 'hex');
  if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
  return graphError(100, rnd, {
    type: 'GraphMethodException',
    message: 'Invalid appsecret_proof provided in the API argument',
    details: '',
  });
}

/**
 * `GET /{version}/debug_token?input_token=…`: what Meta says about a token. The caller's token must
 * belong to the same app (Meta: an app token, or a token of the app's own users); a token that is
 * not valid answers 200 with `is_valid: false` and the error, as Meta does.
 */
export function registerAppRoutes(app: FastifyInstance, core: Core) {
  const { rnd } = core;
  app.get<{ Params: { version: string }; Querystring: Record<string, string | undefined> }>(
    '/:version/debug_token',
    async (req, reply) => {
      const caller = core.authorise(req, undefined);
      if (!('phone_number_id' in caller)) return core.fail(reply, caller);
      const input = req.query.input_token;
      if (!input) {
        return core.fail(
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
        return core.fail(
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
