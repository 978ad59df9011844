/**
 * The state machine of one saga: it owns the saga's record while an instance runs it and decides
 * every status and step change, through the one transition table of `@nest-saga/contracts`
 * (`SAGA_TRANSITIONS`, `STEP_TRANSITIONS`); a change the table does not allow throws
 * `InvalidSagaTransitionError` and changes nothing. It does no I/O and sets no timers: time and
 * chance come from the injected `env`, and what happened comes back as history events
 * (`takeEvents`) for the runner to write with the next checkpoint.
 *
 * The runner asks `next()` what to do (run or compensate a step, hold it, wait until a time, or
 * settle), runs attempts and reports their outcomes, passes operator requests and stored state in,
 * and writes `checkpointState()` whenever `dirty`.
 */
import type { DeadlinePolicy, ErrorView, SagaStatus, StepFailurePolicy, StepStatus } from '@nest-saga/contracts';
import {
  SAGA_ERROR_CODES,
  canCancel,
  canCompensate,
  canPause,
  canResolveStep,
  canResume,
  canRetry,
  canTransition,
  canTransitionStep,
  isSettled,
  isTerminal,
} from '@nest-saga/contracts';
import { InvalidSagaTransitionError } from '../errors/saga.errors.js';
import type { ResolvedRetryPolicy } from '../interfaces/retry-policy.interface.js';
import type { CompensationCause, NewSagaEvent, SagaRecord, SagaRequest, StepState } from '../persistence/saga.records.js';
import { retryDelayMs } from '../retry/retry-policy.js';
import type { AttemptOutcome } from './attempt-outcome.js';

/** Time and chance, injected so that the machine is deterministic under test. */
export interface SagaMachineEnv {
  /** Milliseconds since the epoch. */
  now(): number;
  /** In [0, 1): the jitter of retry delays. */
  random(): number;
}

export const SYSTEM_ENV: SagaMachineEnv = { now: () => Date.now(), random: () => Math.random() };

/** Where the machine reports what it decided, beside the events it returns (tracing, logs). */
export interface SagaMachineObserver {
  event?(event: NewSagaEvent): void;
  log?(level: 'debug' | 'log' | 'warn' | 'error', message: string): void;
  /** Whether debug messages are wanted now; when it says false they are not even built. Absent: they are. */
  debugEnabled?(): boolean;
}

/** What the machine needs to know of each step of the saga's plan. */
export interface SagaMachineStep {
  hasCompensation: boolean;
  transactional?: boolean;
  retry: ResolvedRetryPolicy;
  compensationRetry: ResolvedRetryPolicy;
  onFailure: StepFailurePolicy;
}

/** What the machine needs to know of the saga's plan. */
export interface SagaMachineDefinition {
  timeoutMs: number | null;
  deadlinePolicy: DeadlinePolicy;
  steps: readonly SagaMachineStep[];
}

/** A step paused by the circuit breaker. */
export interface SagaMachineHold {
  pausedBy: string;
  reason: string;
  pausedAt: Date;
}

/** What to do next. */
export type SagaMachineDecision<H extends SagaMachineHold = SagaMachineHold> =
  /** Run an attempt of the step (marked RUNNING and counted; write the checkpoint first). */
  | { kind: 'execute' | 'compensate'; index: number }
  /** The step is paused: call `holdAt` once the pause is confirmed. */
  | { kind: 'hold'; index: number; hold: H }
  /** Nothing to do before `atMs` (a retry's time). */
  | { kind: 'wait'; atMs: number }
  /** Finished or waiting for an operator: write and give the saga back. */
  | { kind: 'settle' };

/** The attempt marked RUNNING and not yet run. */
export interface PreparedAttempt {
  kind: 'execute' | 'compensate';
  index: number;
  attempt: number;
}

/** The saga-level fields a checkpoint writes. */
export interface SagaMachineState {
  status: SagaStatus;
  currentStep: number;
  steps: StepState[];
  error: ErrorView | null;
  compensationCause: CompensationCause | null;
  deadlineHandled: boolean;
  finished: boolean;
}

export interface SagaMachineOptions {
  env?: SagaMachineEnv;
  observer?: SagaMachineObserver;
  /** The instance running the saga, recorded with each attempt's timing in the history. */
  instanceId?: string;
  /** The saga was just stored with its first attempt marked RUNNING (see `initialState`). */
  freshlyStarted?: boolean;
}

