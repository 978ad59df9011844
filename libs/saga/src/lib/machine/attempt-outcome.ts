/**
 * What one attempt of a step (or of its compensation) came to, as the state machine consumes it.
 * Produced by the engine's step executor; no I/O here.
 */
import type { ErrorView } from '@nest-saga/contracts';

export type AttemptOutcome =
  | { ok: true; output: unknown; durationMs: number; startedAt: Date; finishedAt: Date }
  | {
      ok: false;
      error: ErrorView;
      /** The attempt may have had an effect that we cannot see (timeout, abort). */
      outcomeUnknown: boolean;
      retryable: boolean;
      /** Why the runner aborted it, when it did. */
      abortReason: string | null;
      durationMs: number;
      startedAt: Date;
      finishedAt: Date;
    };
