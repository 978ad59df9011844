/**
 * Lookup of the steps and sagas found at bootstrap (or defined in code from registered steps).
 * New sagas copy their plan from a definition here; running sagas need only the steps (by name)
 * that their stored plan lists.
 */
import type { PlanStepRequest, SagaDefinitionView, StepDefinitionView } from '@nest-saga/contracts';
import { Inject, Injectable, Optional, type Type } from '@nestjs/common';
import { SagaDefinitionNotFoundError, DuplicateSagaNameError } from '../errors/saga.errors.js';
import type { SagaCompositionOptions } from '../interfaces/saga-plan.interface.js';
import { toRetryPolicyView } from '../retry/retry-policy.js';
import { composePlan, definitionPlan, type PlanLookup, type SagaPlan } from '../plan/saga-plan.js';
import type { RegisteredSaga, RegisteredStep } from '../plan/registered.js';
import type { ResolvedSagaOptions } from '../saga-options.js';
import { SAGA_RESOLVED_OPTIONS } from '../saga.tokens.js';

export type { RegisteredSaga, RegisteredStep } from '../plan/registered.js';

@Injectable()
export class SagaRegistry implements PlanLookup {
  private readonly sagas = new Map<string, RegisteredSaga>();
  private readonly byClass = new Map<Function, RegisteredSaga>();
  private readonly steps = new Map<string, RegisteredStep>();

  constructor(@Optional() @Inject(SAGA_RESOLVED_OPTIONS) private readonly options?: ResolvedSagaOptions) {}

  /** @internal called by the explorer at bootstrap. */
  addStep(step: RegisteredStep): void {
    this.steps.set(step.name, step);
  }

  /** @internal */
  addSaga(saga: Omit<RegisteredSaga, 'plan'> & { plan?: SagaPlan }, type?: Type<unknown>): RegisteredSaga {
    const existing = this.sagas.get(saga.name);
    if (existing) throw new DuplicateSagaNameError(saga.name, existing.className, saga.className);
    const plan = deepFreeze(saga.plan ?? definitionPlan(saga));
    const registered: RegisteredSaga = Object.freeze({ ...saga, steps: Object.freeze([...saga.steps]) as RegisteredStep[], plan });
    this.sagas.set(saga.name, registered);
    if (type) this.byClass.set(type, registered);
    return registered;
  }

  /**
   * Registers a named saga made in code from steps registered with `@SagaStep` (by name, with
   * optional params), so that `sagas.start(name, input)` starts it. Checked like a composition:
   * typed errors for an empty name, no steps, an unknown or repeated step, a requirement out of
   * order (`PLAN_*` codes); a taken name is a `DuplicateSagaNameError`. Only starting needs it: each
   * saga stores its plan, so sagas in flight run on after a restart whether or not it is defined
   * again. For one-off sagas, `sagas.start({ name, steps }, input)` needs no definition at all.
   * @example registry.define('refund', ['process-payment', { step: 'notify', params: { channel: 'sms' } }], { timeoutMs: 60_000 })
   */
  define(name: string, steps: (string | PlanStepRequest)[], options: SagaCompositionOptions = {}): RegisteredSaga {
    const defaults = { timeoutMs: this.options?.defaultSagaTimeoutMs ?? null, deadlinePolicy: this.options?.deadlinePolicy ?? 'compensate' };
    const entries = Array.isArray(steps) ? steps.map((s) => (typeof s === 'string' ? { step: s } : s)) : steps;
    const plan = composePlan({ ...options, name, steps: entries }, this, defaults, { origin: 'definition' });
    return this.addSaga({
      name: plan.name,
      version: plan.version,
      className: `defined("${plan.name}")`,
      timeoutMs: plan.timeoutMs,
      deadlinePolicy: plan.deadlinePolicy,
      steps: plan.steps.map((s) => this.steps.get(s.step)!),
      plan,
    });
  }

  /** A registered step by name. */
  findStep(name: string): RegisteredStep | undefined {
    return this.steps.get(name);
  }

  /** Every registered step, by name. */
  allSteps(): RegisteredStep[] {
    return [...this.steps.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The step catalog: every registered step with its policies and requirements, by name. */
  stepViews(): StepDefinitionView[] {
    return this.allSteps().map(stepView);
  }

  get(nameOrClass: string | Function): RegisteredSaga {
    const saga = typeof nameOrClass === 'string' ? this.sagas.get(nameOrClass) : this.byClass.get(nameOrClass);
    if (!saga) {
      const label = typeof nameOrClass === 'string' ? nameOrClass : `class ${nameOrClass.name}`;
      throw new SagaDefinitionNotFoundError(label, [...this.sagas.keys()]);
    }
    return saga;
  }

  find(name: string): RegisteredSaga | undefined {
    return this.sagas.get(name);
  }

  all(): RegisteredSaga[] {
    return [...this.sagas.values()];
  }

  views(): SagaDefinitionView[] {
    return this.all().map((saga) => ({
      name: saga.name,
      version: saga.version,
      timeoutMs: saga.timeoutMs,
      deadlinePolicy: saga.deadlinePolicy,
      steps: saga.steps.map(stepView),
    }));
  }
}

function stepView(s: RegisteredStep): StepDefinitionView {
  return {
    name: s.name,
    requires: [...s.requires],
    hasCompensation: s.hasCompensation,
    timeoutMs: s.timeoutMs,
    retry: toRetryPolicyView(s.retry),
    compensationTimeoutMs: s.compensationTimeoutMs,
    compensationRetry: toRetryPolicyView(s.compensationRetry),
    onFailure: s.onFailure,
    effects: s.noEffects ? 'none' : 'external',
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