const ABORTS_WITHOUT_RETRY = new Set(['CANCEL', 'DEADLINE']);

export class SagaStateMachine {
  private events: NewSagaEvent[] = [];
  private changed = false;
  private preparedAttempt: PreparedAttempt | null = null;
  private attemptRunning = false;
  private deadlineDone: boolean;
  /** Successful attempts whose output is in memory but not yet stored, by step index. */
  private unstored = new Map<number, AttemptOutcome>();

  private readonly env: SagaMachineEnv;
  private readonly observer: SagaMachineObserver;
  private readonly instanceId: string | undefined;

  constructor(
    private readonly rec: SagaRecord,
    private readonly def: SagaMachineDefinition,
    options: SagaMachineOptions = {},
  ) {
    this.env = options.env ?? SYSTEM_ENV;
    this.observer = options.observer ?? {};
    this.instanceId = options.instanceId;
    this.deadlineDone = rec.deadlineHandledAt !== null;
    // A fresh start stored its first attempt as RUNNING already (see initialSteps).
    if (options.freshlyStarted) this.preparedAttempt = { kind: 'execute', index: 0, attempt: rec.steps[0].attempts };
  }

  /**
   * The steps (and status) a new saga is stored with. `runNow`: the starting instance runs its
   * first attempt at once, so the start itself marks that attempt RUNNING (no separate write).
   */
  static initialState(stepNames: readonly string[], runNow: boolean, now: number): { status: SagaStatus; steps: StepState[] } {
    const steps: StepState[] = stepNames.map((name) => ({
      name,
      status: 'PENDING',
      attempts: 0,
      budgetStart: 0,
      error: null,
      startedAt: null,
      finishedAt: null,
      nextAttemptAt: null,
      outcomeUnknown: false,
      compensation: { status: null, attempts: 0, budgetStart: 0, error: null, startedAt: null, finishedAt: null, nextAttemptAt: null },
    }));
    if (runNow && steps.length > 0) {
      steps[0].status = 'RUNNING';
      steps[0].attempts = 1;
      steps[0].startedAt = new Date(now).toISOString();
    }
    return { status: runNow ? 'RUNNING' : 'PENDING', steps };
  }

  get saga(): Readonly<SagaRecord> {
    return this.rec;
  }

  get status(): SagaStatus {
    return this.rec.status;
  }

  /** Something changed since the last `stored()`: a checkpoint is due. */
  get dirty(): boolean {
    return this.changed;
  }

  get prepared(): PreparedAttempt | null {
    return this.preparedAttempt;
  }

  /** The deadline passed and its policy was applied. */
  get deadlineHandled(): boolean {
    return this.deadlineDone;
  }

  /** Finished or waiting for an operator: nothing runs until someone acts. */
  get settled(): boolean {
    return isSettled(this.rec.status);
  }

  /** When an attempt about to run must be cut short by the deadline (`compensate` policy only), else null. */
  deadlineAbortAt(kind: 'execute' | 'compensate'): number | null {
    if (kind !== 'execute' || !this.rec.deadlineAt || this.deadlineDone || this.def.deadlinePolicy !== 'compensate') return null;
    return this.rec.deadlineAt.getTime();
  }

  /** When the deadline falls if it is still to be handled, else null. */
  deadlinePendingAt(): number | null {
    return this.rec.deadlineAt && !this.deadlineDone ? this.rec.deadlineAt.getTime() : null;
  }

  checkpointState(): SagaMachineState {
    const rec = this.rec;
    return {
      status: rec.status,
      currentStep: rec.currentStep,
      steps: rec.steps,
      error: rec.error,
      compensationCause: rec.compensationCause,
      deadlineHandled: this.deadlineDone,
      finished: isTerminal(rec.status),
    };
  }

  /** The events recorded since the last call, in order. */
  takeEvents(): NewSagaEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  /** The checkpoint carrying the current state is stored. */
  stored(): void {
    this.changed = false;
    // Map.clear() makes a new table even when empty: once per checkpoint, so only when needed.
    if (this.unstored.size) this.unstored.clear();
  }

