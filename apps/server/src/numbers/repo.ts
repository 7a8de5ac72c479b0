import { and, eq, gt } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { numberHealth, numbers } from '../db/schema.ts';

/**
 * The statements of connected numbers (`numbers`) and their health history (`number_health`). Tenant
 * statements take `orgId` first; a few are install-wide on purpose, and say so: a phone number id
 * routes to one number across the install, the sender works through every organisation's queue, and
 * the sandbox number belongs to the install. (The sender's lease and rate columns are written by
 * messages/number-lease.ts; deleting a number is numbers/delete-number.ts.)
 */

export type NumberRow = typeof numbers.$inferSelect;
type NumberValues = Omit<typeof numbers.$inferInsert, 'id' | 'orgId' | 'createdAt'>;
/** What a health record keeps of the number's state. */
export type HealthRecord = Pick<
  NumberRow,
  'qualityRating' | 'throughputLevel' | 'messagingLimitTier' | 'nameStatus'
>;

export async function findNumber(db: Db | Tx, orgId: string, id: string): Promise<NumberRow | undefined> {
  const [row] = await db
    .select()
    .from(numbers)
    .where(and(eq(numbers.orgId, orgId), eq(numbers.id, id)));
  return row;
}

export async function listNumbers(db: Db, orgId: string) {
  return db.select().from(numbers).where(eq(numbers.orgId, orgId)).orderBy(numbers.createdAt);
}

/** Install-wide: whether any organisation connected this phone number id. */
export async function isPhoneNumberIdTaken(db: Db, phoneNumberId: string) {
  const [taken] = await db
    .select({ id: numbers.id })
    .from(numbers)
    .where(eq(numbers.phoneNumberId, phoneNumberId));
  return Boolean(taken);
}

/** Inserts a number; undefined when its phone number id was connected meanwhile. */
export async function insertNumber(tx: Db | Tx, orgId: string, values: NumberValues) {
  const [row] = await tx
    .insert(numbers)
    .values({ orgId, ...values })
    .onConflictDoNothing()
    .returning();
  return row;
}

export async function updateNumber(tx: Db | Tx, orgId: string, id: string, set: Partial<NumberValues>) {
  const [row] = await tx
    .update(numbers)
    .set(set)
    .where(and(eq(numbers.orgId, orgId), eq(numbers.id, id)))
    .returning();
  return row;
}

/** Install-wide, for the sender (its queue rows name the number, and the number carries its organisation). */
export async function numberById(db: Db, id: string): Promise<NumberRow | undefined> {
  const [row] = await db.select().from(numbers).where(eq(numbers.id, id));
  return row;
}

/** Install-wide: every active number (health checks, sync). */
export async function activeNumbers(db: Db) {
  return db.select().from(numbers).where(eq(numbers.status, 'active'));
}

/** Install-wide: whether any number is not the sandbox's. */
export async function anyRealNumber(db: Db) {
  const [row] = await db
    .select({ id: numbers.id })
    .from(numbers)
    .where(eq(numbers.isSandbox, false))
    .limit(1);
  return Boolean(row);
}

/** The sandbox number of the install, created or replaced by its phone number id. */
export async function upsertSandboxNumber(db: Db, orgId: string, values: NumberValues) {
  const [row] = await db
    .insert(numbers)
    .values({ orgId, ...values })
    .onConflictDoUpdate({ target: numbers.phoneNumberId, set: { orgId, ...values, updatedAt: new Date() } })
    .returning();
  return row!;
}

// ---- Health history (keyed by number: the number carries the organisation) -------------------

export async function insertHealthRecord(tx: Db | Tx, numberId: string, source: string, h: HealthRecord) {
  await tx.insert(numberHealth).values({ numberId, source, ...h });
}

export async function healthRecordsOf(db: Db, numberId: string, limit: number) {
  return db
    .select()
    .from(numberHealth)
    .where(eq(numberHealth.numberId, numberId))
    .orderBy(numberHealth.recordedAt)
    .limit(limit);
}

/**
 * Health records after `afterId` in the order they were written, with their number's organisation
 * (install-wide on purpose: the reports fold follows every organisation's history).
 */
export function healthRecordsAfter(db: Db | Tx, afterId: number, limit: number) {
  return db
    .select({
      id: numberHealth.id,
      orgId: numbers.orgId,
      numberId: numberHealth.numberId,
      recordedAt: numberHealth.recordedAt,
      qualityRating: numberHealth.qualityRating,
      messagingLimitTier: numberHealth.messagingLimitTier,
    })
    .from(numberHealth)
    .innerJoin(numbers, eq(numbers.id, numberHealth.numberId))
    .where(gt(numberHealth.id, afterId))
    .orderBy(numberHealth.id)
    .limit(limit);
}
