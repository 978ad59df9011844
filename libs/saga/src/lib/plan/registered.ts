/**
 * What discovery registers, as plans use it: each step with its handler and effective policies, and
 * each saga definition with the plan its new sagas copy.
 */
import type { DeadlinePolicy, StepFailurePolicy } from '@nest-saga/contracts';
import type { ResolvedRetryPolicy } from '../interfaces/retry-policy.interface.js';
import type { SagaStepHandler } from '../interfaces/step.interface.js';
import type { SagaPlan } from './saga-plan.js';

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
  /** Steps whose outputs this one reads; they must come earlier in every plan. */
  requires: string[];
  /** Runs in a transaction with its checkpoint (`ctx.manager`). */
  transactional?: boolean;
  /** Has no effect outside the process: the checkpoint that would start it rides with its own. */
  noEffects?: boolean;
}

export interface RegisteredSaga {
  name: string;
  version: number;
  className: string;
  timeoutMs: number | null;
  deadlinePolicy: DeadlinePolicy;
  steps: RegisteredStep[];
  /** What each saga started from this definition stores and runs to its end. */
  plan: SagaPlan;
}
