/** With no DATABASE_URL the api runs on the embedded PGlite in a data directory, and keeps its data across restarts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, type RunningApp } from '../src/app.factory.js';
import { loadConfig } from '../src/config/api-config.js';
import { ApiClient, orderInput } from './support/http.js';
import { ledger } from './support/ledger.js';
import { FAST_SAGA_OPTIONS, type TestApp } from './support/test-app.js';

const OPERATOR = 'op-embedded-test-token';
const VIEWER = 'vw-embedded-test-token';

describe('embedded database (no DATABASE_URL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'saga-embedded-'));
  const apps: RunningApp[] = [];

  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function boot(): Promise<{ running: RunningApp; api: ApiClient }> {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      SAGA_DATA_DIR: dataDir,
      SAGA_ADMIN_TOKENS: `operator:${OPERATOR},viewer:${VIEWER}`,
      LOG_LEVEL: 'warn',
    });
    expect(config.databaseUrl).toBeUndefined();
    const running = await createApp({ ...config, sagaOptions: FAST_SAGA_OPTIONS });
    apps.push(running);
    const handle: TestApp = {
      baseUrl: running.url,
      operatorToken: OPERATOR,
      viewerToken: VIEWER,
      databaseUrl: running.databaseUrl,
      running,
      close: () => running.close(),
    };
    return { running, api: new ApiClient(handle) };
  }

  it('runs migrations, the demo and a saga, and finds them again after a restart', async () => {
    const first = await boot();
    expect(first.running.databaseUrl).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect((await first.api.get('/api/health', 'none')).body).toEqual({ status: 'ok', database: 'up' });
    const input = orderInput();
    const id = await first.api.startOrder(input, String(input.orderId));
    await first.api.waitForStatus(id, 'COMPLETED');
    const failed = await first.api.startOrder(orderInput({ simulate: { failAt: 'process-payment' } }));
    await first.api.waitForStatus(failed, 'COMPENSATED');

    // One process per data directory: a second app on it is refused, not let in to corrupt it.
    await expect(
      createApp({ ...loadConfig({ PORT: '0', HOST: '127.0.0.1', SAGA_DATA_DIR: dataDir, LOG_LEVEL: 'error' }) }),
    ).rejects.toThrow(/in use by process/);

    await first.running.close();

    const second = await boot();
    const detail = await second.api.detail(id);
    expect(detail.status).toBe('COMPLETED');
    expect(detail.events.some((e) => e.type === 'SAGA_COMPLETED')).toBe(true);
    expect((await second.api.detail(failed)).status).toBe('COMPENSATED');
    const again = await second.api.post('/api/sagas', { name: 'order', input, idempotencyKey: input.orderId });
    expect(again.body).toMatchObject({ id, created: false });
    const l = await ledger(second.api);
    // Seeded once: the restart did not seed again.
    expect(l.stock.find((s) => s.sku === 'ITEM1')?.available).toBe(10_000 - 2);
    expect(l.shipments).toEqual([{ orderId: input.orderId, status: 'CREATED' }]);
    const stats = await second.api.get('/api/stats');
    expect(stats.body.total).toBe(2);
  });
});