  /** The outputs of earlier steps, as a step's context shows them. */
  outputsBefore(index: number): Record<string, unknown> {
    const outputs: Record<string, unknown> = {};
    for (let i = 0; i < index; i++) {
      const step = this.rec.steps[i];
      if (step.output !== undefined && step.status !== 'PENDING') outputs[step.name] = step.output;
    }
    return Object.freeze(outputs);
  }

  // ---- planning -------------------------------------------------------------------------------

  /** What to do next. `holdOf` says whether a step is paused by the circuit breaker. */
  next<H extends SagaMachineHold>(holdOf: (step: string) => H | null = () => null): SagaMachineDecision<H> {
    const rec = this.rec;
    if (this.settled) return { kind: 'settle' };
    if (rec.status === 'PENDING') this.setStatus('RUNNING');
    if (rec.status === 'RUNNING') return this.nextForward(holdOf);
    return this.nextCompensation();
  }

  private nextForward<H extends SagaMachineHold>(holdOf: (step: string) => H | null): SagaMachineDecision<H> {
    const rec = this.rec;
    while (rec.currentStep < rec.steps.length && rec.steps[rec.currentStep].status === 'COMPLETED') rec.currentStep++;
    if (rec.currentStep >= rec.steps.length) {
      this.setStatus('COMPLETED');
      rec.error = null;
      this.record({ type: 'SAGA_COMPLETED' });
      return { kind: 'settle' };
    }
    const index = rec.currentStep;
    const step = rec.steps[index];
    const hold = holdOf(step.name);
    const prepared = this.preparedAttempt;
    if (step.status === 'RUNNING' && prepared?.kind === 'execute' && prepared.index === index) {
      if (!hold) return { kind: 'execute', index };
      // Marked running (a fresh start, or the write before the attempt) but not started: give the attempt back.
      this.unprepare();
      return { kind: 'hold', index, hold };
    }
    const retryAt = step.status === 'FAILED' && step.nextAttemptAt ? Date.parse(step.nextAttemptAt) : null;
    if (retryAt !== null && retryAt > this.env.now()) return { kind: 'wait', atMs: retryAt };
    if (hold) return { kind: 'hold', index, hold };
    this.setStepStatus(step, 'RUNNING');
    step.attempts += 1;
    step.startedAt = this.isoNow();
    step.finishedAt = null;
    step.nextAttemptAt = null;
    this.preparedAttempt = { kind: 'execute', index, attempt: step.attempts };
    this.changed = true;
    return { kind: 'execute', index };
  }

  private nextCompensation(): SagaMachineDecision<never> {
    const rec = this.rec;
    for (let index = rec.steps.length - 1; index >= 0; index--) {
      const step = rec.steps[index];
      if (!needsCompensation(step)) continue;
      const comp = step.compensation;
      if (!this.def.steps[index].hasCompensation) {
        this.setStepStatus(step, 'SKIPPED');
        comp.status = 'SKIPPED';
        this.record({ type: 'STEP_COMPENSATION_SKIPPED', step: step.name });
        continue;
      }
      const prepared = this.preparedAttempt;
      if (comp.status === 'RUNNING' && prepared?.kind === 'compensate' && prepared.index === index) return { kind: 'compensate', index };
      const retryAt = comp.status === 'FAILED' && comp.nextAttemptAt ? Date.parse(comp.nextAttemptAt) : null;
      if (retryAt !== null && retryAt > this.env.now()) return { kind: 'wait', atMs: retryAt };
      this.setStepStatus(step, 'COMPENSATING');
      comp.status = 'RUNNING';
      comp.attempts += 1;
      comp.startedAt = this.isoNow();
      comp.finishedAt = null;
      comp.nextAttemptAt = null;
      this.preparedAttempt = { kind: 'compensate', index, attempt: comp.attempts };
      this.changed = true;
      return { kind: 'compensate', index };
    }
    const cancelled = rec.compensationCause === 'CANCELLED';
    this.setStatus(cancelled ? 'CANCELLED' : 'COMPENSATED');
    this.record({ type: cancelled ? 'SAGA_CANCELLED' : 'SAGA_COMPENSATED' });
    return { kind: 'settle' };
  }

