/**
 * Drives one saga while this instance owns it. Invariants: the in-memory record is the truth only
 * while our fence holds; every attempt is marked RUNNING in the store before it starts (so a crash
 * counts it and re-runs the step), and its result is stored before the next attempt starts. One
 * checkpoint write per loop turn: it carries the last result and the next attempt's start together.
 * A transactional step's attempt keeps its transaction open until that write, which then goes into
 * the transaction instead of the shared group write: the step's writes, its result, its history and
 * the next attempt's start commit together.
 */
import type { SagaStatus } from '@nest-saga/contracts';
import { SAGA_ERROR_CODES } from '@nest-saga/contracts';
import { Logger } from '@nestjs/common';
import type { SagaLifecycleEvent } from '../interfaces/saga-service.interface.js';
import type { StepContext } from '../interfaces/step.interface.js';
import type { ResolvedSagaOptions } from '../saga-options.js';
import type { SagaRecord, SagaRequest } from '../persistence/saga.records.js';
import type { Checkpoint, CheckpointResult, SagaStore, StepTransaction } from '../persistence/saga.store.js';
import { SagaRunTrace } from '../tracing/saga-tracing.js';
import { SagaStateMachine } from '../machine/saga-state-machine.js';
import { createStepContext } from './step-context.js';
import type { ExecutablePlan } from '../plan/saga-plan.js';
import type { StepHold } from '../breaker/saga-step-breaker.js';
import { AttemptAbort, AttemptControl, runAttempt, toErrorView, unstorableOutput, type AttemptOutcome } from './step-executor.js';

export interface SagaRunnerDeps {
  store: SagaStore;
  options: ResolvedSagaOptions;
  logger: Logger;
  emit(event: SagaLifecycleEvent): void;
  /** The step circuit breaker: a saga about to start a paused step waits `PAUSED` instead. */
  breaker?: { holdOf(step: string): StepHold | null; confirmHold(step: string): Promise<StepHold | null> };
}

/** The usual checkpoint options, shared rather than made at every write. */
const KEEP: FlushOptions = { release: false, nextRunInMs: 0 };
const SETTLE: FlushOptions = { release: true, nextRunInMs: null };
const GIVE_BACK_NOW: FlushOptions = { release: true, nextRunInMs: 0 };

interface FlushOptions {
  readonly release: boolean;
  readonly nextRunInMs: number | null;
}

/** How long a saga whose state the store refuses (and no step output explains it) waits before any instance tries again. */
const REFUSED_RETRY_MS = 60_000;

export class SagaRunner {
  /** Decides every change of the saga's state; the runner does the I/O around it. */
  private readonly machine: SagaStateMachine;
  private request: SagaRequest | null = null;
  private lastRequestToken: string | null = null;
  private clearRequestToken: string | null = null;
  /** Checkpoints written by this runner: a retried write carries the same seq, so it is applied once. */
  private writes = 0;
  private inFlight: AttemptControl | null = null;
  private wake: (() => void) | null = null;
  private lost = false;
  private stopping = false;
  private readonly appliedWaiters = new Map<string, (applied: boolean) => void>();
  /** The store refused the last checkpoint and the state was read back: plan again before acting. */
  private reloaded = false;
  /** A transactional attempt that succeeded: its transaction waits for the next checkpoint, which commits it. */
  private pendingTx: { tx: StepTransaction; kind: 'execute' | 'compensate'; index: number; attempt: number; outcome: AttemptOutcome } | null = null;
  /** The span of this run of the saga on this instance, in the trace stored with the saga. */
  private readonly trace: SagaRunTrace;
  /** Whether the circuit breaker holds a step: one function for the runner's life, not one per turn. */
  private readonly holdOf = (step: string): StepHold | null => this.deps.breaker?.holdOf(step) ?? null;
  /** Resolves when the runner has stopped working on the saga (settled, released or lost). */
  readonly done: Promise<void>;

