/** GET /api/sagas: keyset paging newest first, filters; GET /api/stats. */
import type { SagaSummary } from '@nest-saga/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, orderInput, type Reply } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('listing and stats', () => {
  let app: TestApp;
  let api: ApiClient;
  const run = `page-${Date.now().toString(36)}`;
  const started: string[] = [];
  let failedId: string;

  beforeAll(async () => {
    app = await startTestApp();
    api = new ApiClient(app);
    for (let i = 0; i < 7; i++) started.push(await api.startOrder(orderInput(), `${run}-${i}`));
    failedId = await api.startOrder(orderInput({ simulate: { failAt: 'check-inventory' } }), `other-${run}`);
    for (const id of started) await api.waitForStatus(id, 'COMPLETED');
    await api.waitForStatus(failedId, 'COMPENSATED');
  });
  afterAll(async () => {
    await app?.close();
  });

  async function pages(query: string): Promise<SagaSummary[][]> {
    const out: SagaSummary[][] = [];
    let cursor: string | null = null;
    do {
      const res: Reply = await api.get(`/api/sagas?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      out.push(res.body.items);
      cursor = res.body.nextCursor;
      expect(out.length).toBeLessThan(20);
    } while (cursor);
    return out;
  }

  it('pages through more sagas than one page, newest first, each exactly once', async () => {
    const result = await pages(`q=${run}-&limit=3`);
    expect(result.map((p) => p.length)).toEqual([3, 3, 1]);
    const ids = result.flat().map((s) => s.id);
    expect(ids).toEqual([...started].reverse());
    const all = await pages('limit=2');
    const allIds = all.flat().map((s) => s.id);
    expect(new Set(allIds).size).toBe(allIds.length);
    expect(allIds).toHaveLength(8);
    const created = all.flat().map((s) => s.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
  });

  it('returns summaries with the documented fields', async () => {
    const res = await api.get('/api/sagas?limit=1');
    expect(res.body.items).toHaveLength(1);
    expect(res.body.nextCursor).toEqual(expect.any(String));
    for (const key of ['id', 'name', 'status', 'idempotencyKey', 'createdAt', 'updatedAt', 'currentStep', 'stuckSince']) {
      expect(res.body.items[0]).toHaveProperty(key);
    }
    expect((await api.get('/api/sagas')).body.nextCursor).toBeNull();
  });

  it('filters by status (repeatable), name, stuck and q', async () => {
    const completed = (await api.get('/api/sagas?status=COMPLETED')).body.items as SagaSummary[];
    expect(completed).toHaveLength(7);
    expect(completed.every((s) => s.status === 'COMPLETED')).toBe(true);
    expect((await api.get('/api/sagas?status=COMPENSATED')).body.items.map((s: SagaSummary) => s.id)).toEqual([failedId]);
    expect((await api.get('/api/sagas?status=COMPLETED&status=COMPENSATED')).body.items).toHaveLength(8);
    expect((await api.get('/api/sagas?status=COMPLETED,COMPENSATED')).body.items).toHaveLength(8);
    expect((await api.get('/api/sagas?status=RUNNING')).body.items).toEqual([]);
    expect((await api.get('/api/sagas?name=order')).body.items).toHaveLength(8);
    expect((await api.get('/api/sagas?name=refund')).body.items).toEqual([]);
    expect((await api.get('/api/sagas?stuck=true')).body.items).toEqual([]);
    expect((await api.get(`/api/sagas?q=${started[2]}`)).body.items.map((s: SagaSummary) => s.id)).toEqual([started[2]]);
    expect((await api.get(`/api/sagas?q=${run}-4`)).body.items.map((s: SagaSummary) => s.id)).toEqual([started[4]]);
  });

  it('counts sagas by status and by name', async () => {
    const res = await api.get('/api/stats');
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(8);
    expect(res.body.byStatus).toMatchObject({ COMPLETED: 7, COMPENSATED: 1, RUNNING: 0, FAILED: 0 });
    expect(res.body.byName.order).toMatchObject({ COMPLETED: 7, COMPENSATED: 1 });
    expect(res.body.stuck).toBe(0);
  });
});
