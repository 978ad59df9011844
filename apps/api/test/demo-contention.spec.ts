/**
 * Demo orders of several SKUs contend for the same three stock rows: reservations take them,
 * compensations give them back. With 100 sagas in flight and half of them compensating, no
 * statement may deadlock and no attempt may starve for a pooled connection, so every order ends
 * exactly as its `simulate` options say and the ledger balances.
 */
import type { SagaDetail, SagaStats } from '@nest-saga/contracts';
import { isSettled } from '@nest-saga/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, orderInput } from './support/http.js';
import { expectBalanced, ledger } from './support/ledger.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const ORDERS = 150;
const IN_FLIGHT = 100;
const SKUS = ['ITEM1', 'ITEM2', 'ITEM3'];

/** A small seeded generator so that a failure can be replayed (`CONTENTION_SEED`). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Runs `fn` over `items` with at most `limit` calls pending at once, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

describe('demo orders of several SKUs under contention', () => {
  let app: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    // The shipped pool and engine defaults: the demo must hold up without tuning.
    app = await startTestApp({ sagaOptions: { concurrency: IN_FLIGHT } });
    api = new ApiClient(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('ends every order as simulated, with no deadlock and a balanced ledger, with 100 orders in flight', { timeout: 90_000 }, async () => {
    const rnd = random(Number(process.env.CONTENTION_SEED ?? 20260110));
    const orders = Array.from({ length: ORDERS }, (_, i) => {
      // Every order takes all three SKUs, listed in a shuffled order, so any statement that locks
      // stock rows in the order it meets them crosses another order's locks.
      const skus = [...SKUS];
      for (let j = skus.length - 1; j > 0; j--) {
        const k = Math.floor(rnd() * (j + 1));
        [skus[j], skus[k]] = [skus[k], skus[j]];
      }
      const items = skus.map((sku) => ({ sku, qty: 1 + Math.floor(rnd() * 5) }));
      const fails = i % 2 === 1;
      return orderInput({ items, totalAmount: 10 + i, ...(fails ? { simulate: { failAt: 'process-payment' } } : {}) }) as {
        orderId: string;
        items: { sku: string; qty: number }[];
        simulate?: { failAt: string };
      };
    });

    const ids = await mapLimit(orders, IN_FLIGHT, (input) => api.startOrder(input as unknown as Record<string, unknown>));

    // Wait on the counts, not on 150 pollers: they would compete with the sagas for connections.
    const until = Date.now() + 75_000;
    // A poll answered 5xx (no connection in time) is only an observation lost; the outcomes decide.
    let stats: SagaStats | undefined;
    for (;;) {
      const res = await api.get<SagaStats>('/api/stats');
      if (res.status === 200) {
        stats = res.body;
        const settled = Object.entries(stats.byName.order ?? {}).reduce((n, [status, count]) => n + (isSettled(status as never) ? (count ?? 0) : 0), 0);
        if (settled === ORDERS) break;
      }
      if (Date.now() > until) throw new Error(`Orders did not all settle: ${res.status} ${JSON.stringify(stats?.byName.order)}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const details: SagaDetail[] = await mapLimit(ids, 10, (id) => api.detail(id));
    const errors = details.flatMap((d) => [
      ...d.events.filter((e) => e.error).map((e) => `${d.id} ${e.type} ${e.step}: ${e.error!.message}`),
      ...d.steps.flatMap((s) => [s.error, s.compensation.error].filter((e) => e).map((e) => `${d.id} ${s.name}: ${e!.message}`)),
    ]);
    expect(errors.filter((e) => /deadlock/i.test(e))).toEqual([]);
    expect(errors.filter((e) => /timeout exceeded when trying to connect/i.test(e))).toEqual([]);
    expect(details.filter((d) => d.status === 'FAILED').map((d) => d.id)).toEqual([]);

    const all = await ledger(api);
    expectBalanced(all);
    expect(all.reservations.filter((r) => r.status === 'HELD')).toEqual([]);
    const outcomes: string[] = [];
    const taken = new Map<string, number>(SKUS.map((sku) => [sku, 0]));
    details.forEach((d, i) => {
      const { orderId, items, simulate } = orders[i];
      outcomes.push(`${orderId} ${d.status}`);
      const payments = all.payments.filter((p) => p.orderId === orderId);
      const shipments = all.shipments.filter((s) => s.orderId === orderId);
      const holds = all.reservations.filter((r) => r.orderId === orderId);
      if (simulate) {
        expect(d.status, orderId).toBe('COMPENSATED');
        expect(payments.filter((p) => p.status === 'CHARGED'), orderId).toEqual([]);
        expect(shipments, orderId).toEqual([]);
        expect(holds.filter((h) => h.status !== 'RELEASED'), orderId).toEqual([]);
      } else {
        expect(d.status, `${orderId}: ${JSON.stringify(d.steps.map((s) => [s.name, s.status, s.error?.message]))}`).toBe('COMPLETED');
        expect(payments.map((p) => p.status), orderId).toEqual(['CHARGED']);
        expect(shipments.map((s) => s.status), orderId).toEqual(['CREATED']);
        const sorted = (xs: { sku: string; qty: number }[]) => xs.map((x) => `${x.sku}x${x.qty}`).sort();
        expect(sorted(holds.filter((h) => h.status === 'CONSUMED')), orderId).toEqual(sorted(items));
        for (const { sku, qty } of items) taken.set(sku, taken.get(sku)! + qty);
      }
    });
    expect(all.stock).toEqual(SKUS.map((sku) => ({ sku, available: 10_000 - taken.get(sku)! })));
    expect(outcomes.filter((o) => o.endsWith('COMPLETED'))).toHaveLength(ORDERS / 2);
  });
});
