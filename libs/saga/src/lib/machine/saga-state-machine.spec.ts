import { SAGA_ERROR_CODES } from '@nest-saga/contracts';
import { describe, expect, it } from 'vitest';
import { InvalidSagaTransitionError } from '../errors/saga.errors.js';
import type { SagaRecord, SagaRequest } from '../persistence/saga.records.js';
import type { AttemptOutcome } from './attempt-outcome.js';
import { SagaStateMachine, type SagaMachineDefinition, type SagaMachineStep } from './saga-state-machine.js';

/** A clock that moves only when told: every test runs in microseconds of real time. */
class FakeClock {
  constructor(public t = Date.parse('2026-01-01T00:00:00.000Z')) {}
  now = () => this.t;
  random = () => 0;
  advance(ms: number): void {
    this.t += ms;
  }
}

const RETRY = { maxAttempts: 3, initialDelayMs: 100, backoffCoefficient: 2, maxDelayMs: 1_000, jitter: 0.2 };
const ONCE = { ...RETRY, maxAttempts: 1 };

function step(overrides: Partial<SagaMachineStep> = {}): SagaMachineStep {
  return { hasCompensation: true, retry: RETRY, compensationRetry: RETRY, onFailure: 'compensate', ...overrides };
}

function saga(clock: FakeClock, names: string[], overrides: Partial<SagaRecord> = {}): SagaRecord {
  const { status, steps } = SagaStateMachine.initialState(names, false, clock.now());
  return {
    id: '0190d6a8-0000-7000-8000-000000000001',
    name: 'order',
    version: 1,
    status,
    input: { orderId: 'o-1' },
    currentStep: 0,
    idempotencyKey: null,
    ownerId: 'i-1',
    leaseExpiresAt: null,
    fence: 1,
    nextRunAt: null,
    deadlineAt: null,
    deadlineHandledAt: null,
    compensationCause: null,
    request: null,
    error: null,
    steps,
    createdAt: new Date(clock.now()),
    updatedAt: new Date(clock.now()),
    finishedAt: null,
    stuckSince: null,
    stuckReason: null,
    plan: null,
    ...overrides,
  };
}

function machineOf(clock: FakeClock, names: string[], opts: { steps?: SagaMachineStep[]; def?: Partial<SagaMachineDefinition>; rec?: Partial<SagaRecord> } = {}) {
  const rec = saga(clock, names, opts.rec);
  const def: SagaMachineDefinition = { timeoutMs: null, deadlinePolicy: 'compensate', steps: opts.steps ?? names.map(() => step()), ...opts.def };
  return { rec, machine: new SagaStateMachine(rec, def, { env: clock, instanceId: 'i-1' }) };
}

function ok(clock: FakeClock, output: unknown = { done: true }): AttemptOutcome {
  return { ok: true, output, durationMs: 5, startedAt: new Date(clock.now() - 5), finishedAt: new Date(clock.now()) };
}

function failed(clock: FakeClock, overrides: Partial<Extract<AttemptOutcome, { ok: false }>> = {}): AttemptOutcome {
  return {
    ok: false,
    error: { name: 'Error', message: 'card declined' },
    outcomeUnknown: false,
    retryable: true,
    abortReason: null,
    durationMs: 5,
    startedAt: new Date(clock.now() - 5),
    finishedAt: new Date(clock.now()),
    ...overrides,
  };
}

function request(action: SagaRequest['action'], step: string | null = null): SagaRequest {
  return { action, step, actor: 'operator:ana', reason: 'ticket 42', token: `${action}-${Math.random()}`, at: new Date().toISOString() };
}

/** Runs every attempt the machine asks for with `outcome(kind, index)` until it settles. */
function drive(machine: SagaStateMachine, outcome: (kind: 'execute' | 'compensate', index: number) => AttemptOutcome, clock?: FakeClock): string[] {
  const trail: string[] = [];
  for (let turns = 0; turns < 100; turns++) {
    const next = machine.next();
    if (next.kind === 'settle') return trail;
    if (next.kind === 'wait') {
      trail.push(`wait ${next.atMs - clock!.now()}`);
      clock!.advance(next.atMs - clock!.now());
      continue;
    }
    if (next.kind === 'hold') throw new Error('unexpected hold');
    trail.push(`${next.kind} ${next.index}`);
    machine.attemptStarted();
    machine.attemptEnded();
    if (next.kind === 'execute') machine.recordExecuteResult(next.index, outcome(next.kind, next.index));
    else machine.recordCompensationResult(next.index, outcome(next.kind, next.index));
  }
  throw new Error('the machine never settled');
}