  constructor(
    private readonly deps: SagaRunnerDeps,
    private readonly rec: SagaRecord,
    /** The saga's own plan (stored at its start), bound to this instance's handlers. */
    private readonly def: ExecutablePlan,
    options: { previousOwner?: string | null; freshlyStarted?: boolean; restart?: boolean } = {},
  ) {
    this.trace = new SagaRunTrace(rec, deps.options.instanceId, options.previousOwner ?? null);
    const logger = deps.logger;
    this.machine = new SagaStateMachine(rec, def, {
      instanceId: deps.options.instanceId,
      freshlyStarted: options.freshlyStarted,
      observer: {
        event: (event) => this.trace.event(event),
        log: (level, message) => (level === 'debug' ? logger.debug?.(message) : logger[level](message)),
        // Nest's own answer: exact for its ConsoleLogger; for another logger, by the levels given to Nest.
        debugEnabled: () => Logger.isLevelEnabled('debug'),
      },
    });
    if (rec.request) this.onRequest(rec.request);
    this.done = this.run(options.previousOwner ?? null, options.restart ?? false);
  }

  get sagaId(): string {
    return this.rec.id;
  }

  get fence(): number {
    return this.rec.fence;
  }

  get status(): SagaStatus {
    return this.machine.status;
  }

  /** An operator request arrived (from the store or from this instance's SagaService). */
  onRequest(request: SagaRequest): void {
    if (request.token === this.lastRequestToken) return;
    this.lastRequestToken = request.token;
    this.request = request;
    if ((request.action === 'cancel' || request.action === 'compensate') && this.inFlight && this.machine.prepared?.kind === 'execute') {
      this.inFlight.abort(new AttemptAbort('CANCEL', `Aborted: an operator asked to ${request.action} the saga.`));
    }
    this.wake?.();
  }

  /** Resolves true once the request is applied and stored, false if the runner stops first. */
  whenApplied(token: string): Promise<boolean> {
    if (this.lastRequestToken === token && this.request === null && this.clearRequestToken === null) return Promise.resolve(true);
    return new Promise((resolve) => this.appliedWaiters.set(token, resolve));
  }

  /** Stop at the next boundary and give the saga back (shutdown). */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** Abort the attempt in flight; used when shutdown waited long enough. */
  abortForShutdown(): void {
    this.inFlight?.abort(new AttemptAbort('SHUTDOWN', 'Aborted: the instance is shutting down.'));
  }

  /** Another instance took the saga: stop now and write nothing more. */
  loseLease(): void {
    if (this.lost) return;
    this.lost = true;
    this.inFlight?.abort(new AttemptAbort('LEASE_LOST', 'Aborted: this instance lost the saga to another.'));
    this.wake?.();
    this.recordLeaseLost();
  }

  /** History says when an instance learnt it lost the saga, whether from a checkpoint or a lease renewal. */
  private recordLeaseLost(): void {
    void this.deps.store
      .appendEvents(this.rec.id, [{ type: 'LEASE_LOST', actor: this.deps.options.instanceId, data: { fence: this.rec.fence } }])
      .catch(() => undefined);
  }

  private async run(previousOwner: string | null, restart: boolean): Promise<void> {
    try {
      if (restart) {
        this.deps.logger.warn(`Saga "${this.rec.name}" (id=${this.rec.id}) taken back after instance "${previousOwner}" restarted`);
      } else if (previousOwner) {
        this.deps.logger.warn(`Saga "${this.rec.name}" (id=${this.rec.id}) taken over from instance "${previousOwner}"`);
      }
      this.machine.recoverLostAttempts(previousOwner, restart);
      await this.loop();
    } catch (error) {
      this.deps.logger.error(`Saga "${this.rec.name}" (id=${this.rec.id}) runner stopped on an unexpected error: ${(error as Error).stack ?? error}`);
    } finally {
      // Stopped before the checkpoint that would commit it: the attempt's writes roll back.
      if (this.pendingTx) void this.pendingTx.tx.rollback(true);
      this.pendingTx = null;
      this.trace.end(this.machine.status, this.lost ? 'lease_lost' : this.machine.settled ? 'settled' : 'released', this.rec.error);
      for (const resolve of this.appliedWaiters.values()) resolve(false);
      this.appliedWaiters.clear();
    }
  }

