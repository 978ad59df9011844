/** Server and network errors told in words an operator can act on. */
import { SAGA_ERROR_CODES } from '@nest-saga/contracts';
import { isApiError } from './api-client';

const HINTS: Partial<Record<string, string>> = {
  [SAGA_ERROR_CODES.INVALID_SAGA_TRANSITION]:
    'The saga is no longer in a status that allows this. It may have moved on since the page was loaded; the page now shows its current status.',
  [SAGA_ERROR_CODES.SAGA_NOT_FOUND]: 'There is no saga with this id. It may have been deleted, or the link is wrong.',
  [SAGA_ERROR_CODES.SAGA_STEP_NOT_FOUND]: 'This saga has no step by that name.',
  [SAGA_ERROR_CODES.SAGA_DEFINITION_NOT_FOUND]: 'No saga with this name is registered in the running app.',
  [SAGA_ERROR_CODES.SAGA_INPUT_INVALID]: 'The saga refused this input.',
  [SAGA_ERROR_CODES.VALIDATION_FAILED]: 'The request was not valid.',
  [SAGA_ERROR_CODES.UNAUTHORIZED]: 'The token was not accepted. Sign in again.',
  [SAGA_ERROR_CODES.FORBIDDEN]: 'Your role may only read. Ask for an operator token to act on sagas.',
  [SAGA_ERROR_CODES.PAYLOAD_TOO_LARGE]: 'The request is too large.',
  [SAGA_ERROR_CODES.DATABASE_UNAVAILABLE]: 'The database is unavailable right now. Try again in a moment.',
  [SAGA_ERROR_CODES.BULK_ACTION_TOO_LARGE]: 'Too many sagas for one bulk action. Narrow the filters, or act in several rounds.',
  [SAGA_ERROR_CODES.BULK_ACTION_NOT_FOUND]: 'There is no bulk action with this id. It may have been deleted by retention, or the link is wrong.',
  [SAGA_ERROR_CODES.BULK_ACTION_NOT_RUNNING]: 'The bulk action has already ended: there is nothing left to cancel.',
  NETWORK_ERROR: 'The API could not be reached. Check that the server is running and your connection.',
};

export interface DescribedError {
  /** One sentence that says what happened and what to do. */
  summary: string;
  /** The server's own message, when it adds something. */
  detail?: string;
  /** `409 INVALID_SAGA_TRANSITION`, for operators who report it. */
  reference?: string;
}

export function describeError(error: unknown): DescribedError {
  if (isApiError(error)) {
    const hint = HINTS[error.code];
    const reference = error.status ? `${error.status} ${error.code}` : error.code;
    const detail = error.field ? `${error.message} (field: ${error.field})` : error.message;
    if (hint) return { summary: hint, detail: detail !== hint ? detail : undefined, reference };
    if (error.status >= 500) return { summary: 'The server failed to handle this request.', detail, reference };
    return { summary: detail || 'The request failed.', reference };
  }
  if (error instanceof Error) return { summary: error.message || 'Something went wrong.' };
  return { summary: 'Something went wrong.' };
}
