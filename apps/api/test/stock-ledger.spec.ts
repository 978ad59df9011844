/**
 * The demo's stock statements on their own, on the demo's real tables: holds are all-or-nothing,
 * taken once per key and given back once.
 */
import { NonRetryableStepError } from '@nest-saga/saga';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { consumeHolds, holdStock, releaseStock, restoreHolds, type Hold } from '../src/demo/stock-ledger.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('the demo stock ledger', () => {
  let app: TestApp;
  let db: DataSource;

  const stock = async () =>
    Object.fromEntries(
      ((await db.query(`SELECT "sku", "available" FROM "demo_stock" ORDER BY "sku"`)) as { sku: string; available: number }[]).map((r) => [r.sku, r.available]),
    );
  const holds = async (key: string) =>
    (await db.query(`SELECT "sku", "qty", "status" FROM "demo_reservations" WHERE "idempotency_key" = $1 ORDER BY "sku"`, [key])) as {
      sku: string;
      qty: number;
      status: string;
    }[];
  const hold = (items: Hold['items']): Hold => {
    const sagaId = randomUUID();
    return { sagaId, orderId: `o-${sagaId}`, idempotencyKey: `${sagaId}:reserve-inventory`, items };
  };

  beforeAll(async () => {
    // The demo's tables without the engine: only this test changes them.
    app = await startTestApp({ sagaOptions: { disableWorker: true, disableStuckDetector: true } });
    db = app.running.app.get(DataSource);
  });
  beforeEach(async () => {
    await db.query(`UPDATE "demo_stock" SET "available" = 10000`);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('holds nothing when one SKU is short, and names it', async () => {
    await db.query(`UPDATE "demo_stock" SET "available" = 5 WHERE "sku" = 'ITEM2'`);
    const h = hold([['ITEM1', 3], ['ITEM2', 6], ['ITEM3', 1]]);
    const attempt = db.transaction((tx) => holdStock(tx, h));
    await expect(attempt).rejects.toBeInstanceOf(NonRetryableStepError);
    await expect(db.transaction((tx) => holdStock(tx, h))).rejects.toThrow('Not enough ITEM2 left to reserve 6.');
    expect(await holds(h.idempotencyKey)).toEqual([]);
    expect(await stock()).toEqual({ ITEM1: 10_000, ITEM2: 5, ITEM3: 10_000 });
  });

  it('takes stock once per key (a second hold is refused, the step being transactional runs once) and gives it back once', async () => {
    const h = hold([['ITEM1', 2], ['ITEM3', 4]]);
    await db.transaction((tx) => holdStock(tx, h));
    await expect(db.transaction((tx) => holdStock(tx, h))).rejects.toThrow(/uq_demo_reservations_key_sku/);
    expect(await holds(h.idempotencyKey)).toEqual([
      { sku: 'ITEM1', qty: 2, status: 'HELD' },
      { sku: 'ITEM3', qty: 4, status: 'HELD' },
    ]);
    expect(await stock()).toEqual({ ITEM1: 9_998, ITEM2: 10_000, ITEM3: 9_996 });

    await db.transaction((tx) => consumeHolds(tx, h.sagaId));
    expect((await holds(h.idempotencyKey)).map((r) => r.status)).toEqual(['CONSUMED', 'CONSUMED']);
    await db.transaction((tx) => restoreHolds(tx, h.sagaId));
    expect((await holds(h.idempotencyKey)).map((r) => r.status)).toEqual(['HELD', 'HELD']);

    await db.transaction((tx) => releaseStock(tx, h.idempotencyKey, ['ITEM1', 'ITEM3']));
    await db.transaction((tx) => releaseStock(tx, h.idempotencyKey, ['ITEM1', 'ITEM3']));
    expect((await holds(h.idempotencyKey)).map((r) => r.status)).toEqual(['RELEASED', 'RELEASED']);
    expect(await stock()).toEqual({ ITEM1: 10_000, ITEM2: 10_000, ITEM3: 10_000 });
  });
});