  /**
   * The step is paused by the circuit breaker: the saga waits `PAUSED` before it, no attempt used.
   * `error.code` `STEP_PAUSED` marks it as held (resuming the step releases it; an operator's resume
   * of the saga alone runs into the pause again while the step is paused).
   */
  holdAt(index: number, hold: SagaMachineHold): void {
    const rec = this.rec;
    const step = rec.steps[index];
    this.setStatus('PAUSED');
    rec.error = { name: 'StepPaused', code: SAGA_ERROR_CODES.STEP_PAUSED, message: `Step "${step.name}" is paused by ${hold.pausedBy}: ${hold.reason}` };
    this.record({
      type: 'SAGA_PAUSED',
      step: step.name,
      actor: hold.pausedBy,
      reason: hold.reason,
      data: { cause: SAGA_ERROR_CODES.STEP_PAUSED, pausedAt: new Date(hold.pausedAt).toISOString() },
    });
    this.observer.log?.('log', `Saga "${rec.name}" (id=${rec.id}) waits: step "${step.name}" is paused`);
  }

  /** Undo the start of an attempt that was marked RUNNING but never ran. */
  unprepare(): void {
    const p = this.preparedAttempt;
    if (!p || this.attemptRunning) return;
    const step = this.rec.steps[p.index];
    if (p.kind === 'execute' && step.status === 'RUNNING' && step.attempts === p.attempt) {
      step.attempts -= 1;
      this.setStepStatus(step, step.attempts > step.budgetStart ? 'FAILED' : 'PENDING');
      step.startedAt = step.attempts > 0 ? step.startedAt : null;
      this.changed = true;
    } else if (p.kind === 'compensate' && step.compensation.status === 'RUNNING' && step.compensation.attempts === p.attempt) {
      const comp = step.compensation;
      comp.attempts -= 1;
      comp.status = comp.attempts > comp.budgetStart ? 'FAILED' : 'PENDING';
      this.changed = true;
    }
    this.preparedAttempt = null;
  }

  // ---- attempts -------------------------------------------------------------------------------

  /** The prepared attempt is running; it can no longer be given back. */
  attemptStarted(): void {
    this.attemptRunning = true;
  }

  /** The attempt returned (its outcome, if any, is reported separately). */
  attemptEnded(): void {
    this.attemptRunning = false;
    this.preparedAttempt = null;
  }

  /**
   * Attempts marked RUNNING by an owner that is gone were interrupted: count them as failed,
   * outcome unknown (a transactional one is known to have rolled back).
   */
  recoverLostAttempts(previousOwner: string | null, restart = false): void {
    if (this.preparedAttempt) return;
    const rec = this.rec;
    const now = new Date(this.env.now());
    const lost = (index: number, what: string, attempt: number): AttemptOutcome => ({
      ok: false,
      error: {
        name: 'AttemptLost',
        code: 'ATTEMPT_LOST',
        message: `${what} attempt ${attempt} was interrupted: ${
          restart
            ? `an earlier process of instance "${previousOwner}" stopped while it ran`
            : previousOwner
              ? `instance "${previousOwner}" stopped while it ran`
              : 'the instance running it stopped'
        }.`,
      },
      // A transactional attempt still marked RUNNING never committed: its writes were rolled back.
      outcomeUnknown: !this.def.steps[index]?.transactional,
      retryable: true,
      abortReason: null,
      durationMs: 0,
      startedAt: now,
      finishedAt: now,
    });
    if (rec.status === 'RUNNING') {
      const step = rec.steps[rec.currentStep];
      if (step?.status === 'RUNNING') this.recordExecuteResult(rec.currentStep, lost(rec.currentStep, `Step "${step.name}"`, step.attempts));
    } else if (rec.status === 'COMPENSATING') {
      rec.steps.forEach((step, index) => {
        if (step.status === 'COMPENSATING' && step.compensation.status === 'RUNNING') {
          this.recordCompensationResult(index, lost(index, `Compensation of step "${step.name}"`, step.compensation.attempts));
        }
      });
    }
  }