const types = (machine: SagaStateMachine) => machine.takeEvents().map((e) => e.type);

describe('SagaStateMachine', () => {
  it('runs forward: each step marked RUNNING and counted before its attempt, then COMPLETED with its output', () => {
    const clock = new FakeClock();
    const { rec, machine } = machineOf(clock, ['reserve', 'charge', 'ship']);
    const first = machine.next();
    expect(first).toEqual({ kind: 'execute', index: 0 });
    expect(rec.status).toBe('RUNNING');
    expect(rec.steps[0]).toMatchObject({ status: 'RUNNING', attempts: 1, startedAt: new Date(clock.now()).toISOString() });
    expect(machine.dirty).toBe(true);
    expect(machine.prepared).toEqual({ kind: 'execute', index: 0, attempt: 1 });
    machine.attemptStarted();
    machine.attemptEnded();
    machine.recordExecuteResult(0, ok(clock, { holdId: 'h-1' }));
    expect(machine.outputsBefore(1)).toEqual({ reserve: { holdId: 'h-1' } });
    expect(drive(machine, () => ok(clock))).toEqual(['execute 1', 'execute 2']);
    expect(rec.status).toBe('COMPLETED');
    expect(rec.currentStep).toBe(3);
    expect(types(machine)).toEqual(['STEP_SUCCEEDED', 'STEP_SUCCEEDED', 'STEP_SUCCEEDED', 'SAGA_COMPLETED']);
    expect(machine.checkpointState()).toMatchObject({ status: 'COMPLETED', finished: true, deadlineHandled: false });
    expect(machine.next()).toEqual({ kind: 'settle' });
    machine.stored();
    expect(machine.dirty).toBe(false);
  });

  it('takes a fresh start whose first attempt the start already stored RUNNING without counting it again', () => {
    const clock = new FakeClock();
    const initial = SagaStateMachine.initialState(['reserve', 'charge'], true, clock.now());
    expect(initial.status).toBe('RUNNING');
    expect(initial.steps[0]).toMatchObject({ status: 'RUNNING', attempts: 1 });
    const rec = saga(clock, ['reserve', 'charge'], initial);
    const machine = new SagaStateMachine(rec, { timeoutMs: null, deadlinePolicy: 'compensate', steps: [step(), step()] }, { env: clock, freshlyStarted: true });
    expect(machine.next()).toEqual({ kind: 'execute', index: 0 });
    expect(rec.steps[0].attempts).toBe(1);
  });

  it('retries a failed attempt after the policy delay, on the injected clock, then goes on', () => {
    const clock = new FakeClock();
    const { rec, machine } = machineOf(clock, ['charge']);
    let calls = 0;
    const trail = drive(machine, () => (++calls < 3 ? failed(clock) : ok(clock)), clock);
    // random() = 0: no jitter; 100 ms, then 200 ms.
    expect(trail).toEqual(['execute 0', 'wait 100', 'execute 0', 'wait 200', 'execute 0']);
    expect(rec.steps[0]).toMatchObject({ status: 'COMPLETED', attempts: 3, error: null, nextAttemptAt: null });
    expect(types(machine)).toEqual([
      'STEP_FAILED',
      'STEP_RETRY_SCHEDULED',
      'STEP_FAILED',
      'STEP_RETRY_SCHEDULED',
      'STEP_SUCCEEDED',
      'SAGA_COMPLETED',
    ]);
  });

  it('a step failed for good compensates the completed steps in reverse, skipping those without a compensation', () => {
    const clock = new FakeClock();
    const { rec, machine } = machineOf(clock, ['reserve', 'notify', 'charge'], {
      steps: [step(), step({ hasCompensation: false }), step({ retry: ONCE })],
    });
    const trail = drive(machine, (kind, index) => (kind === 'execute' && index === 2 ? failed(clock) : ok(clock)));
    expect(trail).toEqual(['execute 0', 'execute 1', 'execute 2', 'compensate 0']);
    expect(rec.status).toBe('COMPENSATED');
    expect(rec.compensationCause).toBe('STEP_FAILED');
    expect(rec.steps.map((s) => s.status)).toEqual(['COMPENSATED', 'SKIPPED', 'FAILED']);
    expect(rec.error?.message).toBe('Step "charge" failed: card declined');
    const events = machine.takeEvents();
    expect(events.map((e) => e.type)).toEqual([
      'STEP_SUCCEEDED',
      'STEP_SUCCEEDED',
      'STEP_FAILED',
      'COMPENSATION_STARTED',
      'STEP_COMPENSATION_SKIPPED',
      'STEP_COMPENSATED',
      'SAGA_COMPENSATED',
    ]);
    expect(events[3].data).toMatchObject({ cause: 'STEP_FAILED' });
  });

  it('a step whose failure policy is pause waits PAUSED; resume runs it again with a fresh budget', () => {
    const clock = new FakeClock();
    const { rec, machine } = machineOf(clock, ['charge'], { steps: [step({ retry: ONCE, onFailure: 'pause' })] });
    expect(drive(machine, () => failed(clock))).toEqual(['execute 0']);
    expect(rec.status).toBe('PAUSED');
    expect(machine.settled).toBe(true);
    machine.takeEvents();
    machine.applyRequest(request('resume'));
    expect(rec.status).toBe('RUNNING');
    expect(rec.steps[0].budgetStart).toBe(1);
    expect(types(machine)).toEqual(['SAGA_RESUMED']);
    expect(drive(machine, () => ok(clock))).toEqual(['execute 0']);
    expect(rec.status).toBe('COMPLETED');
    expect(rec.steps[0].attempts).toBe(2);
  });

  it('cancel gives back the attempt marked but not run, and ends CANCELLED after undoing what was done', () => {
    const clock = new FakeClock();
    const fresh = machineOf(clock, ['reserve', 'charge']);
    const m = fresh.machine;
    expect(m.next()).toEqual({ kind: 'execute', index: 0 });
    m.attemptStarted();
    m.attemptEnded();
    m.recordExecuteResult(0, ok(clock));
    expect(m.next()).toEqual({ kind: 'execute', index: 1 });
    expect(fresh.rec.steps[1].attempts).toBe(1);
    m.takeEvents();
    m.applyRequest(request('cancel'));
    // The prepared attempt of "charge" never ran: given back.
    expect(fresh.rec.steps[1]).toMatchObject({ status: 'PENDING', attempts: 0, startedAt: null });
    expect(fresh.rec.status).toBe('COMPENSATING');
    expect(drive(m, () => ok(clock))).toEqual(['compensate 0']);
    expect(fresh.rec.status).toBe('CANCELLED');
    expect(types(m)).toEqual(['COMPENSATION_STARTED', 'STEP_COMPENSATED', 'SAGA_CANCELLED']);
  });

  it('refuses a request the saga is not in a state for, recording who asked and why not', () => {
    const clock = new FakeClock();
    const { rec, machine } = machineOf(clock, ['reserve']);
    machine.next();
    machine.applyRequest(request('resume'));
    expect(rec.status).toBe('RUNNING');
    const [event] = machine.takeEvents();
    expect(event).toMatchObject({ type: 'REQUEST_REJECTED', actor: 'operator:ana', data: { action: 'resume', status: 'RUNNING' } });
  });

  it('pause holds a running saga; an operator compensation of a COMPLETED saga undoes every step', () => {
    const clock = new FakeClock();
    const { rec, machine } = machineOf(clock, ['reserve', 'charge']);
    machine.next();
    machine.applyRequest(request('pause'));
    expect(rec.status).toBe('PAUSED');
    expect(rec.steps[0]).toMatchObject({ status: 'PENDING', attempts: 0 });
    expect(machine.next()).toEqual({ kind: 'settle' });
    machine.applyRequest(request('resume'));
    drive(machine, () => ok(clock));
    expect(rec.status).toBe('COMPLETED');
    machine.applyRequest(request('compensate'));
    expect(rec).toMatchObject({ status: 'COMPENSATING', compensationCause: 'OPERATOR' });
    expect(drive(machine, () => ok(clock))).toEqual(['compensate 1', 'compensate 0']);
    expect(rec.status).toBe('COMPENSATED');
  });

  it('a compensation failed for good leaves the saga FAILED; retry gives fresh attempts, resolve marks it done by hand', () => {
    const clock = new FakeClock();
    const { rec, machine } = machineOf(clock, ['reserve', 'charge'], {
      steps: [step({ compensationRetry: ONCE }), step({ retry: ONCE, compensationRetry: ONCE })],
    });
    const trail = drive(machine, (kind, index) => (kind === 'execute' && index === 1 ? failed(clock) : kind === 'compensate' ? failed(clock, { error: { name: 'Error', message: 'stock service down' } }) : ok(clock)));
    expect(trail).toEqual(['execute 0', 'execute 1', 'compensate 0']);
    expect(rec.status).toBe('FAILED');
    expect(rec.steps[0]).toMatchObject({ status: 'COMPENSATION_FAILED', compensation: { status: 'FAILED', attempts: 1 } });
    expect(machine.next()).toEqual({ kind: 'settle' });

    machine.applyRequest(request('retry'));
    expect(rec.status).toBe('COMPENSATING');
    expect(rec.steps[0].compensation.budgetStart).toBe(1);
    expect(drive(machine, () => failed(clock))).toEqual(['compensate 0']);
    expect(rec.status).toBe('FAILED');

    machine.takeEvents();
    machine.applyRequest(request('resolve', 'reserve'));
    expect(rec.steps[0]).toMatchObject({ status: 'COMPENSATED', compensation: { status: 'RESOLVED' } });
    expect(drive(machine, () => ok(clock))).toEqual([]);
    expect(rec.status).toBe('COMPENSATED');
    expect(types(machine)).toEqual(['STEP_RESOLVED', 'SAGA_COMPENSATED']);
  });

  it('the deadline, once passed on the clock, applies its policy once: compensate, pause or flag', () => {
    for (const policy of ['compensate', 'pause', 'flag'] as const) {
      const clock = new FakeClock();
      const { rec, machine } = machineOf(clock, ['reserve', 'charge'], {
        def: { timeoutMs: 1_000, deadlinePolicy: policy },
        rec: { deadlineAt: new Date(clock.now() + 1_000) },
      });
      machine.next();
      expect(machine.deadlineAbortAt('execute')).toBe(policy === 'compensate' ? clock.now() + 1_000 : null);
      machine.attemptStarted();
      machine.attemptEnded();
      machine.recordExecuteResult(0, ok(clock));
      machine.checkDeadline();
      expect(machine.deadlineHandled).toBe(false);
      clock.advance(1_000);
      machine.checkDeadline();
      machine.checkDeadline();
      expect(machine.deadlineHandled).toBe(true);
      const events = machine.takeEvents().map((e) => e.type);
      expect(events.filter((t) => t === 'DEADLINE_PASSED')).toHaveLength(1);
      if (policy === 'compensate') {
        expect(rec).toMatchObject({ status: 'COMPENSATING', compensationCause: 'DEADLINE', error: { code: 'DEADLINE_PASSED' } });
      } else if (policy === 'pause') {
        expect(rec).toMatchObject({ status: 'PAUSED', error: { code: 'DEADLINE_PASSED' } });
      } else {
        expect(rec.status).toBe('RUNNING');
        expect(machine.next()).toEqual({ kind: 'execute', index: 1 });
      }
      expect(machine.checkpointState().deadlineHandled).toBe(true);
    }
  });

  it('an attempt lost with its instance counts as failed with an unknown outcome, and is retried', () => {
    const clock = new FakeClock();
    const { rec, machine } = machineOf(clock, ['reserve', 'charge'], { rec: { status: 'RUNNING' } });
    rec.steps[0].status = 'RUNNING';
    rec.steps[0].attempts = 1;
    machine.recoverLostAttempts('i-0');
    expect(rec.steps[0]).toMatchObject({ status: 'FAILED', outcomeUnknown: true, error: { code: 'ATTEMPT_LOST' } });
    expect(rec.steps[0].error?.message).toContain('instance "i-0" stopped while it ran');
    expect(types(machine)).toEqual(['STEP_FAILED', 'STEP_RETRY_SCHEDULED']);
    expect(machine.next()).toEqual({ kind: 'wait', atMs: clock.now() + 100 });
  });

  it('a lost transactional attempt rolled back: its outcome is known, so a saga that fails there undoes only what committed', () => {
    const clock = new FakeClock();
    const { rec, machine } = machineOf(clock, ['reserve', 'charge'], {
      rec: { status: 'RUNNING', currentStep: 1 },
      steps: [step(), step({ transactional: true, retry: ONCE })],
    });
    rec.steps[0].status = 'COMPLETED';
    rec.steps[0].attempts = 1;
    rec.steps[1].status = 'RUNNING';
    rec.steps[1].attempts = 1;
    machine.recoverLostAttempts('i-0', true);
    expect(rec.steps[1]).toMatchObject({ status: 'FAILED', outcomeUnknown: false });
    expect(rec.steps[1].error?.message).toContain('an earlier process of instance "i-0"');
    expect(rec.status).toBe('COMPENSATING');
    expect(drive(machine, () => ok(clock))).toEqual(['compensate 0']);
    expect(rec.steps[1].status).toBe('FAILED');
  });

  it('a paused step holds the saga PAUSED before it with no attempt used, even a fresh start', () => {
    const clock = new FakeClock();
    const initial = SagaStateMachine.initialState(['charge'], true, clock.now());
    const rec = saga(clock, ['charge'], initial);
    const machine = new SagaStateMachine(rec, { timeoutMs: null, deadlinePolicy: 'compensate', steps: [step()] }, { env: clock, freshlyStarted: true });
    const hold = { pausedBy: 'operator:ana', reason: 'PSP incident', pausedAt: new Date(clock.now()) };
    const next = machine.next(() => hold);
    expect(next).toEqual({ kind: 'hold', index: 0, hold });
    expect(rec.steps[0]).toMatchObject({ status: 'PENDING', attempts: 0 });
    machine.holdAt(0, hold);
    expect(rec).toMatchObject({ status: 'PAUSED', error: { code: SAGA_ERROR_CODES.STEP_PAUSED } });
    expect(machine.takeEvents()).toEqual([
      expect.objectContaining({ type: 'SAGA_PAUSED', step: 'charge', actor: 'operator:ana', reason: 'PSP incident' }),
    ]);
  });

  it('refuses a change the transition table does not allow with a typed error', () => {
    const clock = new FakeClock();
    const { rec, machine } = machineOf(clock, ['reserve'], { steps: [step({ compensationRetry: ONCE })] });
    machine.next();
    // A compensation outcome for a saga that runs forward would make it FAILED from RUNNING.
    rec.steps[0].status = 'COMPENSATING';
    rec.steps[0].compensation.attempts = 1;
    let error: unknown;
    try {
      machine.recordCompensationResult(0, failed(clock));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidSagaTransitionError);
    expect((error as InvalidSagaTransitionError).code).toBe(SAGA_ERROR_CODES.INVALID_SAGA_TRANSITION);
    expect((error as Error).message).toContain('RUNNING → FAILED');
    expect(rec.status).toBe('RUNNING');
  });

  it('adopting the stored state drops what was not written and names the attempts whose output was lost', () => {
    const clock = new FakeClock();
    const { rec, machine } = machineOf(clock, ['reserve', 'charge']);
    machine.next();
    const storedBefore = structuredClone(rec);
    machine.attemptStarted();
    machine.attemptEnded();
    machine.recordExecuteResult(0, ok(clock, { big: 'x' }));
    const lost = machine.adopt(storedBefore);
    expect([...lost.keys()]).toEqual([0]);
    expect(rec.steps[0]).toMatchObject({ status: 'RUNNING', attempts: 1 });
    expect(machine.takeEvents()).toEqual([]);
    expect(machine.prepared).toBeNull();
    expect(machine.dirty).toBe(true);
  });

  it('builds debug messages only when the observer wants them; warnings always', () => {
    for (const wanted of [undefined, true, false]) {
      const clock = new FakeClock();
      const logs: string[] = [];
      const observer = {
        log: (level: string, message: string) => logs.push(`${level}: ${message}`),
        ...(wanted === undefined ? {} : { debugEnabled: () => wanted }),
      };
      const rec = saga(clock, ['reserve', 'charge']);
      const machine = new SagaStateMachine(rec, { timeoutMs: null, deadlinePolicy: 'compensate', steps: [step(), step()] }, { env: clock, observer });
      machine.next();
      machine.recordExecuteResult(0, ok(clock));
      machine.next();
      machine.recordExecuteResult(1, failed(clock));
      const expected = [`warn: Saga "order" (id=${rec.id}) step "charge" failed (attempt 1/3): card declined`];
      if (wanted !== false) expected.unshift(`debug: Saga "order" (id=${rec.id}) step "reserve" succeeded (attempt 1)`);
      expect(logs).toEqual(expected);
    }
  });
});
