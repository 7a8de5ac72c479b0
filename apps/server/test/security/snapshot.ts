import type { Database } from '../../src/db/client.ts';

/**
 * A fingerprint of everything one organisation owns, table by table, read from the database itself:
 * tables with an `org_id`, tables that hang off one by a foreign key (a team's members, a campaign's
 * recipients, a session's refresh tokens), tables such a table points at (the members' users), and
 * the organisation's background jobs. Discovered from the catalogue, so a new table is covered
 * without editing the drill.
 */
export interface OrgSnapshot {
  tables: Record<string, string>;
}

interface Plan {
  sql: string;
  /** Tables with no way to tell whose they are (global): not fingerprinted. */
  global: string[];
}

const plans = new WeakMap<Database, Plan>();
const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function planFor(database: Database): Promise<Plan> {
  const cached = plans.get(database);
  if (cached) return cached;
  const tables = (
    await database.query<{ name: string }>(
      `select table_name as name from information_schema.tables
       where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
    )
  ).map((r) => r.name);
  const withOrg = new Set(
    (
      await database.query<{ name: string }>(
        `select table_name as name from information_schema.columns
         where table_schema = 'public' and column_name = 'org_id'`,
      )
    ).map((r) => r.name),
  );
  const fks = await database.query<{ child: string; col: string; parent: string; pcol: string }>(
    `select cl.relname as child, a.attname as col, pcl.relname as parent, pa.attname as pcol
     from pg_constraint c
     join pg_class cl on cl.oid = c.conrelid
     join pg_namespace n on n.oid = cl.relnamespace
     join pg_class pcl on pcl.oid = c.confrelid
     join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
     join pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = c.confkey[1]
     where c.contype = 'f' and n.nspname = 'public' and cardinality(c.conkey) = 1`,
  );
  const parts: string[] = [];
  const global: string[] = [];
  const fingerprint = (table: string, where: string) =>
    `select ${`'${table}'`} as t, md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from ${q(table)} x where ${where}`;
  for (const table of tables) {
    if (table === 'orgs') {
      parts.push(fingerprint(table, 'x.id = $1'));
      continue;
    }
    if (withOrg.has(table)) {
      parts.push(fingerprint(table, 'x.org_id = $1'));
      continue;
    }
    const up = fks.filter((f) => f.child === table && withOrg.has(f.parent));
    if (up.length) {
      const or = up.map(
        (f) => `x.${q(f.col)} in (select p.${q(f.pcol)} from ${q(f.parent)} p where p.org_id = $1)`,
      );
      parts.push(fingerprint(table, or.join(' or ')));
      continue;
    }
    const down = fks.filter((f) => f.parent === table && withOrg.has(f.child));
    if (down.length) {
      const or = down.map(
        (f) => `x.${q(f.pcol)} in (select c.${q(f.col)} from ${q(f.child)} c where c.org_id = $1)`,
      );
      parts.push(fingerprint(table, or.join(' or ')));
      continue;
    }
    global.push(table);
  }
  const [boss] = await database.query<{ n: number }>(
    `select count(*)::int as n from information_schema.tables where table_schema = 'pgboss' and table_name = 'job'`,
  );
  if (boss?.n) {
    parts.push(
      `select 'pgboss.job' as t, md5(coalesce(string_agg(concat_ws(',', id, name, state, data::text, retry_count), '|' order by id::text), '')) as h
       from pgboss.job where data->>'orgId' = $1::text`,
    );
  }
  const plan = { sql: parts.join('\nunion all\n'), global };
  plans.set(database, plan);
  return plan;
}

export async function snapshotOrg(database: Database, orgId: string): Promise<OrgSnapshot> {
  const plan = await planFor(database);
  const rows = await database.query<{ t: string; h: string }>(plan.sql, [orgId]);
  return { tables: Object.fromEntries(rows.map((r) => [r.t, r.h])) };
}

/** The tables whose rows differ between two snapshots (empty: unchanged). */
export function changedTables(before: OrgSnapshot, after: OrgSnapshot, ignore: string[] = []): string[] {
  const names = new Set([...Object.keys(before.tables), ...Object.keys(after.tables)]);
  return [...names].filter((n) => !ignore.includes(n) && before.tables[n] !== after.tables[n]).sort();
}

/** Tables the snapshot cannot attribute to an organisation. */
export async function globalTables(database: Database) {
  return (await planFor(database)).global;
}
