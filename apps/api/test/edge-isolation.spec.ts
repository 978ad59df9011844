/**
 * SPEC §9 at the API's edge: one bad request fails alone, with a 400 that names the field; a dry pool
 * is a 503 with Retry-After, not a 500; every error has the API's body; the pages carry the headers
 * that keep the operator token and the console safe.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource, type QueryRunner } from 'typeorm';
import { ApiClient } from './support/http.js';

async function waitFor(api: ApiClient, id: string, ok: (detail: any) => boolean, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const detail = (await api.get(`/api/sagas/${id}`)).body;
    if (ok(detail)) return detail;
    if (Date.now() > deadline) throw new Error(`saga ${id} never got there: ${detail.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
import { startTestApp, type TestApp } from './support/test-app.js';

const order = (orderId: string) => ({ orderId, customerId: 'c-1', items: [{ sku: 'ITEM1', qty: 1 }], totalAmount: 10 });

describe('bad text, deep JSON and odd bodies fail alone, with the field named', () => {
  let app: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    app = await startTestApp();
    api = new ApiClient(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('starts the 57 valid orders of 60 sent at once, and refuses the 3 with a NUL in their input', async () => {
    const replies = await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const orderId = i % 20 === 7 ? `bad-${i}\u0000` : `edge-${i}`;
        return api.post('/api/sagas', { name: 'order', input: order(orderId), idempotencyKey: `edge-key-${i}` });
      }),
    );
    const created = replies.filter((r) => r.status === 201);
    const refused = replies.filter((r) => r.status === 400);
    expect(created).toHaveLength(57);
    expect(refused).toHaveLength(3);
    for (const r of refused) expect(r.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', field: 'input.orderId' });
  });

  it('refuses U+0000 and lone surrogates anywhere in a request, naming the field, with a 400', async () => {
    const raw = (json: string) => api.request('POST', '/api/sagas', { rawBody: json });
    const cases: [Promise<{ status: number; body: any }>, string][] = [
      [raw('{"name":"order","input":{"orderId":"x\\u0000","customerId":"c","items":[{"sku":"ITEM1","qty":1}],"totalAmount":1}}'), 'input.orderId'],
      [raw('{"name":"order","input":{"orderId":"\\ud800","customerId":"c","items":[{"sku":"ITEM1","qty":1}],"totalAmount":1}}'), 'input.orderId'],
      [raw(`{"name":"order","input":${JSON.stringify(order('ok-1'))},"idempotencyKey":"k\\u0000"}`), 'idempotencyKey'],
      [raw('{"name":"ord\\udc00er","input":{}}'), 'name'],
      [api.get('/api/sagas?q=%00abc'), 'q'],
      [api.get('/api/sagas?name=a%00b'), 'name'],
    ];
    const started = await api.post('/api/sagas', { name: 'order', input: order('edge-reason'), idempotencyKey: 'edge-reason' });
    cases.push([api.post(`/api/sagas/${started.body.id}/pause`, { reason: 'why\u0000' }), 'reason']);
    for (const [reply, field] of cases) {
      const r = await reply;
      expect(r.status, field).toBe(400);
      expect(r.body, field).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', field });
    }
  });

  it('answers an idempotency key reused with another input with 409, and the same input with the existing saga', async () => {
    const first = await api.post('/api/sagas', { name: 'order', input: order('idem-1'), idempotencyKey: 'idem-key-1' });
    expect(first.status).toBe(201);
    const same = await api.post('/api/sagas', { name: 'order', input: order('idem-1'), idempotencyKey: 'idem-key-1' });
    expect(same.status).toBe(201);
    expect(same.body).toMatchObject({ id: first.body.id, created: false });
    const other = await api.post('/api/sagas', { name: 'order', input: order('idem-2'), idempotencyKey: 'idem-key-1' });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ statusCode: 409, code: 'IDEMPOTENCY_KEY_CONFLICT' });
  });

  it('answers 20 identical pause requests with 202 and records one request in the history', async () => {
    const started = await api.post('/api/sagas', {
      name: 'order',
      input: { ...order('pause-20'), simulate: { delayMs: { 'reserve-inventory': 3_000 } } },
      idempotencyKey: 'pause-20',
    });
    await waitFor(api, started.body.id, (d) => d.status === 'RUNNING' && d.steps.some((s: { status: string }) => s.status === 'RUNNING'));
    const replies = await Promise.all(Array.from({ length: 20 }, () => api.post(`/api/sagas/${started.body.id}/pause`, { reason: 'hold on' })));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(202));
    const paused = await waitFor(api, started.body.id, (d) => d.status === 'PAUSED');
    expect(paused.events.filter((e: { type: string }) => e.type === 'PAUSE_REQUESTED')).toHaveLength(1);
    expect(paused.events.filter((e: { type: string }) => e.type === 'SAGA_PAUSED')).toHaveLength(1);
  });

  it('answers JSON nested 5,000 levels deep with a 400, not a stack overflow', async () => {
    const deep = `${'['.repeat(5_000)}1${']'.repeat(5_000)}`;
    const r = await api.request('POST', '/api/sagas', { rawBody: `{"name":"order","input":{"deep":${deep}}}` });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect(r.body.message).toContain('deeper than 64');
  });

  it('gives 415 and corrupt bodies the API error body', async () => {
    const latin1 = await api.request('POST', '/api/sagas', { rawBody: '{}', headers: { 'content-type': 'application/json; charset=latin1' } });
    expect(latin1.status).toBe(415);
    expect(latin1.body).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    const encoding = await api.request('POST', '/api/sagas', { rawBody: '{}', headers: { 'content-encoding': 'x-unknown' } });
    expect(encoding.status).toBe(415);
    expect(encoding.body).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    const text = await api.request('POST', '/api/sagas', { rawBody: 'name=order', headers: { 'content-type': 'text/plain' } });
    expect(text.body).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    const gz = gzipSync(Buffer.from('{"name":"order","input":{}}')).subarray(0, 12);
    const res = await fetch(`${app.baseUrl}/api/sagas`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.operatorToken}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gz,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', field: 'body' });
  });

  it('answers unknown API paths and unknown asset files with the API error body', async () => {
    for (const path of ['/api/no-such-route', '/api/sagas/x/y/z', '/assets/missing-123.js', '/assets/index.js.map']) {
      const r = await api.get(path, 'none');
      expect(r.status, path).toBe(404);
      expect(r.body, path).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    }
  });

  it('sends no-store, nosniff and no-referrer on API answers, errors included', async () => {
    for (const r of [await api.get('/api/sagas'), await api.get('/api/sagas', 'none'), await api.get('/api/stats')]) {
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('serves the dashboard with a self-only Content-Security-Policy and an OpenAPI page that stores no token', async () => {
    const page = await api.get('/sagas', 'none');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/);
    const docs = await api.get('/api/docs', 'none');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const init = await api.get('/api/docs/swagger-ui-init.js', 'none');
    expect(init.text).toContain('persistAuthorization: false');
    expect(`${docs.text}${init.text}`).not.toMatch(/localStorage|persistAuthorization: true/);
  });
});

describe('a dry connection pool', () => {
  let app: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    app = await startTestApp({
      demo: false,
      config: { databasePoolSize: 2, databaseConnectTimeoutMs: 300 },
      sagaOptions: { disableWorker: true, disableStuckDetector: true },
    });
    api = new ApiClient(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After, health says so, and all is well once connections are back', async () => {
    const db = app.running.app.get(DataSource);
    const held: QueryRunner[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const runner = db.createQueryRunner();
        await runner.connect();
        held.push(runner);
      }
      const list = await api.get('/api/sagas');
      expect(list.status).toBe(503);
      expect(list.body).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
      expect(list.headers.get('retry-after')).toBe('1');
      const health = await api.get('/api/health', 'none');
      expect(health.status).toBe(503);
      expect(health.body).toEqual({ status: 'error', database: 'down' });
    } finally {
      await Promise.all(held.map((r) => r.release()));
    }
    expect((await api.get('/api/sagas')).status).toBe(200);
    expect((await api.get('/api/health', 'none')).body).toEqual({ status: 'ok', database: 'up' });
  });
});
