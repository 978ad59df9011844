/**
 * The step circuit breaker. An operator pauses a step everywhere: every instance reads the paused
 * steps from the database on a short refresh (one small query per instance, whatever the number of
 * sagas), and a runner about to start a paused step parks its saga as `PAUSED` (`STEP_PAUSED`) with
 * no attempt used. Resume turns the step `RESUMING`: new sagas run it again at once, and the sagas
 * held at it are released by the database at `ratePerSec`, whichever instance's refresh comes first
 * (the quota is counted on the step's row, so the rate is global). Once none is held the step leaves
 * the list.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { findUnstorableText, type StepPauseView } from '@nest-saga/contracts';
import { Subject } from 'rxjs';
import { SagaRegistry } from '../discovery/saga.registry.js';
import { SagaValidationError } from '../errors/saga.errors.js';
import { SagaStepNotPausedError, SagaStepNotRegisteredError } from '../errors/step-breaker.errors.js';
import { SagaStepPauseStore, type StepPauseRecord } from '../persistence/saga-step-pause.store.js';
import type { ResolvedSagaOptions } from '../saga-options.js';
import { SAGA_STEP_PAUSE_STORE } from '../saga-operations.tokens.js';
import { SAGA_RESOLVED_OPTIONS } from '../saga.tokens.js';

/** Most sagas one release statement takes. */
const RELEASE_BATCH = 500;
/** Longest reason kept (the history stores it with every held and released saga). */
const MAX_REASON_LENGTH = 1000;
/** How long after a step leaves the list each instance still looks for sagas held at it. */
const ORPHAN_SWEEP_MS = 60_000;
const MAX_ACTOR_LENGTH = 200;
export const MIN_STEP_RATE_PER_SEC = 0.1;
export const MAX_STEP_RATE_PER_SEC = 1000;

export interface PauseStepOptions {
  /** Why; recorded with the pause and in the history of every saga held at the step. Required. */
  reason: string;
  /** Who; `system` when absent. */
  actor?: string;
}

export interface ResumeStepOptions extends PauseStepOptions {
  /** Held sagas released per second (0.1 to 1000), across all instances; all at once when absent. */
  ratePerSec?: number | null;
}

/** What a runner needs to know about a paused step. */
export interface StepHold {
  step: string;
  reason: string;
  pausedBy: string;
  pausedAt: Date;
}

@Injectable()
export class SagaStepBreaker {
  private readonly logger = new Logger('SagaStepBreaker');
  private paused = new Map<string, StepPauseRecord>();
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private failures = 0;
  private sweepUntil = 0;
  /** Emits after this instance released held sagas (they are due: claim them now). */
  readonly released$ = new Subject<number>();

  constructor(
    @Inject(SAGA_STEP_PAUSE_STORE) private readonly store: SagaStepPauseStore,
    private readonly registry: SagaRegistry,
    @Inject(SAGA_RESOLVED_OPTIONS) private readonly options: ResolvedSagaOptions,
  ) {}

  /** How often each instance reads the paused steps (and releases what a ramp allows). */
  get refreshMs(): number {
    return Math.max(50, Math.min(this.options.pollIntervalMs, 1_000));
  }

  /**
   * How long a resumed step stays listed after its last release with none held: an instance that
   * read the step paused just before the resume may still hold a saga at it, and it is released then.
   */
  private get graceMs(): number {
    return Math.max(this.refreshMs * 10, 2_000);
  }

