/**
 * Value rules every store applies alike: which ids can be saga ids, and how an event is stored
 * (every field present, an absent one as null).
 */
import type { NewSagaEvent, SagaRecord } from './saga.records.js';
import type { NewSaga } from './saga.store.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Saga ids are UUIDs: anything else names no saga (and, in a search, is a key, not an id). */
export const isUuid = (value: string): boolean => UUID_RE.test(value);

/**
 * A JSON value as a jsonb column (or any store) gives it back: Dates as ISO text, no undefined,
 * null for none; a copy the caller's object no longer shares.
 */
export const storedJson = (value: unknown): any => (value === undefined || value === null ? null : JSON.parse(JSON.stringify(value)));

/** The event as the history keeps it: each field present, null when absent. */
export function storedEvent(e: NewSagaEvent): Required<NewSagaEvent> {
  return {
    type: e.type,
    step: e.step ?? null,
    attempt: e.attempt ?? null,
    actor: e.actor ?? null,
    reason: e.reason ?? null,
    error: e.error ?? null,
    data: e.data ?? null,
  };
}

/** What the store decides when it inserts a saga: ownership, times and fence. */
export type StartedFields = Pick<SagaRecord, 'ownerId' | 'leaseExpiresAt' | 'fence' | 'nextRunAt' | 'deadlineAt' | 'createdAt' | 'updatedAt'>;

/**
 * The record of a saga just inserted, alike in every store: the caller's values, the store's own
 * (`started`), and the input and plan as stored (JSON copies), so the saga sees the same values in
 * this process as after a restart.
 */
export function startedRecord(saga: NewSaga, started: StartedFields, steps: SagaRecord['steps']): SagaRecord {
  return {
    id: saga.id,
    name: saga.name,
    version: saga.version,
    status: saga.status,
    input: storedJson(saga.input),
    currentStep: 0,
    idempotencyKey: saga.idempotencyKey,
    ...started,
    deadlineHandledAt: null,
    compensationCause: null,
    request: null,
    error: null,
    steps,
    finishedAt: null,
    stuckSince: null,
    stuckReason: null,
    traceContext: saga.traceContext ?? null,
    plan: storedJson(saga.plan),
  };
}
