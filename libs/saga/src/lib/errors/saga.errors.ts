/**
 * Every error the library throws is a SagaError with a stable `code` and the ids that locate it.
 * The library never throws HTTP exceptions: apps map codes to statuses in one place.
 */
import { SAGA_ERROR_CODES, type SagaStatus } from '@nest-saga/contracts';

export interface SagaErrorContext {
  sagaId?: string;
  sagaName?: string;
  stepName?: string;
  attempt?: number;
}

export class SagaError extends Error {
  readonly sagaId?: string;
  readonly sagaName?: string;
  readonly stepName?: string;
  readonly attempt?: number;

  constructor(
    readonly code: string,
    message: string,
    context: SagaErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.sagaId = context.sagaId;
    this.sagaName = context.sagaName;
    this.stepName = context.stepName;
    this.attempt = context.attempt;
  }
}

export class SagaNotFoundError extends SagaError {
  constructor(sagaId: string) {
    super(SAGA_ERROR_CODES.SAGA_NOT_FOUND, `Saga ${sagaId} does not exist.`, { sagaId });
  }
}

export class SagaDefinitionNotFoundError extends SagaError {
  constructor(sagaName: string, known: string[]) {
    super(
      SAGA_ERROR_CODES.SAGA_DEFINITION_NOT_FOUND,
      `No saga named "${sagaName}" is registered. Known sagas: ${known.length ? known.map((n) => `"${n}"`).join(', ') : 'none'}.`,
      { sagaName },
    );
  }
}

export class SagaStepNotFoundError extends SagaError {
  constructor(sagaId: string, sagaName: string, stepName: string) {
    super(SAGA_ERROR_CODES.SAGA_STEP_NOT_FOUND, `Saga "${sagaName}" (id=${sagaId}) has no step "${stepName}".`, {
      sagaId,
      sagaName,
      stepName,
    });
  }
}

export class InvalidSagaTransitionError extends SagaError {
  constructor(
    readonly action: string,
    readonly status: SagaStatus,
    context: SagaErrorContext,
    detail?: string,
  ) {
    super(
      SAGA_ERROR_CODES.INVALID_SAGA_TRANSITION,
      `Cannot ${action} saga ${context.sagaName ? `"${context.sagaName}" ` : ''}(id=${context.sagaId}) while it is ${status}.${detail ? ` ${detail}` : ''}`,
      context,
    );
  }
}

/** The input given to `start` is not acceptable (not JSON-serialisable, for instance). */
export class SagaInputError extends SagaError {
  constructor(message: string, context: SagaErrorContext = {}) {
    super(SAGA_ERROR_CODES.SAGA_INPUT_INVALID, message, context);
  }
}

/** A saga or step is registered wrongly; thrown at bootstrap so the app does not start. */
export class SagaConfigurationError extends SagaError {
  constructor(message: string, context: SagaErrorContext = {}) {
    super(SAGA_ERROR_CODES.SAGA_CONFIGURATION_ERROR, message, context);
  }
}

export class DuplicateSagaNameError extends SagaConfigurationError {
  constructor(sagaName: string, first: string, second: string) {
    super(
      `Saga name "${sagaName}" is used by both ${first} and ${second}. Saga names are stored with every instance and must be unique: rename one of them.`,
      { sagaName },
    );
  }
}

export class DuplicateStepNameError extends SagaConfigurationError {
  constructor(stepName: string, first: string, second: string) {
    super(
      `Step name "${stepName}" is used by both ${first} and ${second}. Step names are stored with every instance and must be unique: rename one of them.`,
      { stepName },
    );
  }
}

export class StepNotRegisteredError extends SagaConfigurationError {
  constructor(sagaName: string, stepClass: string, reason: 'not-a-provider' | 'not-decorated') {
    super(
      reason === 'not-a-provider'
        ? `Saga "${sagaName}" lists step ${stepClass}, which is not a provider of any module. Add ${stepClass} to the "providers" of a module the app imports.`
        : `Saga "${sagaName}" lists ${stepClass}, which has no @SagaStep() decorator. Decorate it with @SagaStep('step-name').`,
      { sagaName },
    );
  }
}

export class InvalidStepClassError extends SagaConfigurationError {
  constructor(stepName: string, className: string, detail: string) {
    super(`Step "${stepName}" (${className}) ${detail}`, { stepName });
  }
}

export class RequestScopedStepError extends SagaConfigurationError {
  constructor(name: string, className: string) {
    super(
      `"${name}" (${className}) is request- or transient-scoped. Sagas run outside any request: make it a singleton (remove "scope" from @Injectable()) and inject request data through the saga input.`,
      { stepName: name },
    );
  }
}

/**
 * A step is registered with `transactional: true`, but the saga store cannot run a step in a database
 * transaction that also writes its checkpoint (only the TypeORM PostgreSQL store can).
 */