  /** Started by the worker before its first claim, so a restarted instance never runs a paused step. */
  async start(): Promise<void> {
    if (!this.store.supported || this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref?.();
    await this.refresh();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The pause holding this step, or null when sagas may run it. Synchronous: read by runners. */
  holdOf(step: string): StepHold | null {
    const pause = this.paused.get(step);
    return pause && pause.status === 'PAUSED' ? pause : null;
  }

  /**
   * Asks the database whether the step is still paused, just before a saga is held at it (and keeps
   * the answer): a resume seen late by this instance must not hold sagas another instance just
   * released. One read per hold, none while no step is paused. On a database error, the known state.
   */
  async confirmHold(step: string): Promise<StepHold | null> {
    try {
      const row = await this.store.get(step);
      if (row) this.paused.set(step, row);
      else this.paused.delete(step);
    } catch {
      // Keep what we knew.
    }
    return this.holdOf(step);
  }

  /** Reads the paused steps now and releases what the ramps of resumed steps allow. */
  refresh(): Promise<void> {
    this.refreshing ??= this.refreshOnce().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    try {
      const rows = await this.store.all();
      const before = this.paused;
      this.paused = new Map(rows.map((r) => [r.step, r]));
      // A step left the list: for a while, sagas held at it by a runner that read it paused just
      // before its resume (and wrote after the row went) are released too. Nothing when none left.
      if ([...before.keys()].some((step) => !this.paused.has(step))) this.sweepUntil = Date.now() + ORPHAN_SWEEP_MS;
      let released = 0;
      if (this.sweepUntil > Date.now() && this.timer) released += await this.store.releaseOrphans(RELEASE_BATCH);
      for (const row of rows) {
        if (row.status !== 'RESUMING' || !this.timer) continue;
        const result = await this.store.release(row.step, RELEASE_BATCH, this.graceMs);
        released += result.released;
        if (result.finished) this.paused.delete(row.step);
      }
      if (released) this.released$.next(released);
      if (this.failures) this.logger.log('Paused steps readable again');
      this.failures = 0;
    } catch (error) {
      // Keep the last known set: a database outage must not open every paused step.
      if (this.failures++ === 0) this.logger.warn(`Cannot read the paused steps (${(error as Error).message}); keeping the last known ones`);
    }
  }

  async pause(step: string, options: PauseStepOptions): Promise<StepPauseView> {
    const { reason, actor } = this.check(step, options);
    const { pause } = await this.store.pause(step, reason, actor);
    this.paused.set(step, pause);
    this.logger.warn(`Step "${step}" paused by ${pause.pausedBy}: ${pause.reason}`);
    return this.view(pause, await this.store.waiting());
  }

  async resume(step: string, options: ResumeStepOptions): Promise<StepPauseView> {
    const { reason, actor } = this.check(step, options);
    const rate = options.ratePerSec ?? null;
    if (rate !== null && !(typeof rate === 'number' && Number.isFinite(rate) && rate >= MIN_STEP_RATE_PER_SEC && rate <= MAX_STEP_RATE_PER_SEC)) {
      throw new SagaValidationError(`ratePerSec must be a number from ${MIN_STEP_RATE_PER_SEC} to ${MAX_STEP_RATE_PER_SEC}.`, 'ratePerSec');
    }
    const resumed = await this.store.resume(step, reason, actor, rate);
    if (!resumed) {
      const now = (await this.store.all()).find((r) => r.step === step);
      throw new SagaStepNotPausedError(step, now ? 'RESUMING' : null);
    }
    this.paused.set(step, resumed);
    this.logger.log(`Step "${step}" resumed by ${resumed.resumedBy}${rate ? ` at ${rate}/s` : ''}: ${reason}`);
    // The first held sagas go at once, from here (all of them without a rate); the refresh of every
    // instance carries on the ramp. Not through refresh(): one in flight may have read the step paused.
    let released = 0;
    if (this.timer) {
      released = (await this.store.release(step, RELEASE_BATCH, this.graceMs)).released;
      if (released) this.released$.next(released);
    }
    return this.view({ ...resumed, released: resumed.released + released }, await this.store.waiting());
  }

  /** Paused and resuming steps, with how many sagas wait at each. */
  async list(): Promise<StepPauseView[]> {
    const [rows, waiting] = await Promise.all([this.store.all(), this.store.waiting()]);
    return rows.map((r) => this.view(r, waiting));
  }

  private check(step: string, options: PauseStepOptions): { reason: string; actor: string } {
    if (typeof step !== 'string' || !this.registry.findStep(step)) throw new SagaStepNotRegisteredError(String(step));
    const reason = typeof options?.reason === 'string' ? options.reason.trim() : '';
    if (!reason) throw new SagaValidationError('reason is required: it is recorded with the pause and in the history of the sagas it holds.', 'reason');
    if (reason.length > MAX_REASON_LENGTH) throw new SagaValidationError(`reason must be at most ${MAX_REASON_LENGTH} characters.`, 'reason');
    const actor = options.actor ?? 'system';
    if (typeof actor !== 'string' || !actor || actor.length > MAX_ACTOR_LENGTH) {
      throw new SagaValidationError(`actor must be a non-empty string of at most ${MAX_ACTOR_LENGTH} characters.`, 'actor');
    }
    for (const [field, value] of [['reason', reason], ['actor', actor]] as const) {
      const problem = findUnstorableText(value, field);
      if (problem) throw new SagaValidationError(problem.message, field);
    }
    return { reason, actor };
  }

  private view(r: StepPauseRecord, waiting: Map<string, number>): StepPauseView {
    return {
      step: r.step,
      status: r.status,
      reason: r.reason,
      pausedBy: r.pausedBy,
      pausedAt: new Date(r.pausedAt).toISOString(),
      resumedBy: r.resumedBy,
      resumedAt: r.resumedAt ? new Date(r.resumedAt).toISOString() : null,
      resumeReason: r.resumeReason,
      ratePerSec: r.ratePerSec,
      released: r.released,
      waiting: waiting.get(r.step) ?? 0,
    };
  }
}