  /** The outcome of an attempt of step `index`. */
  recordExecuteResult(index: number, outcome: AttemptOutcome): void {
    const rec = this.rec;
    const step = rec.steps[index];
    const stepDef = this.def.steps[index];
    const timing = timingData(outcome, this.instanceId);
    step.finishedAt = outcome.finishedAt.toISOString();
    this.changed = true;
    if (outcome.ok) {
      this.unstored.set(index, outcome);
      this.setStepStatus(step, 'COMPLETED');
      step.output = outcome.output;
      step.error = null;
      step.nextAttemptAt = null;
      rec.currentStep = index + 1;
      this.record({ type: 'STEP_SUCCEEDED', step: step.name, attempt: step.attempts, data: timing });
      // Once per step of every saga: the message is built only when someone reads it.
      if (this.observer.log && this.observer.debugEnabled?.() !== false) {
        this.observer.log('debug', `Saga "${rec.name}" (id=${rec.id}) step "${step.name}" succeeded (attempt ${step.attempts})`);
      }
      return;
    }
    this.setStepStatus(step, 'FAILED');
    step.error = outcome.error;
    step.outcomeUnknown ||= outcome.outcomeUnknown;
    step.nextAttemptAt = null;
    const used = step.attempts - step.budgetStart;
    const max = stepDef.retry.maxAttempts;
    this.record({
      type: outcome.error.code === 'STEP_TIMEOUT' ? 'STEP_TIMED_OUT' : 'STEP_FAILED',
      step: step.name,
      attempt: step.attempts,
      error: outcome.error,
      data: timing,
    });
    this.observer.log?.('warn', `Saga "${rec.name}" (id=${rec.id}) step "${step.name}" failed (attempt ${used}/${max}): ${outcome.error.message}`);
    if (outcome.abortReason && ABORTS_WITHOUT_RETRY.has(outcome.abortReason)) return;
    if (outcome.retryable && used < max) {
      const delayMs = retryDelayMs(stepDef.retry, used, this.env.random);
      step.nextAttemptAt = new Date(this.env.now() + delayMs).toISOString();
      this.record({ type: 'STEP_RETRY_SCHEDULED', step: step.name, attempt: step.attempts + 1, data: { delayMs, at: step.nextAttemptAt } });
      return;
    }
    rec.error = { ...outcome.error, message: `Step "${step.name}" failed: ${outcome.error.message}` };
    if (stepDef.onFailure === 'pause') {
      this.setStatus('PAUSED');
      this.record({ type: 'SAGA_PAUSED', step: step.name, reason: 'The step failed and its failure policy is "pause".' });
    } else {
      this.startCompensation('STEP_FAILED', { type: 'COMPENSATION_STARTED', step: step.name, reason: `Step "${step.name}" failed for good.` });
    }
  }

  /** The outcome of an attempt of the compensation of step `index`. */
  recordCompensationResult(index: number, outcome: AttemptOutcome): void {
    const rec = this.rec;
    const step = rec.steps[index];
    const stepDef = this.def.steps[index];
    const comp = step.compensation;
    const timing = timingData(outcome, this.instanceId);
    comp.finishedAt = outcome.finishedAt.toISOString();
    this.changed = true;
    if (outcome.ok) {
      this.setStepStatus(step, 'COMPENSATED');
      comp.status = 'COMPENSATED';
      comp.error = null;
      this.record({ type: 'STEP_COMPENSATED', step: step.name, attempt: comp.attempts, data: timing });
      return;
    }
    comp.error = outcome.error;
    comp.status = 'FAILED';
    const used = comp.attempts - comp.budgetStart;
    const max = stepDef.compensationRetry.maxAttempts;
    this.record({ type: 'STEP_COMPENSATION_FAILED', step: step.name, attempt: comp.attempts, error: outcome.error, data: timing });
    this.observer.log?.('warn', `Saga "${rec.name}" (id=${rec.id}) compensation of step "${step.name}" failed (attempt ${used}/${max}): ${outcome.error.message}`);
    if (outcome.retryable && used < max) {
      const delayMs = retryDelayMs(stepDef.compensationRetry, used, this.env.random);
      comp.nextAttemptAt = new Date(this.env.now() + delayMs).toISOString();
      this.record({ type: 'STEP_RETRY_SCHEDULED', step: step.name, attempt: comp.attempts + 1, data: { delayMs, at: comp.nextAttemptAt, phase: 'compensate' } });
      return;
    }
    comp.nextAttemptAt = null;
    this.setStepStatus(step, 'COMPENSATION_FAILED');
    this.setStatus('FAILED');
    rec.error = { ...outcome.error, message: `Compensation of step "${step.name}" failed: ${outcome.error.message}` };
    this.record({ type: 'SAGA_FAILED', step: step.name, error: rec.error });
    this.observer.log?.('error', `Saga "${rec.name}" (id=${rec.id}) FAILED: compensation of step "${step.name}" exhausted its retries; an operator must act`);
  }

