import type { FastifyReply, FastifyRequest } from 'fastify';
import { checkAppSecretProof } from '../apps.ts';
import type { Core } from '../core/build-core.ts';
import { type GraphFailure, graphError, tokenError } from '../errors.ts';
import type { SimNumber } from '../state.ts';

export type Params = { version: string; id: string };
export type Query = Record<string, string | undefined>;

const VERSION = /^v\d{1,2}\.\d$/;

export type GraphHttp = ReturnType<typeof createGraphHttp>;

/**
 * What every Graph route does first and last: check the version and the caller's token, find the
 * object in the path, and answer a failure the way Meta does (counted in the stats).
 */
export function createGraphHttp(core: Pick<Core, 'rnd' | 'stats' | 'numbers' | 'byToken'>) {
  const { rnd } = core;

  /** Checks the bearer token (and its `appsecret_proof`, if given) against the numbers of the WABA that owns the object. */
  function authorise(req: FastifyRequest, wabaId: string | undefined): GraphFailure | SimNumber {
    const header = req.headers.authorization;
    const token = header?.toLowerCase().startsWith('bearer ')
      ? header.slice(7).trim()
      : (req.query as Record<string, string>)?.access_token;
    if (!token) return tokenError('missing', rnd);
    const owner = core.byToken(token);
    if (!owner) return tokenError('invalid', rnd);
    if (owner.token_status !== 'valid') return tokenError(owner.token_status, rnd);
    // A proof that is given is checked, whether or not the app requires one (as Meta does).
    const proof = (req.query as Record<string, string | undefined>)?.appsecret_proof;
    if (proof !== undefined) {
      const refused = checkAppSecretProof(owner, token, proof, rnd);
      if (refused) return refused;
    }
    if (wabaId !== undefined && owner.waba_id !== wabaId) return objectMissing(req, 'the object');
    return owner;
  }

  function objectMissing(req: FastifyRequest, id: string): GraphFailure {
    return graphError(100, rnd, {
      subcode: 33,
      message: `Unsupported ${req.method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      details: '',
    });
  }

  function fail(reply: FastifyReply, f: GraphFailure) {
    const code = String(f.body.error.code);
    core.stats.errors[code] = (core.stats.errors[code] ?? 0) + 1;
    return reply.code(f.status).send(f.body);
  }

  const versionOk = (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    if (VERSION.test(req.params.version)) return true;
    void fail(
      reply,
      graphError(100, rnd, { message: `Unknown version: ${req.params.version}`, details: '' }),
    );
    return false;
  };

  /** The number in the path, checked against the bearer token (same WABA). */
  function numberFor(req: FastifyRequest<{ Params: Params }>, reply: FastifyReply): SimNumber | undefined {
    const owner = authorise(req, undefined);
    if (!('phone_number_id' in owner)) {
      void fail(reply, owner);
      return undefined;
    }
    const n = core.numbers.get(req.params.id);
    if (!n || n.waba_id !== owner.waba_id) {
      void fail(reply, objectMissing(req, req.params.id));
      return undefined;
    }
    return n;
  }

  function wabaFor(req: FastifyRequest<{ Params: Params }>, reply: FastifyReply): string | undefined {
    const owner = authorise(req, undefined);
    if (!('phone_number_id' in owner)) {
      void fail(reply, owner);
      return undefined;
    }
    if (owner.waba_id !== req.params.id) {
      void fail(reply, objectMissing(req, req.params.id));
      return undefined;
    }
    return owner.waba_id;
  }

  return { authorise, objectMissing, fail, versionOk, numberFor, wabaFor };
}
