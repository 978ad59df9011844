/**
 * Value rules every store applies alike: which ids can be saga ids, and how an event is stored
 * (every field present, an absent one as null).
 */
import type { NewSagaEvent } from './saga.records.js';

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
