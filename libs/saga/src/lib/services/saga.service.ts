/**
 * The public face of the engine for app code and admin APIs: start sagas, read them, and act on
 * them as an operator. Actions are checked against the shared transition guards before they are
 * written, and again by the owner when it applies them. Asking again for an action that still waits
 * for its owner answers with that request and writes nothing. Text the store cannot keep is refused
 * (SagaValidationError naming the field) before any write, so it never fails a shared statement.
 */
import { randomUUID } from 'node:crypto';
import type {
  SagaAction,
  SagaDefinitionCensus,
  SagaDetail,
  SagaDefinitionView,
  SagaPage,
  SagaPlanView,
  SagaStats,
  SagaStatus,
  SagaSummary,
  StepDefinitionView,
  StepPauseView,
} from '@nest-saga/contracts';
import { MAX_JSON_DEPTH, SAGA_ERROR_CODES, SAGA_STATUSES, canPerform, canResolveStep, findUnstorableText, isSagaStatus, isSettled } from '@nest-saga/contracts';
import { Inject, Injectable, type Type } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { SagaStepBreaker, type PauseStepOptions, type ResumeStepOptions } from '../breaker/saga-step-breaker.js';
import { SagaRegistry } from '../discovery/saga.registry.js';
import { SagaOrchestrator } from '../engine/saga.orchestrator.js';
import { bindPlan, composePlan, samePlanSteps, type PlanDefaults, type SagaPlan } from '../plan/saga-plan.js';
import { sameJson } from '../json/canonical-json.js';
import { toStorableJson } from '../json/storable-json.js';
import {
  InvalidSagaTransitionError,
  SagaIdempotencyConflictError,
  SagaInputError,
  SagaNotFoundError,
  SagaQueryError,
  SagaStepNotFoundError,
  SagaValidationError,
} from '../errors/saga.errors.js';
import type { SagaActionOptions, SagaHandle, SagaLifecycleEvent, SagaListQuery, StartSagaOptions } from '../interfaces/saga-service.interface.js';
import type { SagaComposition, SagaCompositionOptions } from '../interfaces/saga-plan.interface.js';
import type { SagaRequest, SagaRequestAction } from '../persistence/saga.records.js';
import { SagaStore } from '../persistence/saga.store.js';
import type { SagaDefinition } from '../saga-definition.js';
import type { ResolvedSagaOptions } from '../saga-options.js';
import { SAGA_RESOLVED_OPTIONS } from '../saga.tokens.js';
import { toDetail, toSummary } from './saga-views.js';
import { SagaPlanBuilder } from './saga-plan.builder.js';

const REQUEST_EVENTS = { cancel: 'CANCEL_REQUESTED', compensate: 'COMPENSATE_REQUESTED', pause: 'PAUSE_REQUESTED' } as const;
/** Longest actor the history stores (its column is varchar(200)). */
const MAX_ACTOR_LENGTH = 200;

/** Refuses, before any write, text that the store could not keep (it would fail the write, or worse, a shared one). */
function checkText(value: unknown, field: string, context: { sagaId?: string; sagaName?: string } = {}): void {
  const problem = findUnstorableText(value, field);
  if (problem) throw new SagaValidationError(problem.message, field, context);
}

@Injectable()
export class SagaService {
  constructor(
    private readonly store: SagaStore,
    private readonly registry: SagaRegistry,
    private readonly orchestrator: SagaOrchestrator,
    @Inject(SAGA_RESOLVED_OPTIONS) private readonly options: ResolvedSagaOptions,
    private readonly breaker: SagaStepBreaker,
  ) {}

  /** One notification per stored transition and attempt of the sagas this instance runs. */
  get events$(): Observable<SagaLifecycleEvent> {
    return this.orchestrator.events$.asObservable();
  }