  private async loop(): Promise<void> {
    while (!this.lost) {
      if (this.request) {
        const request = this.request;
        this.request = null;
        this.machine.applyRequest(request);
        this.clearRequestToken = request.token;
      }
      this.machine.checkDeadline();
      const plan = this.machine.next(this.holdOf);
      // After every write: if the store refused it, the state was read back and the plan is stale.
      if (plan.kind === 'settle') {
        await this.flush(SETTLE);
        if (this.takeReloaded()) continue;
        return;
      }
      if (plan.kind === 'hold') {
        // This instance's copy of the paused steps may be a refresh old: ask the database before holding.
        const hold = await this.deps.breaker!.confirmHold(this.rec.steps[plan.index].name);
        // Resumed meanwhile, or an operator's request arrived: plan again.
        if (!hold || this.request || this.lost) continue;
        this.machine.holdAt(plan.index, hold);
        await this.flush(SETTLE);
        if (this.takeReloaded()) continue;
        return;
      }
      if (this.stopping) {
        this.machine.unprepare();
        await this.flush(GIVE_BACK_NOW);
        if (this.takeReloaded()) continue;
        return;
      }
      if (plan.kind === 'wait') {
        const delay = Math.max(0, plan.atMs - Date.now());
        if (delay > this.deps.options.holdRetryUpToMs) {
          const deadlineAt = this.machine.deadlinePendingAt();
          const untilDeadline = deadlineAt !== null ? Math.max(0, deadlineAt - Date.now()) : Infinity;
          await this.flush({ release: true, nextRunInMs: Math.min(delay, untilDeadline) });
          if (this.takeReloaded()) continue;
          return;
        }
        await this.flush(KEEP);
        if (this.takeReloaded()) continue;
        await this.sleep(delay);
        continue;
      }
      // A step with no effect outside the process starts without a write of its own: what that
      // write carried (the previous result, this start) is stored with the step's own result.
      if (!this.ridesWithItsResult(plan.kind, plan.index)) {
        await this.flush(KEEP);
        if (this.lost) return;
        if (this.takeReloaded() || this.request) continue;
      }
      await this.attempt(plan.kind, plan.index);
    }
  }

  /**
   * True when the attempt about to start can go without the checkpoint that would mark it started:
   * a first or later execute attempt of an `effects: 'none'` step, with nothing else waiting to be
   * written (an applied operator request, a step transaction to commit).
   */
  private ridesWithItsResult(kind: 'execute' | 'compensate', index: number): boolean {
    return kind === 'execute' && this.def.steps[index].noEffects && this.clearRequestToken === null && this.pendingTx === null;
  }

  // ---- attempts -------------------------------------------------------------------------------

  private async attempt(kind: 'execute' | 'compensate', index: number): Promise<void> {
    const rec = this.rec;
    const stepDef = this.def.steps[index];
    const step = rec.steps[index];
    const attempt = kind === 'execute' ? step.attempts : step.compensation.attempts;
    const control = new AttemptControl();
    this.inFlight = control;
    this.machine.attemptStarted();
    let deadlineTimer: NodeJS.Timeout | undefined;
    // Only the compensate policy cuts the attempt short; pause lets it finish first, flag runs on.
    const abortAt = this.machine.deadlineAbortAt(kind);
    if (abortAt !== null) {
      deadlineTimer = setTimeout(
        () => control.abort(new AttemptAbort('DEADLINE', `Aborted: the saga's deadline (${this.def.timeoutMs} ms) passed.`)),
        Math.max(0, abortAt - Date.now()),
      );
    }
    const attemptTrace = this.trace.startAttempt(kind, step.name, attempt);
    const tx = stepDef.transactional ? this.deps.store.beginStepTransaction() : null;
    const ctx: StepContext = createStepContext({
      sagaId: rec.id,
      sagaName: rec.name,
      stepName: step.name,
      stepIndex: index,
      attempt,
      idempotencyKey: `${rec.id}:${step.name}`,
      // Made only if the step reads it.
      signal: () => control.signal,
      outputs: this.machine.outputsBefore(kind === 'execute' ? index : rec.steps.length),
      params: stepDef.params,
      phase: kind,
      manager: tx?.manager,
    }, attemptTrace.context);
    const timeoutMs = kind === 'execute' ? stepDef.timeoutMs : stepDef.compensationTimeoutMs;
    let outcome = await runAttempt(
      () => attemptTrace.run(() => (kind === 'execute' ? stepDef.handler.execute(rec.input, ctx) : stepDef.handler.compensate!(rec.input, step.output ?? undefined, ctx))),
      timeoutMs,
      control,
      () => `${kind === 'execute' ? 'Step' : 'Compensation of step'} "${step.name}" did not finish within ${timeoutMs} ms (attempt ${attempt}).`,
    );
    clearTimeout(deadlineTimer);
    attemptTrace.end(outcome);
    this.inFlight = null;
    this.machine.attemptEnded();
    if (this.lost || (!outcome.ok && (outcome.abortReason === 'SHUTDOWN' || outcome.abortReason === 'LEASE_LOST'))) {
      await tx?.rollback(true);
      return;
    }
    if (tx) {
      if (outcome.ok) {
        this.pendingTx = { tx, kind, index, attempt, outcome };
      } else {
        // Cut short (timeout, abort), the code may still run: its connection is closed, not reused.
        await tx.rollback(outcome.abortReason !== null);
        // Rolled back: the attempt is known to have had no effect.
        outcome = { ...outcome, outcomeUnknown: false };
      }
    }
    if (kind === 'execute') this.machine.recordExecuteResult(index, outcome);
    else this.machine.recordCompensationResult(index, outcome);
  }

