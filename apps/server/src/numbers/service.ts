import type {
  CreateNumberBody,
  NumberDeletionCounts,
  NumberTestResult,
  UpdateNumberBody,
  WaNumber,
} from '@openwaba/contracts';
import type { AuthContext } from '../auth/context.ts';
import type { Tx } from '../db/client.ts';
import { notFound } from '../lib/errors.ts';
import type { GraphError } from '../whatsapp/graph-error.ts';
import type { WhatsAppProvider } from '../whatsapp/provider.ts';
import { connectNumber, editNumber } from './connect-number.ts';
import { createNumberDeletion } from './delete-number.ts';
import type { NumberDeps, NumberServiceDeps } from './deps.ts';
import { handleGraphError, refreshHealth } from './number-health.ts';
import { toNumber } from './number-view.ts';
import { portfolioBudget, portfolioUsage, setPortfolioTier, toPortfolio } from './portfolio.ts';
import {
  activeNumbers,
  anyRealNumber,
  findNumber,
  healthRecordsAfter,
  healthRecordsOf,
  listNumbers,
  type NumberRow,
  numberById,
} from './repo.ts';
import { connectSandboxNumber, type SandboxCredentials } from './sandbox-number.ts';

export { toNumber } from './number-view.ts';

/**
 * Connected numbers: credentials sealed at rest, checked against Meta before they are saved.
 *
 * One use case per file: `connect-number.ts` (connect, edit), `number-health.ts` (health checks,
 * token errors), `delete-number.ts`, `sandbox-number.ts`; the API view in `number-view.ts`; the
 * statements in `repo.ts`.
 */
export function createNumberService(deps: NumberServiceDeps) {
  const { db, box, whatsapp, domainEvents } = deps;
  /** The in-process simulator's client, when the sandbox runs (see sandbox/start-sandbox.ts). */
  let sandbox: WhatsAppProvider | undefined;
  const providerFor = (r: Pick<NumberRow, 'isSandbox'>) => (r.isSandbox && sandbox ? sandbox : whatsapp);
  /** A sandbox number is reachable only from the process that runs its simulator (never via Meta). */
  const reachable = (r: Pick<NumberRow, 'isSandbox'>) => !r.isSandbox || sandbox !== undefined;
  const credentialsChanged = (numberId: string) =>
    domainEvents.emitCommitted('number.credentials_changed', { numberId });
  const d: NumberDeps = { ...deps, providerFor, credentialsChanged };

  async function getRow(orgId: string, id: string): Promise<NumberRow> {
    const row = await findNumber(db, orgId, id);
    if (!row) throw notFound('Number');
    return row;
  }

  const deletion = createNumberDeletion({
    db,
    media: deps.media,
    toAudit: toNumber,
    onDeleted: credentialsChanged,
  });

  return {
    create: (ctx: AuthContext, body: CreateNumberBody): Promise<WaNumber> => connectNumber(d, ctx, body),
    list: async (ctx: Pick<AuthContext, 'orgId'>): Promise<WaNumber[]> =>
      (await listNumbers(db, ctx.orgId)).map(toNumber),
    get: async (ctx: Pick<AuthContext, 'orgId'>, id: string) => toNumber(await getRow(ctx.orgId, id)),
    update: async (ctx: AuthContext, id: string, body: UpdateNumberBody): Promise<WaNumber> =>
      editNumber(d, ctx, await getRow(ctx.orgId, id), body),
    /** What deleting the number would delete with it (the client shows it and confirms with it). */
    deletionCounts: (ctx: Pick<AuthContext, 'orgId'>, id: string) => deletion.deletionCounts(ctx.orgId, id),
    remove: (ctx: AuthContext, id: string, confirm: NumberDeletionCounts) =>
      deletion.deleteNumber(ctx, id, confirm),
    test: async (ctx: AuthContext, id: string): Promise<NumberTestResult> =>
      refreshHealth(d, await getRow(ctx.orgId, id), 'test'),
    refreshHealth: (r: NumberRow, source: string) => refreshHealth(d, r, source),
    handleGraphError: (r: NumberRow, err: GraphError) => handleGraphError(d, r, err),
    /** The sealed credentials of a number, for the send path and webhook verification. */
    credentials: (r: NumberRow) => ({
      phoneNumberId: r.phoneNumberId,
      accessToken: box.open(r.accessTokenSealed),
      appSecret: box.open(r.appSecretSealed),
      verifyToken: box.open(r.verifyTokenSealed),
    }),
    providerFor,
    reachable,
    /** One of the organisation's numbers, or undefined (tenant code never looks a number up by id alone). */
    findRow: (orgId: string, id: string): Promise<NumberRow | undefined> => findNumber(db, orgId, id),
    /**
     * A number by id alone: only for the sender, which works through every organisation's send queue
     * (its rows name the number, and the number carries its organisation).
     */
    rowForSender: (id: string): Promise<NumberRow | undefined> => numberById(db, id),
    healthHistoryOf: async (ctx: Pick<AuthContext, 'orgId'>, id: string, limit = 50) => {
      await getRow(ctx.orgId, id);
      return healthRecordsOf(db, id, limit);
    },
    /**
     * Health records (quality rating, messaging tier) written after `afterId`, oldest first, with
     * their organisation: what the reports fold reads to keep the history of changes (in its
     * transaction when given).
     */
    healthRecordsAfter: (afterId: number, limit: number, tx?: Tx) =>
      healthRecordsAfter(tx ?? db, afterId, limit),
    /**
     * Each number's messaging limit now (the portfolio's: shared by its numbers) and the unique users
     * Meta accepted templates to in the last 24 hours, for all the organisation's numbers at once.
     */
    limitsUsed: (ctx: Pick<AuthContext, 'orgId'>) => portfolioUsage(db, ctx.orgId),
    allActive: () => activeNumbers(db),
    upsertSandbox: (orgId: string, n: SandboxCredentials, provider: WhatsAppProvider) => {
      sandbox = provider;
      return connectSandboxNumber(d, orgId, n, provider);
    },
    hasRealNumbers: () => anyRealNumber(db),
    /** The number's business portfolio: its shared daily limit and how much of it was used. */
    portfolio: async (ctx: Pick<AuthContext, 'orgId'>, id: string) => {
      await getRow(ctx.orgId, id);
      return toPortfolio(await portfolioBudget(db, ctx.orgId, id, { queued: true }));
    },
    /** The same for the send path and pre-flight (in their transaction when given). */
    budgetOf: (orgId: string, numberId: string, opts: { queued: boolean }, tx?: Tx) =>
      portfolioBudget(tx ?? db, orgId, numberId, opts),
    /** A limit Meta announced for the number's portfolio (webhook): set on all its numbers. */
    setPortfolioTier: (tx: Tx, orgId: string, numberId: string, tier: string) =>
      setPortfolioTier(tx, orgId, numberId, tier),
  };
}
export type NumberService = ReturnType<typeof createNumberService>;