  /**
   * Starts a saga: a registered one (its class or name), or one composed here from registered steps
   * (`{ name, steps: [{ step, params? }] }`, see `compose` for a builder). Either way the saga stores
   * its plan (steps, params, policies, definition version) and runs by it to the end, whatever a
   * later deployment registers. A composition that cannot run throws a typed error before anything is
   * written: `PLAN_NAME_INVALID`, `PLAN_EMPTY`, `PLAN_STEP_NOT_REGISTERED`, `PLAN_STEP_DUPLICATE`,
   * `PLAN_REQUIREMENT_MISSING` (each a `SagaPlanError` naming the field).
   * With an `idempotencyKey` already used, returns the existing saga (`created: false`)
   * if it was started as the same saga with the same input (compared as JSON, key order aside; for a
   * composition, the same steps and params too), and throws `SagaIdempotencyConflictError` if not.
   * The saga's first step starts at once in this instance when it has capacity. Input and key that
   * cannot be stored (text PostgreSQL refuses, JSON deeper than 64 levels) are refused with
   * `SagaValidationError` before anything is written.
   */
  async start<TInput>(saga: Type<SagaDefinition<TInput>> | string | SagaComposition, input: TInput, options: StartSagaOptions = {}): Promise<SagaHandle> {
    const plan = typeof saga === 'object' && saga !== null ? this.composePlan(saga) : this.registry.get(saga).plan;
    const key = options.idempotencyKey ?? null;
    if (key !== null && (typeof key !== 'string' || key.length === 0 || key.length > 255)) {
      throw new SagaValidationError('idempotencyKey must be a non-empty string of at most 255 characters.', 'idempotencyKey', { sagaName: plan.name });
    }
    checkText(key, 'idempotencyKey', { sagaName: plan.name });
    const stored = toStorableJson(input, 'input', MAX_JSON_DEPTH);
    if (!stored.ok) {
      if (stored.reason === 'NOT_JSON') {
        throw new SagaInputError(`The input of saga "${plan.name}" cannot be stored as JSON: ${stored.message}`, { sagaName: plan.name });
      }
      throw new SagaValidationError(`The input of saga "${plan.name}" cannot be stored: ${stored.message}`, 'input', { sagaName: plan.name });
    }
    const storedInput = stored.value;
    let inserted: Awaited<ReturnType<SagaOrchestrator['create']>>;
    try {
      inserted = await this.orchestrator.create(plan, storedInput, key);
    } catch (error) {
      // Checked above, so the store refusing this one start means something in the input it knows and we do not.
      if ((error as { code?: unknown }).code === SAGA_ERROR_CODES.DATA_UNSTORABLE) {
        throw new SagaValidationError(`The input of saga "${plan.name}" cannot be stored: ${(error as Error).message}`, 'input', { sagaName: plan.name });
      }
      throw error;
    }
    const { saga: rec, created } = inserted;
    if (!created && key !== null && (rec.name !== plan.name || !sameJson(rec.input, storedInput))) {
      throw new SagaIdempotencyConflictError(key, rec, plan.name);
    }
    if (!created && key !== null && plan.origin === 'composed' && !samePlanSteps(rec.plan, plan)) {
      throw new SagaIdempotencyConflictError(key, rec, plan.name, 'steps');
    }
    return { sagaId: rec.id, created, result: (opts) => this.waitForSettled(rec.id, opts?.timeoutMs) };
  }

  /**
   * A builder of a saga composed from registered steps:
   * `sagas.compose('refund').step('process-payment', { refund: true }).step('notify').start(input)`.
   */
  compose<TInput = unknown>(name: string, options: SagaCompositionOptions = {}): SagaPlanBuilder<TInput> {
    return new SagaPlanBuilder<TInput>(name, options, this);
  }

  /**
   * The plan a composition would start with, or the typed error `start` would throw for it; writes
   * nothing (a dry run for APIs and forms).
   */
  planOf(composition: SagaComposition): SagaPlanView {
    return this.composePlan(composition);
  }

  /** Every registered step, with its policies and `requires`: what compositions are made of. */
  steps(): StepDefinitionView[] {
    return this.registry.stepViews();
  }

  private get planDefaults(): PlanDefaults {
    return { timeoutMs: this.options.defaultSagaTimeoutMs, deadlinePolicy: this.options.deadlinePolicy };
  }

  private composePlan(composition: SagaComposition): SagaPlan {
    return composePlan(composition, this.registry, this.planDefaults, { reservedNames: this.registry.all().map((d) => d.name) });
  }

  /** Detail of one saga, with its plan, steps and history. Throws `SagaNotFoundError`. */
  async get(sagaId: string): Promise<SagaDetail> {
    const rec = await this.store.get(sagaId);
    if (!rec) throw new SagaNotFoundError(sagaId);
    const events = await this.store.getEvents(sagaId);
    const plan = rec.plan ?? bindPlan(rec, this.registry, this.planDefaults).view;
    return toDetail(rec, events, plan, (step) => this.registry.findStep(step)?.hasCompensation ?? false);
  }