  private startCompensation(cause: CompensationCause, event: NewSagaEvent): void {
    const rec = this.rec;
    this.setStatus('COMPENSATING');
    rec.compensationCause = cause;
    if (rec.error?.code === SAGA_ERROR_CODES.STEP_PAUSED) rec.error = null;
    for (const step of rec.steps) if (step.status === 'FAILED') step.nextAttemptAt = null;
    this.record({ ...event, data: { ...(event.data ?? {}), cause } });
  }

  // ---- operator requests and deadline ------------------------------------------------------

  /**
   * Applies an operator's request by the action guards of the contracts; one that does not apply to
   * the saga as it is now is recorded as rejected. Either way the request is done with.
   */
  applyRequest(request: SagaRequest): void {
    this.unprepare();
    const rec = this.rec;
    const who = { actor: request.actor, reason: request.reason };
    const reject = (why: string) =>
      this.record({ type: 'REQUEST_REJECTED', step: request.step, ...who, data: { action: request.action, status: rec.status, why } });
    switch (request.action) {
      case 'cancel':
        if (!canCancel(rec.status)) reject(`cannot cancel a ${rec.status} saga`);
        else this.startCompensation('CANCELLED', { type: 'COMPENSATION_STARTED', ...who });
        break;
      case 'compensate':
        if (!canCompensate(rec.status)) reject(`cannot compensate a ${rec.status} saga`);
        else if (rec.status === 'FAILED') {
          // Compensation was already under way: carry on with it (keeping its cause), failed steps afresh.
          this.retryFailedCompensations();
          this.record({ type: 'COMPENSATION_STARTED', ...who, data: { cause: rec.compensationCause, resumed: true } });
        } else this.startCompensation('OPERATOR', { type: 'COMPENSATION_STARTED', ...who });
        break;
      case 'pause':
        if (!canPause(rec.status)) reject(`cannot pause a ${rec.status} saga`);
        else {
          this.setStatus('PAUSED');
          this.record({ type: 'SAGA_PAUSED', ...who });
        }
        break;
      case 'resume':
      case 'retry':
        if (request.action === 'resume' ? !canResume(rec.status) : !canRetry(rec.status)) {
          reject(`cannot ${request.action} a ${rec.status} saga`);
        } else if (rec.status === 'PAUSED') {
          this.setStatus('RUNNING');
          rec.error = null;
          const step = rec.steps[rec.currentStep];
          if (step && step.status === 'FAILED') {
            step.budgetStart = step.attempts;
            step.nextAttemptAt = null;
          }
          this.record({ type: request.action === 'resume' ? 'SAGA_RESUMED' : 'SAGA_RETRIED', step: step?.name ?? null, ...who });
        } else {
          this.retryFailedCompensations();
          this.record({ type: 'SAGA_RETRIED', ...who });
        }
        break;
      case 'resolve': {
        const step = rec.steps.find((s) => s.name === request.step);
        if (!step || !canResolveStep(rec.status, step.status)) {
          reject(`step "${request.step}" is ${step?.status ?? 'unknown'} and the saga is ${rec.status}`);
          break;
        }
        this.setStepStatus(step, 'COMPENSATED');
        step.compensation.status = 'RESOLVED';
        step.compensation.finishedAt = this.isoNow();
        step.compensation.nextAttemptAt = null;
        this.setStatus('COMPENSATING');
        rec.error = null;
        this.record({ type: 'STEP_RESOLVED', step: step.name, ...who });
        break;
      }
    }
    this.changed = true;
  }

  /** A FAILED saga goes back to compensating; each failed compensation gets a fresh retry budget. */
  private retryFailedCompensations(): void {
    const rec = this.rec;
    for (const step of rec.steps) {
      if (step.status !== 'COMPENSATION_FAILED') continue;
      this.setStepStatus(step, 'COMPENSATING');
      step.compensation.status = 'PENDING';
      step.compensation.budgetStart = step.compensation.attempts;
      step.compensation.nextAttemptAt = null;
    }
    this.setStatus('COMPENSATING');
    rec.error = null;
  }

