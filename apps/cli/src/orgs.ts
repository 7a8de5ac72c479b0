import { Uuid } from '@openwaba/contracts';
import { CliError } from './output.ts';
import type { Services } from './services.ts';

export interface OperatorOrg {
  id: string;
  name: string;
  /** The longest-standing owner: the person the CLI's changes are attributed to. */
  ownerId: string | null;
}

/** Who a service call is made for when the CLI acts on an organisation. */
export type ActingContext = Parameters<Services['numbers']['create']>[0];

/**
 * Every organisation on this install. The CLI runs as the instance operator, above any one
 * organisation, and no service lists them all, so this reads the two tables directly.
 */
export async function findOrgs(services: Services): Promise<OperatorOrg[]> {
  const rows = await services.database.query<{ id: string; name: string; owner_id: string | null }>(
    `select o.id, o.name,
            (select m.user_id from memberships m
              where m.org_id = o.id and m.role = 'owner'
              order by m.created_at, m.user_id limit 1) as owner_id
       from orgs o
      order by o.created_at, o.id`,
  );
  return rows.map((r) => ({ id: r.id, name: r.name, ownerId: r.owner_id }));
}

const listed = (orgs: OperatorOrg[]) => orgs.map((o) => `  ${o.id}  ${o.name}`).join('\n');

/** `--org` as an id or exact name; without it, the only organisation there is. */
export async function resolveOrg(services: Services, ref: string | undefined): Promise<OperatorOrg> {
  const orgs = await findOrgs(services);
  if (orgs.length === 0) throw new CliError('There is no organisation yet: run `openwaba setup` first');
  if (ref === undefined) {
    if (orgs.length === 1) return orgs[0]!;
    throw new CliError(
      `There are ${orgs.length} organisations; say which with --org ID or NAME:\n${listed(orgs)}`,
      2,
    );
  }
  const byId = Uuid.safeParse(ref).success ? orgs.filter((o) => o.id === ref.toLowerCase()) : [];
  const matches = byId.length > 0 ? byId : orgs.filter((o) => o.name === ref);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw new CliError(
      `${matches.length} organisations are called "${ref}"; pass the id instead:\n${listed(matches)}`,
      2,
    );
  throw new CliError(`No organisation has the id or name "${ref}". There are:\n${listed(orgs)}`, 2);
}

/**
 * The context the CLI acts in. The services expect a signed-in user; the operator at the terminal
 * is not one, so changes are made on behalf of the organisation's owner. There is no session: none
 * of the calls the CLI makes reads it.
 */
export function actingContext(org: OperatorOrg): ActingContext {
  if (!org.ownerId) throw new CliError(`Organisation "${org.name}" has no owner to act for`);
  return { orgId: org.id, userId: org.ownerId, role: 'owner', sessionId: 'cli', via: 'cli' };
}
