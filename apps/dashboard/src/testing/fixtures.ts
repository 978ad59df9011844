/** Builders of API payloads for tests: realistic defaults, override what the test is about. */
import type {
  SagaDefinitionView,
  SagaDetail,
  SagaEventView,
  SagaPlanView,
  SagaStats,
  SagaStepView,
  SagaSummary,
  StepDefinitionView,
} from '@nest-saga/contracts';
import { SAGA_STATUSES } from '@nest-saga/contracts';

const T0 = Date.parse('2026-01-15T10:00:00.000Z');
export const at = (ms: number) => new Date(T0 + ms).toISOString();

let seq = 0;
export function sagaId(n = ++seq): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

export const ORDER_STEPS = ['check-inventory', 'reserve-inventory', 'process-payment', 'create-shipment'] as const;

export function makeStep(overrides: Partial<SagaStepView> & Pick<SagaStepView, 'name' | 'index'>): SagaStepView {
  return {
    status: 'PENDING',
    attempts: 0,
    output: null,
    error: null,
    startedAt: null,
    finishedAt: null,
    nextAttemptAt: null,
    outcomeUnknown: false,
    hasCompensation: overrides.name !== 'check-inventory',
    compensation: { status: null, attempts: 0, error: null, startedAt: null, finishedAt: null, nextAttemptAt: null },
    ...overrides,
  };
}

export function makeSummary(overrides: Partial<SagaSummary> = {}): SagaSummary {
  const id = overrides.id ?? sagaId();
  return {
    id,
    name: 'order',
    status: 'RUNNING',
    idempotencyKey: `order-${id.slice(-4)}`,
    currentStep: 'process-payment',
    currentStepIndex: 2,
    createdAt: at(0),
    updatedAt: at(1_500),
    finishedAt: null,
    deadlineAt: null,
    stuckSince: null,
    stuckReason: null,
    error: null,
    ...overrides,
  };
}

export function makeEvent(overrides: Partial<SagaEventView> & Pick<SagaEventView, 'type'>): SagaEventView {
  return {
    id: `evt-${++seq}`,
    sagaId: sagaId(1),
    at: at(0),
    step: null,
    attempt: null,
    actor: null,
    reason: null,
    error: null,
    data: null,
    ...overrides,
  };
}

/** A saga of the demo `order` shape; `steps` overrides per step by name. */
export function makeDetail(overrides: Partial<SagaDetail> = {}, steps: Partial<Record<(typeof ORDER_STEPS)[number], Partial<SagaStepView>>> = {}): SagaDetail {
  const summary = makeSummary(overrides);
  return {
    ...summary,
    input: { orderId: 'o-1', customerId: 'c-1', items: [{ sku: 'ITEM1', qty: 1 }], totalAmount: 42 },
    steps: ORDER_STEPS.map((name, index) => makeStep({ name, index, ...steps[name] })),
    events: [makeEvent({ type: 'SAGA_STARTED', sagaId: summary.id, at: summary.createdAt })],
    lease: { ownerId: 'instance-a', expiresAt: at(30_000), fence: 1 },
    nextRunAt: null,
    compensationCause: null,
    pendingRequest: null,
    definitionVersion: 1,
    plan: makePlan(),
    ...overrides,
  };
}

/** The plan of a demo `order` saga (or of the given steps, with params by step name). */
export function makePlan(overrides: Partial<SagaPlanView> = {}, steps: readonly string[] = ORDER_STEPS, params: Record<string, Record<string, unknown>> = {}): SagaPlanView {
  const retry = { maxAttempts: 3, initialDelayMs: 100, backoffCoefficient: 2, maxDelayMs: 1_000, jitter: 0.2 };
  return {
    name: 'order',
    version: 1,
    origin: 'definition',
    timeoutMs: 600_000,
    deadlinePolicy: 'compensate',
    steps: steps.map((step) => ({
      step,
      params: params[step] ?? {},
      timeoutMs: 10_000,
      retry,
      compensationTimeoutMs: 10_000,
      compensationRetry: retry,
      onFailure: 'compensate',
    })),
    ...overrides,
  };
}

