/**
 * Many demo orders at once, with injected failures, retries and cancellations: once every saga has
 * ended, the ledger must say exactly what the statuses say.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SagaDetail } from '@nest-saga/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.factory.js';
import { loadConfig } from '../src/config/api-config.js';
import { ApiClient, orderInput } from './support/http.js';
import { expectBalanced, ledger } from './support/ledger.js';
import { FAST_SAGA_OPTIONS, startTestApp, type TestApp } from './support/test-app.js';

/** The app on the embedded PGlite (no DATABASE_URL), in a data directory of its own. */
async function startEmbeddedApp(): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'saga-ledger-'));
  const [operatorToken, viewerToken] = ['op-ledger-load-token', 'vw-ledger-load-token'];
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', SAGA_DATA_DIR: dataDir, SAGA_ADMIN_TOKENS: `operator:${operatorToken},viewer:${viewerToken}`, LOG_LEVEL: 'error' });
  const running = await createApp({ ...config, sagaOptions: FAST_SAGA_OPTIONS });
  return {
    baseUrl: running.url,
    operatorToken,
    viewerToken,
    databaseUrl: running.databaseUrl,
    running,
    close: async () => {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A small seeded generator so that a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const STEPS = ['check-inventory', 'reserve-inventory', 'process-payment', 'create-shipment'];
const TERMINAL = new Set(['COMPLETED', 'COMPENSATED', 'CANCELLED']);

describe.each([
  ['PostgreSQL', () => startTestApp()],
  ['the embedded database', startEmbeddedApp],
])('the ledger under load on %s', (_db, start) => {
  let app: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    app = await start();
    api = new ApiClient(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('matches every saga\'s outcome after 60 concurrent orders with failures, retries and cancels', async () => {
    const rnd = random(Number(process.env.LEDGER_SEED ?? 20261125));
    const orders = Array.from({ length: 60 }, (_, i) => {
      const simulate: Record<string, unknown> = {};
      const cancel = i % 6 === 0;
      const roll = cancel ? 1 : rnd();
      if (roll < 0.25) simulate.failAt = STEPS[1 + Math.floor(rnd() * 3)];
      else if (roll < 0.5) simulate.failTimes = { [STEPS[Math.floor(rnd() * 4)]]: 1 + Math.floor(rnd() * 2) };
      if (cancel) simulate.delayMs = { 'process-payment': 3_000 };
      else simulate.delayMs = { [STEPS[Math.floor(rnd() * 4)]]: Math.floor(rnd() * 40) };
      const items = [{ sku: `ITEM${1 + Math.floor(rnd() * 3)}`, qty: 1 + Math.floor(rnd() * 3) }];
      return { input: orderInput({ items, totalAmount: 10 + i, simulate }), cancel };
    });
    const ids = await Promise.all(orders.map((o) => api.startOrder(o.input)));
    await Promise.all(
      orders.map(async (o, i) => {
        if (!o.cancel) return;
        await api.waitFor(ids[i], (d) => d.currentStep === 'process-payment' || TERMINAL.has(d.status), 'process-payment');
        const res = await api.post(`/api/sagas/${ids[i]}/cancel`, { reason: 'load test cancel' });
        expect([202, 409]).toContain(res.status);
      }),
    );
    const details: SagaDetail[] = await Promise.all(ids.map((id) => api.waitFor(id, (d) => TERMINAL.has(d.status), 'a terminal status', 60_000)));

    const all = await ledger(api);
    expectBalanced(all);
    let consumed = 0;
    details.forEach((d, i) => {
      const { orderId, items, totalAmount } = orders[i].input as { orderId: string; items: { sku: string; qty: number }[]; totalAmount: number };
      const payments = all.payments.filter((p) => p.orderId === orderId);
      const shipments = all.shipments.filter((s) => s.orderId === orderId);
      const holds = all.reservations.filter((r) => r.orderId === orderId);
      if (d.status === 'COMPLETED') {
        expect(payments, orderId).toEqual([{ orderId, amount: totalAmount, status: 'CHARGED' }]);
        expect(shipments.map((s) => s.status), orderId).toEqual(['CREATED']);
        expect(holds.map((h) => [h.sku, h.qty, h.status]), orderId).toEqual(items.map((it) => [it.sku, it.qty, 'CONSUMED']));
        consumed += items.reduce((n, it) => n + it.qty, 0);
      } else {
        expect(payments.filter((p) => p.status === 'CHARGED'), orderId).toEqual([]);
        expect(shipments.filter((s) => s.status === 'CREATED'), orderId).toEqual([]);
        expect(holds.filter((h) => h.status !== 'RELEASED'), orderId).toEqual([]);
      }
      if (orders[i].cancel) expect(d.status, orderId).toBe('CANCELLED');
    });
    const seededOut = all.stock.reduce((n, s) => n + (10_000 - s.available), 0);
    expect(seededOut).toBe(consumed);
    const outcomes = new Set(details.map((d) => d.status));
    expect(outcomes).toEqual(new Set(['COMPLETED', 'COMPENSATED', 'CANCELLED']));
  });
});