  /** Applies the deadline's policy once it has passed while the saga runs forward. */
  checkDeadline(): void {
    const rec = this.rec;
    if (this.deadlineDone || !rec.deadlineAt || rec.deadlineAt.getTime() > this.env.now()) return;
    if (rec.status !== 'RUNNING' && rec.status !== 'PENDING') return;
    this.unprepare();
    this.deadlineDone = true;
    this.changed = true;
    const policy = this.def.deadlinePolicy;
    const error: ErrorView = { name: 'SagaDeadlineError', code: 'DEADLINE_PASSED', message: `The saga's deadline (${this.def.timeoutMs} ms) passed.` };
    this.record({ type: 'DEADLINE_PASSED', error, data: { policy } });
    this.observer.log?.('warn', `Saga "${rec.name}" (id=${rec.id}) passed its deadline; policy "${policy}"`);
    if (policy === 'compensate') {
      rec.error = error;
      this.startCompensation('DEADLINE', { type: 'COMPENSATION_STARTED', reason: error.message });
    } else if (policy === 'pause') {
      rec.error = error;
      this.setStatus('PAUSED');
      this.record({ type: 'SAGA_PAUSED', reason: error.message });
    }
  }

  // ---- stored state ---------------------------------------------------------------------------

  /**
   * Takes the state as last stored, dropping what was not written (events, the prepared attempt,
   * outputs not stored). Returns the indexes of steps whose successful output was in the dropped
   * write and which are stored RUNNING: the attempts that ran and whose result was lost.
   */
  adopt(stored: SagaRecord): Map<number, AttemptOutcome> {
    const outputs = this.unstored;
    this.unstored = new Map();
    const lost = new Map([...outputs].filter(([index]) => stored.steps[index]?.status === 'RUNNING'));
    Object.assign(this.rec, {
      status: stored.status,
      currentStep: stored.currentStep,
      steps: stored.steps,
      error: stored.error,
      compensationCause: stored.compensationCause,
      deadlineHandledAt: stored.deadlineHandledAt,
      request: stored.request,
    });
    this.deadlineDone = stored.deadlineHandledAt !== null;
    this.events = [];
    this.preparedAttempt = null;
    this.changed = true;
    return lost;
  }

  // ---- the tables -----------------------------------------------------------------------------

  private setStatus(to: SagaStatus): void {
    const from = this.rec.status;
    if (!canTransition(from, to)) {
      throw new InvalidSagaTransitionError(`move to ${to}`, from, { sagaId: this.rec.id, sagaName: this.rec.name }, `The saga transition table does not allow ${from} → ${to}.`);
    }
    this.rec.status = to;
    this.changed = true;
  }

  private setStepStatus(step: StepState, to: StepStatus): void {
    const from = step.status;
    if (!canTransitionStep(from, to)) {
      throw new InvalidSagaTransitionError(
        `move step "${step.name}" to ${to}`,
        this.rec.status,
        { sagaId: this.rec.id, sagaName: this.rec.name },
        `The step transition table does not allow ${from} → ${to}.`,
      );
    }
    step.status = to;
  }

  private record(event: NewSagaEvent): void {
    this.observer.event?.(event);
    this.events.push(event);
    this.changed = true;
  }

  private isoNow(): string {
    return new Date(this.env.now()).toISOString();
  }
}

function needsCompensation(step: StepState): boolean {
  const done = step.compensation.status === 'COMPENSATED' || step.compensation.status === 'SKIPPED' || step.compensation.status === 'RESOLVED';
  if (done) return false;
  if (step.status === 'COMPLETED' || step.status === 'COMPENSATING' || step.status === 'COMPENSATION_FAILED') return true;
  return (step.status === 'FAILED' || step.status === 'RUNNING') && step.outcomeUnknown;
}

function timingData(outcome: AttemptOutcome, instanceId: string | undefined): Record<string, unknown> {
  return {
    startedAt: outcome.startedAt.toISOString(),
    finishedAt: outcome.finishedAt.toISOString(),
    durationMs: outcome.durationMs,
    ...(instanceId !== undefined ? { instanceId } : {}),
  };
}
