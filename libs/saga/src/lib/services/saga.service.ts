/**
 * The public face of the engine for app code and admin APIs: start sagas, read them, and act on
 * them as an operator. Actions are checked against the shared transition guards before they are
 * written, and again by the owner when it applies them.
 */
import { randomUUID } from 'node:crypto';
import type { SagaAction, SagaDetail, SagaDefinitionView, SagaPage, SagaStats, SagaStatus, SagaSummary } from '@nest-saga/contracts';
import { SAGA_STATUSES, canPerform, canResolveStep, isSagaStatus } from '@nest-saga/contracts';
import { Inject, Injectable, type Type } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { SagaRegistry } from '../discovery/saga.registry.js';
import { SagaOrchestrator } from '../engine/saga.orchestrator.js';
import { newStepStates } from '../engine/saga.runner.js';
import { toStoredJson } from '../engine/step-executor.js';
import {
  InvalidSagaTransitionError,
  SagaInputError,
  SagaNotFoundError,
  SagaQueryError,
  SagaStepNotFoundError,
} from '../errors/saga.errors.js';
import type { SagaActionOptions, SagaHandle, SagaLifecycleEvent, SagaListQuery, StartSagaOptions } from '../interfaces/saga-service.interface.js';
import type { SagaRequest, SagaRequestAction } from '../persistence/saga.records.js';
import { SagaStore, type NewSaga } from '../persistence/saga.store.js';
import type { NewSagaEvent } from '../persistence/saga.records.js';
import { SagaStartTrace } from '../tracing/saga-tracing.js';
import { SAGA_STORE } from '../saga.constants.js';
import type { SagaDefinition } from '../saga-definition.js';
import type { ResolvedSagaOptions } from '../saga-options.js';
import { SAGA_RESOLVED_OPTIONS } from '../saga.tokens.js';
import { toDetail, toSummary } from './saga-views.js';

const SETTLED = new Set<SagaStatus>(['COMPLETED', 'COMPENSATED', 'CANCELLED', 'FAILED', 'PAUSED']);
const REQUEST_EVENTS = { cancel: 'CANCEL_REQUESTED', compensate: 'COMPENSATE_REQUESTED', pause: 'PAUSE_REQUESTED' } as const;

@Injectable()
export class SagaService {
  constructor(
    @Inject(SAGA_STORE) private readonly store: SagaStore,
    private readonly registry: SagaRegistry,
    private readonly orchestrator: SagaOrchestrator,
    @Inject(SAGA_RESOLVED_OPTIONS) private readonly options: ResolvedSagaOptions,
  ) {}

  /** One notification per stored transition and attempt of the sagas this instance runs. */
  get events$(): Observable<SagaLifecycleEvent> {
    return this.orchestrator.events$.asObservable();
  }

  /**
   * Starts a saga. With an `idempotencyKey` already used, returns the existing saga (`created: false`).
   * The saga's first step starts at once in this instance when it has capacity.
   */
  async start<TInput>(saga: Type<SagaDefinition<TInput>> | string, input: TInput, options: StartSagaOptions = {}): Promise<SagaHandle> {
    const def = this.registry.get(saga);
    const key = options.idempotencyKey ?? null;
    if (key !== null && (typeof key !== 'string' || key.length === 0 || key.length > 255)) {
      throw new SagaInputError('idempotencyKey must be a non-empty string of at most 255 characters.', { sagaName: def.name });
    }
    let storedInput: unknown;
    try {
      storedInput = toStoredJson(input);
    } catch (error) {
      throw new SagaInputError(`The input of saga "${def.name}" cannot be stored as JSON: ${(error as Error).message}`, { sagaName: def.name });
    }
    const runHere = this.orchestrator.hasCapacity();
    const steps = newStepStates(def.steps);
    if (runHere) {
      steps[0].status = 'RUNNING';
      steps[0].attempts = 1;
      steps[0].startedAt = new Date().toISOString();
    }
    const { saga: rec, created } = await this.insertTraced(
      {
        id: randomUUID(),
        name: def.name,
        version: def.version,
        status: runHere ? 'RUNNING' : 'PENDING',
        input: storedInput,
        idempotencyKey: key,
        steps,
        deadlineMs: def.timeoutMs,
        ownerId: runHere ? this.options.instanceId : null,
        leaseMs: this.options.leaseMs,
      },
      [{ type: 'SAGA_STARTED', data: { version: def.version, instanceId: this.options.instanceId } }],
    );
    if (created) {
      this.orchestrator.events$.next({ type: 'SAGA_STARTED', sagaId: rec.id, sagaName: rec.name, status: rec.status, at: new Date() });
      if (runHere) this.orchestrator.adopt(rec, { freshlyStarted: true });
      else this.orchestrator.nudge();
    }
    return { sagaId: rec.id, created, result: (opts) => this.waitForSettled(rec.id, opts?.timeoutMs) };
  }

  /**
   * Inserts under a span of its own (child of the caller's active span, if any) whose context is
   * stored with the saga: every span of the saga, on any instance, descends from it.
   */
  private async insertTraced(saga: NewSaga, events: NewSagaEvent[]): ReturnType<SagaStore['insert']> {
    const span = new SagaStartTrace(saga.name);
    try {
      const inserted = await this.store.insert({ ...saga, traceContext: span.stored }, events);
      span.end({ sagaId: inserted.saga.id, created: inserted.created });
      return inserted;
    } catch (error) {
      span.end({ error });
      throw error;
    }
  }

  /** Detail of one saga, with steps and history. Throws `SagaNotFoundError`. */
  async get(sagaId: string): Promise<SagaDetail> {
    const rec = await this.store.get(sagaId);
    if (!rec) throw new SagaNotFoundError(sagaId);
    const events = await this.store.getEvents(sagaId);
    return toDetail(rec, events, this.registry.find(rec.name));
  }

  /** Newest first, keyset-paged. */
  async list(query: SagaListQuery = {}): Promise<SagaPage<SagaSummary>> {
    const limit = query.limit ?? 50;
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

  /** True when the store answers. */
  async isDatabaseUp(): Promise<boolean> {
    try {
      await this.store.ping();
      return true;
    } catch {
      return false;
    }
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
      const waiting = now.request && now.request.action !== action && allowed.includes(now.status) ? now.request : null;
      throw new InvalidSagaTransitionError(
        action,
        now.status,
        { sagaId, sagaName },
        waiting
          ? `A ${waiting.action} requested by ${waiting.actor ?? 'someone'} at ${waiting.at} is still being applied; try again once it is.`
          : undefined,
      );
    }
    await this.orchestrator.deliver(sagaId, request);
    return this.get(sagaId);
  }

  private async waitForSettled(sagaId: string, timeoutMs?: number): Promise<SagaDetail> {
    const until = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      const rec = await this.store.get(sagaId);
      if (!rec) throw new SagaNotFoundError(sagaId);
      const local = this.orchestrator.isRunningLocally(sagaId);
      if (SETTLED.has(rec.status) && !local) return this.get(sagaId);
      if (Date.now() > until) throw new Error(`Saga ${sagaId} did not settle within ${timeoutMs} ms (it is ${rec.status}).`);
      await this.orchestrator.waitForLocalChange(sagaId, local ? 5_000 : 200);
    }
  }
}
