/**
 * Every demo statement that changes stock or reservations. Invariants:
 * - One lock order for all of them: stock rows first, by sku, then one saga's reservation rows, by
 *   sku. The order is taken in SQL (`ORDER BY "sku" ... FOR UPDATE`) so every locker sorts with the
 *   same collation. Two transactions that follow one order can wait on each other but never in a
 *   cycle, so no attempt dies of `deadlock detected` however many orders share SKUs.
 * - Stock and the reservations that account for it change in one transaction, so
 *   `seeded = available + held + consumed` holds at every moment.
 * - Each transaction is a few statements with nothing else awaited inside: the three stock rows
 *   are shared by every order, and each one held longer stalls all the others (and their pooled
 *   connections).
 * - Exactly once comes from the engine, not from here: the steps that call these are transactional
 *   (`ctx.manager`), so their writes commit with the step's checkpoint or not at all, and a step
 *   that committed never runs again. The unique index on (idempotency key, sku) stays as a guard.
 */
import { NonRetryableStepError } from '@nest-saga/saga';
import type { EntityManager } from 'typeorm';

export interface Hold {
  sagaId: string;
  orderId: string;
  /** The step's idempotency key: the same in every attempt and in the compensation. */
  idempotencyKey: string;
  items: readonly (readonly [sku: string, qty: number])[];
}

/**
 * Locks the stock rows of `skus` in sku order; the first statement of every transaction that
 * changes stock. Later statements of the transaction touch only these rows, so they never wait.
 */
async function lockStock(tx: EntityManager, skus: readonly string[]): Promise<void> {
  await tx.query(`SELECT "sku" FROM "demo_stock" WHERE "sku" = ANY($1::varchar[]) ORDER BY "sku" FOR UPDATE`, [skus]);
}

/**
 * Takes the stock of `hold.items` and records it as HELD; if any SKU has too little left, nothing is
 * held. Run once per key (in the transaction of a transactional step): a second hold under the same
 * key is refused by the unique index.
 */
export async function holdStock(tx: EntityManager, hold: Hold): Promise<void> {
  const skus = hold.items.map(([sku]) => sku);
  await lockStock(tx, skus);
  // One statement: the inserted holds feed the stock update.
  const [result]: { held: string[]; taken: string[] }[] = await tx.query(
    `WITH "held" AS (
       INSERT INTO "demo_reservations" ("saga_id", "order_id", "sku", "qty", "status", "idempotency_key")
       SELECT $1::uuid, $2::varchar, w."sku", w."qty", 'HELD', $3::varchar
       FROM unnest($4::varchar[], $5::integer[]) AS w("sku", "qty")
       RETURNING "sku", "qty"
     ), "taken" AS (
       UPDATE "demo_stock" AS s SET "available" = s."available" - h."qty", "updated_at" = now()
       FROM "held" AS h
       WHERE s."sku" = h."sku" AND s."available" >= h."qty"
       RETURNING s."sku"
     )
     SELECT ARRAY(SELECT "sku" FROM "held") AS "held", ARRAY(SELECT "sku" FROM "taken") AS "taken"`,
    [hold.sagaId, hold.orderId, hold.idempotencyKey, skus, hold.items.map(([, qty]) => qty)],
  );
  const short = result.held.filter((sku) => !result.taken.includes(sku)).sort();
  if (short.length > 0) {
    const wanted = new Map(hold.items);
    // Thrown inside the transaction: the holds inserted above roll back with it.
    throw new NonRetryableStepError(`Not enough ${short.map((sku) => `${sku} left to reserve ${wanted.get(sku)}`).join(', nor ')}.`);
  }
}

/**
 * Releases the holds of `idempotencyKey` (HELD, or CONSUMED when a shipment's compensation was
 * resolved by hand) and returns their stock. `skus` are the order's SKUs: every hold of the key is
 * among them, so the stock rows are locked before any reservation row, as everywhere else.
 */
export async function releaseStock(tx: EntityManager, idempotencyKey: string, skus: readonly string[]): Promise<void> {
  await lockStock(tx, skus);
  await tx.query(
    `WITH "locked" AS (
       SELECT "id" FROM "demo_reservations"
       WHERE "idempotency_key" = $1 AND "status" IN ('HELD', 'CONSUMED')
       ORDER BY "sku" FOR UPDATE
     ), "released" AS (
       UPDATE "demo_reservations" AS r SET "status" = 'RELEASED', "updated_at" = now()
       FROM "locked" AS l WHERE r."id" = l."id"
       RETURNING r."sku", r."qty"
     )
     UPDATE "demo_stock" AS s SET "available" = s."available" + r."qty", "updated_at" = now()
     FROM (SELECT "sku", SUM("qty")::integer AS "qty" FROM "released" GROUP BY "sku") AS r
     WHERE s."sku" = r."sku"`,
    [idempotencyKey],
  );
}

/**
 * Moves the saga's holds from `from` to `to` (HELD to CONSUMED when the shipment is made, back when
 * it is cancelled). Stock does not change, so no stock row is locked; the saga's reservation rows
 * are, in sku order like in `releaseStock`.
 */
async function moveHolds(tx: EntityManager, sagaId: string, from: 'HELD' | 'CONSUMED', to: 'HELD' | 'CONSUMED'): Promise<void> {
  await tx.query(
    `UPDATE "demo_reservations" SET "status" = $3, "updated_at" = now()
     WHERE "id" IN (
       SELECT "id" FROM "demo_reservations" WHERE "saga_id" = $1 AND "status" = $2 ORDER BY "sku" FOR UPDATE
     ) AND "status" = $2`,
    [sagaId, from, to],
  );
}

export function consumeHolds(tx: EntityManager, sagaId: string): Promise<void> {
  return moveHolds(tx, sagaId, 'HELD', 'CONSUMED');
}

export function restoreHolds(tx: EntityManager, sagaId: string): Promise<void> {
  return moveHolds(tx, sagaId, 'CONSUMED', 'HELD');
}
