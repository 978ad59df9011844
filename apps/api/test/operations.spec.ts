/** Structured logs (one JSON line per saga transition, no tokens) and health when the database goes away. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { AppLogger } from '../src/logging/app-logger.js';
import { ApiClient, orderInput } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('structured logs', () => {
  const lines: string[] = [];
  let app: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    app = await startTestApp({ logger: new AppLogger({ format: 'json', level: 'log', write: (line) => lines.push(line) }) });
    api = new ApiClient(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('writes one JSON line per saga transition, with ids and status, and never a token', async () => {
    const id = await api.startOrder(orderInput({ simulate: { failAt: 'create-shipment' } }));
    await api.waitForStatus(id, 'COMPENSATED');
    await api.get('/api/sagas', 'a-wrong-token-that-must-not-be-logged');
    await api.post(`/api/sagas/${id}/cancel`, { reason: 'too late' });

    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const r of records) {
      expect(r).toMatchObject({ time: expect.any(String), level: expect.any(String), msg: expect.any(String) });
    }
    const mine = records.filter((r) => r.sagaId === id && r.context === 'Saga');
    expect(mine.map((r) => r.event)).toEqual(['SAGA_STARTED', 'COMPENSATION_STARTED', 'SAGA_COMPENSATED']);
    expect(mine.at(-1)).toMatchObject({ sagaName: 'order', status: 'COMPENSATED', level: 'log' });
    expect(String(mine[0].msg)).toContain(`Saga "order" (id=${id}) started`);
    const all = lines.join('\n');
    expect(all).not.toContain(app.operatorToken);
    expect(all).not.toContain(app.viewerToken);
    expect(all).not.toContain('a-wrong-token-that-must-not-be-logged');
  });
});

describe('health when the database is down', () => {
  let app: TestApp;
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('saga_api_down');
    app = await startTestApp({ databaseUrl: db.url, logLevel: 'error' });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('answers 503 with database down, and API calls 503 DATABASE_UNAVAILABLE without details', async () => {
    const api = new ApiClient(app);
    expect((await api.get('/api/health', 'none')).status).toBe(200);
    await db.drop();
    const health = await api.get('/api/health', 'none');
    expect(health.status).toBe(503);
    expect(health.body).toEqual({ status: 'error', database: 'down' });
    const list = await api.get('/api/sagas');
    expect(list.status).toBe(503);
    expect(list.body).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(list.text).not.toMatch(/SELECT|saga_instances|at .*\.js/);
  });
});
