/** The demo `order` saga through the HTTP API, with its effects checked in the ledger. */
import type { SagaDetail } from '@nest-saga/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, orderInput } from './support/http.js';
import { expectBalanced, ledger } from './support/ledger.js';
import { startTestApp, type TestApp } from './support/test-app.js';

function step(d: SagaDetail, name: string) {
  const s = d.steps.find((x) => x.name === name);
  if (!s) throw new Error(`no step ${name}`);
  return s;
}

function eventsOf(d: SagaDetail, type: string) {
  return d.events.filter((e) => e.type === type);
}

describe('demo order saga', () => {
  let app: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    app = await startTestApp();
    api = new ApiClient(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('seeds 10,000 units of ITEM1, ITEM2 and ITEM3, and the ledger has exactly four lists', async () => {
    const l = await ledger(api, 'no-such-order');
    expect(Object.keys(l).sort()).toEqual(['payments', 'reservations', 'shipments', 'stock']);
    expect(l.stock.map((s) => s.sku)).toEqual(['ITEM1', 'ITEM2', 'ITEM3']);
    expect(l).toMatchObject({ reservations: [], payments: [], shipments: [] });
  });

  it('completes a happy order: stock consumed, charged once, shipped once', async () => {
    const input = orderInput({ items: [{ sku: 'ITEM1', qty: 2 }, { sku: 'ITEM2', qty: 1 }, { sku: 'ITEM1', qty: 1 }], totalAmount: 42.5 });
    const start = await api.post('/api/sagas', { name: 'order', input, idempotencyKey: input.orderId });
    expect(start.status).toBe(201);
    expect(start.body).toMatchObject({ name: 'order', idempotencyKey: input.orderId, created: true });
    for (const key of ['id', 'name', 'status', 'idempotencyKey', 'createdAt', 'updatedAt', 'currentStep', 'stuckSince']) {
      expect(start.body).toHaveProperty(key);
    }
    const done = await api.waitForStatus(start.body.id, 'COMPLETED');
    expect(done.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ['check-inventory', 'COMPLETED', 1],
      ['reserve-inventory', 'COMPLETED', 1],
      ['process-payment', 'COMPLETED', 1],
      ['create-shipment', 'COMPLETED', 1],
    ]);
    expect(done.input).toEqual(input);
    expect(step(done, 'process-payment').output).toMatchObject({ amount: 42.5 });
    expect(eventsOf(done, 'SAGA_COMPLETED')).toHaveLength(1);

    const l = await ledger(api, String(input.orderId));
    expect(l.reservations).toEqual([
      { orderId: input.orderId, sku: 'ITEM1', qty: 3, status: 'CONSUMED' },
      { orderId: input.orderId, sku: 'ITEM2', qty: 1, status: 'CONSUMED' },
    ]);
    expect(l.payments).toEqual([{ orderId: input.orderId, amount: 42.5, status: 'CHARGED' }]);
    expect(l.shipments).toEqual([{ orderId: input.orderId, status: 'CREATED' }]);
  });

  it('starts once per idempotency key', async () => {
    const input = orderInput();
    const key = `idem-${input.orderId}`;
    const first = await api.post('/api/sagas', { name: 'order', input, idempotencyKey: key });
    const second = await api.post('/api/sagas', { name: 'order', input, idempotencyKey: key });
    expect(first.status).toBe(201);
    expect(first.body.created).toBe(true);
    expect(second.status).toBe(201);
    expect(second.body.created).toBe(false);
    expect(second.body.id).toBe(first.body.id);
    const list = await api.get(`/api/sagas?q=${encodeURIComponent(key)}`);
    expect(list.body.items.map((s: { id: string }) => s.id)).toEqual([first.body.id]);
    await api.waitForStatus(first.body.id, 'COMPLETED');
    expect((await ledger(api, String(input.orderId))).payments).toHaveLength(1);
  });

  it('compensates in reverse order when a step fails for good, leaving no charge, shipment or hold', async () => {
    const input = orderInput({ simulate: { failAt: 'create-shipment' } });
    const id = await api.startOrder(input);
    const d = await api.waitForStatus(id, 'COMPENSATED');
    expect(step(d, 'create-shipment')).toMatchObject({ status: 'FAILED', attempts: 3 });
    expect(step(d, 'create-shipment').error?.message).toContain('Simulated failure');
    expect(step(d, 'process-payment').status).toBe('COMPENSATED');
    expect(step(d, 'reserve-inventory').status).toBe('COMPENSATED');
    expect(step(d, 'check-inventory').compensation.status === null || step(d, 'check-inventory').compensation.status === 'SKIPPED').toBe(true);
    const compensated = d.events.filter((e) => e.type === 'STEP_COMPENSATED').map((e) => e.step);
    expect(compensated.indexOf('process-payment')).toBeLessThan(compensated.indexOf('reserve-inventory'));
    expect(eventsOf(d, 'STEP_FAILED').length + eventsOf(d, 'STEP_RETRY_SCHEDULED').length).toBeGreaterThanOrEqual(3);

    const l = await ledger(api, String(input.orderId));
    expect(l.reservations.every((r) => r.status === 'RELEASED')).toBe(true);
    expect(l.payments).toEqual([{ orderId: input.orderId, amount: input.totalAmount, status: 'REFUNDED' }]);
    expect(l.shipments).toEqual([]);
  });

  it('fails an order with too little stock at check-inventory, without retrying and without effects', async () => {
    const input = orderInput({ items: [{ sku: 'ITEM3', qty: 10_000 }, { sku: 'ITEM3', qty: 1 }] });
    const d = await api.waitForStatus(await api.startOrder(input), 'COMPENSATED');
    expect(step(d, 'check-inventory')).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(step(d, 'check-inventory').error?.message).toContain('Not enough ITEM3');
    expect(await ledger(api, String(input.orderId))).toMatchObject({ reservations: [], payments: [], shipments: [] });

    const unknown = orderInput({ items: [{ sku: 'NOPE', qty: 1 }] });
    const u = await api.waitForStatus(await api.startOrder(unknown), 'COMPENSATED');
    expect(step(u, 'check-inventory').error?.message).toContain('Unknown SKU "NOPE"');
  });

  it('retries a step that fails a few times (failTimes) and completes', async () => {
    const input = orderInput({ simulate: { failTimes: { 'reserve-inventory': 1, 'process-payment': 2 } } });
    const d = await api.waitForStatus(await api.startOrder(input), 'COMPLETED');
    expect(step(d, 'reserve-inventory').attempts).toBe(2);
    expect(step(d, 'process-payment').attempts).toBe(3);
    const l = await ledger(api, String(input.orderId));
    expect(l.reservations.map((r) => r.status)).toEqual(['CONSUMED', 'CONSUMED']);
    expect(l.payments).toHaveLength(1);
  });

  it('retries a compensation that fails a few times (failCompensationTimes)', async () => {
    const input = orderInput({ simulate: { failAt: 'create-shipment', failCompensationTimes: { 'reserve-inventory': 2 } } });
    const d = await api.waitForStatus(await api.startOrder(input), 'COMPENSATED');
    expect(step(d, 'reserve-inventory').compensation).toMatchObject({ status: 'COMPENSATED', attempts: 3 });
    expect((await ledger(api, String(input.orderId))).reservations.every((r) => r.status === 'RELEASED')).toBe(true);
  });

  it('ends FAILED when a compensation fails for good; resolving the step by hand lets the rest compensate', async () => {
    const input = orderInput({ simulate: { failAt: 'create-shipment', failCompensationAt: 'process-payment' } });
    const id = await api.startOrder(input);
    const failed = await api.waitForStatus(id, 'FAILED');
    expect(step(failed, 'process-payment')).toMatchObject({ status: 'COMPENSATION_FAILED' });
    expect(step(failed, 'process-payment').compensation.attempts).toBe(3);
    expect(step(failed, 'reserve-inventory').status).toBe('COMPLETED');
    expect(failed.error).not.toBeNull();
    // Still held: the reservation is released only after the payment is dealt with.
    expect((await ledger(api, String(input.orderId))).reservations.every((r) => r.status === 'HELD')).toBe(true);

    const res = await api.post(`/api/sagas/${id}/steps/process-payment/resolve`, { reason: 'refunded by hand in the PSP console' });
    expect(res.status).toBe(202);
    expect(res.body.id).toBe(id);
    const d = await api.waitForStatus(id, 'COMPENSATED');
    const resolved = eventsOf(d, 'STEP_RESOLVED');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ step: 'process-payment', actor: 'operator', reason: 'refunded by hand in the PSP console' });
    expect(step(d, 'reserve-inventory').status).toBe('COMPENSATED');
    const l = await ledger(api, String(input.orderId));
    expect(l.reservations.every((r) => r.status === 'RELEASED')).toBe(true);
    expect(l.shipments).toEqual([]);
  });

  it('retries the failed compensations of a FAILED saga', async () => {
    const input = orderInput({ simulate: { failAt: 'create-shipment', failCompensationTimes: { 'process-payment': 3 } } });
    const id = await api.startOrder(input);
    await api.waitForStatus(id, 'FAILED');
    expect((await ledger(api, String(input.orderId))).payments[0].status).toBe('CHARGED');
    const res = await api.post(`/api/sagas/${id}/retry`, { reason: 'PSP is back' });
    expect(res.status).toBe(202);
    const d = await api.waitForStatus(id, 'COMPENSATED');
    expect(eventsOf(d, 'SAGA_RETRIED').at(-1)).toMatchObject({ actor: 'operator', reason: 'PSP is back' });
    const l = await ledger(api, String(input.orderId));
    expect(l.payments).toEqual([{ orderId: input.orderId, amount: input.totalAmount, status: 'REFUNDED' }]);
    expect(l.reservations.every((r) => r.status === 'RELEASED')).toBe(true);
  });

  it('compensates a COMPLETED order on request: refund, cancel the shipment, release the stock', async () => {
    const input = orderInput();
    const id = await api.startOrder(input);
    await api.waitForStatus(id, 'COMPLETED');
    const res = await api.post(`/api/sagas/${id}/compensate`, { reason: 'customer returned it' });
    expect(res.status).toBe(202);
    const d = await api.waitForStatus(id, 'COMPENSATED');
    expect(eventsOf(d, 'COMPENSATE_REQUESTED')[0]).toMatchObject({ actor: 'operator', reason: 'customer returned it' });
    expect(d.steps.filter((s) => s.hasCompensation).every((s) => s.status === 'COMPENSATED')).toBe(true);
    const l = await ledger(api, String(input.orderId));
    expect(l.payments).toEqual([{ orderId: input.orderId, amount: input.totalAmount, status: 'REFUNDED' }]);
    expect(l.shipments).toEqual([{ orderId: input.orderId, status: 'CANCELLED' }]);
    expect(l.reservations.every((r) => r.status === 'RELEASED')).toBe(true);
  });

  it('keeps the books balanced: seeded = available + held + consumed, every completed order charged and shipped once', async () => {
    const all = await ledger(api);
    expectBalanced(all);
    const page = await api.get('/api/sagas?limit=500');
    for (const s of page.body.items as { id: string; status: string }[]) {
      const d = await api.detail(s.id);
      const orderId = (d.input as { orderId: string }).orderId;
      const payments = all.payments.filter((p) => p.orderId === orderId);
      const shipments = all.shipments.filter((p) => p.orderId === orderId);
      if (d.status === 'COMPLETED') {
        expect(payments.map((p) => p.status)).toEqual(['CHARGED']);
        expect(shipments.map((p) => p.status)).toEqual(['CREATED']);
      }
      if (d.status === 'COMPENSATED' || d.status === 'CANCELLED') {
        const resolvedByHand = d.events.some((e) => e.type === 'STEP_RESOLVED');
        if (!resolvedByHand) expect(payments.filter((p) => p.status === 'CHARGED')).toEqual([]);
        expect(shipments.filter((p) => p.status === 'CREATED')).toEqual([]);
        expect(all.reservations.filter((r) => r.orderId === orderId && r.status !== 'RELEASED')).toEqual([]);
      }
    }
  });
});