  /** Newest first, keyset-paged. */
  async list(query: SagaListQuery = {}): Promise<SagaPage<SagaSummary>> {
    const limit = query.limit ?? 50;
    for (const field of ['q', 'name', 'cursor'] as const) checkText(query[field] ?? null, field);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new SagaQueryError('limit must be an integer from 1 to 500.', 'limit');
    for (const status of query.status ?? []) {
      if (!isSagaStatus(status)) throw new SagaQueryError(`status "${status}" is not one of ${SAGA_STATUSES.join(', ')}.`, 'status');
    }
    const page = await this.store.list({ ...query, limit });
    return { items: page.items.map(toSummary), nextCursor: page.nextCursor };
  }

  /** Sagas currently reported stuck by the detector. */
  async stuck(limit = 100): Promise<SagaSummary[]> {
    return (await this.list({ stuck: true, limit })).items;
  }

  stats(): Promise<SagaStats> {
    return this.store.stats();
  }

  definitions(): SagaDefinitionView[] {
    return this.registry.views();
  }

  /**
   * The registered sagas, each with the definition versions its unfinished sagas run (newest first;
   * the registered version always listed): what a deployment that drops old steps must still serve.
   */
  async census(): Promise<SagaDefinitionCensus[]> {
    const rows = await this.store.runningVersions();
    return this.registry.views().map((def) => {
      const running = new Map<number, number>([[def.version, 0]]);
      for (const row of rows) if (row.name === def.name) running.set(row.version, (running.get(row.version) ?? 0) + row.running);
      const versions = [...running].map(([version, count]) => ({ version, running: count })).sort((a, b) => b.version - a.version);
      return { ...def, versions };
    });
  }

