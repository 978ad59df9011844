/**
 * Finds `@SagaStep` and `@Saga` providers at `onModuleInit` and fills the registry. Any wrong
 * registration throws here, so the app fails at bootstrap instead of at the first saga.
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import {
  DuplicateStepNameError,
  InvalidStepClassError,
  RequestScopedStepError,
  SagaConfigurationError,
  StepNotRegisteredError,
  TransactionalStepsUnsupportedError,
} from '../errors/saga.errors.js';
import { resolveRetryPolicy, validateTimeout } from '../retry/retry-policy.js';
import { planError } from '../plan/saga-plan.js';
import { STEP_EFFECTS, STEP_FAILURE_POLICIES, DEADLINE_POLICIES, findPlanProblems } from '@nest-saga/contracts';
import type { ResolvedSagaOptions } from '../saga-options.js';
import { SAGA_RESOLVED_OPTIONS } from '../saga.tokens.js';
import { SagaStore } from '../persistence/saga.store.js';
import { SagaMetadataAccessor } from './saga-metadata.accessor.js';
import { SagaRegistry, type RegisteredStep } from './saga.registry.js';
import type { SagaStepHandler } from '../interfaces/step.interface.js';

@Injectable()
export class SagaExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly accessor: SagaMetadataAccessor,
    private readonly registry: SagaRegistry,
    @Inject(SAGA_RESOLVED_OPTIONS) private readonly options: ResolvedSagaOptions,
    private readonly store: SagaStore,
  ) {}

  onModuleInit(): void {
    this.explore();
  }

  explore(): void {
    const providers = this.discovery.getProviders();
    const stepsByClass = new Map<Function, RegisteredStep>();
    const stepClassByName = new Map<string, string>();

    for (const wrapper of providers) {
      const type = this.classOf(wrapper);
      const meta = this.accessor.getStepMetadata(type);
      if (!meta || !type || stepsByClass.has(type)) continue;
      const className = type.name;
      if (!wrapper.isDependencyTreeStatic()) throw new RequestScopedStepError(meta.name, className);
      const previous = stepClassByName.get(meta.name);
      if (previous) throw new DuplicateStepNameError(meta.name, previous, className);
      stepClassByName.set(meta.name, className);
      const step = this.toRegisteredStep(meta, className, wrapper.instance as SagaStepHandler<unknown, unknown>);
      stepsByClass.set(type, step);
      this.registry.addStep(step);
    }

    for (const wrapper of providers) {
      const type = this.classOf(wrapper);
      const meta = this.accessor.getSagaMetadata(type);
      if (!meta || !type) continue;
      if (this.registry.find(meta.name)?.className === type.name) continue;
      if (!wrapper.isDependencyTreeStatic()) throw new RequestScopedStepError(meta.name, type.name);
      if (!Array.isArray(meta.steps) || meta.steps.length === 0) {
        throw new SagaConfigurationError(`Saga "${meta.name}" (${type.name}) has no steps. List its step classes in @Saga('${meta.name}', { steps: [...] }).`, {
          sagaName: meta.name,
        });
      }
      const where = `Saga "${meta.name}"`;
      validateTimeout(where, 'timeoutMs', meta.timeoutMs);
      if (meta.deadlinePolicy && !DEADLINE_POLICIES.includes(meta.deadlinePolicy)) {
        throw new SagaConfigurationError(`${where}: deadlinePolicy must be one of ${DEADLINE_POLICIES.join(', ')}.`, { sagaName: meta.name });
      }
      const steps = meta.steps.map((stepClass) => {
        const step = stepClass ? stepsByClass.get(stepClass) : undefined;
        if (step) return step;
        const name = stepClass?.name ?? String(stepClass);
        throw new StepNotRegisteredError(meta.name, name, this.accessor.getStepMetadata(stepClass) ? 'not-a-provider' : 'not-decorated');
      });
      const seen = new Set<string>();
      for (const s of steps) {
        if (seen.has(s.name)) {
          throw new SagaConfigurationError(`Saga "${meta.name}" lists step "${s.name}" twice. A step may appear once per saga.`, { sagaName: meta.name });
        }
        seen.add(s.name);
      }
      // A step reading an output no earlier step makes would fail at run time, every attempt.
      const requirement = findPlanProblems({ name: meta.name, steps: steps.map((st) => ({ step: st.name })) }, steps).find(
        (p) => p.code === 'PLAN_REQUIREMENT_MISSING',
      );
      if (requirement) {
        throw planError(
          { ...requirement, message: `${requirement.message} Reorder the steps of @Saga('${meta.name}') (${type.name}), or add "${requirement.missing}" to them.` },
          meta.name,
        );
      }
      this.registry.addSaga(
        {
          name: meta.name,
          version: meta.version ?? 1,
          className: type.name,
          timeoutMs: meta.timeoutMs ?? this.options.defaultSagaTimeoutMs,
          deadlinePolicy: meta.deadlinePolicy ?? this.options.deadlinePolicy,
          steps,
        },
        type as any,
      );
    }
  }

  /** The class behind a provider, including `useClass`, `useValue` and `useFactory` ones (by instance). */
  private classOf(wrapper: InstanceWrapper): Function | undefined {
    const { instance, metatype } = wrapper;
    if (instance && typeof instance === 'object' && instance.constructor && instance.constructor !== Object) {
      if (this.accessor.getStepMetadata(instance.constructor) || this.accessor.getSagaMetadata(instance.constructor)) return instance.constructor;
    }
    if (!metatype || wrapper.inject) return undefined;
    return metatype as Function;
  }

  private toRegisteredStep(meta: { name: string } & Record<string, any>, className: string, handler: SagaStepHandler<unknown, unknown>): RegisteredStep {
    const where = `Step "${meta.name}" (${className})`;
    if (!meta.name || typeof meta.name !== 'string') throw new InvalidStepClassError(String(meta.name), className, 'has no name. Use @SagaStep("step-name").');
    if (!handler || typeof handler.execute !== 'function') {
      throw new InvalidStepClassError(meta.name, className, 'has no execute() method. Implement SagaStepHandler: execute(input, ctx) and optionally compensate(input, output, ctx).');
    }
    if (handler.compensate !== undefined && typeof handler.compensate !== 'function') {
      throw new InvalidStepClassError(meta.name, className, 'has a "compensate" property that is not a method. Make compensate a method or remove it.');
    }
    validateTimeout(where, 'timeoutMs', meta.timeoutMs);
    validateTimeout(where, 'compensationTimeoutMs', meta.compensationTimeoutMs);
    if (meta.onFailure && !STEP_FAILURE_POLICIES.includes(meta.onFailure)) {
      throw new InvalidStepClassError(meta.name, className, `has onFailure "${meta.onFailure}"; use one of ${STEP_FAILURE_POLICIES.join(', ')}.`);
    }
    if (meta.effects !== undefined && !STEP_EFFECTS.includes(meta.effects)) {
      throw new InvalidStepClassError(meta.name, className, `has effects ${JSON.stringify(meta.effects)}; use 'external' (the default) or 'none'.`);
    }
    if (meta.effects === 'none' && meta.transactional === true) {
      throw new InvalidStepClassError(meta.name, className, "has effects 'none' and transactional: true; a step that writes in a transaction has an effect, so drop effects: 'none'.");
    }
    if (meta.transactional !== undefined && typeof meta.transactional !== 'boolean') {
      throw new InvalidStepClassError(meta.name, className, `has transactional ${JSON.stringify(meta.transactional)}; use true or false.`);
    }
    if (meta.transactional === true && !this.store.supportsStepTransactions()) {
      throw new TransactionalStepsUnsupportedError(meta.name, className, this.store.constructor.name);
    }
    const requires: unknown = meta.requires ?? [];
    if (!Array.isArray(requires) || requires.some((r) => typeof r !== 'string' || !r || r === meta.name)) {
      throw new InvalidStepClassError(
        meta.name,
        className,
        `has requires ${JSON.stringify(requires)}; give the names of the other steps whose outputs it reads, e.g. requires: ['reserve-inventory'].`,
      );
    }
    const retry = resolveRetryPolicy(where, this.options.defaultRetry, meta.retry);
    const timeoutMs = meta.timeoutMs ?? this.options.defaultStepTimeoutMs;
    return {
      name: meta.name,
      className,
      handler,
      hasCompensation: typeof handler.compensate === 'function',
      timeoutMs,
      retry,
      compensationTimeoutMs: meta.compensationTimeoutMs ?? timeoutMs,
      compensationRetry: meta.compensationRetry ? resolveRetryPolicy(`${where} compensation`, retry, meta.compensationRetry) : retry,
      onFailure: meta.onFailure ?? 'compensate',
      requires: [...new Set(requires as string[])],
      transactional: meta.transactional === true,
      noEffects: meta.effects === 'none',
    };
  }
}