  // ---- writes ---------------------------------------------------------------------------------

  private async flush(opts: FlushOptions): Promise<void> {
    if (!this.machine.dirty && !opts.release && !this.clearRequestToken && !this.pendingTx) return;
    const rec = this.rec;
    const events = this.machine.takeEvents();
    const cp: Checkpoint = {
      sagaId: rec.id,
      ownerId: this.deps.options.instanceId,
      fence: rec.fence,
      ...this.machine.checkpointState(),
      release: opts.release,
      nextRunInMs: opts.nextRunInMs,
      leaseMs: this.deps.options.leaseMs,
      clearRequestToken: this.clearRequestToken,
      events,
      seq: ++this.writes,
    };
    const pending = this.pendingTx;
    this.pendingTx = null;
    const result = pending ? await this.commitStepTransaction(pending, cp) : await this.write(cp);
    if (!result) return;
    if (result === 'reloaded') {
      this.reloaded = true;
      return;
    }
    if (!result.ok) {
      this.deps.logger.warn(`Saga "${rec.name}" (id=${rec.id}) was taken over by another instance; this instance stops working on it`);
      this.lost = true;
      this.recordLeaseLost();
      return;
    }
    this.machine.stored();
    const applied = this.clearRequestToken;
    this.clearRequestToken = null;
    if (applied) {
      this.appliedWaiters.get(applied)?.(true);
      this.appliedWaiters.delete(applied);
    }
    const at = events.length ? new Date() : null;
    for (const e of events) {
      this.deps.emit({
        type: e.type,
        sagaId: rec.id,
        sagaName: rec.name,
        status: this.machine.status,
        step: e.step ?? undefined,
        attempt: e.attempt ?? undefined,
        durationMs: typeof e.data?.durationMs === 'number' ? e.data.durationMs : undefined,
        error: e.error?.message,
        actor: e.actor ?? undefined,
        reason: e.reason ?? undefined,
        at: at!,
      });
    }
    if (result.request && result.request.token !== this.lastRequestToken) this.onRequest(result.request);
  }