export class TransactionalStepsUnsupportedError extends SagaConfigurationError {
  constructor(stepName: string, className: string, storeName: string) {
    super(
      `Step "${stepName}" (${className}) is transactional, but the saga store (${storeName}) cannot run a step in a transaction with its checkpoint. Use the TypeORM store on PostgreSQL (SagaModule.forRoot() with TypeOrmModule), or remove "transactional: true" from @SagaStep('${stepName}') and make the step idempotent by ctx.idempotencyKey.`,
      { stepName },
    );
  }
}

/** Throw from `execute` or `compensate` to fail the attempt with no retry. */
export class NonRetryableStepError extends Error {
  readonly code: string = 'NON_RETRYABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableStepError';
  }
}

/**
 * A request field is malformed or holds a value that cannot be stored; `field` names it (`input`,
 * `idempotencyKey`, `reason`, `q`, ...) so an API can answer 400 pointing at it.
 */
export class SagaValidationError extends SagaError {
  constructor(
    message: string,
    readonly field: string,
    context: SagaErrorContext = {},
  ) {
    super(SAGA_ERROR_CODES.VALIDATION_FAILED, message, context);
  }
}

/** A query (list filter, cursor) is malformed. */
export class SagaQueryError extends SagaValidationError {
  constructor(message: string, field: string) {
    super(message, field);
  }
}

/**
 * `start` with an idempotency key that already belongs to a saga started with another input (or as
 * another saga). `sagaId` is the existing saga. Starting again with the same input is not an error:
 * it returns that saga.
 */
export class SagaIdempotencyConflictError extends SagaError {
  constructor(
    readonly idempotencyKey: string,
    existing: { id: string; name: string },
    requestedName: string,
    /** What differs when the name is the same: the input, or (for a composition) its steps. */
    what: 'input' | 'steps' = 'input',
  ) {
    const differs = existing.name !== requestedName ? `as saga "${existing.name}", not "${requestedName}"` : what === 'steps' ? 'other steps or params' : 'a different input';
    super(
      SAGA_ERROR_CODES.IDEMPOTENCY_KEY_CONFLICT,
      `Idempotency key "${idempotencyKey}" is already used by saga "${existing.name}" (id=${existing.id}), started with ${differs}. ` +
        `Send the same ${what === 'steps' ? 'steps and input' : 'input'} to get that saga back, or use a new key to start a new saga.`,
      { sagaId: existing.id, sagaName: existing.name },
    );
  }
}

/**
 * The store refused a value for good (on PostgreSQL a data exception, SQLSTATE class 22, or a program
 * limit, class 54): writing the same data again cannot succeed, so it must not be retried.
 */
export class SagaUnstorableDataError extends SagaError {
  constructor(
    message: string,
    /** The database's own error code, when it gave one (`22P05`, ...). */
    readonly sqlState: string | null,
    context: SagaErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(SAGA_ERROR_CODES.DATA_UNSTORABLE, message, context, options);
  }
}

/**
 * A saga's plan cannot run: thrown by `start` for a composition, by `SagaRegistry.define`, and at
 * bootstrap for a decorated saga whose steps' `requires` are out of order. `field` names the part
 * at fault (`name`, `steps`, `steps[2].step`) so an API can answer 400 (404 for an unknown step)
 * pointing at it.
 */
export class SagaPlanError extends SagaError {
  constructor(
    code: string,
    message: string,
    readonly field: string,
    context: SagaErrorContext = {},
  ) {
    super(code, message, context);
  }
}

/** `PLAN_NAME_INVALID`: the composed saga's name is empty, too long, or that of a registered saga. */
export class InvalidPlanNameError extends SagaPlanError {
  constructor(message: string, field: string, context: SagaErrorContext = {}) {
    super(SAGA_ERROR_CODES.PLAN_NAME_INVALID, message, field, context);
  }
}

/** `PLAN_EMPTY`: the composition lists no steps. */
export class EmptyPlanError extends SagaPlanError {
  constructor(message: string, field: string, context: SagaErrorContext = {}) {
    super(SAGA_ERROR_CODES.PLAN_EMPTY, message, field, context);
  }
}

/** `PLAN_STEP_NOT_REGISTERED`: the composition lists a step no `@SagaStep` provider registers. */
export class PlanStepNotRegisteredError extends SagaPlanError {
  constructor(message: string, field: string, context: SagaErrorContext = {}) {
    super(SAGA_ERROR_CODES.PLAN_STEP_NOT_REGISTERED, message, field, context);
  }
}

/** `PLAN_STEP_DUPLICATE`: the composition lists a step twice. */
export class DuplicatePlanStepError extends SagaPlanError {
  constructor(message: string, field: string, context: SagaErrorContext = {}) {
    super(SAGA_ERROR_CODES.PLAN_STEP_DUPLICATE, message, field, context);
  }
}

/** `PLAN_REQUIREMENT_MISSING`: a step's `requires` are not earlier in the plan. */
export class MissingStepRequirementError extends SagaPlanError {
  constructor(message: string, field: string, context: SagaErrorContext = {}) {
    super(SAGA_ERROR_CODES.PLAN_REQUIREMENT_MISSING, message, field, context);
  }
}
