import type { DeadlinePolicy, PlanStepRequest } from '@nest-saga/contracts';

/** Saga-level settings of a saga composed at run time. */
export interface SagaCompositionOptions {
  /**
   * Deadline of each saga of the composition, from its start.
   * @default module `defaultSagaTimeoutMs` (none)
   */
  timeoutMs?: number;
  /** What happens when the deadline passes. @default module `deadlinePolicy` ('compensate') */
  deadlinePolicy?: DeadlinePolicy;
  /**
   * Version stored with each saga (shown in its detail, counted in the definitions' census).
   * @default 1
   */
  version?: number;
}

/**
 * A saga composed at run time from registered steps (`sagas.start(composition, input)`): the
 * classic `create_saga` + `add_step`. Its plan is stored with each saga, so a saga started from it
 * survives restarts and deployments with no definition to register again.
 */
export interface SagaComposition extends SagaCompositionOptions {
  /**
   * Name of the saga, stored with each saga (lists, stats, the admin API's input validators).
   * Non-empty, at most 200 characters, and not the name of a registered saga.
   */
  name: string;
  /**
   * Registered steps (`@SagaStep` names) in execution order, each at most once, each after the
   * steps it `requires`. `params` is the step's `ctx.params` (a JSON object; `{}` when omitted).
   */
  steps: PlanStepRequest[];
}
