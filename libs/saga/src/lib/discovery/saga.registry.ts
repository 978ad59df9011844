/**
 * Immutable lookup of the sagas and steps found at bootstrap (or defined in code from registered
 * steps). The engine reads definitions only from here.
 */
import type { DeadlinePolicy, SagaDefinitionView, StepFailurePolicy } from '@nest-saga/contracts';
import { Injectable, type Type } from '@nestjs/common';
import { SagaConfigurationError, SagaDefinitionNotFoundError, DuplicateSagaNameError } from '../errors/saga.errors.js';
import type { ResolvedRetryPolicy } from '../interfaces/retry-policy.interface.js';
import type { SagaStepHandler } from '../interfaces/step.interface.js';
import { toRetryPolicyView } from '../engine/retry-policy.js';

export interface RegisteredStep {
  name: string;
  className: string;
  handler: SagaStepHandler<unknown, unknown>;
  hasCompensation: boolean;
  timeoutMs: number;
  retry: ResolvedRetryPolicy;
  compensationTimeoutMs: number;
  compensationRetry: ResolvedRetryPolicy;
  onFailure: StepFailurePolicy;
}

export interface RegisteredSaga {
  name: string;
  version: number;
  className: string;
  timeoutMs: number | null;
  deadlinePolicy: DeadlinePolicy;
  steps: RegisteredStep[];
}

@Injectable()
export class SagaRegistry {
  private readonly sagas = new Map<string, RegisteredSaga>();
  private readonly byClass = new Map<Function, RegisteredSaga>();
  private readonly steps = new Map<string, RegisteredStep>();

  /** @internal called by the explorer at bootstrap. */
  addStep(step: RegisteredStep): void {
    this.steps.set(step.name, step);
  }

  /** @internal */
  addSaga(saga: RegisteredSaga, type?: Type<unknown>): void {
    const existing = this.sagas.get(saga.name);
    if (existing) throw new DuplicateSagaNameError(saga.name, existing.className, saga.className);
    this.sagas.set(saga.name, Object.freeze({ ...saga, steps: Object.freeze([...saga.steps]) as RegisteredStep[] }));
    if (type) this.byClass.set(type, this.sagas.get(saga.name)!);
  }

  /**
   * Defines a saga in code from steps registered with `@SagaStep`, by name.
   * @example registry.define('refund', ['process-payment', 'create-shipment'], { timeoutMs: 60_000 })
   */
  define(name: string, stepNames: string[], options: { timeoutMs?: number; deadlinePolicy?: DeadlinePolicy; version?: number } = {}): void {
    const steps = stepNames.map((stepName) => {
      const step = this.steps.get(stepName);
      if (!step) throw new SagaConfigurationError(`Saga "${name}" uses step "${stepName}", which is not registered. Register a @SagaStep('${stepName}') provider.`);
      return step;
    });
    if (!steps.length) throw new SagaConfigurationError(`Saga "${name}" has no steps. List at least one step.`);
    this.addSaga({
      name,
      version: options.version ?? 1,
      className: `defined("${name}")`,
      timeoutMs: options.timeoutMs ?? null,
      deadlinePolicy: options.deadlinePolicy ?? 'compensate',
      steps,
    });
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
      steps: saga.steps.map((s) => ({
        name: s.name,
        hasCompensation: s.hasCompensation,
        timeoutMs: s.timeoutMs,
        retry: toRetryPolicyView(s.retry),
        compensationTimeoutMs: s.compensationTimeoutMs,
        compensationRetry: toRetryPolicyView(s.compensationRetry),
        onFailure: s.onFailure,
      })),
    }));
  }
}
