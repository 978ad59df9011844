/**
 * A small builder over `SagaService.start(composition, input)`: the `create_saga` + `add_step` +
 * `execute_saga` of classic saga coordinators, durable because the plan is stored with the saga.
 */
import type { PlanStepRequest, SagaPlanView } from '@nest-saga/contracts';
import type { SagaComposition, SagaCompositionOptions } from '../interfaces/saga-plan.interface.js';
import type { SagaHandle, StartSagaOptions } from '../interfaces/saga-service.interface.js';

/** What the builder needs of `SagaService`. */
export interface SagaCompositionRunner {
  start(composition: SagaComposition, input: unknown, options?: StartSagaOptions): Promise<SagaHandle>;
  planOf(composition: SagaComposition): SagaPlanView;
}

/**
 * Made by `sagas.compose(name, options)`:
 *
 * ```ts
 * const handle = await sagas
 *   .compose<RefundInput>('refund-order', { timeoutMs: 60_000 })
 *   .step('cancel-shipment')
 *   .step('refund-payment', { reason: 'damaged' })   // ctx.params of that step
 *   .start(input, { idempotencyKey: `refund:${input.orderId}` });
 * ```
 *
 * Nothing is checked or written until `check()` or `start()`; both throw the typed errors of
 * `SagaService.start` for a composition that cannot run.
 */
export class SagaPlanBuilder<TInput = unknown> {
  private readonly entries: PlanStepRequest[] = [];

  constructor(
    private readonly name: string,
    private readonly options: SagaCompositionOptions,
    private readonly runner: SagaCompositionRunner,
  ) {}

  /** Appends a registered step (its `@SagaStep` name); `params` become its `ctx.params`. */
  step(step: string, params?: Record<string, unknown>): this {
    this.entries.push(params === undefined ? { step } : { step, params });
    return this;
  }

  /** The composition as plain data, e.g. to start it later with `sagas.start(composition, input)`. */
  build(): SagaComposition {
    return { ...this.options, name: this.name, steps: this.entries.map((e) => ({ ...e })) };
  }

  /** The plan `start` would store, or the typed error it would throw; writes nothing. */
  check(): SagaPlanView {
    return this.runner.planOf(this.build());
  }

  /** Starts a saga of this composition (see `SagaService.start`). */
  start(input: TInput, options?: StartSagaOptions): Promise<SagaHandle> {
    return this.runner.start(this.build(), input, options);
  }
}
