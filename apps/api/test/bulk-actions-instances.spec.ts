/**
 * Bulk actions with two app instances on one database: 500 running orders, owned by both, cancelled
 * by one bulk action; progress readable from either instance; an action whose instance stops is
 * continued by the other.
 */
import type { BulkActionView, SagaStats } from '@nest-saga/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForBulk } from './support/bulk.js';
import { ApiClient, orderInput } from './support/http.js';
import { expectBalanced, ledger } from './support/ledger.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const SLOW = { delayMs: { 'check-inventory': 9_000, 'reserve-inventory': 9_000, 'process-payment': 9_000, 'create-shipment': 9_000 } };

async function until<T>(fn: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 500)}`);
}

/** Starts orders `n` at a time, spread over the clients. */
async function startOrders(clients: ApiClient[], count: number, prefix: string): Promise<string[]> {
  const ids: string[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++;
        ids[i] = await clients[i % clients.length]!.startOrder(orderInput({ orderId: `${prefix}${i}`, items: [{ sku: 'ITEM1', qty: 1 }], simulate: SLOW }), `${prefix}${i}`);
      }
    }),
  );
  return ids;
}

describe('bulk actions across two instances', () => {
  let a: TestApp;
  let b: TestApp;
  let apiA: ApiClient;
  let apiB: ApiClient;
  let db: pg.Client;

  beforeAll(async () => {
    // Each instance may run all of them at once, so that every order is RUNNING when the bulk action starts.
    a = await startTestApp({ sagaOptions: { concurrency: 400 } });
    b = await startTestApp({ databaseUrl: a.databaseUrl, tokens: `operator:${a.operatorToken},viewer:${a.viewerToken}`, sagaOptions: { concurrency: 400 } });
    apiA = new ApiClient(a);
    apiB = new ApiClient(b);
    db = new pg.Client({ connectionString: a.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await b?.close();
    await a?.close();
  });

  it('cancels 500 running orders owned by both instances: every one CANCELLED, per-saga results right, the ledger balanced', async () => {
    const prefix = `bulk500-${Date.now().toString(36)}-`;
    const ids = await startOrders([apiA, apiB], 500, prefix);
    const owners = await until(
      async () => (await db.query<{ owner_id: string; n: number }>(`SELECT owner_id, count(*)::int AS n FROM saga_instances WHERE status = 'RUNNING' GROUP BY owner_id`)).rows,
      (rows) => rows.reduce((n, r) => n + r.n, 0) === 500,
      '500 RUNNING',
    );
    expect(owners.length).toBe(2);

    const request = { action: 'cancel', filter: { name: 'order', status: ['RUNNING'], q: prefix }, reason: 'payment provider down for an hour', ratePerSec: 400 };
    const dry = await apiB.post('/api/bulk-actions', { ...request, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ matched: 500, byStatus: { RUNNING: 500 }, skipped: 0 });

    const started = await apiA.post<{ id: string }>('/api/bulk-actions', request);
    expect(started.status).toBe(202);
    const bulkId = started.body.id;
    // Any instance answers with the progress, which only moves forward.
    const seen: number[] = [];
    const done = await waitForBulk(
      apiB,
      bulkId,
      (v) => {
        seen.push(v.done);
        return v.status === 'DONE';
      },
      'DONE',
      120_000,
    );
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(done).toMatchObject({ total: 500, done: 500, succeeded: 500, failed: 0, failures: [], status: 'DONE' });

    const stats = await until(
      async () => (await apiA.get<SagaStats>('/api/stats')).body,
      (s) => s.byStatus.CANCELLED === 500,
      '500 CANCELLED',
      120_000,
    );
    expect(stats.byStatus.RUNNING + stats.byStatus.PENDING + stats.byStatus.COMPENSATING).toBe(0);

    // Per saga: one request each, naming the bulk action, its actor and reason; and it is CANCELLED.
    const { rows } = await db.query<{ saga_id: string; status: string; requests: number }>(
      `SELECT s.id AS saga_id, s.status, count(e.id)::int AS requests
       FROM saga_instances s LEFT JOIN saga_events e ON e.saga_id = s.id AND e.type = 'CANCEL_REQUESTED' AND e.actor = 'operator' AND e.reason = $2
       WHERE s.idempotency_key LIKE $1 GROUP BY s.id, s.status`,
      [`${prefix}%`, `bulk ${bulkId}: payment provider down for an hour`],
    );
    expect(rows.length).toBe(500);
    expect(new Set(rows.map((r) => r.saga_id))).toEqual(new Set(ids));
    expect(rows.filter((r) => r.status !== 'CANCELLED' || r.requests !== 1)).toEqual([]);
    const items = await db.query(`SELECT count(*)::int AS n FROM saga_bulk_action_items WHERE bulk_action_id = $1 AND outcome = 'SUCCEEDED'`, [bulkId]);
    expect(items.rows[0].n).toBe(500);

    // Nothing charged, shipped or held for any of them; every unit of stock accounted for.
    const l = await ledger(apiA);
    expectBalanced(l);
    const ours = (orderId: string) => orderId.startsWith(prefix);
    expect(l.payments.filter((p) => ours(p.orderId) && p.status === 'CHARGED')).toEqual([]);
    expect(l.shipments.filter((s) => ours(s.orderId) && s.status === 'CREATED')).toEqual([]);
    expect(l.reservations.filter((r) => ours(r.orderId) && r.status !== 'RELEASED')).toEqual([]);
  });

  it('a bulk action whose instance stops is continued by the other instance', async () => {
    const c = await startTestApp({ databaseUrl: a.databaseUrl, tokens: `operator:${a.operatorToken},viewer:${a.viewerToken}` });
    const apiC = new ApiClient(c);
    const prefix = `handoff-${Date.now().toString(36)}-`;
    const ids = await startOrders([apiA], 8, prefix);
    await until(
      async () => (await db.query(`SELECT count(*)::int AS n FROM saga_instances WHERE idempotency_key LIKE $1 AND status = 'RUNNING'`, [`${prefix}%`])).rows[0].n,
      (n) => n === 8,
      '8 RUNNING',
    );
    const started = await apiC.post<{ id: string }>('/api/bulk-actions', { action: 'cancel', filter: { q: prefix }, reason: 'handoff', ratePerSec: 2 });
    expect(started.status).toBe(202);
    const bulkId = started.body.id;
    const before = await waitForBulk(apiA, bulkId, (v) => v.done >= 1 && v.ownerId !== null, 'one done');
    expect(before.status).toBe('RUNNING');
    await c.close();

    const done = await waitForBulk(apiA, bulkId, (v) => v.status === 'DONE', 'DONE', 60_000);
    expect(done).toMatchObject({ total: 8, done: 8, succeeded: 8, failed: 0 });
    for (const id of ids) await apiA.waitForStatus(id, 'CANCELLED');
    const { rows } = await db.query(
      `SELECT saga_id, count(*)::int AS n FROM saga_events WHERE type = 'CANCEL_REQUESTED' AND reason = $1 GROUP BY saga_id`,
      [`bulk ${bulkId}: handoff`],
    );
    expect(rows.length).toBe(8);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const view = (await apiB.get<BulkActionView>(`/api/bulk-actions/${bulkId}`)).body;
    expect(view.ownerId).toBeNull();
  });
});