  /**
   * Retries the write while the database is unreachable; a database outage pauses progress, never
   * loses it. A refused write (the data itself, see SagaUnstorableDataError) is never retried as is:
   * the state is read back and the step output at fault fails its step ('reloaded').
   */
  private async write(cp: Checkpoint): Promise<CheckpointResult | 'reloaded' | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.store.checkpoint(cp);
      } catch (error) {
        if (this.lost) return null;
        if ((error as { code?: unknown }).code === SAGA_ERROR_CODES.DATA_UNSTORABLE) {
          try {
            await this.reloadAfterRefusal(error as Error);
            return 'reloaded';
          } catch (reloadError) {
            // Could not even read the saga back (database gone meanwhile): wait and try it all again.
            error = reloadError;
          }
        }
        const delay = Math.min(100 * 2 ** Math.min(attempt, 6), 5_000);
        this.deps.logger.warn(
          `Saga "${cp.sagaId}" checkpoint failed (attempt ${attempt}): ${(error as Error).message}; retrying in ${delay} ms`,
        );
        if (this.stopping && attempt >= 5) return null;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * Writes the checkpoint in the transactional attempt's transaction and commits both. A transaction
   * cannot be written again, so when this fails the saga is read back: if the commit went through
   * (it was cut off after the database had it) the stored state is the attempt's result; if not,
   * nothing of the attempt remains and it is recorded as a failed attempt, retried as usual.
   */
  private async commitStepTransaction(pending: NonNullable<SagaRunner['pendingTx']>, cp: Checkpoint): Promise<CheckpointResult | 'reloaded' | null> {
    try {
      return await pending.tx.commit(cp);
    } catch (error) {
      if (this.lost) return null;
      this.deps.logger.warn(
        `Saga "${this.rec.name}" (id=${this.rec.id}) transaction of step "${this.rec.steps[pending.index]?.name}" failed: ${(error as Error).message}; reading the saga back`,
      );
      for (let attempt = 1; ; attempt++) {
        try {
          const stored = await this.deps.store.get(this.rec.id);
          if (!this.adoptStored(stored)) return null;
          this.machine.adopt(stored);
          this.resetRequests(stored);
          break;
        } catch (readError) {
          if (this.lost) return null;
          if (this.stopping && attempt >= 5) {
            // Whether it committed is unknown here: never write over it; the lease expires and another instance reads it.
            this.lost = true;
            return null;
          }
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** Math.min(attempt, 6), 5_000)));
        }
      }
      const step = this.rec.steps[pending.index];
      const uncommitted =
        pending.kind === 'execute'
          ? step.status === 'RUNNING' && step.attempts === pending.attempt
          : step.compensation.status === 'RUNNING' && step.compensation.attempts === pending.attempt;
      if (uncommitted) {
        const timing = { durationMs: pending.outcome.durationMs, startedAt: pending.outcome.startedAt, finishedAt: pending.outcome.finishedAt };
        const refused = (error as { code?: unknown }).code === SAGA_ERROR_CODES.DATA_UNSTORABLE;
        const failed: AttemptOutcome = refused
          ? { ...(unstorableOutput(`The step's output cannot be stored: ${(error as Error).message}`, timing) as Extract<AttemptOutcome, { ok: false }>), outcomeUnknown: false }
          : { ok: false, error: toErrorView(error), outcomeUnknown: false, retryable: true, abortReason: null, ...timing };
        if (pending.kind === 'execute') this.machine.recordExecuteResult(pending.index, failed);
        else this.machine.recordCompensationResult(pending.index, failed);
      }
      return 'reloaded';
    }
  }

  /**
   * Takes the state as last stored, dropping what was not written; false (and the saga is lost) when
   * another instance holds it now. Requests applied in the lost write are still on the row.
   */
  private adoptStored(stored: SagaRecord | null): stored is SagaRecord {
    if (!stored || stored.fence !== this.rec.fence || stored.ownerId !== this.deps.options.instanceId) {
      this.lost = true;
      this.recordLeaseLost();
      return false;
    }
    return true;
  }

  /** The machine took the stored state: requests are read again from it. */
  private resetRequests(stored: SagaRecord): void {
    this.clearRequestToken = null;
    this.request = null;
    this.lastRequestToken = null;
    if (stored.request) this.onRequest(stored.request);
  }

  private takeReloaded(): boolean {
    const reloaded = this.reloaded;
    this.reloaded = false;
    return reloaded;
  }

  /**
   * The store refused a checkpoint for good. Its content is dropped and the state read back as last
   * stored (we still hold the fence); requests applied in the lost write are still on the row and are
   * applied again. A step whose new output was in that write is what the store refused (the scan in
   * runAttempt catches the known cases before this): it fails, without retry, and the saga
   * compensates. With no such step nothing here can be fixed, so the saga is given back for a later
   * attempt instead of retrying the same write forever.
   */
  private async reloadAfterRefusal(error: Error): Promise<void> {
    const rec = this.rec;
    const stored = await this.deps.store.get(rec.id);
    if (!this.adoptStored(stored)) return;
    // Stored as RUNNING: the attempts whose output could not be written are the ones that ran.
    const culprits = this.machine.adopt(stored);
    this.resetRequests(stored);
    if (!culprits.size) {
      this.deps.logger.error(
        `Saga "${rec.name}" (id=${rec.id}): the store refused its state (${error.message}); giving it back, any instance retries in ${REFUSED_RETRY_MS} ms`,
      );
      this.lost = true;
      await this.deps.store.releaseAll(this.deps.options.instanceId, [{ sagaId: rec.id, fence: rec.fence }], REFUSED_RETRY_MS).catch(() => undefined);
      return;
    }
    for (const [index, outcome] of culprits) {
      this.machine.recordExecuteResult(
        index,
        unstorableOutput(`The step's output cannot be stored: ${error.message}`, {
          durationMs: outcome.durationMs,
          startedAt: outcome.startedAt,
          finishedAt: outcome.finishedAt,
        }),
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }
}