/** A saga whose compensation of `reserve-inventory` gave up after `create-shipment` failed. */
export function makeFailedDetail(overrides: Partial<SagaDetail> = {}): SagaDetail {
  const id = overrides.id ?? sagaId();
  return makeDetail(
    {
      id,
      status: 'FAILED',
      currentStep: null,
      compensationCause: 'STEP_FAILED',
      error: { message: 'compensation of "reserve-inventory" failed', code: 'COMPENSATION_FAILED' },
      events: [
        makeEvent({ sagaId: id, type: 'SAGA_STARTED', at: at(0) }),
        makeEvent({ sagaId: id, type: 'STEP_STARTED', step: 'create-shipment', attempt: 1, at: at(100) }),
        makeEvent({ sagaId: id, type: 'STEP_FAILED', step: 'create-shipment', attempt: 1, at: at(350), error: { message: 'carrier down' } }),
        makeEvent({ sagaId: id, type: 'STEP_COMPENSATION_STARTED', step: 'reserve-inventory', attempt: 1, at: at(400) }),
        makeEvent({ sagaId: id, type: 'STEP_COMPENSATION_FAILED', step: 'reserve-inventory', attempt: 1, at: at(460), error: { message: 'warehouse offline' } }),
        makeEvent({ sagaId: id, type: 'SAGA_FAILED', at: at(470) }),
      ],
      ...overrides,
    },
    {
      'check-inventory': { status: 'COMPLETED', attempts: 1, startedAt: at(10), finishedAt: at(20), output: { available: true } },
      'reserve-inventory': {
        status: 'COMPENSATION_FAILED',
        attempts: 1,
        startedAt: at(30),
        finishedAt: at(60),
        output: { reservationId: 'r-1' },
        compensation: { status: 'FAILED', attempts: 3, error: { message: 'warehouse offline' }, startedAt: at(400), finishedAt: at(460), nextAttemptAt: null },
      },
      'process-payment': {
        status: 'COMPENSATED',
        attempts: 1,
        startedAt: at(70),
        finishedAt: at(90),
        output: { paymentId: 'p-1' },
        compensation: { status: 'COMPENSATED', attempts: 1, error: null, startedAt: at(360), finishedAt: at(380), nextAttemptAt: null },
      },
      'create-shipment': { status: 'FAILED', attempts: 3, startedAt: at(100), finishedAt: at(350), error: { message: 'carrier down', code: 'NON_RETRYABLE' } },
    },
  );
}

export function makeStats(overrides: Partial<SagaStats> = {}): SagaStats {
  const byStatus = Object.fromEntries(SAGA_STATUSES.map((s) => [s, 0])) as SagaStats['byStatus'];
  return { total: 0, byStatus, byName: {}, stuck: 0, ...overrides };
}

export function makeStepDefinition(name: string, overrides: Partial<StepDefinitionView> = {}): StepDefinitionView {
  const retry = { maxAttempts: 3, initialDelayMs: 200, backoffCoefficient: 2, maxDelayMs: 5_000, jitter: 0.2 };
  return {
    name,
    requires: [],
    hasCompensation: name !== 'check-inventory',
    timeoutMs: 5_000,
    retry,
    compensationTimeoutMs: 10_000,
    compensationRetry: { ...retry, maxAttempts: 5 },
    onFailure: 'compensate',
    effects: 'external',
    ...overrides,
  };
}

/** The demo's step catalog (GET /api/saga-steps), by name; create-shipment requires reserve-inventory. */
export function makeCatalog(): StepDefinitionView[] {
  return [...ORDER_STEPS].sort().map((name) => makeStepDefinition(name, name === 'create-shipment' ? { requires: ['reserve-inventory'] } : {}));
}

export function makeDefinition(overrides: Partial<SagaDefinitionView> = {}): SagaDefinitionView {
  return {
    name: 'order',
    version: 1,
    timeoutMs: 600_000,
    deadlinePolicy: 'compensate',
    steps: ORDER_STEPS.map((name) => makeStepDefinition(name, name === 'create-shipment' ? { requires: ['reserve-inventory'] } : {})),
    ...overrides,
  };
}
