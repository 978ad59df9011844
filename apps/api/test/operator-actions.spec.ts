/** Cancel, pause, resume and retry through HTTP, each recorded in the history with the token's role and the reason. */
import type { SagaDetail } from '@nest-saga/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, orderInput } from './support/http.js';
import { ledger } from './support/ledger.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const running = (stepName: string) => (d: SagaDetail) =>
  d.status === 'RUNNING' && d.steps.some((s) => s.name === stepName && s.status === 'RUNNING');

describe('operator actions', () => {
  let app: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    app = await startTestApp();
    api = new ApiClient(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('cancels a running order: the step in flight is aborted and what was done is undone', async () => {
    const input = orderInput({ simulate: { delayMs: { 'process-payment': 8_000 } } });
    const id = await api.startOrder(input);
    await api.waitFor(id, running('process-payment'), 'process-payment running');
    const res = await api.post(`/api/sagas/${id}/cancel`, { reason: 'customer called to cancel' });
    expect(res.status).toBe(202);
    expect(res.body.id).toBe(id);
    expect(Array.isArray(res.body.events)).toBe(true);
    const d = await api.waitForStatus(id, 'CANCELLED');
    expect(d.events.find((e) => e.type === 'CANCEL_REQUESTED')).toMatchObject({ actor: 'operator', reason: 'customer called to cancel' });
    expect(d.events.some((e) => e.type === 'SAGA_CANCELLED')).toBe(true);
    expect(d.steps.find((s) => s.name === 'create-shipment')?.status).toBe('PENDING');
    const l = await ledger(api, String(input.orderId));
    expect(l.reservations.every((r) => r.status === 'RELEASED')).toBe(true);
    expect(l.payments.filter((p) => p.status === 'CHARGED')).toEqual([]);
    expect(l.shipments).toEqual([]);
    // Cancelled is final.
    const again = await api.post(`/api/sagas/${id}/cancel`, {});
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('INVALID_SAGA_TRANSITION');
  });

  it('pauses a running order and resumes it where it stopped', async () => {
    const input = orderInput({ simulate: { delayMs: { 'reserve-inventory': 1_000 } } });
    const id = await api.startOrder(input);
    await api.waitFor(id, running('reserve-inventory'), 'reserve-inventory running');
    const pause = await api.post(`/api/sagas/${id}/pause`, { reason: 'checking fraud signals' });
    expect(pause.status).toBe(202);
    const paused = await api.waitForStatus(id, 'PAUSED');
    expect(paused.events.find((e) => e.type === 'PAUSE_REQUESTED')).toMatchObject({ actor: 'operator', reason: 'checking fraud signals' });
    expect(paused.steps.find((s) => s.name === 'create-shipment')?.status).toBe('PENDING');
    // Nothing runs while paused.
    await new Promise((r) => setTimeout(r, 300));
    expect((await api.detail(id)).status).toBe('PAUSED');
    expect((await api.post(`/api/sagas/${id}/pause`, {})).status).toBe(409);

    const resume = await api.post(`/api/sagas/${id}/resume`, { reason: 'looks fine' });
    expect(resume.status).toBe(202);
    const done = await api.waitForStatus(id, 'COMPLETED');
    expect(done.events.find((e) => e.type === 'SAGA_RESUMED')).toMatchObject({ actor: 'operator', reason: 'looks fine' });
    expect((await ledger(api, String(input.orderId))).shipments).toEqual([{ orderId: input.orderId, status: 'CREATED' }]);
  });

  it('retries a paused order forward', async () => {
    const input = orderInput({ simulate: { delayMs: { 'check-inventory': 1_000 } } });
    const id = await api.startOrder(input);
    await api.waitFor(id, running('check-inventory'), 'check-inventory running');
    expect((await api.post(`/api/sagas/${id}/pause`, {})).status).toBe(202);
    await api.waitForStatus(id, 'PAUSED');
    const retry = await api.post(`/api/sagas/${id}/retry`, { reason: 'go on' });
    expect(retry.status).toBe(202);
    const done = await api.waitForStatus(id, 'COMPLETED');
    expect(done.events.find((e) => e.type === 'SAGA_RETRIED')).toMatchObject({ actor: 'operator', reason: 'go on' });
  });

  it('cancels a paused order', async () => {
    const input = orderInput({ simulate: { delayMs: { 'process-payment': 1_000 } } });
    const id = await api.startOrder(input);
    await api.waitFor(id, running('process-payment'), 'process-payment running');
    await api.post(`/api/sagas/${id}/pause`, { reason: 'hold on' });
    await api.waitForStatus(id, 'PAUSED');
    expect((await api.post(`/api/sagas/${id}/resume`, { reason: 'x', extra: 1 })).status).toBe(400);
    expect((await api.post(`/api/sagas/${id}/cancel`, { reason: 'changed my mind' })).status).toBe(202);
    const d = await api.waitForStatus(id, 'CANCELLED');
    expect(d.events.filter((e) => e.actor === 'operator').map((e) => e.type)).toEqual(expect.arrayContaining(['PAUSE_REQUESTED', 'CANCEL_REQUESTED']));
    const l = await ledger(api, String(input.orderId));
    expect(l.payments.filter((p) => p.status === 'CHARGED')).toEqual([]);
    expect(l.reservations.every((r) => r.status === 'RELEASED')).toBe(true);
  });

  it('records an action without a reason with the actor only', async () => {
    const id = await api.startOrder(orderInput());
    await api.waitForStatus(id, 'COMPLETED');
    expect((await api.post(`/api/sagas/${id}/compensate`)).status).toBe(202);
    const d = await api.waitForStatus(id, 'COMPENSATED');
    expect(d.events.find((e) => e.type === 'COMPENSATE_REQUESTED')).toMatchObject({ actor: 'operator', reason: null });
  });
});
