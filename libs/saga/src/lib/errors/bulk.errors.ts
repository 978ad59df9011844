/** Errors of bulk actions; like every library error, a SagaError with a stable code. */
import { SAGA_ERROR_CODES } from '@nest-saga/contracts';
import { SagaError } from './saga.errors.js';

export class SagaBulkActionNotFoundError extends SagaError {
  constructor(readonly bulkActionId: string) {
    super(SAGA_ERROR_CODES.BULK_ACTION_NOT_FOUND, `Bulk action ${bulkActionId} does not exist (retention deletes finished ones after a while).`);
  }
}

export class SagaBulkActionNotRunningError extends SagaError {
  constructor(
    readonly bulkActionId: string,
    readonly status: string,
  ) {
    super(SAGA_ERROR_CODES.BULK_ACTION_NOT_RUNNING, `Bulk action ${bulkActionId} is already ${status}; only a RUNNING one can be cancelled.`);
  }
}

/** The filter matches more sagas than one bulk action may take. */
export class SagaBulkActionTooLargeError extends SagaError {
  readonly field = 'filter';
  constructor(
    readonly matched: number,
    readonly maxSagas: number,
  ) {
    super(
      SAGA_ERROR_CODES.BULK_ACTION_TOO_LARGE,
      `The filter matches ${matched >= maxSagas + 1 ? `more than ${maxSagas}` : matched} sagas the action applies to; one bulk action takes at most ${maxSagas}. Narrow the filter (by status, name or key prefix) and run several.`,
    );
  }
}