  /** True when the store answers. */
  async isDatabaseUp(): Promise<boolean> {
    try {
      await this.store.ping();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Step circuit breaker: pauses a registered step on every instance (each sees it within about one
   * poll interval, at most a second). A saga about to start the step waits `PAUSED` (`error.code`
   * `STEP_PAUSED`, history `SAGA_PAUSED` naming the pause) with no attempt used; an attempt already
   * in flight finishes. Compensations of the step are not held. Pausing a paused step changes
   * nothing; a resuming one is paused again. Throws `SagaStepNotRegisteredError`, `SagaValidationError`
   * (`reason` is required).
   */
  pauseStep(step: string, options: PauseStepOptions): Promise<StepPauseView> {
    return this.breaker.pause(step, options);
  }

  /**
   * Resumes a paused step: new sagas run it at once, and the sagas held at it are released at
   * `ratePerSec` in total across instances (all at once without it), each with a `SAGA_RESUMED`
   * event. Only sagas the breaker held are released; sagas an operator paused stay paused. Throws
   * `SagaStepNotPausedError` when the step is not paused.
   */
  resumeStep(step: string, options: ResumeStepOptions): Promise<StepPauseView> {
    return this.breaker.resume(step, options);
  }

  /** The paused (and still releasing) steps, with who paused them, why, and how many sagas wait at each. */
  pausedSteps(): Promise<StepPauseView[]> {
    return this.breaker.list();
  }

  /** Compensates what was done and ends `CANCELLED`. Allowed while `PENDING`, `RUNNING` or `PAUSED`. */
  cancel(sagaId: string, options: SagaActionOptions = {}): Promise<SagaDetail> {
    return this.act('cancel', sagaId, options);
  }

  /** Compensates what was done and ends `COMPENSATED`; also allowed on a `COMPLETED` saga. */
  compensate(sagaId: string, options: SagaActionOptions = {}): Promise<SagaDetail> {
    return this.act('compensate', sagaId, options);
  }

  /** `PAUSED`: run forward again from the failed step with fresh attempts. `FAILED`: retry the failed compensations. */
  retry(sagaId: string, options: SagaActionOptions = {}): Promise<SagaDetail> {
    return this.act('retry', sagaId, options);
  }

  /** Stops the saga after the attempt in flight; nothing runs until an operator acts. */
  pause(sagaId: string, options: SagaActionOptions = {}): Promise<SagaDetail> {
    return this.act('pause', sagaId, options);
  }

  /** Continues a `PAUSED` saga where it stopped. */
  resume(sagaId: string, options: SagaActionOptions = {}): Promise<SagaDetail> {
    return this.act('resume', sagaId, options);
  }

  /**
   * Marks a `COMPENSATION_FAILED` step as compensated by hand (the reason is required); the engine
   * then carries on with the compensations still due.
   */
  async resolveStep(sagaId: string, stepName: string, options: SagaActionOptions & { reason: string }): Promise<SagaDetail> {
    if (!options.reason || !options.reason.trim()) throw new SagaQueryError('A reason is required to resolve a step by hand.', 'reason');
    const rec = await this.store.get(sagaId);
    if (!rec) throw new SagaNotFoundError(sagaId);
    const step = rec.steps.find((s) => s.name === stepName);
    if (!step) throw new SagaStepNotFoundError(sagaId, rec.name, stepName);
    if (!canResolveStep(rec.status, step.status)) {
      throw new InvalidSagaTransitionError('resolve step of', rec.status, { sagaId, sagaName: rec.name, stepName }, `Only a COMPENSATION_FAILED step of a FAILED saga can be resolved; step "${stepName}" is ${step.status}.`);
    }
    return this.request(rec.name, sagaId, 'resolve', ['FAILED'], options, stepName);
  }

  private async act(action: SagaAction, sagaId: string, options: SagaActionOptions): Promise<SagaDetail> {
    const rec = await this.store.get(sagaId);
    if (!rec) throw new SagaNotFoundError(sagaId);
    if (!canPerform(action, rec.status)) throw new InvalidSagaTransitionError(action, rec.status, { sagaId, sagaName: rec.name });
    const allowed = SAGA_STATUSES.filter((s) => canPerform(action, s));
    return this.request(rec.name, sagaId, action, allowed, options, null);
  }

  private async request(
    sagaName: string,
    sagaId: string,
    action: SagaRequestAction,
    allowed: SagaStatus[],
    options: SagaActionOptions,
    step: string | null,
  ): Promise<SagaDetail> {
    checkText(options.reason ?? null, 'reason', { sagaId, sagaName });
    checkText(options.actor ?? null, 'actor', { sagaId, sagaName });
    if (options.actor && options.actor.length > MAX_ACTOR_LENGTH) {
      throw new SagaValidationError(`actor must be at most ${MAX_ACTOR_LENGTH} characters (the history stores it).`, 'actor', { sagaId, sagaName });
    }
    const request: SagaRequest = {
      action,
      step,
      actor: options.actor ?? 'system',
      reason: options.reason?.trim() || null,
      token: randomUUID(),
      at: new Date().toISOString(),
    };
    const eventType = REQUEST_EVENTS[action as keyof typeof REQUEST_EVENTS];
    const updated = await this.store.request(
      sagaId,
      request,
      allowed,
      eventType ? { type: eventType, step, actor: request.actor, reason: request.reason } : null,
    );
    if (!updated) {
      const now = await this.store.get(sagaId);
      if (!now) throw new SagaNotFoundError(sagaId);
      const waiting = now.request && (now.request.action !== action || now.request.step !== step) && allowed.includes(now.status) ? now.request : null;
      throw new InvalidSagaTransitionError(
        action,
        now.status,
        { sagaId, sagaName },
        waiting
          ? `A ${waiting.action} requested by ${waiting.actor ?? 'someone'} at ${waiting.at} is still being applied; try again once it is.`
          : undefined,
      );
    }
    // The same request already waited: the store returned that one and wrote nothing. Deliver it
    // (a no-op where it is known) so this call, like the first, returns once it is applied.
    await this.orchestrator.deliver(sagaId, updated.request ?? request);
    return this.get(sagaId);
  }

  private async waitForSettled(sagaId: string, timeoutMs?: number): Promise<SagaDetail> {
    const until = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      const rec = await this.store.get(sagaId);
      if (!rec) throw new SagaNotFoundError(sagaId);
      const local = this.orchestrator.isRunningLocally(sagaId);
      // Settled, unless an operator request waits on it (a resume or retry another instance stored).
      if (isSettled(rec.status) && !local && !rec.request) return this.get(sagaId);
      if (Date.now() > until) throw new Error(`Saga ${sagaId} did not settle within ${timeoutMs} ms (it is ${rec.status}).`);
      await this.orchestrator.waitForLocalChange(sagaId, local ? 5_000 : 200);
    }
  }
}
