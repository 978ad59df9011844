/** Errors of the step circuit breaker; like every library error, a SagaError with a stable code. */
import { SAGA_ERROR_CODES } from '@nest-saga/contracts';
import { SagaError } from './saga.errors.js';

/** Pause or resume of a step this instance does not register. */
export class SagaStepNotRegisteredError extends SagaError {
  readonly field = 'step';
  constructor(step: string) {
    super(SAGA_ERROR_CODES.STEP_NOT_REGISTERED, `No step "${step}" is registered (see GET /api/saga-steps).`, { stepName: step });
  }
}

/** Resume of a step that is not paused. */
export class SagaStepNotPausedError extends SagaError {
  constructor(
    step: string,
    readonly status: 'RESUMING' | null,
  ) {
    super(
      SAGA_ERROR_CODES.STEP_NOT_PAUSED,
      status === 'RESUMING' ? `Step "${step}" is already resuming; pause it again first to change the ramp.` : `Step "${step}" is not paused.`,
      { stepName: step },
    );
  }
}
