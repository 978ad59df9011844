/** Sagas composed at run time through the admin API, the step catalog, plans in the detail, and the census. */
import type { SagaDefinitionCensus, SagaDetail, SagaStats, StepDefinitionView } from '@nest-saga/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, orderInput } from './support/http.js';
import { ledger } from './support/ledger.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const EXPRESS_STEPS = [
  { step: 'check-inventory' },
  { step: 'reserve-inventory' },
  { step: 'process-payment', params: { surcharge: 4.5 } },
  { step: 'create-shipment', params: { carrier: 'express' } },
];

describe('plans through the admin API', () => {
  let app: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    app = await startTestApp();
    api = new ApiClient(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lists every registered step with its compensation, timeouts, retry and requirements (GET /api/saga-steps)', async () => {
    const res = await api.get<StepDefinitionView[]>('/api/saga-steps');
    expect(res.status).toBe(200);
    expect(res.body.map((s) => [s.name, s.hasCompensation, s.requires])).toEqual([
      ['check-inventory', false, []],
      ['create-shipment', true, ['reserve-inventory']],
      ['process-payment', true, []],
      ['reserve-inventory', true, []],
    ]);
    expect(res.body[2]).toMatchObject({ timeoutMs: 10_000, retry: { maxAttempts: 3 }, compensationTimeoutMs: 10_000, onFailure: 'compensate', effects: 'external' });
    expect((await api.get('/api/saga-steps', 'none')).status).toBe(401);
  });

  it('starts a saga composed from registered steps, with params, and shows its plan and version in the detail', async () => {
    const input = orderInput({ items: [{ sku: 'ITEM3', qty: 1 }], totalAmount: 20 });
    const start = await api.post('/api/sagas', { name: 'express-order', steps: EXPRESS_STEPS, input, idempotencyKey: `x-${input.orderId}` });
    expect(start.status).toBe(201);
    expect(start.body).toMatchObject({ name: 'express-order', created: true });
    const done = await api.waitForStatus(start.body.id, 'COMPLETED');
    expect(done.definitionVersion).toBe(1);
    expect(done.plan).toMatchObject({ name: 'express-order', version: 1, origin: 'composed' });
    expect(done.plan!.steps.map((s) => [s.step, s.params])).toEqual([
      ['check-inventory', {}],
      ['reserve-inventory', {}],
      ['process-payment', { surcharge: 4.5 }],
      ['create-shipment', { carrier: 'express' }],
    ]);
    expect(done.steps.find((s) => s.name === 'create-shipment')!.output).toMatchObject({ carrier: 'express' });
    const l = await ledger(api, String(input.orderId));
    expect(l.payments).toEqual([{ orderId: input.orderId, amount: 24.5, status: 'CHARGED' }]);
    expect(l.shipments).toEqual([{ orderId: input.orderId, status: 'CREATED' }]);

    const again = await api.post('/api/sagas', { name: 'express-order', steps: EXPRESS_STEPS, input, idempotencyKey: `x-${input.orderId}` });
    expect(again.body).toMatchObject({ id: start.body.id, created: false });
    // Waited for: a saga still running here would count in the next test's census of unfinished sagas.
    const order = await api.waitForStatus(await api.startOrder(orderInput()), 'COMPLETED');
    expect(order.plan).toMatchObject({ name: 'order', version: 1, origin: 'definition' });
    expect(order.plan!.steps.map((s) => s.step)).toEqual(['check-inventory', 'reserve-inventory', 'process-payment', 'create-shipment']);
  });

  it('answers each composition that cannot run with its code and the field at fault, and starts nothing', async () => {
    const input = orderInput();
    const before = (await api.get('/api/stats')).body.total;
    const post = (body: Record<string, unknown>) => api.post('/api/sagas', { input, ...body });

    expect((await post({ name: 'refund', steps: [{ step: 'process-payment' }, { step: 'teleport' }] })).body).toMatchObject({
      statusCode: 404,
      code: 'PLAN_STEP_NOT_REGISTERED',
      field: 'steps[1].step',
      message: expect.stringContaining('"teleport" (steps[1]), which is not registered'),
    });
    expect((await post({ name: 'refund', steps: [{ step: 'process-payment' }, { step: 'process-payment' }] })).body).toMatchObject({
      statusCode: 400,
      code: 'PLAN_STEP_DUPLICATE',
      field: 'steps[1].step',
    });
    expect((await post({ name: '', steps: [{ step: 'process-payment' }] })).body).toMatchObject({ statusCode: 400, code: 'PLAN_NAME_INVALID', field: 'name' });
    expect((await post({ name: 'order', steps: [{ step: 'process-payment' }] })).body).toMatchObject({ statusCode: 400, code: 'PLAN_NAME_INVALID', field: 'name' });
    expect((await post({ name: 'ship', steps: [{ step: 'create-shipment' }] })).body).toMatchObject({
      statusCode: 400,
      code: 'PLAN_REQUIREMENT_MISSING',
      field: 'steps[0].step',
      message: expect.stringContaining('Put "reserve-inventory" before "create-shipment"'),
    });
    expect((await post({ name: 'refund', steps: [] })).body).toMatchObject({ statusCode: 400, code: 'PLAN_EMPTY', field: 'steps' });
    expect((await post({ name: 'refund', steps: [{ step: 'process-payment', params: [1] }] })).body).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      field: 'steps[0].params',
    });
    expect((await post({ name: 'refund', steps: [{ step: 'process-payment', retries: 9 }] })).body).toMatchObject({ statusCode: 400, field: 'steps[0].retries' });
    expect((await post({ name: 'refund', steps: 'process-payment' })).body).toMatchObject({ statusCode: 400, field: 'steps' });
    // The plan is checked before the input: its validator (express-order has the order's) speaks only then.
    expect((await api.post('/api/sagas', { name: 'express-order', steps: EXPRESS_STEPS, input: { orderId: 'x' } })).body).toMatchObject({
      statusCode: 400,
      code: 'SAGA_INPUT_INVALID',
      field: expect.stringMatching(/^input\./),
    });
    expect((await api.post('/api/sagas', { name: 'express-order', steps: EXPRESS_STEPS, input }, 'viewer')).status).toBe(403);
    expect((await api.get('/api/stats')).body.total).toBe(before);
  });

  it('counts the unfinished sagas of each definition version (GET /api/saga-definitions)', async () => {
    const running = async () => {
      const res = await api.get<SagaDefinitionCensus[]>('/api/saga-definitions');
      expect(res.status).toBe(200);
      const order = res.body.find((d) => d.name === 'order')!;
      expect(order.version).toBe(1);
      expect(order.steps.find((s) => s.name === 'create-shipment')!.requires).toEqual(['reserve-inventory']);
      return order.versions;
    };
    // Sagas of the tests before this one may still be settling: wait until no order is on its way
    // (pending, running or compensating), so the count below moves only with this test's sagas.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const byStatus = (await api.get<SagaStats>('/api/stats')).body.byName.order ?? {};
      if (!['PENDING', 'RUNNING', 'COMPENSATING'].some((status) => (byStatus[status as keyof typeof byStatus] ?? 0) > 0)) break;
      if (Date.now() > deadline) throw new Error(`orders still on their way: ${JSON.stringify(byStatus)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const before = await running();
    expect(before).toHaveLength(1);
    const failing = { failAt: 'create-shipment', failCompensationAt: 'reserve-inventory' };
    const ids = [await api.startOrder(orderInput({ simulate: failing })), await api.startOrder(orderInput({ simulate: failing })), await api.startOrder(orderInput())];
    const settled: SagaDetail[] = [];
    for (const id of ids) settled.push(await api.waitFor(id, (d) => d.status === 'FAILED' || d.status === 'COMPLETED', 'FAILED or COMPLETED'));
    expect(settled.map((d) => d.status)).toEqual(['FAILED', 'FAILED', 'COMPLETED']);
    expect(await running()).toEqual([{ version: 1, running: before[0]!.running + 2 }]);
  });
});
