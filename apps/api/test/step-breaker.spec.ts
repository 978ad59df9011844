/**
 * The step circuit breaker through HTTP: pause a demo step, see orders wait at it (and in the list
 * of paused steps), resume with a rate, and the errors and roles of the routes.
 */
import type { SagaDetail, StepPauseView } from '@nest-saga/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, orderInput } from './support/http.js';
import { ledger } from './support/ledger.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('step circuit breaker API', () => {
  let app: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    app = await startTestApp();
    api = new ApiClient(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('refuses viewers (403) and callers without a token (401); viewers may read the paused steps', async () => {
    for (const action of ['pause', 'resume']) {
      const res = await api.post(`/api/steps/create-shipment/${action}`, { reason: 'viewer tries' }, 'viewer');
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
      expect((await api.post(`/api/steps/create-shipment/${action}`, { reason: 'nobody' }, 'none')).status).toBe(401);
    }
    const list = await api.get<StepPauseView[]>('/api/steps/paused', 'viewer');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([]);
  });

  it('answers bad requests with a code, and the field when the request is malformed', async () => {
    const unknown = await api.post('/api/steps/no-such-step/pause', { reason: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, code: 'STEP_NOT_REGISTERED', field: 'step' });
    const cases: [string, unknown, string][] = [
      ['pause', {}, 'reason'],
      ['pause', { reason: '  ' }, 'reason'],
      ['pause', { reason: 'x', colour: 'red' }, 'colour'],
      ['resume', { reason: 'x', ratePerSec: 0 }, 'ratePerSec'],
      ['resume', { reason: 'x', ratePerSec: 'fast' }, 'ratePerSec'],
      ['resume', { ratePerSec: 2 }, 'reason'],
    ];
    for (const [action, body, field] of cases) {
      const res = await api.post(`/api/steps/create-shipment/${action}`, body);
      expect(res.status, `${action} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', field });
    }
    const badName = await api.post('/api/steps/%20bad%20name/pause', { reason: 'x' });
    expect(badName.status).toBe(400);
    expect(badName.body.field).toBe('step');
    const notPaused = await api.post('/api/steps/create-shipment/resume', { reason: 'x' });
    expect(notPaused.status).toBe(409);
    expect(notPaused.body.code).toBe('STEP_NOT_PAUSED');
  });

  it('holds orders at a paused step with no attempt used, lists them, and releases them on resume', async () => {
    const paused = await api.post<StepPauseView>('/api/steps/process-payment/pause', { reason: 'payment provider outage' });
    expect(paused.status).toBe(202);
    expect(paused.body).toMatchObject({ step: 'process-payment', status: 'PAUSED', reason: 'payment provider outage', pausedBy: 'operator', waiting: 0 });
    // One instance here: the instance that served the pause knows it at once.
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await api.startOrder(orderInput()));
    for (const id of ids) {
      const d = await api.waitFor(id, (x) => x.status === 'PAUSED', 'held at process-payment');
      expect(d.error?.code).toBe('STEP_PAUSED');
      expect(d.currentStep).toBe('process-payment');
      expect(d.steps.find((s) => s.name === 'process-payment')).toMatchObject({ status: 'PENDING', attempts: 0 });
      expect(d.events.find((e) => e.type === 'SAGA_PAUSED')).toMatchObject({ step: 'process-payment', actor: 'operator', reason: 'payment provider outage' });
    }
    const list = await api.get<StepPauseView[]>('/api/steps/paused', 'viewer');
    expect(list.body).toEqual([expect.objectContaining({ step: 'process-payment', status: 'PAUSED', pausedBy: 'operator', waiting: 3 })]);
    // Pausing again changes nothing.
    const again = await api.post<StepPauseView>('/api/steps/process-payment/pause', { reason: 'other words' });
    expect(again.status).toBe(202);
    expect(again.body.reason).toBe('payment provider outage');

    const resumed = await api.post<StepPauseView>('/api/steps/process-payment/resume', { reason: 'provider back', ratePerSec: 20 });
    expect(resumed.status).toBe(202);
    expect(resumed.body).toMatchObject({ status: 'RESUMING', ratePerSec: 20, resumedBy: 'operator', resumeReason: 'provider back' });
    for (const id of ids) {
      const d: SagaDetail = await api.waitForStatus(id, 'COMPLETED');
      expect(d.events.find((e) => e.type === 'SAGA_RESUMED')).toMatchObject({ step: 'process-payment', actor: 'operator', reason: 'provider back' });
      const book = await ledger(api, String((d.input as { orderId: string }).orderId));
      expect(book.payments).toEqual([expect.objectContaining({ status: 'CHARGED' })]);
    }
    // Once none is held, the step leaves the list.
    for (let left = 600; ; left--) {
      const now = await api.get<StepPauseView[]>('/api/steps/paused');
      if (now.body.length === 0) break;
      if (left === 0) throw new Error(`process-payment still listed: ${now.text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
