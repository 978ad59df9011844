/**
 * Retention in the app: SAGA_RETENTION_DAYS (30 by default) reaches the library's retention job,
 * which deletes finished sagas past the cutoff with their history on its own interval, and
 * `/metrics` counts them. `0` or `off` turns it off.
 */
import pg from 'pg';
import { SagaRetentionJob } from '@nest-saga/saga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/api-config.js';
import { ApiClient, orderInput } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const DAY_MS = 86_400_000;

async function until<T>(fn: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('retention (SAGA_RETENTION_DAYS)', () => {
  let app: TestApp;
  let api: ApiClient;
  let sql: pg.Pool;

  beforeAll(async () => {
    // The default (no SAGA_RETENTION_DAYS: 30 days), with the job running every 200 ms instead of every minute.
    const retention = loadConfig({}).retention!;
    app = await startTestApp({ config: { retention: { ...retention, intervalMs: 200 } } });
    api = new ApiClient(app);
    sql = new pg.Pool({ connectionString: app.databaseUrl, max: 2 });
  });
  afterAll(async () => {
    await sql?.end();
    await app?.close();
  });

  /** Makes sagas look as if they started and finished `days` days ago. */
  const age = (ids: string[], days: number) =>
    sql.query(
      `UPDATE saga_instances SET created_at = created_at - $2 * interval '1 day', finished_at = finished_at - $2 * interval '1 day' WHERE id = ANY($1::uuid[])`,
      [ids, days],
    );
  const historyRows = async (id: string) => (await sql.query(`SELECT count(*)::int AS n FROM saga_events WHERE saga_id = $1`, [id])).rows[0].n as number;
  const deletedMetric = async () => {
    const text = (await api.get('/metrics', 'none')).text;
    return Number(/^saga_retention_deleted_total\{saga="order",status="COMPLETED"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };

  it('deletes, on its own, a finished saga older than 30 days with its history, keeps younger and FAILED ones, and counts it in /metrics', async () => {
    expect(app.running.app.get(SagaRetentionJob).enabled).toBe(true);
    const [old, young, failed] = await Promise.all([
      api.startOrder(orderInput()),
      api.startOrder(orderInput()),
      api.startOrder(orderInput({ simulate: { failAt: 'create-shipment', failCompensationAt: 'reserve-inventory' } })),
    ]);
    await api.waitForStatus(old, 'COMPLETED');
    await api.waitForStatus(young, 'COMPLETED');
    await api.waitForStatus(failed, 'FAILED');
    expect(await historyRows(old)).toBeGreaterThan(0);
    const before = await deletedMetric();

    await age([old, failed], 31);
    await age([young], 29);
    await until(async () => (await api.get(`/api/sagas/${old}`)).status, (status) => status === 404, 'the 31-day-old saga deleted by the scheduled job');
    expect(await historyRows(old)).toBe(0);
    expect((await api.get(`/api/sagas/${young}`)).body.status).toBe('COMPLETED');
    expect((await api.get(`/api/sagas/${failed}`)).body.status).toBe('FAILED');
    expect(await until(deletedMetric, (n) => n >= before + 1, 'saga_retention_deleted_total to count it')).toBe(before + 1);
  });

  it('is off with SAGA_RETENTION_DAYS=0 or off', async () => {
    for (const value of ['0', 'off']) {
      const off = await startTestApp({ config: { retention: loadConfig({ SAGA_RETENTION_DAYS: value }).retention } });
      try {
        expect(off.running.app.get(SagaRetentionJob).enabled).toBe(false);
      } finally {
        await off.close();
      }
    }
  });
});
