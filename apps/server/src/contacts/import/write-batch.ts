import type { ImportCounts, ImportOptions } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { Actor } from '../../audit/service.ts';
import type { Tx } from '../../db/client.ts';
import type { OnCommit } from '../../db/tx.ts';
import type { ImportDeps } from './deps.ts';
import {
  type BadRow,
  countOutcome,
  type Existing,
  findExisting,
  type GoodRow,
  outcomeOf,
  type ReadRow,
} from './plan.ts';
import {
  fillTagIds,
  type ImportRow,
  insertImportedContacts,
  insertRejects,
  tagContacts,
  updateImportedContacts,
} from './repo.ts';

/** What one batch does, row by row, to the contacts on file. */
export interface BatchPlan {
  bad: BadRow[];
  fresh: GoodRow[];
  changed: GoodRow[];
  /** Rows whose contact gets the import's opt-in: every row written, and every row on file in update mode. */
  consenting: GoodRow[];
}

/** Sorts a batch by outcome against the contacts on file, counting every row. */
export function planBatch(
  batch: ReadRow[],
  existing: Map<string, Existing>,
  onDuplicate: ImportOptions['on_duplicate'],
  counts: ImportCounts,
): BatchPlan {
  const plan: BatchPlan = { bad: [], fresh: [], changed: [], consenting: [] };
  for (const r of batch) {
    const outcome = r.ok ? outcomeOf(r, existing.get(r.waId), onDuplicate) : r.outcome;
    countOutcome(counts, outcome);
    if (!r.ok) {
      plan.bad.push(r);
      continue;
    }
    if (outcome === 'new') plan.fresh.push(r);
    if (outcome === 'updated') plan.changed.push(r);
    if (outcome !== 'unchanged' || onDuplicate === 'update') plan.consenting.push(r);
  }
  return plan;
}

/** Writes one batch: rejects, new contacts, updated contacts, their tags, the opt-ins. Returns how many were opted in and how many contacts were written. */
export async function writeBatch(
  deps: Pick<ImportDeps, 'consent' | 'tombstones'>,
  tx: Tx,
  imp: ImportRow,
  options: ImportOptions,
  batch: ReadRow[],
  counts: ImportCounts,
  tagCache: Map<string, string>,
  actor: Actor,
  onCommit: OnCommit,
): Promise<{ optedIn: number; written: number }> {
  const orgId = imp.org_id;
  const good = batch.filter((r): r is GoodRow => r.ok);
  const existing = await findExisting(
    tx,
    orgId,
    good.map((r) => r.waId),
  );
  const { bad, fresh, changed, consenting } = planBatch(batch, existing, options.on_duplicate, counts);
  await insertRejects(tx, orgId, imp.id, bad);
  /** The id of every contact written, by phone. */
  const ids = new Map<string, string>();
  if (fresh.length) {
    const rows = await insertImportedContacts(tx, orgId, fresh);
    for (const r of rows) ids.set(r.wa_id, r.id);
    // An erased contact's phone in the file stays opted out (its kept opt-out goes back on file;
    // the import's opt-in below then leaves it alone).
    await deps.tombstones.restore(
      tx,
      onCommit,
      imp.org_id,
      rows.map((r) => r.wa_id),
    );
  }
  if (changed.length) {
    for (const r of changed) ids.set(r.waId, existing.get(r.waId)!.id);
    await updateImportedContacts(
      tx,
      orgId,
      changed.map((row) => ({ id: ids.get(row.waId)!, row })),
    );
  }
  const tagged = [...fresh, ...changed].filter((r) => r.tags.length && ids.has(r.waId));
  if (tagged.length) {
    await fillTagIds(
      tx,
      orgId,
      tagged.flatMap((r) => r.tags),
      tagCache,
    );
    await tagContacts(
      tx,
      orgId,
      tagged.flatMap((r) => r.tags.map((t) => [ids.get(r.waId)!, tagCache.get(t.toLowerCase())!] as const)),
    );
  }
  let optedIn = 0;
  const consentIds = consenting
    .map((r) => ids.get(r.waId) ?? existing.get(r.waId)?.id)
    .filter((id) => id !== undefined);
  if (options.opt_in && consentIds.length) {
    optedIn = await deps.consent.recordBulk(tx, onCommit, actor, {
      // A semi-join on the list: `= any(array)` would compare every contact with every id.
      where: sql`c.id in (select unnest(${sql.param(consentIds)}::uuid[]))`,
      kind: 'opt_in',
      source: 'import',
      proof: options.opt_in.proof,
      report: false,
    });
  }
  return { optedIn, written: fresh.length + changed.length };
}
