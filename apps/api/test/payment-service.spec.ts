/**
 * The demo's `process-payment` step calls the demo's payment service over HTTP (`ctx.http`) at the
 * app's own address. The service deduplicates by Idempotency-Key, so retries after 503s, also one
 * whose answer was lost after the charge, reach it with one key and charge once.
 */
import pg from 'pg';
import type { SagaDetail } from '@nest-saga/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoPaymentLink, DemoPaymentOutages } from '../src/demo/payment-service.js';
import { ApiClient, orderInput } from './support/http.js';
import { ledger } from './support/ledger.js';
import { startTestApp, type TestApp } from './support/test-app.js';

let app: TestApp;
let api: ApiClient;

beforeAll(async () => {
  app = await startTestApp();
  api = new ApiClient(app);
});
afterAll(async () => {
  await app?.close();
});

async function paymentRows(orderId: string): Promise<{ idempotency_key: string; status: string; saga_id: string }[]> {
  const client = new pg.Client({ connectionString: app.databaseUrl });
  await client.connect();
  try {
    return (await client.query(`SELECT idempotency_key, status, saga_id FROM demo_payments WHERE order_id = $1`, [orderId])).rows;
  } finally {
    await client.end();
  }
}

const payment = (d: SagaDetail) => d.steps.find((s) => s.name === 'process-payment')!;

describe('the demo payment service, called over HTTP by process-payment', () => {
  it("is reached at the app's own address, which the app learnt once it listened", async () => {
    expect(await app.running.app.get(DemoPaymentLink).baseUrl()).toBe(app.baseUrl);
  });

  it('retries 503s with one Idempotency-Key and charges once, even when an answer was lost after the charge', async () => {
    app.running.app.get(DemoPaymentOutages).failNext('before-charge', 'after-charge');
    const input = orderInput({ totalAmount: 19.99 });
    const id = await api.startOrder(input);
    const done = await api.waitForStatus(id, 'COMPLETED');
    expect(payment(done).attempts).toBe(3);
    const key = `${id}:process-payment`;
    const failures = done.events.filter((e) => e.type === 'STEP_FAILED' && e.step === 'process-payment');
    expect(failures.map((e) => e.error?.code)).toEqual(['HTTP_REQUEST_FAILED', 'HTTP_REQUEST_FAILED']);
    for (const f of failures) {
      expect(f.error?.message).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/api\/demo\/payment-service\/charges answered 503 Service Unavailable: /);
      // The service names the key it was called with.
      expect(f.error?.message).toContain(`Idempotency-Key ${key}`);
    }
    expect(await paymentRows(String(input.orderId))).toEqual([{ idempotency_key: key, status: 'CHARGED', saga_id: id }]);
    expect((await ledger(api, String(input.orderId))).payments).toEqual([{ orderId: input.orderId, amount: 19.99, status: 'CHARGED' }]);
  });

  it('refunds over HTTP when a later step fails for good, so the ledger keeps no charge', async () => {
    const input = orderInput({ simulate: { failAt: 'create-shipment' } });
    const id = await api.startOrder(input);
    const done = await api.waitForStatus(id, 'COMPENSATED');
    expect(payment(done).compensation.status).toBe('COMPENSATED');
    expect((await ledger(api, String(input.orderId))).payments).toEqual([{ orderId: input.orderId, amount: 42.5, status: 'REFUNDED' }]);
  });

  it('answers callers without its token 401, and a charge without Idempotency-Key 400', async () => {
    const link = app.running.app.get(DemoPaymentLink);
    const url = `${app.baseUrl}/api/demo/payment-service/charges`;
    const body = JSON.stringify({ orderId: 'x-1', sagaId: '11111111-1111-4111-8111-111111111111', amount: 1 });
    const anonymous = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' }, body });
    expect(anonymous.status).toBe(401);
    const operator = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1', authorization: `Bearer ${app.operatorToken}` }, body });
    expect(operator.status).toBe(401);
    const keyless = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${link.token}` }, body });
    expect(keyless.status).toBe(400);
    expect(await keyless.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'Idempotency-Key' });
  });

  it('gives the same charge back for the same key, and refuses another key for a charged order (409)', async () => {
    const link = app.running.app.get(DemoPaymentLink);
    const charge = (key: string) =>
      fetch(`${app.baseUrl}/api/demo/payment-service/charges`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key, authorization: `Bearer ${link.token}` },
        body: JSON.stringify({ orderId: 'direct-1', sagaId: '22222222-2222-4222-8222-222222222222', amount: 5 }),
      });
    const first = await charge('direct-key');
    const again = await charge('direct-key');
    expect(first.status).toBe(201);
    const body = await first.json();
    expect(await again.json()).toEqual(body);
    expect(body).toMatchObject({ orderId: 'direct-1', amount: 5, status: 'CHARGED' });
    const other = await charge('other-key');
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ code: 'PAYMENT_CONFLICT', message: expect.stringContaining('already charged') });
  });
});
