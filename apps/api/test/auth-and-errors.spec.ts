/** Auth, roles, and every malformed request: each a 4xx with `{ statusCode, code, message }`, never a 5xx. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, orderInput } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('admin API: auth, roles and errors', () => {
  let app: TestApp;
  let api: ApiClient;
  let sagaId: string;

  beforeAll(async () => {
    app = await startTestApp();
    api = new ApiClient(app);
    sagaId = await api.startOrder(orderInput());
    await api.waitForStatus(sagaId, 'COMPLETED');
  });
  afterAll(async () => {
    await app?.close();
  });

  function expectError(res: { status: number; body: any }, status: number, code: string, field?: string) {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body).toMatchObject({ statusCode: status, code });
    expect(typeof res.body.message).toBe('string');
    expect(res.body.message.length).toBeGreaterThan(5);
    if (field) expect(res.body.field).toBe(field);
    expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(ts|js):\d+|SELECT |INSERT |UPDATE /);
  }

  describe('auth', () => {
    it('serves health with no token', async () => {
      const res = await api.get('/api/health', 'none');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', database: 'up' });
    });

    it('answers 401 UNAUTHORIZED without a token or with a wrong one', async () => {
      for (const path of ['/api/sagas', '/api/stats', '/api/saga-definitions', `/api/sagas/${sagaId}`, '/api/whoami', '/api/demo/ledger']) {
        const missing = await api.get(path, 'none');
        expectError(missing, 401, 'UNAUTHORIZED');
        expect(missing.headers.get('www-authenticate')).toBe('Bearer');
        expectError(await api.get(path, 'not-a-token-of-ours'), 401, 'UNAUTHORIZED');
      }
      const malformed = await api.request('GET', '/api/sagas', { as: 'none', headers: { authorization: `Basic ${app.operatorToken}` } });
      expectError(malformed, 401, 'UNAUTHORIZED');
      expectError(await api.post('/api/sagas', { name: 'order', input: orderInput() }, 'none'), 401, 'UNAUTHORIZED');
    });

    it('lets a viewer read but answers 403 FORBIDDEN to its actions', async () => {
      expect((await api.get('/api/sagas', 'viewer')).status).toBe(200);
      expect((await api.get(`/api/sagas/${sagaId}`, 'viewer')).status).toBe(200);
      expect((await api.get('/api/demo/ledger', 'viewer')).status).toBe(200);
      expectError(await api.post('/api/sagas', { name: 'order', input: orderInput() }, 'viewer'), 403, 'FORBIDDEN');
      for (const action of ['cancel', 'compensate', 'retry', 'pause', 'resume']) {
        expectError(await api.post(`/api/sagas/${sagaId}/${action}`, { reason: 'x' }, 'viewer'), 403, 'FORBIDDEN');
      }
      expectError(await api.post(`/api/sagas/${sagaId}/steps/process-payment/resolve`, { reason: 'x' }, 'viewer'), 403, 'FORBIDDEN');
    });

    it('tells each token its role at /api/whoami', async () => {
      expect((await api.get('/api/whoami', 'viewer')).body).toEqual({ role: 'viewer', actor: 'viewer' });
      expect((await api.get('/api/whoami', 'operator')).body).toEqual({ role: 'operator', actor: 'operator' });
    });

    it('lets an operator do what a viewer can', async () => {
      expect((await api.get('/api/stats', 'operator')).status).toBe(200);
      expect((await api.get('/api/saga-definitions', 'operator')).status).toBe(200);
    });
  });

  describe('malformed requests', () => {
    it('answers malformed JSON with 400 naming the body', async () => {
      const res = await api.request('POST', '/api/sagas', { rawBody: '{"name": "order", "input": ' });
      expectError(res, 400, 'VALIDATION_FAILED', 'body');
      expect(res.body.message).toMatch(/not valid JSON/);
    });

    it('answers a body that is not JSON with 415', async () => {
      const res = await api.request('POST', '/api/sagas', { rawBody: 'name=order', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers wrong types with 400 naming the field', async () => {
      expectError(await api.post('/api/sagas', { name: 5, input: {} }), 400, 'VALIDATION_FAILED', 'name');
      expectError(await api.post('/api/sagas', { name: 'order', input: orderInput(), idempotencyKey: 7 }), 400, 'VALIDATION_FAILED', 'idempotencyKey');
      expectError(await api.post('/api/sagas', { name: 'order' }), 400, 'VALIDATION_FAILED', 'input');
      expectError(await api.post(`/api/sagas/${sagaId}/pause`, { reason: 12 }), 400, 'VALIDATION_FAILED', 'reason');
      expectError(await api.request('POST', '/api/sagas', { rawBody: '[1,2]' }), 400, 'VALIDATION_FAILED');
      expectError(await api.request('POST', '/api/sagas', { rawBody: '"order"' }), 400, 'VALIDATION_FAILED');
    });

    it('refuses unknown fields with 400 naming them', async () => {
      const res = await api.post('/api/sagas', { name: 'order', input: orderInput(), priority: 'high' });
      expectError(res, 400, 'VALIDATION_FAILED', 'priority');
      expect(res.body.message).toContain('Unknown field "priority"');
      expectError(await api.post(`/api/sagas/${sagaId}/cancel`, { reason: 'x', force: true }), 400, 'VALIDATION_FAILED', 'force');
    });

    it('refuses a body over the size limit with 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await api.post('/api/sagas', { name: 'order', input: { ...orderInput(), note: 'x'.repeat(300 * 1024) } });
      expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('validates the order input and names the offending field', async () => {
      const bad = orderInput({ items: [{ sku: 'ITEM1', qty: 0 }] });
      const res = await api.post('/api/sagas', { name: 'order', input: bad });
      expectError(res, 400, 'SAGA_INPUT_INVALID', 'input.items[0].qty');
      expectError(await api.post('/api/sagas', { name: 'order', input: { ...orderInput(), customerId: undefined } }), 400, 'SAGA_INPUT_INVALID', 'input.customerId');
      expectError(await api.post('/api/sagas', { name: 'order', input: { ...orderInput(), coupon: 'X' } }), 400, 'SAGA_INPUT_INVALID', 'input.coupon');
      expectError(await api.post('/api/sagas', { name: 'order', input: orderInput({ totalAmount: '12' }) }), 400, 'SAGA_INPUT_INVALID', 'input.totalAmount');
      expectError(await api.post('/api/sagas', { name: 'order', input: 'an order' }), 400, 'SAGA_INPUT_INVALID', 'input');
      expectError(
        await api.post('/api/sagas', { name: 'order', input: orderInput({ simulate: { failAt: 'nowhere' } }) }),
        400,
        'SAGA_INPUT_INVALID',
        'input.simulate.failAt',
      );
      expectError(
        await api.post('/api/sagas', { name: 'order', input: orderInput({ simulate: { failTimes: { 'process-payment': -1 } } }) }),
        400,
        'SAGA_INPUT_INVALID',
        'input.simulate.failTimes',
      );
      const list = await api.get(`/api/sagas?q=${encodeURIComponent(String(bad.orderId))}`);
      expect(list.body.items).toEqual([]);
    });

    it('answers an unknown saga name with 404 SAGA_DEFINITION_NOT_FOUND', async () => {
      const res = await api.post('/api/sagas', { name: 'no-such-saga', input: {} });
      expectError(res, 404, 'SAGA_DEFINITION_NOT_FOUND');
      expect(res.body.message).toContain('"order"');
    });

    it('answers an unknown saga id with 404 SAGA_NOT_FOUND, for reads and actions', async () => {
      const id = randomUUID();
      expectError(await api.get(`/api/sagas/${id}`), 404, 'SAGA_NOT_FOUND');
      for (const action of ['cancel', 'compensate', 'retry', 'pause', 'resume']) {
        expectError(await api.post(`/api/sagas/${id}/${action}`, {}), 404, 'SAGA_NOT_FOUND');
      }
      expectError(await api.post(`/api/sagas/${id}/steps/process-payment/resolve`, { reason: 'x' }), 404, 'SAGA_NOT_FOUND');
    });

    it('answers an id that is not a UUID with 400 naming the id', async () => {
      expectError(await api.get('/api/sagas/not-a-uuid'), 400, 'VALIDATION_FAILED', 'id');
      expectError(await api.get("/api/sagas/1'%20OR%201=1"), 400, 'VALIDATION_FAILED', 'id');
      expectError(await api.post('/api/sagas/12345/cancel', {}), 400, 'VALIDATION_FAILED', 'id');
    });

    it('answers an unknown step with 404 SAGA_STEP_NOT_FOUND and a missing reason with 400', async () => {
      expectError(await api.post(`/api/sagas/${sagaId}/steps/no-such-step/resolve`, { reason: 'done by hand' }), 404, 'SAGA_STEP_NOT_FOUND');
      expectError(await api.post(`/api/sagas/${sagaId}/steps/process-payment/resolve`, {}), 400, 'VALIDATION_FAILED', 'reason');
      expectError(await api.post(`/api/sagas/${sagaId}/steps/process-payment/resolve`, { reason: '' }), 400, 'VALIDATION_FAILED', 'reason');
    });

    it('answers an action the status does not allow with 409 INVALID_SAGA_TRANSITION', async () => {
      for (const action of ['cancel', 'retry', 'pause', 'resume']) {
        const res = await api.post(`/api/sagas/${sagaId}/${action}`, { reason: 'test' });
        expectError(res, 409, 'INVALID_SAGA_TRANSITION');
        expect(res.body.message).toContain('COMPLETED');
      }
      expectError(await api.post(`/api/sagas/${sagaId}/steps/process-payment/resolve`, { reason: 'x' }), 409, 'INVALID_SAGA_TRANSITION');
    });

    it('validates list filters and the cursor', async () => {
      expectError(await api.get('/api/sagas?status=DONE'), 400, 'VALIDATION_FAILED', 'status');
      expectError(await api.get('/api/sagas?limit=0'), 400, 'VALIDATION_FAILED', 'limit');
      expectError(await api.get('/api/sagas?limit=501'), 400, 'VALIDATION_FAILED', 'limit');
      expectError(await api.get('/api/sagas?limit=ten'), 400, 'VALIDATION_FAILED', 'limit');
      expectError(await api.get('/api/sagas?stuck=maybe'), 400, 'VALIDATION_FAILED', 'stuck');
      expectError(await api.get('/api/sagas?cursor=garbage'), 400, 'VALIDATION_FAILED', 'cursor');
      expectError(await api.get('/api/sagas?sort=name'), 400, 'VALIDATION_FAILED', 'sort');
    });

    it('answers unknown API routes with a JSON 404 NOT_FOUND', async () => {
      expectError(await api.get('/api/nothing-here'), 404, 'NOT_FOUND');
      expectError(await api.request('DELETE', `/api/sagas/${sagaId}`), 404, 'NOT_FOUND');
    });
  });

  describe('documentation and operations', () => {
    it('lists the registered sagas with their steps, compensations, timeouts and retries', async () => {
      const res = await api.get('/api/saga-definitions');
      expect(res.status).toBe(200);
      const order = res.body.find((d: { name: string }) => d.name === 'order');
      expect(order.steps.map((s: { name: string }) => s.name)).toEqual(['check-inventory', 'reserve-inventory', 'process-payment', 'create-shipment']);
      expect(order.steps.map((s: { hasCompensation: boolean }) => s.hasCompensation)).toEqual([false, true, true, true]);
      expect(order.timeoutMs).toBe(600_000);
      for (const step of order.steps) {
        expect(step.retry.maxAttempts).toBeGreaterThanOrEqual(3);
        expect(step.retry.initialDelayMs).toBeLessThanOrEqual(200);
        expect(step.compensationRetry.maxAttempts).toBeGreaterThanOrEqual(3);
        expect(step.compensationRetry.initialDelayMs).toBeLessThanOrEqual(200);
        expect(step.timeoutMs).toBeGreaterThan(0);
      }
    });

    it('serves the OpenAPI document and UI, generated from the code, with bearer auth', async () => {
      const json = await api.get('/api/docs-json', 'none');
      expect(json.status).toBe(200);
      expect(json.body.openapi).toMatch(/^3\./);
      const paths = Object.keys(json.body.paths);
      for (const p of [
        '/api/health',
        '/api/saga-definitions',
        '/api/sagas',
        '/api/sagas/{id}',
        '/api/sagas/{id}/cancel',
        '/api/sagas/{id}/compensate',
        '/api/sagas/{id}/retry',
        '/api/sagas/{id}/pause',
        '/api/sagas/{id}/resume',
        '/api/sagas/{id}/steps/{step}/resolve',
        '/api/stats',
        '/api/whoami',
        '/api/demo/ledger',
        '/metrics',
      ]) {
        expect(paths).toContain(p);
      }
      expect(json.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(json.body.components.schemas.StartSagaDto.required).toEqual(expect.arrayContaining(['name', 'input']));
      expect(json.body.paths['/api/sagas'].post.responses['201']).toBeDefined();
      const ui = await api.get('/api/docs', 'none');
      expect(ui.status).toBe(200);
      expect(ui.text).toContain('swagger');
    });

    it('serves Prometheus metrics fed by the saga events', async () => {
      const res = await api.get('/metrics', 'none');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(res.text).toMatch(/saga_started_total\{saga="order"\} \d+/);
      expect(res.text).toMatch(/saga_finished_total\{saga="order",status="COMPLETED"\} \d+/);
      expect(res.text).toMatch(/saga_step_attempts_total\{saga="order",step="process-payment",phase="execute",outcome="succeeded"\} \d+/);
      expect(res.text).toContain('saga_step_duration_seconds_bucket{');
      expect(res.text).toMatch(/saga_stuck \d+/);
      expect(res.text).toMatch(/saga_instances\{status="COMPLETED"\} \d+/);
      expect(res.text).toContain('# TYPE saga_compensations_total counter');
      expect(res.text).toContain('process_cpu_user_seconds_total');
    });
  });
});
